"""`SpanTreeView` (the tree with its timeline column) and `SpanTreePanel` (problems notice,
filter bar and tree): the left half of the trace explorer."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtGui import QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeView, QVBoxLayout, QWidget

from app.spans.delegate import SpanDelegate
from app.spans.filter_bar import SpanFilterBar
from app.spans.model import SPAN_ROLE, Column, SpanTreeModel
from app.spans.tree import SpanFilter, SpanTree
from app.widgets import NoticeBar, paint_placeholder
from core.entities import Span

#: Traces up to this size open fully expanded; bigger ones open with their top levels only.
EXPAND_CHILDREN_LIMIT = 500
EXPAND_ALL_LIMIT = 2000
#: Column widths as sample texts, so they follow the font; Name and Timeline share the rest.
_WIDTH_SAMPLES = {Column.TYPE: "CHAT_MODEL", Column.DURATION: "10.8 ms", Column.TOKENS: "12,345"}
_PADDING = {Column.TYPE: 34}  # the colour swatch and its gap
_NAME_SHARE = 0.42
_MIN_NAME, _MAX_NAME, _MIN_TIMELINE = 110, 360, 120


class SpanTreeView(QTreeView):
    """The span tree; `span_selected` follows the current row."""

    span_selected = Signal(object)  # Span or None

    def __init__(self, model: SpanTreeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spanTree")
        self.setModel(model)
        self.setItemDelegate(SpanDelegate(self))
        self.setUniformRowHeights(True)  # no per-row measuring: 10,000 rows lay out at once
        self.setAllColumnsShowFocus(True)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setIndentation(14)
        self.placeholder = ""
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(40)
        header.sectionResized.connect(self._on_section_resized)
        self._fitting = False
        self._user_sized = False  # once the user drags a column edge, the widths are theirs
        self.selectionModel().selectionChanged.connect(self._emit_selection)
        self.reset_column_widths()

    def span_model(self) -> SpanTreeModel:
        model = self.model()
        assert isinstance(model, SpanTreeModel)
        return model

    def reset_column_widths(self) -> None:
        """Widths from sample texts; Name takes a share of the rest, Timeline what is left."""
        metrics = self.fontMetrics()
        self._fitting = True
        for column, sample in _WIDTH_SAMPLES.items():
            title = str(self.model().headerData(column, Qt.Orientation.Horizontal))
            width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(title))
            self.setColumnWidth(column, width + _PADDING.get(column, 20))
        self._fitting = False
        self._user_sized = False
        self._fit_name()

    def _fit_name(self) -> None:
        """Keep the timeline visible: Name gets a share of the width, never all of it."""
        fixed = sum(self.columnWidth(c) for c in _WIDTH_SAMPLES)
        room = self.viewport().width() - fixed
        name = min(max(int(room * _NAME_SHARE), _MIN_NAME), _MAX_NAME)
        name = max(min(name, room - _MIN_TIMELINE), 80)
        self._fitting = True
        self.setColumnWidth(Column.NAME, name)
        self._fitting = False

    def _on_section_resized(self, section: int, _old: int, _new: int) -> None:
        if not self._fitting and section != Column.TIMELINE:
            self._user_sized = True

    def resizeEvent(self, event: QResizeEvent) -> None:  # QTreeView.resizeEvent
        super().resizeEvent(event)
        if not self._user_sized:
            self._fit_name()

    def expand_default(self) -> None:
        """Everything for ordinary traces; only the top levels for very large ones."""
        tree = self.span_model().tree
        if tree is None:
            return
        if len(tree.spans) <= EXPAND_ALL_LIMIT or self.span_model().span_filter.active:
            self.expandAll()
            return
        # Not expandToDepth(0): it visits every node of the model (10,000 Python calls). A root
        # with thousands of children stays closed: laying out its rows is then the user's click.
        model = self.span_model()
        for row in range(model.rowCount()):
            root = model.index(row, 0)
            if model.rowCount(root) <= EXPAND_CHILDREN_LIMIT:
                self.expand(root)

    def select_span(self, span_id: str) -> bool:
        index = self.span_model().index_of(span_id)
        if not index.isValid():
            return False
        self.setCurrentIndex(index)
        self.scrollTo(index)
        return True

    def select_first(self) -> bool:
        index = self.model().index(0, 0)
        if index.isValid():
            self.setCurrentIndex(index)
            self.scrollTo(index)
        return index.isValid()

    def selected_span(self) -> Span | None:
        rows = self.selectionModel().selectedRows()
        span = rows[0].data(SPAN_ROLE) if rows else None
        return span if isinstance(span, Span) else None

    def _emit_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self.span_selected.emit(self.selected_span())

    def paintEvent(self, event: QPaintEvent) -> None:  # QTreeView.paintEvent
        super().paintEvent(event)
        if self.placeholder and self.model().rowCount(QModelIndex()) == 0:
            paint_placeholder(self, self.placeholder, side=16, top=24)


class SpanTreePanel(QWidget):
    """Notice (what is missing or broken), filter bar, and the span tree with its timeline."""

    span_selected = Signal(object)  # Span or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = SpanTreeModel(self)
        self.notice = NoticeBar(self)
        self.notice.setObjectName("spanNotice")
        self.filter_bar = SpanFilterBar(self)
        self.view = SpanTreeView(self.model, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.notice)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.view, 1)
        self.filter_bar.filter_changed.connect(self.apply_filter)
        self.filter_bar.expand_all_requested.connect(self.view.expandAll)
        self.filter_bar.collapse_all_requested.connect(self.view.collapseAll)
        self.view.span_selected.connect(self.span_selected)

    def show_tree(self, tree: SpanTree | None, problems: tuple[str, ...] = ()) -> None:
        """Show a prepared tree (or nothing) and the trace's problems above it."""
        self.filter_bar.set_tree(tree)
        self.model.set_filter(SpanFilter())
        self.model.set_tree(tree)
        self.notice.show_notices(list(problems))
        self.view.placeholder = "This trace has no spans." if tree is not None else ""
        self.view.expand_default()
        self._show_counts()

    def apply_filter(self, span_filter: SpanFilter) -> None:
        """Filter, keeping the selected span selected when it is still shown."""
        selected = self.view.selected_span()
        self.model.set_filter(span_filter)
        self.view.placeholder = "No spans match the filter." if span_filter.active else ""
        self.view.expand_default()
        if selected is None or not self.view.select_span(selected.span_id):
            self.span_selected.emit(self.view.selected_span())
        self._show_counts()

    def _show_counts(self) -> None:
        tree = self.model.tree
        total = len(tree.spans) if tree is not None else 0
        self.filter_bar.show_counts(self.model.match_count(), total, self.model.span_filter.active)
