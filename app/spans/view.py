"""`SpanTreeView` (the tree with its timeline column) and `SpanTreePanel` (problems notice,
filter bar and tree): the left half of the trace explorer."""

from __future__ import annotations

import heapq

from PySide6.QtCore import (
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSettings,
    Qt,
    Signal,
)
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.spans.axis import SpanHeader
from app.spans.delegate import SpanDelegate
from app.spans.filter_bar import SpanFilterBar
from app.spans.model import HEADERS, SPAN_ROLE, Column, SpanTreeModel
from app.spans.name_fit import INDENT, LEAST_TIMELINE, MIN_NAME_CHARS, NameFit
from app.spans.tree import SpanFilter, SpanTree
from app.widgets import NoticeBar, paint_placeholder
from core.entities import Span

#: Traces up to this size open fully expanded; bigger ones open with their top levels only.
EXPAND_CHILDREN_LIMIT = 500
EXPAND_ALL_LIMIT = 2000
#: Column widths as sample texts, so they follow the font; Name and Timeline share the rest.
_WIDTH_SAMPLES = {Column.TYPE: "CHAT_MODEL", Column.DURATION: "10.8 ms", Column.TOKENS: "12,345"}
_PADDING = {Column.TYPE: 34}  # the colour swatch and its gap
ARROW = 8  # the width a branch arrow is drawn at in full (Fusion's size)
_MIN_NAME_SAMPLE = "n" * MIN_NAME_CHARS  # the en, typography's width of an average letter
_LONGEST_MEASURED = 24  # names measured in pixels: the longest ones by characters
#: The Name column width the user dragged to (pixels), for every trace and the next session.
NAME_WIDTH_KEY = "spans/nameWidth"


def _stored_name_width() -> int | None:
    """The Name width the user dragged to in an earlier session, if any."""
    try:
        width = int(str(QSettings().value(NAME_WIDTH_KEY, 0)))
    except (TypeError, ValueError):
        return None
    return width if width > 0 else None


