"""The explorer renders offscreen on every kind of trace; with TRACEDESK_SHOTS=dir the images
are kept for looking at.

    TRACEDESK_SHOTS=shots QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest \
        tests/app/explorer -k shot
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.explorer import TraceExplorer
from app.spans.detail import EVENTS
from core.store.store import Store
from tests.app.explorer.data import (
    AGENT,
    ASSESSED,
    CHAT_TRACE,
    ERROR_31,
    NESTED,
    OLLAMA,
    malformed_copy,
)
from tests.app.helpers import save_shot

ShowTrace = Callable[[Store, str], TraceExplorer]
OpenStore = Callable[[Path], Store]


def save(qtbot: QtBot, widget: TraceExplorer, folder: Path, name: str) -> Path:
    return save_shot(qtbot, widget, folder / f"explorer-{name}.png")


@pytest.mark.parametrize(
    ("name", "trace_id", "tab"),
    [
        ("chat-span", CHAT_TRACE, None),
        ("nested-spans", NESTED, None),
        ("chat-ollama-events", OLLAMA, EVENTS),
        ("agent-span", AGENT, None),
        ("assessments", ASSESSED, None),
    ],
)
def test_shot_fixture_318(
    qtbot: QtBot,
    show: ShowTrace,
    db318: Path,
    open_store: OpenStore,
    shots: Path,
    name: str,
    trace_id: str,
    tab: str | None,
) -> None:
    explorer = show(open_store(db318), trace_id)
    if trace_id == NESTED:
        explorer.spans.view.select_span("179ea617e5d7e4c4")  # my_span: inputs and attributes
    if tab is not None:
        explorer.detail.show_tab(tab)
    save(qtbot, explorer, shots, name)


def test_shot_error_trace_31(
    qtbot: QtBot, show: ShowTrace, db31: Path, open_store: OpenStore, shots: Path
) -> None:
    explorer = show(open_store(db31), ERROR_31)
    explorer.detail.show_tab(EVENTS)
    save(qtbot, explorer, shots, "error-3.1")


def test_shot_big_trace(
    qtbot: QtBot,
    show: ShowTrace,
    big_trace: tuple[Path, str],
    open_store: OpenStore,
    shots: Path,
) -> None:
    path, trace_id = big_trace
    explorer = show(open_store(path), trace_id)
    view = explorer.spans.view
    view.expand(view.span_model().index(0, 0, view.span_model().index(0, 0)))
    view.select_span(explorer.spans.model.tree.spans[3].span_id)
    save(qtbot, explorer, shots, "10k-spans")


def test_shot_broken_and_hostile(
    qtbot: QtBot,
    show: ShowTrace,
    db318: Path,
    open_store: OpenStore,
    hostile_trace: tuple[Path, str],
    shots: Path,
) -> None:
    explorer = show(open_store(malformed_copy(db318, NESTED)), NESTED)
    save(qtbot, explorer, shots, "malformed")
    path, trace_id = hostile_trace
    show(open_store(path), trace_id)
    save(qtbot, explorer, shots, "hostile")


def test_shot_narrow(
    qtbot: QtBot, show: ShowTrace, db318: Path, open_store: OpenStore, shots: Path
) -> None:
    explorer = show(open_store(db318), OLLAMA)
    explorer.resize(720, 900)
    qtbot.waitUntil(lambda: explorer.splitter.orientation().value == 2)
    save(qtbot, explorer, shots, "narrow")
