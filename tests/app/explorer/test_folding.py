"""Folding repeated siblings: runs found in the tree (no Qt), their summaries, folded rows in
the model, unfolding by keys, clicks and the context menu, selection that unfolds, filters
that fold among the spans they show, and the explorer on a trace with 300 tool calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.explorer import TraceExplorer
from app.spans.folding import BUSY, FAILED, IDLE, PROFILE_CELLS, TIMES, percentile, summarize
from app.spans.model import (
    BAR_ROLE,
    CRITICAL_ROLE,
    FOLD_ROLE,
    MATCH_ROLE,
    SPAN_ROLE,
    Column,
    SpanTreeModel,
)
from app.spans.tree import FOLD_MIN, NO_PARENT, SpanFilter, SpanTree, build_tree
from app.spans.view import SpanTreePanel
from app.theme import ThemeApplier
from core.entities import Span
from core.store.store import Store
from tests.app.explorer.repeated import (
    FAILED_SEARCHES,
    SEARCHES,
    build_repeated_trace,
    repeated_spans,
    search_ms,
)
from tests.app.helpers import save_shot

MS = 1_000_000
ShowTrace = Callable[[Store, str], TraceExplorer]
OpenStore = Callable[[Path], Store]


def span(
    span_id: str,
    parent: str | None,
    start: int,
    end: int | None = None,
    name: str = "",
    kind: str | None = "TOOL",
    status: str = "OK",
) -> Span:
    end = start + 10 if end is None else end
    return Span("tr-1", span_id, parent, name or span_id, kind, status, start, end, "not JSON")


def calls(parent: str, name: str, count: int, first: int = 0, kind: str = "TOOL") -> list[Span]:
    """`count` calls of `name` under `parent`, one after another from `first`."""
    return [
        span(f"{parent}-{name}-{i}", parent, first + 20 * i, first + 20 * i + 15, name, kind)
        for i in range(count)
    ]


def ids(tree: SpanTree, nodes: list[int]) -> list[str]:
    return [tree.spans[n].span_id if n < len(tree.spans) else f"run{n}" for n in nodes]


# -- the runs (no Qt) ---------------------------------------------------------------------


def test_five_alike_siblings_in_a_row_fold_and_four_do_not() -> None:
    spans = [span("root", None, 0, 10_000, kind="AGENT")]
    spans += calls("root", "search_docs", FOLD_MIN - 1)
    spans += calls("root", "think", 1, 100, kind="LLM")
    spans += calls("root", "search_docs", FOLD_MIN, 200)
    spans += calls("root", "search_docs", FOLD_MIN, 400, kind="RETRIEVER")  # another type
    tree = build_tree(spans)
    shown = tree.shown(SpanFilter())
    assert tree.shape.children[0] != shown.children[0]  # the raw tree stays as it was
    n = len(spans)
    top = shown.children[0]
    assert len(top) == FOLD_MIN - 1 + 1 + 2  # four calls, think, and two runs
    first_run, second_run = top[-2], top[-1]
    assert (first_run, second_run) == (n, n + 1)  # runs are numbered after the spans
    assert ids(tree, shown.children[first_run]) == [f"root-search_docs-{i}" for i in range(5)]
    assert {tree.spans[m].span_type for m in shown.children[second_run]} == {"RETRIEVER"}
    for run in (first_run, second_run):
        assert shown.parent[run] == 0 and shown.row[run] == top.index(run)
        for row, member in enumerate(shown.children[run]):
            assert shown.parent[member] == run and shown.row[member] == row
    assert shown.depth == 2 and tree.max_depth == 1  # a run adds a level
    assert tree.shown(SpanFilter()) is tree.folded  # made once, with the tree


def test_top_level_runs_fold_and_a_tree_without_runs_is_shown_as_it_is() -> None:
    spans = [span(f"retry{i}", None, 100 * i, 100 * i + 50, "retry") for i in range(7)]
    tree = build_tree(spans)
    assert tree.folded is not None and tree.folded.roots == [7]
    assert tree.folded.parent[7] == NO_PARENT and tree.folded.children[7] == list(range(7))
    plain = build_tree([span("a", None, 0, 100), *calls("a", "step", 3)])
    assert plain.folded is plain.shape


def test_a_run_summary_and_its_label() -> None:
    durations = [120 * MS] * 206 + [1200 * MS] * 186 + [3000 * MS] * 20  # 412 calls
    spans = [span("root", None, 0, 10**12, kind="AGENT")]
    clock = 0
    for i, took in enumerate(durations):
        status = "ERROR" if i in (3, 200, 400) else "OK"
        spans.append(span(f"c{i}", "root", clock, clock + took, "search_docs", status=status))
        clock += took + MS
    tree = build_tree(spans)
    assert tree.folded is not None
    (run,) = tree.folded.children[0]
    summary = summarize(tree.spans, tree.folded.children[run])
    assert summary.label() == f"412{TIMES} search_docs · p50 120 ms · p95 1.20 s · 3 errors"
    assert (summary.count, summary.errors, summary.running) == (412, 3, 0)
    assert summary.max_ns == 3000 * MS and summary.total_ns == sum(durations)
    assert summary.start_ns == 0 and summary.end_ns == clock - MS
    assert summary.wall_ns == clock - MS


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([5], 0.5) == 5 and percentile([5], 0.95) == 5
    assert percentile(list(range(1, 21)), 0.95) == 19
    assert percentile(list(range(1, 21)), 0.5) == 10
    assert percentile([1, 2, 3], 0.0) == 1


def test_a_profile_shows_gaps_failures_and_running_calls() -> None:
    spans = [
        span("a", "p", 0, 100, "call"),
        span("b", "p", 300, 400, "call", status="ERROR"),
        span("c", "p", 600, 700, "call"),
        span("d", "p", 800, 900, "call"),
        Span("tr-1", "e", "p", "call", "TOOL", "OK", 950, None, "not JSON"),  # still running
    ]
    summary = summarize(spans, range(5))
    profile = summary.profile
    assert len(profile) == PROFILE_CELLS
    assert profile[0] == BUSY and profile[PROFILE_CELLS // 5] == IDLE  # 0-100 ran, 200 idle
    assert profile[PROFILE_CELLS * 35 // 100] == FAILED
    assert (summary.running, summary.end_ns, summary.wall_ns) == (1, None, None)
    assert summary.label().endswith("· 1 error · 1 running")
    assert summary.p50_ns == 100 and summary.count == 5


def test_filters_fold_among_the_spans_they_show() -> None:
    spans = [span("root", None, 0, 10_000, kind="AGENT")]
    for i in range(6):  # think, search, think, search...: nothing to fold
        spans.append(span(f"think{i}", "root", 100 * i, 100 * i + 40, "think", kind="LLM"))
        spans.append(span(f"search{i}", "root", 100 * i + 50, 100 * i + 90, "search_docs"))
    tree = build_tree(spans)
    assert tree.folded is tree.shape
    tools = tree.shown(SpanFilter(types=frozenset({"TOOL"})))
    (run,) = tools.children[0]  # the six searches are neighbours now: one folded row
    assert ids(tree, tools.children[run]) == [f"search{i}" for i in range(6)]
    assert tools.matched is not None and tools.matched[run] == 1 and tools.matched[0] == 0
    named = tree.shown(SpanFilter(text="think"))
    assert len(named.children[0]) == 1 and len(named.children[named.children[0][0]]) == 6
    few = tree.shown(SpanFilter(text="search", errors_only=False, types=frozenset({"LLM"})))
    assert few.roots == []


def test_a_100k_span_tree_folds_from_plain_fields() -> None:
    spans = [span("root", None, 0, 10**9, "agent", kind="AGENT")]
    for step in range(500):
        spans.append(span(f"s{step}", "root", step * 10**6, (step + 1) * 10**6, "step", "CHAIN"))
        spans += calls(f"s{step}", "search_docs", 199, step * 10**6)
    assert len(spans) == 100_001
    tree = build_tree(spans)
    shown = tree.folded
    assert shown is not None
    assert len(shown.children) - len(spans) == 501  # 500 steps' runs and the steps' own run
    (steps_run,) = shown.children[0]
    assert len(shown.children[steps_run]) == 500
    assert all(s.known_decode_error is None for s in spans)  # no payload was read


# -- in the model and the tree ------------------------------------------------------------


def repeated_model() -> SpanTreeModel:
    model = SpanTreeModel()
    model.set_tree(build_tree(repeated_spans()))
    return model


def run_under(model: SpanTreeModel, span_id: str) -> QModelIndex:
    """The folded row under the span `span_id`."""
    parent = model.index_of(span_id)
    rows = [model.index(r, 0, parent) for r in range(model.rowCount(parent))]
    (run,) = [index for index in rows if model.is_fold(index)]
    return run


def test_the_model_passes_qtmodeltester_folded_and_filtered(qtmodeltester: ModelTester) -> None:
    for span_filter in (SpanFilter(), SpanFilter(types=frozenset({"TOOL"})), SpanFilter("x")):
        model = repeated_model()
        model.set_filter(span_filter)
        qtmodeltester.check(model, force_py=True)


def test_a_folded_row_says_what_it_holds() -> None:
    model = repeated_model()
    run = run_under(model, "gather")
    assert model.rowCount(run) == SEARCHES and model.hasChildren(run)
    durations = sorted(search_ms(i) for i in range(SEARCHES))
    p50, p95 = durations[149], durations[284]  # the 150th and the 285th of 300
    assert (p50, p95) == (215, 378)
    assert run.data() == f"300{TIMES} search_docs · p50 215 ms · p95 378 ms · 3 errors"
    assert run.siblingAtColumn(Column.TYPE).data() == "TOOL"
    summary = run.data(FOLD_ROLE)
    assert summary.count == SEARCHES and summary.errors == len(FAILED_SEARCHES)
    assert run.siblingAtColumn(Column.DURATION).data() != ""
    assert run.siblingAtColumn(Column.TOKENS).data() is None
    assert run.data(SPAN_ROLE) is None and run.data(MATCH_ROLE) is True
    assert run.data(CRITICAL_ROLE) is False
    start, end, color, error = run.siblingAtColumn(Column.TIMELINE).data(BAR_ROLE)
    assert 0 < start < end < 1 and color.startswith("#") and error is True
    tip = run.data(Qt.ItemDataRole.ToolTipRole)
    assert "300 consecutive search_docs spans, folded" in tip and "Enter unfolds" in tip
    member = model.index(13, 0, run)
    assert member.data() == "search_docs" and isinstance(member.data(SPAN_ROLE), Span)
    assert model.parent(member) == run and model.index_of("search13") == member
    assert model.match_count() == len(repeated_spans())  # runs are no spans


@pytest.fixture
def panel(qtbot: QtBot) -> SpanTreePanel:
    widget = SpanTreePanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 500)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_tree(build_tree(repeated_spans()))
    return widget


def test_a_folded_run_opens_with_the_keys(qtbot: QtBot, panel: SpanTreePanel) -> None:
    view, model = panel.view, panel.model
    run = run_under(model, "gather")
    assert view.isExpanded(model.index_of("gather")) and not view.isExpanded(run)
    view.setCurrentIndex(run)
    assert view.selected_span() is None  # a run is no span: the detail shows none
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.isExpanded(run)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.selected_span().span_id == "search0"  # the members are ordinary rows
    qtbot.keyClick(view, Qt.Key.Key_Left)  # to the run's row
    assert view.currentIndex() == run
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert not view.isExpanded(run)
    qtbot.keyClick(view, Qt.Key.Key_Enter)
    assert view.isExpanded(run)


def test_a_click_on_the_arrow_and_the_context_menu_unfold(
    qtbot: QtBot, panel: SpanTreePanel
) -> None:
    view, model = panel.view, panel.model
    run = run_under(model, "gather")
    qtbot.waitUntil(lambda: view.visualRect(run).height() > 0)
    item = view.visualRect(run)
    arrow = QPoint(item.left() - max(view.indentation(), 8) // 2, item.center().y())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=arrow)
    assert view.isExpanded(run)
    menu = view.fold_menu(model.index(5, 0, run))  # on a member: fold its run again
    assert menu is not None
    (action,) = menu.actions()
    assert action.text() == "Fold the 300 search_docs Spans"
    action.trigger()
    assert not view.isExpanded(run) and view.currentIndex() == run
    menu = view.fold_menu(run)
    assert menu is not None and menu.actions()[0].text() == "Unfold 300 search_docs Spans"
    menu.actions()[0].trigger()
    assert view.isExpanded(run)
    assert view.fold_menu(model.index_of("plan")) is None  # an ordinary span has no menu


def test_selecting_a_span_inside_a_run_unfolds_it(qtbot: QtBot, panel: SpanTreePanel) -> None:
    view, model = panel.view, panel.model
    run = run_under(model, "gather")
    view.collapseAll()
    with qtbot.waitSignal(view.span_selected) as selected:
        assert view.select_span("search207")  # as a search or Go to span would
    assert selected.args[0].span_id == "search207"
    assert view.isExpanded(run) and view.isExpanded(model.index_of("gather"))
    qtbot.waitUntil(lambda: view.visualRect(view.currentIndex()).height() > 0)
    assert view.viewport().rect().intersects(view.visualRect(view.currentIndex()))


def test_expand_all_leaves_runs_folded(panel: SpanTreePanel) -> None:
    view, model = panel.view, panel.model
    panel.filter_bar.collapse_all_requested.emit()
    assert not view.isExpanded(model.index(0, 0))
    panel.filter_bar.expand_all_requested.emit()
    assert view.isExpanded(model.index_of("gather")) and view.isExpanded(model.index_of("fetch"))
    assert not view.isExpanded(run_under(model, "gather"))
    assert not view.isExpanded(run_under(model, "fetch"))


def test_the_filter_keeps_runs_folded_and_counts_spans(qtbot: QtBot, panel: SpanTreePanel) -> None:
    bar, model = panel.filter_bar, panel.model
    with qtbot.waitSignal(bar.filter_changed):
        qtbot.keyClicks(bar.search, "search_docs")
    assert model.match_count() == SEARCHES
    assert bar.count_label.text() == f"300 of {len(repeated_spans())} spans"
    gather = model.index_of("gather")
    assert model.rowCount(gather) == 1 and model.is_fold(model.index(0, 0, gather))
    assert gather.data(MATCH_ROLE) is False and model.index(0, 0, gather).data(MATCH_ROLE)
    assert panel.view.select_span("search99")  # a match inside the run: unfolded for it
    assert panel.view.isExpanded(model.index(0, 0, gather))
    bar.search.clear()
    with qtbot.waitSignal(bar.filter_changed):
        bar.errors_button.click()
    assert model.match_count() == len(FAILED_SEARCHES)  # three errors: too few to fold
    assert model.rowCount(model.index_of("gather")) == 3
    assert panel.view.selected_span() is None  # search99 did not fail: no longer shown


def test_the_explorer_opens_the_repeated_trace_folded(
    qtbot: QtBot, show: ShowTrace, open_store: OpenStore, tmp_path: Path
) -> None:
    path = tmp_path / "mlflow.db"
    trace_id = build_repeated_trace(path)
    store = open_store(path)
    explorer = show(store, trace_id)
    view, model = explorer.spans.view, explorer.spans.model
    assert view.selected_span().name == "research agent"  # the root, as always
    gather = span_id_named(explorer, "gather")  # the ids are the tracing API's
    searches = run_under(model, gather)
    assert not view.isExpanded(searches) and model.rowCount(searches) == SEARCHES
    view.setCurrentIndex(searches)  # the folded row: the detail says what it holds
    note = explorer.detail.empty
    assert note.isVisibleTo(explorer) and note.text().startswith(f"{SEARCHES:,} consecutive")
    assert "unfolds the run" in note.text()
    member = model.index(42, 0, searches).data(SPAN_ROLE)
    assert view.select_span(member.span_id)
    assert not note.isVisibleTo(explorer)
    with qtbot.waitSignal(explorer.trace_loaded):  # a reload keeps the span, its run unfolded
        explorer.show_trace(store, trace_id)
    assert view.selected_span().span_id == member.span_id
    assert view.isExpanded(run_under(model, gather))


def span_id_named(explorer: TraceExplorer, name: str) -> str:
    tree = explorer.spans.model.tree
    assert tree is not None
    return next(s.span_id for s in tree.spans if s.name == name)


@pytest.fixture(params=["light", "dark"])
def theme(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    """The theme applied before the explorer is made (as `tracedesk` does): a style sheet
    keeps an app palette set later from reaching the explorer's children."""
    applier = ThemeApplier(qapp)
    applier.apply(request.param, None)
    yield request.param
    applier.apply("system", None)


def test_shot_folded_runs_and_the_critical_path(
    qtbot: QtBot,
    theme: str,
    show: ShowTrace,
    open_store: OpenStore,
    tmp_path: Path,
    shots: Path,
) -> None:
    path = tmp_path / "mlflow.db"
    trace_id = build_repeated_trace(path)
    explorer = show(open_store(path), trace_id)
    panel = explorer.spans
    panel.show_critical_path(True)
    save_shot(qtbot, explorer, shots / f"folding-folded-{theme}.png")
    view, model = panel.view, panel.model
    fetches = run_under(model, span_id_named(explorer, "fetch pages"))
    slowest = next(
        index
        for index in (model.index(row, 0, fetches) for row in range(model.rowCount(fetches)))
        if index.data(CRITICAL_ROLE)
    )
    assert view.select_span(slowest.data(SPAN_ROLE).span_id)
    view.expand(run_under(model, span_id_named(explorer, "gather")))
    view.scrollTo(view.currentIndex())
    save_shot(qtbot, explorer, shots / f"folding-unfolded-{theme}.png")
