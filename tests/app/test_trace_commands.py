"""`TraceCommands` on its own: the list and explorer it is given, a store, and its signals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.experiments.model import ExperimentListModel
from app.experiments.view import ExperimentListView
from app.explorer.panel import TraceExplorer
from app.tasks import TaskRunner
from app.traces.commands import TraceCommands
from app.traces.model import TraceListModel
from app.traces.rows import TraceQuery
from app.traces.view import TraceListView
from core.store.store import Store
from tests.app.helpers import WAIT_MS

CUSTOM_TRACING = "1"
NESTED_TRACE = "tr-8a3d93a26e8534bbd41731f1c1a5d860"  # the newest of custom_tracing
EVALUATION_TRACE_EXPERIMENT = "2"


UNKNOWN = "tr-00000000000000000000000000000000"


@dataclass(frozen=True)
class Parts:
    commands: TraceCommands
    explorer: TraceExplorer
    model: TraceListModel
    view: TraceListView
    store: Store


@pytest.fixture
def parts(qtbot: QtBot, db318: Path) -> Iterator[Parts]:
    runner = TaskRunner()
    owner = QWidget()
    qtbot.addWidget(owner)
    explorer = TraceExplorer(runner, owner)
    model = TraceListModel(runner, owner)
    view = TraceListView(model, owner)
    experiments = ExperimentListView(ExperimentListModel(runner), owner)
    commands = TraceCommands(runner, explorer, model, view, experiments, owner)
    store = Store.open(db318)
    commands.set_store(store)
    yield Parts(commands, explorer, model, view, store)
    runner.shutdown()
    store.close()


def test_copy_needs_a_trace_in_the_explorer(qtbot: QtBot, parts: Parts) -> None:
    said: list[str] = []
    parts.commands.message.connect(said.append)
    assert not parts.commands.copy_trace_id() and not parts.commands.copy_span_json()
    assert said == ["Select a trace to copy its id.", "Select a span to copy it."]
    with qtbot.waitSignal(parts.explorer.trace_loaded, timeout=WAIT_MS):
        parts.explorer.show_trace(parts.store, NESTED_TRACE)
    assert parts.commands.copy_trace_id()
    assert QGuiApplication.clipboard().text() == NESTED_TRACE
    assert said[-1] == f"Copied {NESTED_TRACE}."


def test_go_to_a_trace_not_in_the_list_asks_for_it_to_be_shown(qtbot: QtBot, parts: Parts) -> None:
    with qtbot.waitSignal(parts.model.page_loaded, timeout=WAIT_MS):
        parts.model.load(parts.store, TraceQuery((EVALUATION_TRACE_EXPERIMENT,)))
    assert parts.model.row_of(NESTED_TRACE) is None  # in another experiment
    with qtbot.waitSignal(parts.commands.trace_requested, timeout=WAIT_MS) as requested:
        parts.commands.go_to_trace(NESTED_TRACE)
    assert requested.args == [NESTED_TRACE]
    with qtbot.waitSignal(parts.commands.message, timeout=WAIT_MS) as said:
        parts.commands.go_to_trace(UNKNOWN)
    assert said.args == [f"No trace with the id {UNKNOWN} in this database."]


def test_go_to_a_listed_trace_selects_its_row(qtbot: QtBot, parts: Parts) -> None:
    with qtbot.waitSignal(parts.model.page_loaded, timeout=WAIT_MS):
        parts.model.load(parts.store, TraceQuery((CUSTOM_TRACING,)))
    requested: list[str] = []
    parts.commands.trace_requested.connect(requested.append)
    with qtbot.waitSignal(parts.view.trace_selected, timeout=WAIT_MS) as selected:
        parts.commands.go_to_trace(NESTED_TRACE)
    assert selected.args == [NESTED_TRACE] and requested == []


def test_export_and_go_to_need_a_store(parts: Parts) -> None:
    said: list[str] = []
    parts.commands.message.connect(said.append)
    parts.commands.set_store(None)
    parts.commands.export_trace()
    assert parts.commands.ask_trace_id() is None and said == ["Select a trace to export it."]
