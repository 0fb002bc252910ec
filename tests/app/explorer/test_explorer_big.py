"""A 10,000-span trace opens through the background task without freezing the window, and the
tree model answers lazily: only the rows on screen are ever asked for their cells."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

import app.explorer.panel as panel_module
from app.explorer import TraceExplorer
from app.explorer.loading import LoadedTrace, load_trace
from app.spans.filter_bar import DEBOUNCE_SPANS
from app.tasks import DB_THREAD_NAME
from core.store.store import Store
from tests.app.explorer.data import BIG_SPANS
from tests.app.helpers import WAIT_MS

OpenStore = Callable[[Path], Store]
#: Generous bounds: the point is "no freeze", not a benchmark (numbers are printed with -s).
MAX_OPEN_S = 5.0
MAX_GUI_S = 1.0


@pytest.fixture
def load_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the threads the explorer's load function runs in."""
    names: list[str] = []

    def spy(*args: Any) -> LoadedTrace:
        names.append(threading.current_thread().name)
        return load_trace(*args)

    monkeypatch.setattr(panel_module, "load_trace", spy)
    return names


def test_big_trace_opens_in_the_background(
    qtbot: QtBot,
    explorer: TraceExplorer,
    big_trace: tuple[Path, str],
    open_store: OpenStore,
    load_threads: list[str],
) -> None:
    path, trace_id = big_trace
    store = open_store(path)
    rendered: list[float] = []
    explorer.detail.rendered.connect(lambda _tab: rendered.append(time.perf_counter()))
    started = time.perf_counter()
    with qtbot.waitSignal(explorer.trace_loaded, timeout=WAIT_MS):
        explorer.show_trace(store, trace_id)
        assert explorer.is_loading  # show_trace returned at once; the work is elsewhere
        submitted = time.perf_counter() - started
    loaded = explorer.loaded
    assert loaded is not None and len(loaded.trace.data.spans) == BIG_SPANS
    assert load_threads and all(name.startswith(DB_THREAD_NAME) for name in load_threads)
    first_detail = rendered[0] - started
    gui_s = first_detail - loaded.read_s - loaded.index_s
    print(
        f"\n10k spans: read {loaded.read_s * 1000:.0f} ms, index {loaded.index_s * 1000:.0f} ms"
        f" (database thread); first detail {first_detail * 1000:.0f} ms after the click;"
        f" GUI-thread share ~{gui_s * 1000:.0f} ms; show_trace returned in"
        f" {submitted * 1000:.1f} ms"
    )
    assert submitted < 0.05 and first_detail < MAX_OPEN_S and gui_s < MAX_GUI_S
    assert explorer.selected_span().name == "big agent run"


def test_big_trace_rows_are_asked_for_lazily(
    qtbot: QtBot, explorer: TraceExplorer, big_trace: tuple[Path, str], open_store: OpenStore
) -> None:
    path, trace_id = big_trace
    with qtbot.waitSignal(explorer.trace_loaded, timeout=WAIT_MS):
        explorer.show_trace(open_store(path), trace_id)
    view = explorer.spans.view
    model = explorer.spans.model
    qtbot.waitUntil(lambda: model.decoded_rows > 0)  # painted
    visible_rows = view.viewport().height() // max(view.sizeHintForRow(0), 1) + 2
    assert model.decoded_rows <= visible_rows  # the token cells of the rows on screen only
    spans = model.tree.spans
    parsed = sum(1 for s in spans if s._parsed is not None)  # peeking: the public API parses
    assert parsed <= visible_rows + 1  # the rows on screen and the selected span
    assert not view.isExpanded(model.index(0, 0, model.index(0, 0)))  # chains start collapsed
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    qtbot.wait(20)
    assert model.decoded_rows <= 2 * visible_rows


def test_filtering_the_big_trace(
    qtbot: QtBot, explorer: TraceExplorer, big_trace: tuple[Path, str], open_store: OpenStore
) -> None:
    path, trace_id = big_trace
    with qtbot.waitSignal(explorer.trace_loaded, timeout=WAIT_MS):
        explorer.show_trace(open_store(path), trace_id)
    bar = explorer.spans.filter_bar
    assert BIG_SPANS > DEBOUNCE_SPANS
    started = time.perf_counter()
    with qtbot.waitSignal(bar.filter_changed, timeout=WAIT_MS):  # typing is debounced here
        qtbot.keyClicks(bar.search, "step 42.")
    assert explorer.spans.model.match_count() == 100
    assert bar.count_label.text() == "100 of 10,000 spans"
    with qtbot.waitSignal(bar.filter_changed):
        bar.errors_button.click()
    assert explorer.spans.model.match_count() == 0
    bar.search.clear()
    qtbot.waitUntil(lambda: explorer.spans.model.match_count() == 10, timeout=WAIT_MS)
    print(f"\nfiltering 10k spans three times: {(time.perf_counter() - started) * 1000:.0f} ms")
