"""The flame graph: its layout (rows, lanes, slivers, axis), clicking and keys on the widget,
a 100,000-span trace that paints only what shows, the critical path, the theme, and the
explorer's Tree | Flame tabs sharing one selection."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.actions import WIDGET_KEYS
from app.explorer import TraceExplorer, span_views
from app.explorer.span_views import FLAME, TOGGLE_KEYS, TREE, VIEW_KEY
from app.spans.colors import type_color
from app.spans.critical_path import critical_path
from app.spans.flame import FlameView
from app.spans.flame_layout import (
    MAX_LANES,
    build_flame_layout,
    row_pieces,
    tick_step,
    tick_text,
    ticks,
)
from app.spans.tree import SpanTree, build_tree
from app.tasks import TaskRunner
from app.theme import dark_palette
from core.entities import Span
from core.store.store import Store
from tests.app.explorer.data import NESTED
from tests.app.helpers import WAIT_MS, Shot

MS = 1_000_000

# -- traces made by hand ----------------------------------------------------------------------


class Untouchable:
    """A payload source that fails the test if anything reads a span's JSON."""

    reads = 0

    def payload(self, span_id: str) -> str:
        Untouchable.reads += 1
        raise AssertionError(f"the flame graph read the payload of span {span_id}")


def span(
    span_id: str,
    parent: str | None,
    start_ms: float,
    end_ms: float | None,
    name: str = "",
    kind: str = "CHAIN",
    status: str = "OK",
) -> Span:
    end = None if end_ms is None else round(end_ms * MS)
    return Span(
        "tr-flame", span_id, parent, name or span_id, kind, status, round(start_ms * MS), end,
        Untouchable(),
    )  # fmt: skip


def agent_tree() -> SpanTree:
    """agent 0-100 ms: plan 0-20, then two tools side by side, then an answer that failed."""
    return build_tree(
        [
            span("agent", None, 0, 100, kind="AGENT"),
            span("plan", "agent", 0, 20, kind="LLM"),
            span("search", "agent", 20, 70, kind="TOOL"),
            span("fetch", "agent", 25, 50, kind="TOOL"),
            span("answer", "agent", 70, 100, kind="LLM", status="ERROR"),
            span("query", "search", 22, 60, kind="RETRIEVER"),
        ]
    )


def huge_spans(steps: int = 50, calls: int = 2000) -> list[Span]:
    """A root, `steps` steps one after another, `calls` 1 µs tool calls under each."""
    spans = [span("root", None, 0, steps * calls * 0.001 + 1, kind="AGENT")]
    for step in range(steps):
        start = step * calls * 0.001
        spans.append(span(f"s{step}", "root", start, start + calls * 0.001, f"step {step}"))
        for call in range(calls):
            at = start + call * 0.001
            failed = "ERROR" if call == 997 else "OK"
            spans.append(
                span(f"c{step}.{call}", f"s{step}", at, at + 0.0009, "search_docs", "TOOL", failed)
            )
    return spans


def node(tree: SpanTree, span_id: str) -> int:
    return tree.by_id[span_id]


@pytest.fixture
def flame(qtbot: QtBot) -> FlameView:
    view = FlameView()
    qtbot.addWidget(view)
    view.resize(820, 260)
    view.show()
    qtbot.waitExposed(view)
    return view


def center(view: FlameView, at: int) -> QPoint:
    rect = view.rect_of(at)
    assert rect is not None
    return rect.center().toPoint()


# -- the layout, without Qt -------------------------------------------------------------------


def test_one_row_per_depth_and_a_lane_for_spans_that_overlap() -> None:
    tree = agent_tree()
    layout = build_flame_layout(tree)
    rows = [(row.depth, [tree.spans[n].span_id for n in row.nodes]) for row in layout.rows]
    # fetch ran beside search: it gets a second lane at depth 1, below search's row
    assert rows == [
        (0, ["agent"]),
        (1, ["plan", "search", "answer"]),
        (1, ["fetch"]),
        (2, ["query"]),
    ]
    assert layout.span_range(node(tree, "search")) == (20 * MS, 70 * MS)
    assert layout.node_at(1, 45 * MS, 0) == node(tree, "search")
    assert layout.node_at(2, 45 * MS, 0) == node(tree, "fetch")
    assert layout.node_at(2, 60 * MS, 0) is None
    assert layout.node_at(2, 50.5 * MS, MS) == node(tree, "fetch")  # within the slack


