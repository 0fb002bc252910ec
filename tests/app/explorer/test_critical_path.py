"""The critical path: computed on hand-built trees (sequential, parallel, nested, unfinished,
instant, orphaned, outliving their parent), marked in the tree by its button and its key,
computed in the job pool for big trees, and shared with other views."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from app.explorer import TraceExplorer
from app.spans.critical_path import critical_path
from app.spans.delegate import critical_color
from app.spans.filter_bar import CRITICAL_PATH_KEYS
from app.spans.model import BAR_ROLE, CRITICAL_ROLE, SPAN_ROLE, Column, SpanTreeModel
from app.spans.tree import SpanTree, build_tree
from app.spans.view import CRITICAL_EDGE, SYNC_PATH, SpanTreePanel
from app.tasks import TaskRunner
from core.entities import Span
from core.store.store import Store
from tests.app.explorer.repeated import (
    FETCHES,
    SEARCHES,
    SLOWEST_FETCH,
    build_repeated_trace,
    repeated_spans,
)
from tests.app.helpers import WAIT_MS


def span(span_id: str, parent: str | None, start: int, end: int | None, name: str = "") -> Span:
    return Span("tr-1", span_id, parent, name or span_id, "CHAIN", "OK", start, end, "not JSON")


def path_of(spans: list[Span]) -> set[str]:
    tree = build_tree(spans)
    return {tree.spans[n].span_id for n in critical_path(tree)}


def test_a_sequential_chain_is_all_on_the_path() -> None:
    spans = [
        span("root", None, 0, 100),
        span("a", "root", 0, 30),
        span("b", "root", 30, 60),  # starts exactly when a ends
        span("c", "root", 62, 98),
    ]
    assert path_of(spans) == {"root", "a", "b", "c"}


def test_of_parallel_children_only_the_one_waited_for_counts() -> None:
    spans = [
        span("root", None, 0, 100),
        span("fast", "root", 10, 40),
        span("slow", "root", 10, 90),
        span("middle", "root", 20, 70),
        span("before", "root", 0, 10),
        span("overlaps", "root", 5, 15),  # ends after `slow` started: ran beside it
    ]
    assert path_of(spans) == {"root", "slow", "before"}


def test_nested_paths_go_down_and_come_back() -> None:
    spans = [
        span("root", None, 0, 100),
        span("plan", "root", 0, 20),
        span("act", "root", 20, 100),
        span("think", "act", 20, 50),
        span("tool", "act", 25, 60),  # ends last before `call`: it, not `think`
        span("call", "act", 60, 95),
        span("leaf", "call", 61, 94),
        span("idle leaf", "call", 61, 62),
        span("sibling", "plan", 1, 19),
    ]
    assert path_of(spans) == {"root", "plan", "sibling", "act", "tool", "call", "leaf"}


def test_ties_follow_the_longer_child() -> None:
    spans = [
        span("root", None, 0, 100),
        span("short", "root", 50, 90),
        span("long", "root", 10, 90),
    ]
    assert path_of(spans) == {"root", "long"}


def test_unfinished_spans_run_to_the_end_of_the_trace() -> None:
    spans = [
        span("root", None, 0, None),  # still running
        span("done", "root", 0, 50),
        span("running", "root", 40, None),
        span("late", "root", 60, 120),
    ]
    tree = build_tree(spans)
    assert tree.end_ns == 120
    # `running` ends with the trace (120), as late as `late`, and started earlier: the longer.
    assert path_of(spans) == {"root", "running"}


def test_instant_spans_are_never_below_the_top() -> None:
    assert path_of([span("root", None, 0, 100), span("mark", "root", 100, 100)]) == {"root"}
    assert path_of([span("root", None, 5, 5), span("mark", "root", 5, 5)]) == {"root"}


def test_a_child_that_outlives_its_parent_is_clipped_to_it() -> None:
    spans = [
        span("root", None, 0, 100),
        span("step", "root", 0, 50),
        span("stream", "step", 10, 80),  # ended after `step`: counts only up to 50
        span("after", "root", 50, 100),
        span("outside", "step", 70, 90),  # started after its parent ended
    ]
    assert path_of(spans) == {"root", "after", "step", "stream"}


def test_the_top_level_span_ending_last_starts_the_path() -> None:
    spans = [
        span("root", None, 0, 50),
        span("orphan", "missing", 10, 90),  # its parent was never recorded
        span("child", "orphan", 20, 80),
    ]
    assert path_of(spans) == {"orphan", "child"}
    assert critical_path(build_tree([])) == frozenset()


def test_a_very_deep_chain_needs_no_recursion() -> None:
    depth = 5000
    spans = [span("s0", None, 0, 2 * depth)]
    spans += [span(f"s{i}", f"s{i - 1}", i, 2 * depth - i) for i in range(1, depth)]
    assert len(path_of(spans)) == depth


def test_the_result_is_kept_on_the_tree() -> None:
    tree = build_tree([span("root", None, 0, 10), span("a", "root", 1, 9)])
    first = critical_path(tree)
    assert tree.critical is first and critical_path(tree) is first


def test_the_repeated_trace_path() -> None:
    tree = build_tree(repeated_spans())
    names = [tree.spans[n].span_id for n in critical_path(tree)]
    searches = [n for n in names if n.startswith("search")]
    fetches = [n for n in names if n.startswith("fetch") and n != "fetch"]
    assert len(searches) == SEARCHES  # one after another: every call made the agent wait
    assert fetches == [f"fetch{SLOWEST_FETCH}"]  # of the parallel fetches, the slowest
    assert {"root", "plan", "gather", "fetch", "summarize"} <= set(names)


# -- in the tree --------------------------------------------------------------------------


@pytest.fixture
def panel(qtbot: QtBot) -> SpanTreePanel:
    widget = SpanTreePanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 500)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_tree(build_tree(repeated_spans()))
    return widget


def index_of(model: SpanTreeModel, span_id: str, column: int = Column.NAME) -> QModelIndex:
    index = model.index_of(span_id, column)
    assert index.isValid()
    return index


def test_the_button_marks_the_path_rows(qtbot: QtBot, panel: SpanTreePanel) -> None:
    model, button = panel.model, panel.filter_bar.critical_button
    slow, fast = index_of(model, f"fetch{SLOWEST_FETCH}"), index_of(model, "fetch0")
    assert slow.data(CRITICAL_ROLE) is False  # off until asked for
    with qtbot.waitSignal(panel.critical_path_changed) as changed:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    tree = model.tree
    assert tree is not None and changed.args == [critical_path(tree)]
    assert slow.data(CRITICAL_ROLE) is True and fast.data(CRITICAL_ROLE) is False
    assert "On the critical path" in slow.data(Qt.ItemDataRole.ToolTipRole)
    assert "On the critical path" not in fast.data(Qt.ItemDataRole.ToolTipRole)
    searches = model.index(0, 0, index_of(model, "gather"))  # the folded 300 search_docs
    assert model.is_fold(searches) and searches.data(CRITICAL_ROLE) is True
    assert "One of them is on the critical path" in searches.data(Qt.ItemDataRole.ToolTipRole)
    assert panel.view.isExpanded(index_of(model, "fetch"))  # the chain is shown
    assert not panel.view.isExpanded(searches)  # a folded run stays folded, marked
    with qtbot.waitSignal(panel.critical_path_changed) as changed:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert changed.args == [frozenset()] and slow.data(CRITICAL_ROLE) is False


def test_the_key_toggles_the_path_and_a_new_trace_gets_its_own(
    qtbot: QtBot, panel: SpanTreePanel
) -> None:
    assert CRITICAL_PATH_KEYS == "Ctrl+Shift+P"
    panel.activateWindow()
    qtbot.waitActive(panel)
    panel.view.setFocus()
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(panel.view, Qt.Key.Key_P, modifiers)
    assert panel.critical_shown and panel.model.critical_path
    other = build_tree([span("solo", None, 0, 10), span("inner", "solo", 2, 8)])
    with qtbot.waitSignal(panel.critical_path_changed) as changed:
        panel.show_tree(other)
    assert changed.args == [frozenset({0, 1})]  # the button stays on from trace to trace
    assert index_of(panel.model, "inner").data(CRITICAL_ROLE) is True
    qtbot.keyClick(panel.view, Qt.Key.Key_P, modifiers)
    assert not panel.critical_shown and panel.model.critical_path == frozenset()


def test_the_path_is_painted_at_the_edge_and_around_the_bar(
    qtbot: QtBot, panel: SpanTreePanel
) -> None:
    panel.show_critical_path(True)
    view = panel.view
    slow = index_of(panel.model, f"fetch{SLOWEST_FETCH}", Column.TIMELINE)
    fast = index_of(panel.model, "fetch0", Column.TIMELINE)
    view.expand(slow.parent().siblingAtColumn(Column.NAME))  # the six fetch_page calls, folded
    qtbot.waitUntil(lambda: view.visualRect(fast).height() > 0)
    image = view.viewport().grab().toImage()
    mark = critical_color(view.palette())
    for index, on_path in ((slow, True), (fast, False)):
        row = view.visualRect(index)
        assert (image.pixelColor(1, row.center().y()) == mark) is on_path  # the edge
        start, end, color, _error = index.data(BAR_ROLE)
        middle = round(row.left() + 6 + (row.width() - 12) * (start + end) / 2)
        drawn = image.pixelColor(middle, row.center().y())
        assert (drawn == QColor(color)) is on_path  # bars off the path fade
        ring = image.pixelColor(middle, row.center().y() - 8)  # just above the bar
        assert (abs(ring.lightness() - mark.lightness()) < 60) is on_path
    assert CRITICAL_EDGE >= 2


def test_a_big_tree_finds_its_path_in_the_job_pool(qtbot: QtBot, runner: TaskRunner) -> None:
    panel = SpanTreePanel(tasks=runner)
    qtbot.addWidget(panel)
    count = SYNC_PATH + 100
    spans = [span("root", None, 0, 2 * count)]
    spans += [span(f"s{i}", "root", 2 * i, 2 * i + 1, name=f"step {i % 3}") for i in range(count)]
    tree = build_tree(spans)
    panel.show_tree(tree)
    with qtbot.waitSignal(panel.critical_path_changed, timeout=WAIT_MS) as changed:
        panel.show_critical_path(True)
        assert panel.model.critical_path == frozenset()  # not yet: it is being computed
    assert changed.args == [critical_path(tree)] and len(changed.args[0]) == count + 1
    assert tree.critical is not None
    first = index_of(panel.model, "s0")
    assert first.data(CRITICAL_ROLE) is True and isinstance(first.data(SPAN_ROLE), Span)


def test_a_result_for_a_tree_no_longer_shown_is_dropped(qtbot: QtBot, runner: TaskRunner) -> None:
    panel = SpanTreePanel(tasks=runner)
    qtbot.addWidget(panel)
    count = SYNC_PATH + 100
    spans = [span("root", None, 0, 2 * count)]
    spans += [span(f"s{i}", "root", 2 * i, 2 * i + 1, name=f"step {i % 3}") for i in range(count)]
    panel.show_critical_path(True)
    panel.show_tree(build_tree(spans))
    small: SpanTree = build_tree([span("solo", None, 0, 10)])
    panel.show_tree(small)  # at once: a small tree
    assert panel.model.critical_path == frozenset({0})
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT_MS)  # the big tree's job ended
    assert panel.model.critical_path == frozenset({0}) and panel.model.tree is small


def test_the_key_works_in_the_explorer(
    qtbot: QtBot,
    show: Callable[[Store, str], TraceExplorer],
    open_store: Callable[[Path], Store],
    tmp_path: Path,
) -> None:
    path = tmp_path / "mlflow.db"
    trace_id = build_repeated_trace(path)
    explorer = show(open_store(path), trace_id)
    explorer.span_views.setCurrentWidget(explorer.spans)  # the Tree tab
    explorer.activateWindow()
    qtbot.waitActive(explorer)
    explorer.focus_tree()
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    with qtbot.waitSignal(explorer.spans.critical_path_changed):
        qtbot.keyClick(explorer.spans.view, Qt.Key.Key_P, modifiers)
    model = explorer.spans.model
    assert explorer.spans.filter_bar.critical_button.isChecked()
    assert len(model.critical_path) == len(repeated_spans()) - (len(FETCHES) - 1)
    root = model.index(0, 0)
    assert root.data(CRITICAL_ROLE) is True and root.data() == "research agent"
