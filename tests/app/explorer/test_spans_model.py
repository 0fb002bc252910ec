"""The span tree model: qtmodeltester on real and synthetic trees (filtered too), lazy cells,
the delegate's painting, and the filter bar driving the panel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor, QIcon
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.spans.colors import type_color
from app.spans.model import BAR_ROLE, MATCH_ROLE, SPAN_ROLE, Column, SpanTreeModel
from app.spans.tree import SpanFilter, build_tree
from app.spans.view import SpanTreePanel
from core.entities import Span
from core.store.store import Store
from tests.app.explorer.data import ERROR_31, NESTED, OLLAMA

OpenStore = Callable[[Path], Store]


def model_for(store: Store, trace_id: str) -> SpanTreeModel:
    model = SpanTreeModel()
    model.set_tree(build_tree(store.reader.get_trace(trace_id).data.spans))
    return model


def test_model_passes_qtmodeltester_on_fixture_traces(
    qtmodeltester: ModelTester, db318: Path, db31: Path, open_store: OpenStore
) -> None:
    for db, trace_id in ((db318, NESTED), (db318, OLLAMA), (db31, ERROR_31)):
        for span_filter in (SpanFilter(), SpanFilter(text="span"), SpanFilter(text="none")):
            model = model_for(open_store(db), trace_id)
            model.set_filter(span_filter)
            qtmodeltester.check(model, force_py=True)
            model.set_tree(None)  # the tester watches the reset too
            assert model.rowCount() == 0


def test_nested_trace_rows_and_cells(db318: Path, open_store: OpenStore) -> None:
    model = model_for(open_store(db318), NESTED)
    assert model.rowCount() == 1 and model.columnCount() == len(Column)
    root = model.index(0, 0)
    assert root.data() == "my_cool_span"
    assert model.rowCount(root) == 2 and model.hasChildren(root)
    children = [model.index(r, 0, root).data() for r in range(2)]
    assert children == ["my_span", "reranker_span"]
    llm = model.index(0, Column.TYPE, root)
    assert llm.data() == "LLM"
    swatch = llm.data(Qt.ItemDataRole.DecorationRole).pixmap(12, 12).toImage()
    assert swatch.pixelColor(6, 6) == QColor(type_color("LLM"))
    assert model.index(0, Column.DURATION, root).data() == "345 µs"
    assert model.parent(model.index(1, Column.TIMELINE, root)) == root
    start, end, color, error = model.index(0, Column.TIMELINE, root).data(BAR_ROLE)
    assert 0 < start < end < 1 and color.startswith("#") and error is False
    assert model.index(0, Column.TIMELINE).data(BAR_ROLE)[:2] == (0.0, 1.0)
    assert "starts at +" in model.index(0, Column.TIMELINE, root).data(Qt.ItemDataRole.ToolTipRole)
    assert isinstance(root.data(SPAN_ROLE), Span)
    assert model.headerData(Column.TIMELINE, Qt.Orientation.Horizontal) == "Timeline (1.31 ms)"
    assert model.index_of("179ea617e5d7e4c4").data() == "my_span"
    assert not model.index_of("0000000000000000").isValid()


def test_tokens_and_error_marks(db318: Path, db31: Path, open_store: OpenStore) -> None:
    ollama = model_for(open_store(db318), OLLAMA)
    tokens = ollama.index(0, Column.TOKENS)
    assert tokens.data() == "60"
    assert "35 in · 25 out · 60 total" in tokens.data(Qt.ItemDataRole.ToolTipRole)
    failed = model_for(open_store(db31), ERROR_31).index(0, Column.NAME)
    assert isinstance(failed.data(Qt.ItemDataRole.DecorationRole), QIcon)
    assert "ImportError" in failed.data(Qt.ItemDataRole.ToolTipRole)
    assert failed.siblingAtColumn(Column.TIMELINE).data(BAR_ROLE)[3] is True


def test_the_big_trace_is_answered_lazily(
    qtmodeltester: ModelTester, big_trace: tuple[Path, str], open_store: OpenStore
) -> None:
    path, trace_id = big_trace
    spans = open_store(path).reader.get_trace(trace_id).data.spans
    assert len(spans) == 10_000
    model = SpanTreeModel()
    model.set_tree(build_tree(spans))
    assert all(s.known_decode_error is None for s in spans)
    root = model.index(0, 0)
    assert model.rowCount(root) == 99
    chain = model.index(5, 0, root)
    assert model.rowCount(chain) == 100 and model.decoded_rows == 0
    model.index(3, Column.TOKENS, chain).data()
    assert model.decoded_rows == 1  # only the row asked for had its attributes decoded
    model.set_filter(SpanFilter(errors_only=True))
    assert model.match_count() == 10
    rows = model.rowCount(model.index(0, 0))
    assert 0 < rows <= 10
    qtmodeltester.check(model, force_py=True)  # the filtered big tree, whole


def test_filtered_rows_keep_ancestors_dimmed(db318: Path, open_store: OpenStore) -> None:
    model = model_for(open_store(db318), NESTED)
    model.set_filter(SpanFilter(types=frozenset({"RERANKER"})))
    root = model.index(0, 0)
    assert root.data(MATCH_ROLE) is False
    assert model.rowCount(root) == 1
    assert model.index(0, 0, root).data() == "reranker_span"
    assert model.index(0, 0, root).data(MATCH_ROLE) is True
    assert model.match_count() == 1


@pytest.fixture
def panel(qtbot: QtBot, db318: Path, open_store: OpenStore) -> SpanTreePanel:
    widget = SpanTreePanel()
    qtbot.addWidget(widget)
    widget.resize(900, 400)
    widget.show()
    trace = open_store(db318).reader.get_trace(NESTED)
    widget.show_tree(build_tree(trace.data.spans), trace.problems)
    return widget


def test_filter_bar_drives_the_tree(qtbot: QtBot, panel: SpanTreePanel) -> None:
    bar = panel.filter_bar
    assert bar.count_label.text() == "3 spans"
    assert sorted(bar._type_actions) == ["LLM", "RERANKER", "custom span"]
    with qtbot.waitSignal(bar.filter_changed):
        qtbot.keyClicks(bar.search, "rerank")
    assert panel.model.match_count() == 1
    assert bar.count_label.text() == "1 of 3 spans"
    assert panel.view.isExpanded(panel.model.index(0, 0))
    bar.search.clear()
    with qtbot.waitSignal(bar.filter_changed):
        bar.set_type_checked("LLM", False)
    assert bar.current_filter().types == frozenset({"RERANKER", "custom span"})
    assert bar.types_button.text() == "Types (2)"
    assert panel.model.match_count() == 2
    bar.show_all_types()
    assert panel.model.match_count() == 3
    assert not bar.errors_button.isEnabled()  # no errors in this trace


def test_filter_keeps_or_clears_the_selection(qtbot: QtBot, panel: SpanTreePanel) -> None:
    panel.view.select_span("d15a633cbabb7478")  # reranker_span
    assert panel.view.selected_span().name == "reranker_span"
    panel.apply_filter(SpanFilter(text="rerank"))
    assert panel.view.selected_span().name == "reranker_span"
    with qtbot.waitSignal(panel.span_selected) as blocker:
        panel.apply_filter(SpanFilter(text="my_span"))
    assert blocker.args == [None]
    panel.apply_filter(SpanFilter(text="nothing at all"))
    assert panel.view.placeholder == "No spans match the filter."


def test_expand_and_collapse_all(panel: SpanTreePanel) -> None:
    root = panel.model.index(0, 0)
    panel.filter_bar.collapse_all_requested.emit()
    assert not panel.view.isExpanded(root)
    panel.filter_bar.expand_all_requested.emit()
    assert panel.view.isExpanded(root)


def test_delegate_paints_bars_in_type_colors(panel: SpanTreePanel) -> None:
    view = panel.view
    index = panel.model.index(0, Column.TIMELINE, panel.model.index(0, 0))  # my_span, LLM
    rect = view.visualRect(index)
    image = view.viewport().grab().toImage()
    start, end, color, _error = index.data(BAR_ROLE)
    track_left, track_width = rect.left() + 6, rect.width() - 12
    x = int(track_left + track_width * (start + end) / 2)
    assert image.pixelColor(x, rect.center().y()).name() == color


def test_zero_spans_show_a_placeholder(qtbot: QtBot) -> None:
    panel = SpanTreePanel()
    qtbot.addWidget(panel)
    panel.show_tree(build_tree([]), ("No spans were recorded for this trace.",))
    assert panel.model.rowCount(QModelIndex()) == 0
    assert panel.view.placeholder == "This trace has no spans."
    assert panel.notice.notices == ["No spans were recorded for this trace."]


def test_a_narrow_tree_keeps_its_timeline_visible(qtbot: QtBot, panel: SpanTreePanel) -> None:
    panel.resize(480, 300)
    qtbot.waitUntil(lambda: panel.view.viewport().width() < 480)
    view = panel.view
    timeline = view.header().sectionViewportPosition(Column.TIMELINE)
    assert timeline + 100 <= view.viewport().width()
    assert panel.filter_bar.expand_button.text() == "Expand"  # short texts when narrow
    view.setColumnWidth(Column.NAME, 300)  # the user's own widths are kept
    panel.resize(900, 300)
    qtbot.waitUntil(lambda: panel.filter_bar.expand_button.text() == "Expand all")
    assert view.columnWidth(Column.NAME) == 300


def test_type_names_are_literal_in_the_menu(qtbot: QtBot) -> None:
    panel = SpanTreePanel()
    qtbot.addWidget(panel)
    spans = [
        Span("tr-1", "01", None, "a", "Q&A <b>", "OK", 0, 5, "{}"),
        Span("tr-1", "02", "01", "b", "LLM", "OK", 1, 4, "{}"),
    ]
    panel.show_tree(build_tree(spans))
    texts = [a.text() for a in panel.filter_bar.types_menu.actions() if a.isCheckable()]
    assert texts == ["LLM  (1)", "Q&&A <b>  (1)"]  # shown as "Q&A <b>", with no mnemonic
