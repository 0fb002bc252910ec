"""The list and the explorer side by side: selection drives the explorer, the layout is kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from tests.app.helpers import WAIT_MS, open_and_wait, select_experiment, shown_ids

CUSTOM_TRACING = "1"


def test_the_explorer_sits_beside_the_list(window: MainWindow) -> None:
    workspace = window.workspace
    assert workspace.orientation() == Qt.Orientation.Horizontal
    assert workspace.widget(0) is workspace.list_panel
    assert workspace.widget(1) is window.explorer
    assert workspace.list_panel.isAncestorOf(window.query_bar)
    assert workspace.list_panel.isAncestorOf(window.trace_view)
    assert window.experiments_dock.widget() is window.experiment_view  # the dock stays


def test_selecting_a_row_shows_the_trace(qtbot: QtBot, window: MainWindow, db318: Path) -> None:
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, CUSTOM_TRACING)
    ids = shown_ids(window)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS) as blocker:
        window.trace_view.select_row(0)
    assert blocker.args[0].info.trace_id == ids[0]
    assert window.status.trace_label.text() == ids[0]
    assert window.status.trace_label.isVisibleTo(window.status)
    # Quick moves: only the last trace lands in the explorer (stale loads are dropped).
    window.trace_view.select_row(1)
    window.trace_view.select_row(2)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS) as blocker:
        window.trace_view.select_row(3)
    assert blocker.args[0].info.trace_id == ids[3]
    qtbot.waitUntil(lambda: window.tasks.pending == 0, timeout=WAIT_MS)
    current = window.explorer.current_trace()
    assert current is not None and current.info.trace_id == ids[3]


def test_switching_experiments_clears_the_explorer(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    open_and_wait(qtbot, window, db318)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.trace_view.select_row(0)
    select_experiment(qtbot, window, CUSTOM_TRACING)
    assert window.shown_trace_id is None and window.explorer.current_trace() is None
    assert window.status.trace_label.isHidden()


def test_a_new_filter_keeps_the_trace_when_it_still_matches(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, CUSTOM_TRACING)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.trace_view.select_row(2)  # my_cool_span, the RERANKER trace
    loads: list[object] = []
    window.explorer.trace_loaded.connect(loads.append)
    window.query_bar.set_text("span.type = 'RERANKER'")
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        window.query_bar.submitted.emit(window.query_bar.text)
    assert window.trace_view.selected_trace_id() == "tr-8994d05b63f61f086eee7e8a1d4106e8"
    assert window.shown_trace_id == "tr-8994d05b63f61f086eee7e8a1d4106e8"
    assert loads == []  # not cleared and loaded again
    window.query_bar.set_text("trace.name = 'span'")
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        window.query_bar.submitted.emit(window.query_bar.text)
    assert window.shown_trace_id is None  # gone from the list: the explorer is cleared


def test_refresh_reloads_the_shown_trace(qtbot: QtBot, window: MainWindow, db318: Path) -> None:
    open_and_wait(qtbot, window, db318)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.trace_view.select_row(0)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.menu_actions.refresh.trigger()


def test_closing_the_database_clears_the_explorer(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    open_and_wait(qtbot, window, db318)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.trace_view.select_row(0)
    window.close_database()
    assert window.explorer.current_trace() is None and window.shown_trace_id is None
    assert window.status.trace_label.text() == ""


def open_a_trace(qtbot: QtBot, window: MainWindow, db: Path) -> None:
    """Open `db` in `window` and select its first trace: the explorer shows."""
    window.show()
    qtbot.waitExposed(window)
    open_and_wait(qtbot, window, db)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.trace_view.select_row(0)
    assert window.workspace.explorer_open and window.explorer.isVisible()


def test_explorer_below_and_splitter_sizes_are_kept(
    qtbot: QtBot, make_window: Callable[..., MainWindow], db318: Path
) -> None:
    first = make_window()
    open_a_trace(qtbot, first, db318)
    first.menu_actions.explorer_below.trigger()
    assert first.workspace.orientation() == Qt.Orientation.Vertical
    total = sum(first.workspace.sizes())
    first.workspace.setSizes([total // 4, total - total // 4])
    sizes = first.workspace.sizes()
    first.close()
    again = make_window()
    open_a_trace(qtbot, again, db318)
    assert again.menu_actions.explorer_below.isChecked()
    assert again.workspace.orientation() == Qt.Orientation.Vertical
    assert abs(again.workspace.sizes()[0] - sizes[0]) <= 2
    again.menu_actions.explorer_below.trigger()  # back beside: that arrangement's sizes
    assert again.workspace.orientation() == Qt.Orientation.Horizontal


def test_the_list_has_the_width_while_no_trace_is_open(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    window.show()
    qtbot.waitExposed(window)
    open_and_wait(qtbot, window, db318)
    workspace = window.workspace
    assert not workspace.explorer_open and not window.explorer.isVisible()
    assert workspace.list_panel.width() == workspace.width()
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.trace_view.select_row(0)
    list_width, explorer_width = workspace.sizes()
    assert window.explorer.isVisible() and list_width > explorer_width > 0
    window.explorer.setFocus()
    window.trace_view.clearSelection()  # no trace: the explorer goes, the focus to the list
    assert not window.explorer.isVisible() and window.shown_trace_id is None
    qtbot.waitUntil(lambda: workspace.list_panel.width() == workspace.width(), timeout=WAIT_MS)