def test_lanes_stop_at_the_cap_and_spans_still_hit() -> None:
    """A fan-out of 40 calls at once takes `MAX_LANES` rows; every call is still found."""
    calls = [span(f"call{i}", "root", 0, 10 + i, kind="TOOL") for i in range(40)]
    tree = build_tree([span("root", None, 0, 60), *calls])
    layout = build_flame_layout(tree)
    assert len(layout.rows) == 1 + MAX_LANES
    for i in range(40):
        found = node(tree, f"call{i}")
        row = int(layout.row_of[found])
        assert layout.node_at(row, (10 + i) * MS - 1, 0) is not None


def test_thin_spans_merge_into_slivers_that_count_them_and_their_errors() -> None:
    tree = build_tree(huge_spans(steps=2, calls=1000))
    layout = build_flame_layout(tree)
    calls = layout.rows[2]
    assert len(calls) == 2000
    whole = layout.duration_ns
    pieces = row_pieces(calls, 0, whole, 0.0, 800 / whole)  # 800 px for 2,000 calls
    assert len(pieces.wide) == 0
    assert int(pieces.sliver_count.sum()) == 2000
    assert int(pieces.sliver_errors.sum()) == 2
    zoomed = row_pieces(calls, 0, whole / 200, 0.0, 800 / (whole / 200))  # 10 calls on 800 px
    assert len(zoomed.wide) >= 9 and int(zoomed.sliver_count.sum()) <= 2


def test_axis_steps_and_labels() -> None:
    assert tick_step(1_000 * MS, 800, 80) == 100 * MS
    assert tick_step(3 * MS, 600, 90) == 0.5 * MS
    assert ticks(0, 1_000 * MS, 250 * MS) == [0, 250 * MS, 500 * MS, 750 * MS, 1_000 * MS]
    assert tick_text(0, 100 * MS, 1_000 * MS) == "0"
    assert tick_text(200 * MS, 100 * MS, 999 * MS) == "200 ms"
    assert tick_text(200 * MS, 100 * MS, 1_000 * MS) == "0.2 s"  # the unit of the window's end
    assert tick_text(1_200 * MS, 200 * MS, 1_300 * MS) == "1.2 s"
    assert tick_text(1_200_005_000, 5_000, 1_300 * MS) == "1.200005 s"  # deep zoom: decimals
    assert tick_text(20, 10, 90) == "20 ns"


# -- the widget ------------------------------------------------------------------------------


