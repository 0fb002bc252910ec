"""`SpanTreeView` (the tree with its timeline column) and `SpanTreePanel` (problems notice,
filter bar and tree): the left half of the trace explorer.

Folded runs of repeated spans open like any row (→, a click on the arrow, Enter, or Unfold in
the context menu) and open by themselves when a span inside is selected. The critical path is
computed off the GUI thread when its button is on, and marked in the tree.
"""

from __future__ import annotations

import gc
import heapq
import itertools
from operator import attrgetter

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
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QStyle,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.spans.axis import SpanHeader
from app.spans.critical_path import critical_path
from app.spans.delegate import SpanDelegate, critical_color, search_brush
from app.spans.filter_bar import SpanFilterBar
from app.spans.model import CRITICAL_ROLE, HEADERS, SEARCH_ROLE, SPAN_ROLE, Column, SpanTreeModel
from app.spans.name_fit import INDENT, LEAST_TIMELINE, MIN_NAME_CHARS, NameFit
from app.spans.search_bar import SpanSearchBar
from app.spans.tree import SpanFilter, SpanTree, TreeShape
from app.tasks import JobToken, TaskRunner
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
_NAME = attrgetter("name")
CRITICAL_EDGE = 3  # the width of the critical path's mark at the left edge of its rows
#: Trees up to this many spans find their critical path at once (a few milliseconds).
SYNC_PATH = 5000
#: Issue 17: trees of more spans than this are filtered in the job pool (a million spans took
#: 0.7 s, all of it a stall when done in the GUI thread).
ASYNC_FILTER_SPANS = 50_000
#: Showing the critical path expands its spans until this many more rows would show.
REVEAL_ROWS = 2000


def _stored_name_width() -> int | None:
    """The Name width the user dragged to in an earlier session, if any."""
    try:
        width = int(str(QSettings().value(NAME_WIDTH_KEY, 0)))
    except (TypeError, ValueError):
        return None
    return width if width > 0 else None


#: Span types "Replay…" is offered on (issue 18: a chat or completion call).
REPLAYABLE = frozenset({"CHAT_MODEL", "LLM"})


