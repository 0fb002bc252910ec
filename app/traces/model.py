"""The trace list model: rows arrive page by page from the database thread, newest first.

`fetchMore` only asks for the next page; rows are inserted when it arrives. Every change of
what is shown drops the work in flight (the model's `TaskGroup`): a page or count asked for
what was shown before never arrives, so a slow answer never lands in the wrong list:

* `load` (another experiment or store) resets at once and reads the first page;
* `apply` (another filter or sort) keeps the rows shown until the new first page arrives, and
  keeps them for good when the filter is malformed (`query_rejected` says where);
* `fetch_newer` (live mode) merges traces written since the newest row into the top.

The built-in columns (`Column`) are always there (the view hides the ones not chosen); tag and
assessment columns follow them, as many as the shown query's `extras` name (`set_extras`
reads the list again with others).
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QGuiApplication

from app.tasks import Task, TaskRunner
from app.traces.live import plan_inserts
from app.traces.look import (
    DISPLAY,
    ERROR,
    ID,
    REQUEST_TIME,
    TERM_ROLE,
    TRACE_ID_ROLE,
    CellLook,
    extra_header_value,
    header_value,
)
from app.traces.rows import (
    Column,
    ExtraColumn,
    LoadedPage,
    NewerRows,
    TraceItem,
    TraceQuery,
    count_traces,
    extra_columns,
    load_newer,
    load_page,
)
from core.entities import TraceRowExtras
from core.errors import QuerySyntaxError
from core.store import Store

__all__ = ["PAGE_SIZE", "TERM_ROLE", "TRACE_ID_ROLE", "TraceListModel"]

PAGE_SIZE = 100

_Index = QModelIndex | QPersistentModelIndex
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_DISABLED = Qt.ItemFlag.ItemNeverHasChildren  # a row that could not be read: greyed out
_ENABLED = _DISABLED | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_ROOT = QModelIndex()  # the invisible root: the default parent of a flat model


class TraceListModel(QAbstractTableModel):
    """Holds only the rows fetched so far; asks the database thread for more on demand."""

    page_loaded = Signal(int)  # rows added (0 for an empty last page)
    load_failed = Signal(str)  # a page could not be read; the message says why
    total_changed = Signal(int)  # how many traces the query matches
    query_applied = Signal(object)  # the TraceQuery whose first page is now shown
    query_rejected = Signal(object)  # the QuerySyntaxError of a filter; the rows shown stay
    rows_merged = Signal(int)  # live mode: rows inserted among the newest

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.page_size = PAGE_SIZE
        self._tasks = tasks
        self._store: Store | None = None
        self._query: TraceQuery | None = None
        self._staged: TraceQuery | None = None  # applied, waiting for its first page
        # Plain tuples of TraceItem's fields: the cyclic GC untracks exact tuples of strings,
        # never a NamedTuple, and 100,000 tracked rows made its full passes stall the GUI.
        self._items: list[tuple[Any, ...]] = []
        self._next_key: tuple[Any, ...] | None = None
        self._exhausted = True
        self._failed = False
        self._total: int | None = None
        self._work = tasks.group()  # every read for what is shown now
        self._pending: Task | None = None
        self._count_task: Task | None = None
        self._newer_task: Task | None = None
        #: Live mode: read rows again from this time on too (`fetch_newer(since_ms)`).
        self._since_floor: int | None = None
        self._syntax_error: QuerySyntaxError | None = None
        self._rejected: QuerySyntaxError | None = None  # a newer filter's error; rows are older
        self._fresh: set[str] = set()  # live mode: rows merged in and not looked at yet
        self._extras = TraceRowExtras()  # what every query asks for beyond trace_info
        self._extra_columns: tuple[ExtraColumn, ...] = ()  # of the query shown
        self._look = CellLook()
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(self._update_colors)

    def _update_colors(self) -> None:
        """The palette turned light or dark: state colours follow."""
        self._look.update_colors()
        if self._items:
            last = self.index(len(self._items) - 1, self.columnCount() - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    # -- what to show -----------------------------------------------------------------------

    @property
    def query(self) -> TraceQuery | None:
        """The query whose rows are shown (an applied one only once its first page came)."""
        return self._query

    @property
    def wanted_query(self) -> TraceQuery | None:
        """The query being applied, else the one shown."""
        return self._staged or self._query

    @property
    def total(self) -> int | None:
        """Traces matching the query, once counted."""
        return self._total

    @property
    def is_loading(self) -> bool:
        return self._pending is not None

    @property
    def failed(self) -> bool:
        """True when the last page could not be read (no more pages are asked for)."""
        return self._failed

    @property
    def is_applying(self) -> bool:
        """True while an applied filter or order waits for its first page."""
        return self._staged is not None

    @property
    def syntax_error(self) -> QuerySyntaxError | None:
        """Why the list is empty: its filter was rejected (with nothing shown to keep)."""
        return self._syntax_error

    @property
    def rejected(self) -> QuerySyntaxError | None:
        """The error of the filter asked for last when the rows shown are the previous one's."""
        return self._rejected

    @property
    def extra_columns(self) -> tuple[ExtraColumn, ...]:
        """The tag and assessment columns shown, after the built-in ones."""
        return self._extra_columns

    def set_extras(self, extras: TraceRowExtras) -> None:
        """Carry `extras` in every row from now on: the list is read again (its rows stay until
        the new first page arrives), with a column per assessment name and tag key."""
        if extras == self._extras:
            return
        self._extras = extras
        wanted = self.wanted_query
        if wanted is not None:
            self.apply(wanted)

    def _with_extras(self, query: TraceQuery) -> TraceQuery:
        return query if query.extras == self._extras else replace(query, extras=self._extras)

    def _show_query(self, query: TraceQuery | None) -> None:
        """Make `query` the one shown (within a model reset: the columns may change)."""
        self._query = query
        self._extra_columns = extra_columns(query.extras) if query is not None else ()
        first = len(Column)
        verdicts = (i for i, c in enumerate(self._extra_columns, first) if c.kind == "assessment")
        self._look.set_verdict_columns(frozenset(verdicts))

    def load(self, store: Store | None, query: TraceQuery | None) -> None:
        """Show `query` over `store` from the first page (nothing when either is None)."""
        query = self._with_extras(query) if query is not None else None
        self.beginResetModel()
        self._rejected = None
        self._drop_work()
        self._store = store
        self._show_query(query)
        self._items = []
        self._fresh.clear()
        self._since_floor = None
        self._next_key = None
        self._failed = False
        self._syntax_error = None
        self._total = None
        self._exhausted = store is None or query is None
        self.endResetModel()
        if not self._exhausted:
            self._request_page(first=True)
            self._request_count()

    def apply(self, query: TraceQuery) -> None:
        """Show `query` (another filter or order) over the same store; the rows shown stay
        until its first page arrives, and for good if it is rejected."""
        if self._store is None or self._query is None:
            return
        query = self._with_extras(query)
        if query == self._query and self._staged is None and not self._failed:
            if self._rejected is not None:  # back to the filter whose rows are shown
                self._rejected = None
                self.query_applied.emit(query)
            return
        if self._failed or not self._items:  # nothing worth keeping on screen
            self.load(self._store, query)
            return
        self._drop_work()
        self._staged = query
        self._rejected = None
        self._request_page(query, first=True)

    def clear(self) -> None:
        self.load(None, None)

    def refresh(self) -> None:
        """Read the list again from the first page (new traces appear)."""
        self.load(self._store, self.wanted_query)

    def is_new(self, trace_id: str) -> bool:
        """Whether live mode added `trace_id` and it was not looked at yet (shown in bold)."""
        return trace_id in self._fresh

    def mark_seen(self, trace_id: str) -> None:
        """The user looked at `trace_id`: it is no longer new."""
        if trace_id in self._fresh:
            self._fresh.discard(trace_id)
            row = self.row_of(trace_id)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def trace_id(self, row: int) -> str | None:
        return self._items[row][ID] if 0 <= row < len(self._items) else None

    def row_of(self, trace_id: str) -> int | None:
        """The row of `trace_id` among the rows fetched so far."""
        return next((i for i, item in enumerate(self._items) if item[ID] == trace_id), None)

    def item(self, row: int) -> TraceItem | None:
        """The row's formatted values."""
        return TraceItem._make(self._items[row]) if 0 <= row < len(self._items) else None

    # -- background work --------------------------------------------------------------------

    def _drop_work(self) -> None:
        """Forget everything in flight: nothing of it is delivered."""
        self._work.drop()
        self._pending = self._count_task = self._newer_task = None
        self._staged = None

    def _request_page(self, query: TraceQuery | None = None, *, first: bool = False) -> None:
        assert self._store is not None and self._query is not None
        query = query or self._query
        after = None if first else self._next_key
        task = self._work.submit(load_page, self._store.reader, query, after, self.page_size)
        task.on_finished(lambda page: self._on_page(page, first))
        task.on_failed(self._on_page_failed)
        self._pending = task

    def _request_count(self) -> None:
        assert self._store is not None and self._query is not None
        task = self._work.submit(count_traces, self._store.reader, self._query)
        task.on_finished(self._on_count).on_failed(self._on_count_failed)
        self._count_task = task

    def _on_page(self, page: LoadedPage, first: bool) -> None:
        self._pending = None
        if self._staged is not None:
            self._adopt_staged(page)
            return
        self._next_key = page.next_key
        self._exhausted = page.next_key is None
        if page.items:
            start = len(self._items)
            self.beginInsertRows(QModelIndex(), start, start + len(page.items) - 1)
            self._items.extend(map(tuple, page.items))
            self.endInsertRows()
        self.page_loaded.emit(len(page.items))
        if first:
            self.query_applied.emit(self._query)

    def _adopt_staged(self, page: LoadedPage) -> None:
        """The applied query's first page: it replaces the rows shown."""
        self.beginResetModel()
        self._show_query(self._staged)
        self._staged = None
        self._items = [tuple(item) for item in page.items]
        self._fresh.clear()
        self._next_key = page.next_key
        self._exhausted = page.next_key is None
        self._failed = False
        self._total = None
        self.endResetModel()
        self.page_loaded.emit(len(page.items))
        self.query_applied.emit(self._query)
        self._request_count()

    def _on_page_failed(self, error: BaseException) -> None:
        self._pending = None
        if self._staged is not None:  # the rows of the previous query stay, and keep paging
            self._drop_work()
            if isinstance(error, QuerySyntaxError):
                self._rejected = error
            if self._total is None and self._query is not None:
                self._request_count()
        else:
            self._failed = True
            if isinstance(error, QuerySyntaxError):
                self._syntax_error = error
        if isinstance(error, QuerySyntaxError):
            self.query_rejected.emit(error)
        else:
            self.load_failed.emit(f"The trace list could not be read: {error}")

    def _on_count(self, total: int) -> None:
        self._count_task = None
        self._total = total
        self.total_changed.emit(total)

    def _on_count_failed(self, error: BaseException) -> None:
        self._count_task = None  # counted again at the next refresh or live change
        self._tasks.report_failure("Counting the traces", error)

    # -- live mode --------------------------------------------------------------------------

    @property
    def merges_newer(self) -> bool:
        """Whether new traces can be merged in place: only in the newest-first order."""
        return self._query is not None and not self._query.order_by

    def fetch_newer(self, since_ms: int | None = None) -> None:
        """Live mode: read what was written since the newest row and merge it in; in another
        order only the count is read again. Does nothing while a query is being applied.

        `since_ms` also reads again the rows from that time on: a trace received over OTLP
        moves earlier when its root span comes (issue 21). Kept for the next read while one
        is out."""
        if since_ms is not None:
            floor = self._since_floor
            self._since_floor = since_ms if floor is None else min(floor, since_ms)
        if self._store is None or self._query is None or self._staged is not None:
            return
        if self._failed or self._newer_task is not None or self._tasks.is_shut_down:
            return
        if not self._items or not self.merges_newer:
            if not self._items and self._pending is None:
                self.refresh()  # an empty list: read it again
            elif self._count_task is None:
                self._request_count()
            return
        since = self._items[0][REQUEST_TIME]
        if self._since_floor is not None:
            since, self._since_floor = min(since, self._since_floor), None
        task = self._work.submit(load_newer, self._store.reader, self._query, since, self.page_size)
        task.on_finished(lambda newer: self._on_newer(since, newer))
        task.on_failed(self._on_newer_failed)
        self._newer_task = task

    def _on_newer(self, since: int, newer: NewerRows) -> None:
        self._newer_task = None
        if not newer.complete:  # more than a page arrived: read the list again
            self.refresh()
            return
        inserted = self._merge(since, newer.items)
        if newer.total != self._total:
            self._total = newer.total
            self.total_changed.emit(newer.total)
        if inserted:
            self.rows_merged.emit(inserted)
        if self._since_floor is not None:  # asked for while this read was out
            self.fetch_newer()

    def _on_newer_failed(self, error: BaseException) -> None:
        self._newer_task = None  # asked again at the next live change
        self._tasks.report_failure("Reading the new traces", error)

    def _merge(self, since: int, fresh: tuple[TraceItem, ...]) -> int:
        """Insert the rows of `fresh` (all rows from `since` on) that are not shown yet where
        they belong, and refresh the shown ones that changed (a trace that finished)."""
        newest = itertools.takewhile(lambda item: item[REQUEST_TIME] >= since, self._items)
        prefix = [item[ID] for item in newest]
        runs = plan_inserts(prefix, fresh)
        for row, items in runs:
            self.beginInsertRows(QModelIndex(), row, row + len(items) - 1)
            self._items[row:row] = map(tuple, items)
            self._fresh.update(item.trace_id for item in items)
            self.endInsertRows()
        by_id = {item.trace_id: item for item in fresh}
        last_column = self.columnCount() - 1
        for row in range(len(prefix) + sum(len(items) for _, items in runs)):
            item = by_id.get(self._items[row][ID])
            if item is not None and item != self._items[row]:
                self._items[row] = tuple(item)
                self.dataChanged.emit(self.index(row, 0), self.index(row, last_column))
        return sum(len(items) for _, items in runs)

    # -- QAbstractItemModel -----------------------------------------------------------------

    def rowCount(self, parent: _Index = _ROOT) -> int:  # QAbstractItemModel.rowCount
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = _ROOT) -> int:  # QAbstractItemModel.columnCount
        return 0 if parent.isValid() else len(Column) + len(self._extra_columns)

    def canFetchMore(self, parent: _Index) -> bool:  # QAbstractItemModel.canFetchMore
        return not parent.isValid() and not self._exhausted and not self._failed

    def fetchMore(self, parent: _Index) -> None:  # QAbstractItemModel.fetchMore
        if self.canFetchMore(parent) and self._pending is None and not self._tasks.is_shut_down:
            self._request_page()

    def flags(self, index: _Index) -> Qt.ItemFlag:  # QAbstractItemModel.flags
        row = index.row()
        if not 0 <= row < len(self._items):
            return _NO_FLAGS  # also the invalid index, whose row is -1
        return _ENABLED if self._items[row][ERROR] is None else _DISABLED

    def data(self, index: _Index, role: int = DISPLAY) -> Any:  # QAbstractItemModel.data
        row = index.row()
        if not 0 <= row < len(self._items):
            return None  # also the invalid index, whose row is -1
        item = self._items[row]
        return self._look.value(item, index.column(), role, item[ID] in self._fresh)

    def headerData(  # QAbstractItemModel.headerData
        self, section: int, orientation: Qt.Orientation, role: int = DISPLAY
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if section < len(Column):
            return header_value(section, role)
        extra = section - len(Column)
        if extra >= len(self._extra_columns):
            return None
        return extra_header_value(self._extra_columns[extra], role)