def test_clicking_a_span_selects_it(qtbot: QtBot, flame: FlameView) -> None:
    tree = agent_tree()
    flame.set_tree(tree)
    for span_id in ("agent", "plan", "search", "fetch", "answer", "query"):
        target = node(tree, span_id)
        assert flame.node_at(center(flame, target)) == target
        with qtbot.waitSignal(flame.span_selected) as blocker:
            qtbot.mouseClick(flame, Qt.MouseButton.LeftButton, pos=center(flame, target))
        assert blocker.args == [target] and flame.selected_node == target
    below = QPoint(flame.width() // 2, flame.height() - 10)  # no row there
    with qtbot.assertNotEmitted(flame.span_selected):
        qtbot.mouseClick(flame, Qt.MouseButton.LeftButton, pos=below)
    assert flame.selected_node == node(tree, "query")
    assert "search" in flame.tooltip_at(center(flame, node(tree, "search")))
    assert "Status: Error" in flame.tooltip_at(center(flame, node(tree, "answer")))


def test_zoom_and_pan_keys_change_the_visible_range(qtbot: QtBot, flame: FlameView) -> None:
    flame.set_tree(agent_tree())
    whole = flame.visible_range()
    assert whole == (0, 100 * MS)
    qtbot.keyClick(flame, Qt.Key.Key_Plus)
    t0, t1 = flame.visible_range()
    assert t1 - t0 == pytest.approx(80 * MS) and (t0 + t1) / 2 == pytest.approx(50 * MS)
    qtbot.keyClick(flame, Qt.Key.Key_Equal)
    assert flame.visible_range()[1] - flame.visible_range()[0] == pytest.approx(64 * MS)
    before = flame.visible_range()
    qtbot.keyClick(flame, Qt.Key.Key_Right)  # nothing selected: the arrows pan
    assert flame.visible_range()[0] > before[0]
    qtbot.keyClick(flame, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert flame.visible_range() == pytest.approx(before)
    qtbot.keyClick(flame, Qt.Key.Key_Minus)
    assert flame.visible_range()[1] - flame.visible_range()[0] == pytest.approx(80 * MS)
    qtbot.keyClick(flame, Qt.Key.Key_0)
    assert flame.visible_range() == whole
    qtbot.keyClick(flame, Qt.Key.Key_Minus)  # never wider than the trace
    assert flame.visible_range() == whole


def test_the_wheel_zooms_around_the_pointer_and_dragging_pans(
    qtbot: QtBot, flame: FlameView
) -> None:
    flame.set_tree(agent_tree())
    geometry = flame.geometry_now()
    x = geometry.x_of(25 * MS)
    at = QPointF(x, geometry.chart.top() + 5)
    wheel = QWheelEvent(
        at, flame.mapToGlobal(at), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(flame, wheel)
    t0, t1 = flame.visible_range()
    assert t1 - t0 < 100 * MS
    assert flame.geometry_now().t_of(x) == pytest.approx(25 * MS)  # 25 ms stays under it
    before = flame.visible_range()
    start = QPoint(400, geometry.chart.top() + 5)
    qtbot.mousePress(flame, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(flame, start + QPoint(-100, 0))
    qtbot.mouseRelease(flame, Qt.MouseButton.LeftButton, pos=start + QPoint(-100, 0))
    assert flame.visible_range()[0] > before[0]  # dragged left: later times come into view
    assert flame.selected_node is None  # a drag is no click


def test_double_click_zooms_to_a_span(qtbot: QtBot, flame: FlameView) -> None:
    tree = agent_tree()
    flame.set_tree(tree)
    qtbot.mouseDClick(flame, Qt.MouseButton.LeftButton, pos=center(flame, node(tree, "fetch")))
    t0, t1 = flame.visible_range()
    assert t0 < 25 * MS < 50 * MS < t1 and t1 - t0 < 30 * MS


def test_arrow_keys_move_between_parent_child_and_siblings(qtbot: QtBot, flame: FlameView) -> None:
    tree = agent_tree()
    flame.set_tree(tree)
    flame.setFocus()
    walked = []
    flame.span_selected.connect(lambda n: walked.append(tree.spans[n].span_id))
    keys = [Qt.Key.Key_Down] * 2 + [Qt.Key.Key_Right] * 4 + [Qt.Key.Key_Left, Qt.Key.Key_Up]
    for key in keys:
        qtbot.keyClick(flame, key)
    # nothing selected: ↓ picks the root; → stops at the last sibling
    assert walked == ["agent", "plan", "search", "fetch", "answer", "fetch", "agent"]
    with qtbot.waitSignal(flame.span_selected) as blocker:
        qtbot.keyClick(flame, Qt.Key.Key_Return)
    assert blocker.args == [node(tree, "agent")]


def test_selecting_from_outside_brings_the_span_into_view(qtbot: QtBot, flame: FlameView) -> None:
    tree = agent_tree()
    flame.set_tree(tree)
    answer = node(tree, "answer")  # 70-100 ms
    with qtbot.assertNotEmitted(flame.span_selected):
        flame.set_window(0, 40 * MS)
        flame.select_node(answer)  # off screen: the window pans to it
    t0, t1 = flame.visible_range()
    assert t1 - t0 == pytest.approx(40 * MS) and t0 <= 70 * MS and t1 >= 100 * MS
    flame.select_node(node(tree, "agent"))  # on screen already (it covers it all): no move
    assert flame.visible_range() == (t0, t1)
    flame.set_window(0, 10 * MS)
    flame.select_node(answer)  # wider than the window: it zooms out to fit
    t0, t1 = flame.visible_range()
    assert t0 <= 70 * MS and t1 >= 100 * MS and t1 - t0 < 40 * MS
    assert flame.selected_node == answer


def pixel(image: QImage, at: QPoint | QPointF) -> QColor:
    return image.pixelColor(QPointF(at).toPoint())


def test_the_critical_path_is_outlined_and_the_rest_faded(qtbot: QtBot, flame: FlameView) -> None:
    tree = agent_tree()
    flame.set_tree(tree)
    path = critical_path(tree)
    assert node(tree, "search") in path and node(tree, "fetch") not in path
    inside = {
        span_id: center(flame, node(tree, span_id)) + QPoint(0, 4)
        for span_id in ("search", "fetch")
    }
    before = flame.grab().toImage()
    flame.set_critical_path(path)
    after = flame.grab().toImage()
    tool = QColor(type_color("TOOL"))
    assert pixel(before, inside["fetch"]) == tool and pixel(before, inside["search"]) == tool
    assert pixel(after, inside["search"]) == tool
    assert pixel(after, inside["fetch"]).lightness() > tool.lightness() + 40  # faded
    edge = flame.rect_of(node(tree, "search"))
    assert edge is not None
    text = flame.palette().color(QPalette.ColorRole.Text)
    top_rows = [pixel(after, QPointF(edge.center().x(), edge.top() + dy)) for dy in (0, 1)]
    assert text in top_rows  # the outline
    assert "On the critical path" in flame.tooltip_at(inside["search"])
    flame.set_critical_path(frozenset())
    assert pixel(flame.grab().toImage(), inside["fetch"]) == tool


def test_a_theme_switch_repaints_in_the_new_palette(
    qtbot: QtBot, qapp: QApplication, flame: FlameView
) -> None:
    flame.set_tree(agent_tree())
    light = QPalette(qapp.palette())
    empty = QPoint(flame.width() - 20, flame.height() - 10)
    qtbot.waitUntil(lambda: flame.paints > 0)
    painted = flame.paints
    try:
        qapp.setPalette(dark_palette())
        qtbot.waitUntil(lambda: flame.paints > painted, timeout=WAIT_MS)
        image = flame.grab().toImage()
        assert image.pixelColor(empty) == dark_palette().color(QPalette.ColorRole.Base)
    finally:
        qapp.setPalette(light)
    base = light.color(QPalette.ColorRole.Base)
    qtbot.waitUntil(lambda: flame.grab().toImage().pixelColor(empty) == base, timeout=WAIT_MS)


def test_a_100k_span_trace_paints_only_what_shows(qtbot: QtBot, flame: FlameView) -> None:
    Untouchable.reads = 0
    spans = huge_spans()
    assert len(spans) == 100_051
    tree = build_tree(spans)
    flame.set_tree(tree)
    flame.grab()
    stats = flame.stats
    # root, 50 steps; 100,000 calls merged into slivers of a few hundred each at most
    assert stats.rects < 200 and stats.slivers >= 1 and stats.sliver_spans == 100_000
    calls = flame.flame_layout.rows[2] if flame.flame_layout else None
    assert calls is not None and len(calls) == 100_000
    flame.set_window(0, 0.02 * MS)  # 20 µs: twenty calls, drawn one by one
    flame.grab()
    assert 20 <= flame.stats.rects <= 24 and flame.stats.slivers == 0
    for key in (Qt.Key.Key_Plus, Qt.Key.Key_0, Qt.Key.Key_Right):
        qtbot.keyClick(flame, key)
        flame.grab()
    first_error = node(tree, "c0.997")
    flame.select_node(first_error)
    assert flame.rect_of(first_error) is not None
    t0, t1 = flame.visible_range()
    assert t0 <= np.float64(0.997 * MS) <= t1
    assert Untouchable.reads == 0  # no span JSON was read, for the layout or the paint


# -- in the explorer ------------------------------------------------------------------------


def open_flame(qtbot: QtBot, explorer: TraceExplorer) -> FlameView:
    """Ctrl+Shift+G from the span tree: the Flame tab, with the focus."""
    explorer.activateWindow()  # shortcuts fire in the active window only
    qtbot.waitUntil(explorer.isActiveWindow, timeout=WAIT_MS)
    explorer.focus_tree()
    qtbot.keyClick(explorer.spans.view, Qt.Key.Key_G, _ctrl_shift())
    views = explorer.span_views
    assert views.tabText(views.currentIndex()) == FLAME
    view = views.flame.view
    qtbot.waitUntil(lambda: view.flame_layout is not None, timeout=WAIT_MS)
    assert QApplication.focusWidget() is view
    return view


def _ctrl_shift() -> Qt.KeyboardModifier:
    return Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def test_tree_and_flame_share_one_selection(
    qtbot: QtBot,
    show: Callable[[Store, str], TraceExplorer],
    db318: Path,
    open_store: Callable[[Path], Store],
    shot: Shot,
) -> None:
    assert TOGGLE_KEYS == "Ctrl+Shift+G"
    assert TOGGLE_KEYS in dict(WIDGET_KEYS)  # in Help → Keyboard Shortcuts
    explorer = show(open_store(db318), NESTED)
    tree = explorer.loaded.tree if explorer.loaded else None
    assert tree is not None
    view = open_flame(qtbot, explorer)
    root = explorer.selected_span()
    assert root is not None and view.selected_node == tree.by_id[root.span_id]
    target = tree.shape.children[tree.by_id[root.span_id]][-1]  # the root's last child
    with qtbot.waitSignal(explorer.detail.rendered, timeout=WAIT_MS):
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=center(view, target))
    assert explorer.selected_span() is tree.spans[target]
    assert explorer.spans.view.selected_span() is tree.spans[target]
    shot(explorer, "explorer-flame")
    with qtbot.waitSignal(explorer.span_selected, timeout=WAIT_MS):
        assert explorer.spans.view.select_span(root.span_id)  # the tree, from outside
    assert view.selected_node == tree.by_id[root.span_id]
    qtbot.keyClick(view, Qt.Key.Key_G, _ctrl_shift())
    assert explorer.span_views.tabText(explorer.span_views.currentIndex()) == TREE
    assert QApplication.focusWidget() is explorer.spans.view


def test_the_tab_chosen_is_remembered_and_copy_works_in_the_flame(
    qtbot: QtBot,
    runner: TaskRunner,
    show: Callable[[Store, str], TraceExplorer],
    db318: Path,
    open_store: Callable[[Path], Store],
) -> None:
    explorer = show(open_store(db318), NESTED)
    view = open_flame(qtbot, explorer)
    assert QSettings().value(VIEW_KEY) == FLAME
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert "my_cool_span" in QGuiApplication.clipboard().text()
    again = TraceExplorer(runner)  # another session opens on the Flame tab
    qtbot.addWidget(again)
    assert again.span_views.flame_shown()


def test_a_big_trace_is_laid_out_in_the_background(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    show: Callable[[Store, str], TraceExplorer],
    db318: Path,
    open_store: Callable[[Path], Store],
) -> None:
    monkeypatch.setattr(span_views, "SYNC_LAYOUT_SPANS", 0)
    explorer = show(open_store(db318), NESTED)
    views = explorer.span_views
    views.setCurrentIndex(1)
    assert views.flame.view.placeholder.startswith("Laying out 3 spans")
    qtbot.waitUntil(lambda: views.flame.view.flame_layout is not None, timeout=WAIT_MS)
    tree = explorer.loaded.tree if explorer.loaded else None
    assert tree is not None and views.flame.view.tree is tree

    # Ctrl+Shift+P (the tree bar's key) works in the Flame tab: one highlight for both views
    views.flame.view.setFocus()
    with qtbot.waitSignal(explorer.spans.critical_path_changed, timeout=WAIT_MS):
        qtbot.keyClick(views.flame.view, Qt.Key.Key_P, _ctrl_shift())
    assert views.flame.critical_button.isChecked() and explorer.spans.critical_shown
    assert views.flame.view.critical_path == critical_path(tree) != frozenset()
    assert explorer.spans.model.critical_path == views.flame.view.critical_path
    views.setCurrentIndex(0)
    explorer.spans.filter_bar.critical_button.click()  # off, from the tree's bar
    assert not views.flame.critical_button.isChecked()
    assert views.flame.view.critical_path == frozenset()


def test_a_span_the_tree_filters_out_still_shows_its_detail(
    qtbot: QtBot,
    show: Callable[[Store, str], TraceExplorer],
    db318: Path,
    open_store: Callable[[Path], Store],
) -> None:
    explorer = show(open_store(db318), NESTED)
    tree = explorer.loaded.tree if explorer.loaded else None
    assert tree is not None
    root = tree.shape.roots[0]
    kept, hidden = tree.shape.children[root][0], tree.shape.children[root][-1]
    qtbot.keyClicks(explorer.spans.filter_bar.search, tree.spans[kept].name)
    assert not explorer.spans.model.index_of(tree.spans[hidden].span_id).isValid()
    view = open_flame(qtbot, explorer)  # the flame graph shows every span
    with qtbot.waitSignal(explorer.detail.rendered, timeout=WAIT_MS):
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=center(view, hidden))
    assert explorer.selected_span() is tree.spans[hidden]
    assert explorer.spans.view.selected_span() is None and view.selected_node == hidden
