"""The trace list view: uniform rows, row selection (several rows to compare: the explorer
follows the current one), SQL sorting from the header, j/k keys.

The first arrow (or `j`/`k`) selects the row the cursor is on rather than the one past it,
Ctrl+End reads the remaining pages before it selects the last trace (any other key stops it),
and Esc clears the selection (the explorer closes).

Sorting is not done by the view: a header click shows the indicator and asks for the new order
(`sort_requested`); whoever owns the query reads the list again, sorted in SQL.

Columns the user did not choose are hidden sections; the visible ones get widths from sample
texts and Request and Response share what is left, stepping down to a compact layout beside an
open trace (`app.traces.widths`), until the user drags a column edge. The view only asks
for menus (`row_menu_requested`, `columns_menu_requested`): `TraceListMenus` builds them.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelection, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from app.traces.columns import column_key
from app.traces.model import TRACE_ID_ROLE, TraceListModel
from app.traces.rows import Column, ExtraColumn
from app.traces.sorting import SortSpec, is_sortable
from app.traces.widths import MIN_PREVIEW, TimeDelegate, plan_widths
from app.widgets import paint_placeholder

#: Column widths as sample texts, so they follow the font size (HiDPI, user fonts).
_WIDTH_SAMPLES = {
    Column.TRACE_ID: "tr-0123456789…",  # ids differ early; the full id is in the tooltip
    Column.NAME: "a typical trace name",
    Column.STATE: "In progress",
    Column.REQUEST_TIME: "2026-11-26 07:19:45",
    Column.DURATION: "1 min 05 s",
    Column.TOKENS: "12,345",
    Column.SESSION: "session-0123456",
    Column.USER: "someone@example",
    Column.COST: "$0.0123",
}
#: Narrower samples for the compact layout beside a trace (`app.traces.widths`).
_COMPACT_SAMPLES = {
    Column.TRACE_ID: "tr-01234…",
    Column.NAME: "a trace name",
    Column.REQUEST_TIME: "11-26 07:19",
}
#: Tag and assessment columns: as wide as their title or this sample, at most `_MAX_EXTRA`.
_EXTRA_SAMPLE = "Pass · value"
_MAX_EXTRA = 220
_PREVIEWS = (Column.REQUEST, Column.RESPONSE)
#: Drawn over the rows while the filter asked for has an error.
STALE_ROWS = "The filter above has an error: these rows are from the previous filter."
_PADDING = 18  # the item's margins on both sides, and a little air


class TraceListView(QTableView):
    """Shows a `TraceListModel`; emits `trace_selected` when the current trace changes."""

    trace_selected = Signal(str)  # trace id ("" when the selection is cleared)
    trace_opened = Signal(str)  # Enter on a trace: the user wants to look into it
    sort_requested = Signal(object)  # a SortSpec picked in the header
    row_menu_requested = Signal(object, object)  # (QModelIndex of the cell, global QPoint)
    columns_menu_requested = Signal(object)  # a global QPoint: the column chooser goes there
    layout_dragged = Signal()  # the user moved a column or dragged a column's edge

    def __init__(self, model: TraceListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("traceList")
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Several rows for Compare Traces (issue 19); the explorer follows the current one.
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setTabKeyNavigation(False)  # Tab leaves the list, as in any list of rows
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setCornerButtonEnabled(False)
        self._fitting = False
        self._user_sized = False  # once the user drags a column edge, widths are theirs
        self._natural: dict[tuple[int, bool], int] = {}  # (section, compact) -> its width
        self._hidden: frozenset[Column] = frozenset()
        self._squeezed: frozenset[int] = frozenset()  # previews left out for want of room
        self._time_cells = TimeDelegate(self)
        self.setItemDelegateForColumn(Column.REQUEST_TIME, self._time_cells)
        self._sized_extras: tuple[ExtraColumn, ...] = ()  # the tag / assessment columns sized
        self._sort = SortSpec()
        self._layout: tuple[tuple[str, ...], dict[str, int]] = ((), {})  # restored on resets
        self._set_up_headers()
        self.selectionModel().selectionChanged.connect(self._emit_selection)
        self.selectionModel().currentRowChanged.connect(self._follow_current)
        self._emitted: str | None = None  # the trace last announced by `trace_selected`
        self._reselect_id: str | None = None
        self._wanted_id: str | None = None  # Go to Trace: select it when the list is read
        self._keep_shown = False  # the wanted trace stays in the explorer when not in the list
        for signal in (
            model.modelReset,
            model.page_loaded,
            model.load_failed,
            model.query_rejected,
            model.query_applied,
        ):
            signal.connect(self.viewport().update)
        model.modelAboutToBeReset.connect(self._remember_selection)
        model.modelReset.connect(self._after_reset)
        model.page_loaded.connect(self._restore_selection)
        model.load_failed.connect(self._give_up_reselect)
        model.query_rejected.connect(self._give_up_reselect)
        model.rowsInserted.connect(self._keep_rows_in_view)
        # Tag and assessment columns come and go with a reset: the header resizes sections then
        # (the stretched last one gives its width back), which is no sizing by the user.
        model.modelAboutToBeReset.connect(self._start_fitting)
        model.modelReset.connect(self._size_new_columns)
        self._seeking_end = False
        model.page_loaded.connect(self._continue_to_end)
        for signal in (model.load_failed, model.modelReset):
            signal.connect(self._stop_seeking_end)

    def trace_model(self) -> TraceListModel:
        model = self.model()
        assert isinstance(model, TraceListModel)
        return model

    def _set_up_headers(self) -> None:
        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform heights: no measuring
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        columns = self.horizontalHeader()
        columns.setHighlightSections(False)
        columns.setStretchLastSection(True)
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        columns.setMinimumSectionSize(48)
        columns.sectionResized.connect(self._on_section_resized)
        columns.setSectionsMovable(True)
        columns.sectionMoved.connect(self._on_section_moved)
        columns.setSectionsClickable(True)
        columns.setSortIndicatorShown(True)
        columns.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        columns.customContextMenuRequested.connect(
            lambda pos: self.columns_menu_requested.emit(columns.mapToGlobal(pos))
        )
        self.show_sort(self._sort)
        columns.sortIndicatorChanged.connect(self._on_sort_indicator)
        self.reset_column_widths()

    def show_sort(self, spec: SortSpec) -> None:
        """Show `spec` in the header without asking for it (a restored or reset order)."""
        self._sort = spec
        section: int = spec.column
        if spec.tag_key is not None:  # a tag column, where it is now (-1: not shown)
            extras = self.trace_model().extra_columns
            tag = ExtraColumn("tag", spec.tag_key)
            section = len(Column) + extras.index(tag) if tag in extras else -1
        header = self.horizontalHeader()
        blocked = header.blockSignals(True)
        header.setSortIndicator(section, spec.order)
        header.blockSignals(blocked)

    def _on_sort_indicator(self, section: int, order: Qt.SortOrder) -> None:
        extras = self.trace_model().extra_columns
        extra = extras[section - len(Column)] if 0 <= section - len(Column) < len(extras) else None
        if extra is not None and extra.kind == "tag":
            self._sort = SortSpec(order=order, tag_key=extra.key)
        elif is_sortable(section):
            self._sort = SortSpec(Column(section), order)
        else:  # previews and assessments are not sorted: the indicator goes back
            self.show_sort(self._sort)
            return
        self.sort_requested.emit(self._sort)

    # -- columns ----------------------------------------------------------------------------

    def set_hidden_columns(self, hidden: frozenset[Column]) -> None:
        """Hide the built-in columns in `hidden` and show the others; widths fit again unless
        the user sized them."""
        self._hidden = frozenset(hidden)
        self._fitting = True  # hiding resizes a section to 0: not the user's doing
        self._apply_hidden()
        self._fitting = False
        self._fit_columns()

    def _apply_hidden(self) -> None:
        for column in Column:
            self.setColumnHidden(column, column in self._hidden or column in self._squeezed)

    @property
    def squeezed_columns(self) -> frozenset[int]:
        """The previews chosen but left out for want of room (a trace is open beside)."""
        return self._squeezed

    def reset_column_widths(self) -> None:
        """Widths from sample texts; Request and Response share what is left of the width."""
        self._natural = {}  # measured again: the font may have changed
        self._user_sized = False
        self.restore_layout((), {})  # the columns' own order
        self._fitting = True
        for section in range(self.model().columnCount()):
            self.setColumnWidth(section, self._natural_width(section))
        self._fitting = False
        self._fit_columns()

    def _natural_width(self, section: int, compact: bool = False) -> int:
        """A column's width from its sample text (or title); previews start at their minimum.
        `compact`: the narrower width of the compact layout, where a column has one."""
        samples = _COMPACT_SAMPLES if compact and section in _COMPACT_SAMPLES else _WIDTH_SAMPLES
        if (section, compact) not in self._natural:
            title = str(self.model().headerData(section, Qt.Orientation.Horizontal) or "")
            title_width = self.fontMetrics().horizontalAdvance(title) + _PADDING
            if section in _PREVIEWS:
                width = MIN_PREVIEW
            elif section in samples:
                font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
                if section != Column.TRACE_ID:
                    font = QFont(self.font())
                    font.setBold(True)  # new rows in live mode are bold: they must fit too
                sample = QFontMetrics(font).horizontalAdvance(samples[Column(section)])
                width = max(sample + _PADDING, title_width)
            else:  # a tag or assessment column
                sample = self.fontMetrics().horizontalAdvance(_EXTRA_SAMPLE) + _PADDING
                width = min(max(sample, title_width), _MAX_EXTRA)
            self._natural[section, compact] = width
        return self._natural[section, compact]

    def _start_fitting(self) -> None:
        self._fitting = True

    def _size_new_columns(self) -> None:
        """After a reset: tag and assessment columns that changed get their widths (the same
        ones keep theirs: F5 or another filter), and the built-in columns chosen away stay
        hidden."""
        extras = self.trace_model().extra_columns
        if extras != self._sized_extras:
            self._sized_extras = extras
            self._natural = {k: v for k, v in self._natural.items() if k[0] < len(Column)}
            for section in range(len(Column), len(Column) + len(extras)):
                self.setColumnWidth(section, self._natural_width(section))
        self._apply_hidden()
        self._fitting = False
        self._apply_layout()
        self._fit_columns()
        self.show_sort(self._sort)  # a sorted tag column may have moved or gone

    def _last_visible(self) -> int:
        """The rightmost visible section: it stretches to the view's edge."""
        header = self.horizontalHeader()
        for visual in range(header.count() - 1, -1, -1):
            logical = header.logicalIndex(visual)
            if not header.isSectionHidden(logical):
                return logical
        return -1

    def _fit_columns(self) -> None:
        """Fit the visible columns to the list's width (`app.traces.widths.plan_widths`):
        natural, then compact, then compact without the previews; not once the user sized
        a column."""
        if self._user_sized:
            return
        chosen = [
            section
            for section in range(self.model().columnCount())
            if section >= len(Column) or Column(section) not in self._hidden
        ]
        previews = [section for section in chosen if section in _PREVIEWS]
        others = [section for section in chosen if section not in _PREVIEWS]
        plan = plan_widths(
            {section: self._natural_width(section) for section in others},
            {section: self._natural_width(section, compact=True) for section in others},
            previews,
            self.viewport().width(),
            stretch=Column.NAME if Column.NAME in others else None,
        )
        self._fitting = True
        if plan.squeezed != self._squeezed:
            self._squeezed = plan.squeezed
            self._apply_hidden()
        for section, width in plan.widths.items():
            if section not in plan.squeezed:
                self.setColumnWidth(section, width)
        self._fitting = False
        if self._time_cells.compact != plan.compact:
            self._time_cells.compact = plan.compact
            self.viewport().update()

    def _on_section_resized(self, section: int, _old: int, _new: int) -> None:
        # The last section follows the view's width by itself (stretchLastSection).
        if not self._fitting and section != self._last_visible():
            self._user_sized = True
            self.layout_dragged.emit()

    def _on_section_moved(self, _section: int, _old: int, _new: int) -> None:
        if not self._fitting:
            self.layout_dragged.emit()

    # -- the layout the user dragged, kept per database -------------------------------------

    def column_layout(self) -> tuple[tuple[str, ...], dict[str, int]]:
        """The columns' keys left to right, and the widths the user dragged ({} when the list
        fits them itself)."""
        header = self.horizontalHeader()
        extras = self.trace_model().extra_columns
        logical = [header.logicalIndex(visual) for visual in range(header.count())]
        order = tuple(column_key(section, extras) for section in logical)
        if order == tuple(column_key(section, extras) for section in range(header.count())):
            order = ()
        widths: dict[str, int] = {}
        if self._user_sized:
            last = self._last_visible()
            widths = {
                column_key(section, extras): header.sectionSize(section)
                for section in logical
                if not self.isColumnHidden(section) and section != last
            }
        return order, widths

    def restore_layout(self, order: tuple[str, ...], widths: dict[str, int]) -> None:
        """Put the columns in `order` with `widths` (a file's saved layout); again after every
        reset, as tag and assessment columns come and go."""
        self._layout = (order, dict(widths))
        self._apply_layout()

    def _apply_layout(self) -> None:
        order, widths = self._layout
        header = self.horizontalHeader()
        extras = self.trace_model().extra_columns
        section_of = {column_key(s, extras): s for s in range(header.count())}
        wanted = [section_of[key] for key in order if key in section_of]
        wanted += [s for s in range(header.count()) if s not in wanted]
        self._fitting = True
        for visual, section in enumerate(wanted):
            if header.visualIndex(section) != visual:
                header.moveSection(header.visualIndex(section), visual)
        for key, width in widths.items():
            if key in section_of:
                self.setColumnWidth(section_of[key], max(width, header.minimumSectionSize()))
        self._fitting = False
        if widths:
            self._user_sized = True

    def resizeEvent(self, event: QResizeEvent) -> None:  # QTableView.resizeEvent
        super().resizeEvent(event)
        if not self._user_sized:
            self._fit_columns()

    def _keep_rows_in_view(self, parent: QModelIndex, first: int, last: int) -> None:
        """Rows inserted above the rows in view (live mode) must not push them away."""
        bar = self.verticalScrollBar()
        top = self.rowAt(0)
        if parent.isValid() or bar.value() == 0 or top < 0 or first > top:
            return  # at the very top the new rows are meant to be seen
        self.updateGeometries()  # the scroll range must include the new rows first
        bar.setValue(bar.value() + (last - first + 1) * self.verticalHeader().defaultSectionSize())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QTableView.keyPressEvent
        key, plain = event.key(), event.modifiers() == Qt.KeyboardModifier.NoModifier
        self._seeking_end = False  # any key stops Ctrl+End's reading; Ctrl+End starts it again
        moves = (Qt.Key.Key_J, Qt.Key.Key_K, Qt.Key.Key_Down, Qt.Key.Key_Up)
        if plain and key in moves and self.selected_trace_id() is None and self.model().rowCount():
            self.select_row(max(self.currentIndex().row(), 0))  # the first press selects
            event.accept()
        elif event.matches(QKeySequence.StandardKey.MoveToEndOfDocument):
            self.go_to_end()
            event.accept()
        elif plain and key in (Qt.Key.Key_J, Qt.Key.Key_K):  # vi keys move like the arrows
            arrow = Qt.Key.Key_Down if key == Qt.Key.Key_J else Qt.Key.Key_Up
            moved = QKeyEvent(QEvent.Type.KeyPress, arrow, Qt.KeyboardModifier.NoModifier)
            super().keyPressEvent(moved)
            event.accept()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected_trace_id():
            self.open_selected()
            event.accept()
        elif plain and key == Qt.Key.Key_Escape and self.selected_trace_id():
            self.clearSelection()  # no trace: the explorer closes and the list has the width
            event.accept()
        else:
            super().keyPressEvent(event)

    def open_selected(self) -> None:
        """Look into the selected trace (Enter, or Open in the row menu)."""
        trace_id = self.selected_trace_id()
        if trace_id:
            self.trace_opened.emit(trace_id)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # QTableView.contextMenuEvent
        if event.reason() == QContextMenuEvent.Reason.Mouse:
            index, where = self.indexAt(event.pos()), event.globalPos()
        else:  # the menu key: the current cell
            index = self.currentIndex()
            corner = self.visualRect(index).bottomLeft() if index.isValid() else QPoint(0, 0)
            where = self.viewport().mapToGlobal(corner)
        self.row_menu_requested.emit(index, where)
        event.accept()

    def go_to_end(self) -> None:
        """Select the last trace of the whole list, reading the pages not loaded yet first."""
        model = self.trace_model()
        if model.canFetchMore(QModelIndex()):
            self._seeking_end = True
            model.fetchMore(QModelIndex())
        elif model.rowCount():
            self.select_row(model.rowCount() - 1)

    def _continue_to_end(self, _added: int) -> None:
        if self._seeking_end:
            self._seeking_end = False
            self.go_to_end()

    def _stop_seeking_end(self) -> None:
        self._seeking_end = False

    def select_row(self, row: int) -> None:
        index = self.model().index(row, 0)
        if index.isValid():
            self.setCurrentIndex(index)
            self.scrollTo(index)

    def selected_trace_id(self) -> str | None:
        """The current row's trace when it is selected, else the first selected one."""
        current, selection = self.currentIndex(), self.selectionModel()
        if current.isValid() and selection.isRowSelected(current.row(), QModelIndex()):
            return str(self.model().index(current.row(), 0).data(TRACE_ID_ROLE))
        rows = selection.selectedRows()
        return str(rows[0].data(TRACE_ID_ROLE)) if rows else None

    def selected_trace_ids(self) -> list[str]:
        """Every selected trace, top to bottom (Compare Traces)."""
        rows = sorted(self.selectionModel().selectedRows(), key=lambda index: index.row())
        return [str(index.data(TRACE_ID_ROLE)) for index in rows]

    def select_when_loaded(self, trace_id: str) -> None:
        """Select `trace_id` when the list is read next (Go to Trace in another experiment);
        if it is not on the first page, the explorer keeps showing it."""
        self._wanted_id = trace_id

    def _remember_selection(self) -> None:
        """Before the list is read again (F5, a new filter or order), note the selected trace,
        so it is selected again if it is back, and the reset's deselection is not announced."""
        self._reselect_id = self._wanted_id or self.selected_trace_id()
        self._keep_shown = self._wanted_id is not None
        self._wanted_id = None

    def _after_reset(self) -> None:
        if self.trace_model().query is None and self._reselect_id is not None:
            self._reselect_id = None  # the list was cleared: nothing will come back
            self.trace_selected.emit("")

    def _restore_selection(self) -> None:
        if self._reselect_id is None:
            return
        wanted, self._reselect_id = self._reselect_id, None  # one try: the first page
        row = self.trace_model().row_of(wanted)
        if row is not None:
            self.select_row(row)
        elif not self._keep_shown:
            self.trace_selected.emit("")

    def _give_up_reselect(self) -> None:
        if self._reselect_id is not None:
            self._reselect_id = None
            if not self._keep_shown:
                self.trace_selected.emit("")

    def _emit_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        trace_id = self.selected_trace_id()
        if trace_id is None and self._reselect_id is not None:
            return  # the list is being read again; `_restore_selection` decides
        self._reselect_id = None
        self._emitted = trace_id
        self.trace_selected.emit(trace_id or "")

    def _follow_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        """Shift or Ctrl moved the cursor within a selection of several rows: the explorer
        shows the trace under it (a single selection is announced by `_emit_selection`)."""
        selection = self.selectionModel()
        if len(selection.selectedRows()) < 2 or not current.isValid():
            return
        if not selection.isRowSelected(current.row(), QModelIndex()):
            return
        trace_id = self.selected_trace_id()
        if trace_id is not None and trace_id != self._emitted:
            self._emitted = trace_id
            self.trace_selected.emit(trace_id)

    def placeholder_text(self) -> str:
        """What the empty list says: loading, nothing found, or nothing (no store open)."""
        model = self.trace_model()
        if model.query is None or model.rowCount(QModelIndex()) > 0:
            return ""
        if model.is_loading:
            return "Loading traces…"
        if model.syntax_error is not None:
            return "The filter above has an error: fix it, or press Esc in it to clear it."
        if model.failed:
            return "The trace list could not be read."
        if model.query.filter_string:
            return "No traces match the filter."
        return "No traces in this experiment yet."

    def paintEvent(self, event: QPaintEvent) -> None:  # QTableView.paintEvent
        super().paintEvent(event)
        text = self.placeholder_text()
        if text:
            paint_placeholder(self, text)
        elif self.trace_model().rejected is not None:
            self._dim_stale_rows()

    def _dim_stale_rows(self) -> None:
        """The filter above has an error: the rows are the previous filter's, and look it."""
        painter = QPainter(self.viewport())
        area = self.viewport().rect()
        veil = QColor(self.palette().base().color())
        veil.setAlpha(170)
        painter.fillRect(area, veil)
        # The note in a band of its own at the bottom, where it never sits on a row's text.
        band = area.adjusted(0, area.height() - self.fontMetrics().height() - 12, 0, 0)
        painter.fillRect(band, self.palette().alternateBase())
        painter.setPen(self.palette().mid().color())
        painter.drawLine(band.topLeft(), band.topRight())
        painter.setPen(self.palette().placeholderText().color())
        painter.drawText(band, Qt.AlignmentFlag.AlignCenter, STALE_ROWS)
        painter.end()