class SpanTreeView(QTreeView):
    """The span tree; `span_selected` follows the current row.

    Name and Timeline share the width the other columns leave. Name is as wide as the user
    dragged it (kept in QSettings) or as the names need; a deep tree indents less per level,
    so every name keeps room for `MIN_NAME_CHARS` characters; the header's Timeline is a time
    axis.
    """

    span_selected = Signal(object)  # Span or None
    replay_requested = Signal(object)  # issue 18: "Replay…" on a chat or LLM span

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
        #: Issue 18: the owner's actions about the whole trace (Replay in Agent), in every
        #: row's menu.
        self.trace_actions: list[QAction] = []
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(40)
        header.sectionResized.connect(self._on_section_resized)
        self._fitting = False
        self._natural: dict[Column, int] = {}  # Type, Duration and Tokens at their full width
        self._fixed_by_user = False
        self._chosen_name = _stored_name_width()
        self._names: tuple[SpanTree | None, set[str]] = (None, set())  # see `_distinct_names`
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
        depth = self.span_model().shown_depth
        levels = depth + 1 if self.rootIsDecorated() else max(depth, 1)
        metrics = self.fontMetrics()
        widest = 0
        if tree is None:
            self._names = (None, set())  # no tree kept alive by its names
        elif tree.spans:
            names = itertools.chain(
                self._distinct_names(tree), self.span_model().run_label_samples()
            )
            longest = heapq.nlargest(_LONGEST_MEASURED, names, key=len)
            widest = max(metrics.horizontalAdvance(name) for name in longest)
        chrome = self._delegate.name_chrome(self)
        return NameFit(levels, chrome, metrics.horizontalAdvance(_MIN_NAME_SAMPLE), widest)

    def _distinct_names(self, tree: SpanTree) -> set[str]:
        """Each name of `tree` once, gathered once per tree (in C: 80 ms for a million spans,
        which every filter's model reset paid again)."""
        if self._names[0] is not tree:
            self._names = (tree, set(map(_NAME, tree.spans)))
        return self._names[1]

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
        """Everything for ordinary traces; only the top levels for very large ones. Folded
        runs stay folded."""
        tree = self.span_model().tree
        if tree is None:
            return
        if len(tree.spans) <= EXPAND_ALL_LIMIT or self.span_model().span_filter.active:
            self.expand_all()
            return
        # Not expandToDepth(0): it visits every node of the model (10,000 Python calls). A root
        # with thousands of children stays closed: laying out its rows is then the user's click.
        model = self.span_model()
        for row in range(model.rowCount()):
            root = model.index(row, 0)
            if model.rowCount(root) <= EXPAND_CHILDREN_LIMIT:
                self.expand(root)

    def expand_all(self) -> None:
        """Expand every span, but leave folded runs folded (→ unfolds one, * all below a row)."""
        # With a layout pending, `expand` only records the row: one layout for all of them.
        self.scheduleDelayedItemsLayout()
        for index in self.span_model().expandable():
            self.expand(index)

    def reveal(self, nodes: frozenset[int]) -> None:
        """Expand the spans among `nodes` (the critical path: chains from the top) so they
        show, from the top down until `REVEAL_ROWS` more rows would be laid out; folded runs
        stay folded (marked when they hold one)."""
        model = self.span_model()
        tree = model.tree
        if tree is None:
            return
        children, budget = tree.shape.children, REVEAL_ROWS
        self.scheduleDelayedItemsLayout()
        level = [n for n in tree.shape.roots if n in nodes]
        while level and budget > 0:
            below = []
            for node in level:
                on_path = [c for c in children[node] if c in nodes]
                if not on_path:
                    continue
                index = model.index_of(tree.spans[node].span_id)
                if index.isValid() and not self.isExpanded(index):
                    budget -= model.rowCount(index)
                    if budget < 0:
                        break
                    self.expand(index)
                below.extend(on_path)
            level = below

    def set_folded(self, index: QModelIndex, folded: bool) -> None:
        """Fold or unfold the run at `index` (a folded row, or a span inside an unfolded run)."""
        model = self.span_model()
        if not model.is_fold(index):
            index = index.parent()
        if model.is_fold(index):
            self.setExpanded(index.siblingAtColumn(Column.NAME), not folded)
            if folded:
                self.setCurrentIndex(index)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QTreeView.keyPressEvent
        current = self.currentIndex()
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and self.span_model().is_fold(current):
            self.set_folded(current, self.isExpanded(current.siblingAtColumn(Column.NAME)))
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # QTreeView.contextMenuEvent
        index = self.indexAt(event.pos()).siblingAtColumn(Column.NAME)
        menu = self.trace_menu(self.replay_menu(index, self.fold_menu(index)))
        if menu is not None:
            menu.exec(event.globalPos())

    def replay_menu(self, index: QModelIndex, menu: QMenu | None) -> QMenu | None:
        """Issue 18: `menu` (or a new one) with "Replay…" for a chat or LLM span's row."""
        span = index.data(SPAN_ROLE)
        if not isinstance(span, Span) or span.span_type not in REPLAYABLE:
            return menu
        menu = menu if menu is not None else QMenu(self)
        action = menu.addAction("&Replay…\tCtrl+R")
        action.setObjectName("replayAction")
        action.triggered.connect(lambda: self.replay_requested.emit(span))
        return menu

    def trace_menu(self, menu: QMenu | None) -> QMenu | None:
        """Issue 18: `menu` (or a new one) with the visible `trace_actions` (a disabled one
        says why in its tooltip)."""
        actions = [action for action in self.trace_actions if action.isVisible()]
        if not actions:
            return menu
        menu = menu if menu is not None else QMenu(self)
        menu.setToolTipsVisible(True)
        if not menu.isEmpty():
            menu.addSeparator()
        menu.addActions(actions)
        return menu

    def fold_menu(self, index: QModelIndex) -> QMenu | None:
        """Unfold or Fold for a folded run's row and for the spans inside an unfolded run."""
        model = self.span_model()
        run = index if model.is_fold(index) else index.parent()
        if not model.is_fold(run):
            return None
        summary = model.summary(run.internalId())
        assert summary is not None
        menu = QMenu(self)
        if self.isExpanded(run):
            action = menu.addAction(f"Fold the {summary.count:,} {summary.name} Spans")
            action.triggered.connect(lambda: self.set_folded(run, True))
        else:
            action = menu.addAction(f"Unfold {summary.count:,} {summary.name} Spans")
            action.triggered.connect(lambda: self.set_folded(run, False))
        action.setObjectName("foldAction")
        return menu

    def drawRow(  # QTreeView.drawRow
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """The row, and a mark at its left edge when it lies on the critical path."""
        super().drawRow(painter, option, index)
        if index.data(CRITICAL_ROLE):
            edge = QRect(0, option.rect.top(), CRITICAL_EDGE, option.rect.height())
            if self.isRightToLeft():
                edge.moveRight(self.viewport().width() - 1)
            painter.fillRect(edge, critical_color(option.palette))

    # -- branch arrows at a small indentation ------------------------------------------------

    def drawBranches(  # QTreeView.drawBranches
        self, painter: QPainter, rect: QRect, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        """Below `ARROW` pixels per level the style would squeeze the arrows into dashes: draw
        only the row's own arrow, full size, reaching into the empty levels above it."""
        if index.data(SEARCH_ROLE) and not self.selectionModel().isSelected(index):
            painter.fillRect(rect, search_brush(self.palette()))  # a search hit's whole row
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
        """Select the span, unfolding the run it is in and expanding its ancestors."""
        index = self.span_model().index_of(span_id)
        if not index.isValid():
            return False
        above = index.parent()
        while above.isValid():
            if not self.isExpanded(above):
                self.expand(above)
            above = above.parent()
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
    """Notice (what is missing or broken), filter bar, search bar, and the span tree with its
    timeline."""

    span_selected = Signal(object)  # Span or None
    #: The span nodes marked as the critical path; empty when its highlight is off.
    critical_path_changed = Signal(object)  # frozenset[int]

    def __init__(self, parent: QWidget | None = None, tasks: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.model = SpanTreeModel(self)
        # Big trees find their critical path in the job pool (without a runner: here).
        self._paths = tasks.group() if tasks is not None else None
        self._filters = tasks.group() if tasks is not None else None  # large trees' filters
        self.notice = NoticeBar(self)
        self.notice.setObjectName("spanNotice")
        self.filter_bar = SpanFilterBar(self)
        self.search_bar = SpanSearchBar(self)  # driven by app/spans/trace_search.py
        self.view = SpanTreeView(self.model, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.notice)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.search_bar)
        layout.addWidget(self.view, 1)
        self.filter_bar.filter_changed.connect(self.apply_filter)
        self.filter_bar.expand_all_requested.connect(self.view.expand_all)
        self.filter_bar.collapse_all_requested.connect(self.view.collapseAll)
        self.filter_bar.critical_path_toggled.connect(self._update_critical_path)
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
        self._update_critical_path()

    def apply_filter(self, span_filter: SpanFilter) -> None:
        """Filter, keeping the selected span selected when it is still shown. A large tree's
        filter is worked out in the job pool and shown when it lands (the newest one wins)."""
        tree = self.model.tree
        if self._filters is not None:
            self._filters.drop()
        large = tree is not None and len(tree.spans) > ASYNC_FILTER_SPANS
        if tree is None or not span_filter.active or not large or self._filters is None:
            self._show_filtered(span_filter)
            return
        task = self._filters.submit_job(_shown_job, tree, span_filter)
        task.describe("Filtering the spans").on_finished(
            lambda shape: self._filter_landed(tree, span_filter, shape)
        )

    def _filter_landed(self, tree: SpanTree, span_filter: SpanFilter, shape: TreeShape) -> None:
        if tree is self.model.tree:  # else another trace came meanwhile
            self._show_filtered(span_filter, shape)

    def _show_filtered(self, span_filter: SpanFilter, shape: TreeShape | None = None) -> None:
        selected = self.view.selected_span()
        self.model.set_filter(span_filter, shape)
        self.view.placeholder = "No spans match the filter." if span_filter.active else ""
        self.view.expand_default()
        if selected is None or not self.view.select_span(selected.span_id):
            self.span_selected.emit(self.view.selected_span())
        self._show_counts()

    def _show_counts(self) -> None:
        tree = self.model.tree
        total = len(tree.spans) if tree is not None else 0
        self.filter_bar.show_counts(self.model.match_count(), total, self.model.span_filter.active)

    def selected_fold_text(self) -> str | None:
        """What the selected row stands for when it is a folded run (None for a span)."""
        index = self.view.currentIndex()
        if not self.model.is_fold(index) or not self.view.selectionModel().isSelected(index):
            return None
        return self.model.fold_text(index.internalId())

    # -- the critical path ------------------------------------------------------------------

    @property
    def critical_shown(self) -> bool:
        return self.filter_bar.critical_button.isChecked()

    def show_critical_path(self, shown: bool) -> None:
        """Turn the critical path's highlight on or off (as its button does)."""
        self.filter_bar.critical_button.setChecked(shown)

    def _update_critical_path(self) -> None:
        """Mark the tree's critical path when its button is on (computing it once per tree)."""
        tree = self.model.tree
        if self._paths is not None:
            self._paths.drop()
        if tree is None or not self.critical_shown:
            self._mark_critical_path(tree, frozenset())
        elif tree.critical is not None or self._paths is None or len(tree.spans) <= SYNC_PATH:
            self._mark_critical_path(tree, critical_path(tree))
        else:
            task = self._paths.submit_job(_critical_path_job, tree)
            task.describe("Finding the critical path").on_finished(
                lambda nodes: self._mark_critical_path(tree, nodes)
            )

    def _mark_critical_path(self, tree: SpanTree | None, nodes: frozenset[int]) -> None:
        if tree is not self.model.tree or nodes == self.model.critical_path:
            return
        self.model.set_critical_path(nodes)
        self.view.reveal(nodes)
        self.critical_path_changed.emit(nodes)


def _shown_job(_token: JobToken, tree: SpanTree, span_filter: SpanFilter) -> TreeShape:
    """What `tree` shows under `span_filter`, without the cyclic GC walking a million new
    index lists meanwhile (they hold no cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return tree.shown(span_filter)
    finally:
        if enabled:
            gc.enable()


def _critical_path_job(_token: JobToken, tree: SpanTree) -> frozenset[int]:
    return critical_path(tree)