class SpanTreeView(QTreeView):
    """The span tree; `span_selected` follows the current row.

    Name and Timeline share the width the other columns leave. Name is as wide as the user
    dragged it (kept in QSettings) or as the names need; a deep tree indents less per level,
    so every name keeps room for `MIN_NAME_CHARS` characters; the header's Timeline is a time
    axis.
    """

    span_selected = Signal(object)  # Span or None

    def __init__(self, model: SpanTreeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spanTree")
        self.setHeader(SpanHeader(self))
        self.setModel(model)
        self._delegate = SpanDelegate(self)
        self.setItemDelegate(self._delegate)
        self.setUniformRowHeights(True)  # no per-row measuring: 10,000 rows lay out at once
        self.setAllColumnsShowFocus(True)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)  # Name elides in the middle
        self.setIndentation(INDENT)
        self.placeholder = ""
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(40)
        header.sectionResized.connect(self._on_section_resized)
        self._fitting = False
        self._natural: dict[Column, int] = {}  # Type, Duration and Tokens at their full width
        self._fixed_by_user = False
        self._chosen_name = _stored_name_width()
        self._fit = self._measure()
        self.selectionModel().selectionChanged.connect(self._emit_selection)
        model.modelReset.connect(self._on_model_reset)
        self.reset_column_widths()

    def span_model(self) -> SpanTreeModel:
        model = self.model()
        assert isinstance(model, SpanTreeModel)
        return model

    @property
    def name_fit(self) -> NameFit:
        return self._fit

    def reset_column_widths(self) -> None:
        """Widths from sample texts; Name takes what its names need, Timeline what is left."""
        metrics = self.fontMetrics()
        for column, sample in _WIDTH_SAMPLES.items():
            title = str(self.model().headerData(column, Qt.Orientation.Horizontal))
            width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(title))
            self._natural[column] = width + _PADDING.get(column, 20)
        self._fixed_by_user = False
        self._fit_name()

    def _fit_fixed(self) -> None:
        """Type, Duration and Tokens at full width; Type only as wide as its colour swatch when
        Name and Timeline would not both fit beside them (unless the user sized the columns)."""
        if self._fixed_by_user:
            return
        widths = dict(self._natural)
        if self.viewport().width() - sum(widths.values()) < self._fit.floor() + LEAST_TIMELINE:
            title = self.fontMetrics().horizontalAdvance(HEADERS[Column.TYPE]) + 12
            widths[Column.TYPE] = max(title, self.header().minimumSectionSize())
        self._fitting = True
        for column, width in widths.items():
            if self.columnWidth(column) != width:
                self.setColumnWidth(column, width)
        self._fitting = False

    def _measure(self) -> NameFit:
        """The needs of the trace shown: its depth, and its widest name (of the longest few)."""
        tree = self.span_model().tree
        depth = tree.max_depth if tree is not None else 0
        levels = depth + 1 if self.rootIsDecorated() else max(depth, 1)
        metrics = self.fontMetrics()
        widest = 0
        if tree is not None and tree.spans:
            longest = heapq.nlargest(_LONGEST_MEASURED, (s.name for s in tree.spans), key=len)
            widest = max(metrics.horizontalAdvance(name) for name in longest)
        chrome = self._delegate.name_chrome(self)
        return NameFit(levels, chrome, metrics.horizontalAdvance(_MIN_NAME_SAMPLE), widest)

    def _fit_name(self) -> None:
        """Name as wide as chosen or needed, and the indentation its deepest row can afford."""
        self._fit_fixed()
        fixed = sum(self.columnWidth(c) for c in _WIDTH_SAMPLES)
        room = self.viewport().width() - fixed
        name = self._fit.width(room, self._chosen_name)
        self._fitting = True
        self.setColumnWidth(Column.NAME, name)
        # The stretched last section never gets narrower than its own last set size: set it.
        self.setColumnWidth(Column.TIMELINE, max(room - name, self.header().minimumSectionSize()))
        self._fitting = False
        self.setIndentation(self._fit.indentation(name))

    def _on_model_reset(self) -> None:
        self._fit = self._measure()
        self._fit_name()

    def _on_section_resized(self, section: int, _old: int, new: int) -> None:
        """The user dragged the Name edge: keep that width (not below the floor) from now on."""
        if self._fitting or section == Column.TIMELINE:
            return
        if section != Column.NAME:
            self._fixed_by_user = True  # their widths, for as long as the view lives
            return
        floor = self._fit.floor()
        self._chosen_name = max(new, floor)
        QSettings().setValue(NAME_WIDTH_KEY, self._chosen_name)
        if new < floor:
            self._fitting = True
            self.setColumnWidth(Column.NAME, floor)
            self._fitting = False
        self.setIndentation(self._fit.indentation(self._chosen_name))

    def resizeEvent(self, event: QResizeEvent) -> None:  # QTreeView.resizeEvent
        super().resizeEvent(event)
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

    # -- branch arrows at a small indentation ------------------------------------------------

    def drawBranches(  # QTreeView.drawBranches
        self, painter: QPainter, rect: QRect, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        """Below `ARROW` pixels per level the style would squeeze the arrows into dashes: draw
        only the row's own arrow, full size, reaching into the empty levels above it."""
        if self.indentation() >= ARROW:
            super().drawBranches(painter, rect, index)
            return
        if not self.model().hasChildren(index):
            return
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = self._arrow_rect(rect)
        state = QStyle.StateFlag.State_Item | QStyle.StateFlag.State_Children
        if self.isExpanded(index):
            state |= QStyle.StateFlag.State_Open
        if self.isEnabled():
            state |= QStyle.StateFlag.State_Enabled
        if self.selectionModel().isSelected(index):
            state |= QStyle.StateFlag.State_Selected
        option.state = state
        self.style().drawPrimitive(
            QStyle.PrimitiveElement.PE_IndicatorBranch, option, painter, self
        )

    def _arrow_rect(self, branches: QRect) -> QRect:
        """`ARROW` pixels beside the item, inside the column (a top-level row's may overlap
        the item's own margin by a few pixels: its branch area is one small step)."""
        if self.isRightToLeft():
            left = min(branches.left(), branches.right() + 1 - ARROW)
        else:
            left = max(branches.right() + 1 - ARROW, branches.left())
        return QRect(left, branches.top(), ARROW, branches.height())

    def arrow_at(self, pos: QPoint) -> QModelIndex:
        """The row whose drawn arrow is under `pos` (viewport coordinates), when arrows are
        drawn wider than the step Qt itself reacts to."""
        if self.indentation() >= ARROW:
            return QModelIndex()
        index = self.indexAt(pos).siblingAtColumn(Column.NAME)
        if not index.isValid() or not self.model().hasChildren(index):
            return QModelIndex()
        item = self.visualRect(index)
        column = self.columnViewportPosition(Column.NAME)
        if self.isRightToLeft():
            right = column + self.columnWidth(Column.NAME)
            branches = QRect(item.right() + 1, item.top(), right - item.right() - 1, item.height())
        else:
            branches = QRect(column, item.top(), item.left() - column, item.height())
        return index if self._arrow_rect(branches).contains(pos) else QModelIndex()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # QTreeView.mousePressEvent
        index = self.arrow_at(event.position().toPoint())
        if index.isValid() and event.button() == Qt.MouseButton.LeftButton:
            self.setExpanded(index, not self.isExpanded(index))
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # QTreeView.mouseReleaseEvent
        if self.arrow_at(event.position().toPoint()).isValid():
            event.accept()  # handled on press; styles that expand on release must not undo it
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # QTreeView.mouseDoubleClickEvent
        if self.arrow_at(event.position().toPoint()).isValid():
            self.mousePressEvent(event)  # a second click on an arrow toggles again, as Qt's do
            return
        super().mouseDoubleClickEvent(event)

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
