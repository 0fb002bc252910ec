"""The result grid of one run: rows arrive page by page; filters and orders work on an index.

In the natural order with no filter the model pages straight from the database: `fetchMore`
asks the database thread for the next keyset page of `PAGE_SIZE` rows (the first page holds
`FIRST_PAGE`: enough to fill the view, so a run of any size shows as soon). Any filter or other
order first reads the run into an index of prepared rows (once per run, in the database
thread), then selects the matching rows there too; the model then reveals them `PAGE_SIZE` at
a time. Every change drops the work in flight (the model's `TaskGroup`): an answer about what
was shown before never arrives.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from app.evaluations import rows as grid
from app.evaluations.cell_text import ERROR, NUMBER, TEXT, Cell
from app.evaluations.look import (
    ALIGNMENT,
    DECORATION,
    DISPLAY,
    FOREGROUND,
    KIND_ROLE,
    LEFT,
    RIGHT,
    TOOLTIP,
    TRACE_ID_ROLE,
    Palette,
    repaint_all,
)
from app.evaluations.rows import GridColumns, GridPage, GridQuery, GridRow, OpenedRun
from app.formatting import rich_tooltip
from app.tasks import Task, TaskRunner
from core.store import Store

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
PAGE_SIZE = grid.PAGE_SIZE


class ResultGridModel(QAbstractTableModel):
    """The rows of one evaluation run shown so far, and how to get more."""

    opened = Signal(object)  # the OpenedRun now shown (its columns and row count)
    page_loaded = Signal(int)  # rows added
    matched = Signal(int)  # a filter or order applied: how many rows it shows
    load_failed = Signal(str)

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.page_size = PAGE_SIZE
        self.first_page_size = grid.FIRST_PAGE
        self._tasks = tasks
        self._store: Store | None = None
        self._run_id: str | None = None
        self._columns = GridColumns()
        self._column_count = 0  # until the run's columns are known
        self._total: int | None = None
        self._query = GridQuery()
        self._rows: list[GridRow] = []
        self._selected: tuple[GridRow, ...] | None = None  # index mode: every matching row
        self._index: tuple[GridRow, ...] | None = None  # the whole run, once read
        self._next_key: tuple[int, str] | None = None
        self._work = tasks.group()
        self._pending: Task | None = None
        self._revealing = False  # a page of the selection is about to be shown
        self._look = Palette()

    def restyle(self) -> None:
        """The theme changed: the colours are made again and every cell is drawn again."""
        self._look.refresh()
        repaint_all(self)

    # -- what is shown ----------------------------------------------------------------------

    @property
    def run_id(self) -> str | None:
        return self._run_id

    @property
    def columns(self) -> GridColumns:
        return self._columns

    @property
    def total(self) -> int | None:
        """Rows in the run, once counted."""
        return self._total

    @property
    def query(self) -> GridQuery:
        return self._query

    @property
    def matching(self) -> int | None:
        """Rows the filter lets through (None in the natural order: all of them)."""
        return None if self._selected is None else len(self._selected)

    @property
    def is_loading(self) -> bool:
        return self._pending is not None

    def row(self, number: int) -> GridRow | None:
        return self._rows[number] if 0 <= number < len(self._rows) else None

    def trace_id(self, number: int) -> str | None:
        found = self.row(number)
        return found.trace_id if found is not None else None

    def open(self, store: Store | None, run_id: str | None) -> None:
        """Show run `run_id` from its first page, with the query kept (none: empty)."""
        self._drop_work()
        self.beginResetModel()
        self._store, self._run_id = store, run_id
        self._rows, self._selected, self._index = [], None, None
        self._next_key, self._total, self._columns = None, None, GridColumns()
        self._column_count = 0
        self.endResetModel()
        if store is None or run_id is None or self._tasks.is_shut_down:
            return
        self._submit(
            grid.open_run, store.evaluations, run_id, self.first_page_size, on_done=self._on_opened
        )

    def apply(self, query: GridQuery) -> None:
        """Show `query`'s rows: from the database in the natural order, else from the index."""
        if query == self._query:
            return
        self._query = query
        if self._store is None or self._run_id is None or self._total is None:
            return  # the run is still opening: `_on_opened` applies the query
        self._drop_work()
        if query.natural:
            self._reset_rows([], None)
            self._next_key = None
            self._request_page(first=True)
        elif self._index is None:
            self._request_index()
        else:
            self._request_selection()

    def refresh(self) -> None:
        """Read the run again (rows a rerun added appear)."""
        self.open(self._store, self._run_id)

    # -- background work --------------------------------------------------------------------

    def _drop_work(self) -> None:
        self._work.drop()
        self._pending = None

    def _submit(self, fn: Any, *args: Any, on_done: Any) -> None:
        if self._tasks.is_shut_down:
            return  # the window is closing
        self._pending = self._work.submit(fn, *args).on_finished(on_done).on_failed(self._on_failed)

    def _request_page(self, first: bool = False) -> None:
        assert self._store is not None and self._run_id is not None
        after = None if first else self._next_key
        self._submit(
            grid.load_page,
            self._store.evaluations,
            self._run_id,
            self._columns,
            after,
            self.first_page_size if first else self.page_size,
            len(self._rows) + 1,
            on_done=self._on_page,
        )

    def _request_index(self) -> None:
        assert self._store is not None and self._run_id is not None
        evaluations = self._store.evaluations
        self._submit(
            grid.build_index, evaluations, self._run_id, self._columns, on_done=self._on_index
        )

    def _request_selection(self) -> None:
        assert self._index is not None
        self._submit(grid.select, self._index, self._query, self._columns, on_done=self._on_select)

    def _on_opened(self, opened: OpenedRun) -> None:
        self._pending = None
        self.beginResetModel()
        self._columns, self._total = opened.columns, opened.total
        self._column_count = len(opened.columns)  # asked a thousand times per paint
        self.endResetModel()
        self.opened.emit(opened)
        if self._pending is not None:
            return  # a query applied while the run opened took over
        if self._query.natural:
            self._on_page(opened.first)
        else:
            self._request_index()

    def _on_page(self, page: GridPage) -> None:
        self._pending = None
        self._next_key = page.next_key
        self._append(page.rows)

    def _on_index(self, index: tuple[GridRow, ...]) -> None:
        self._index = index
        self._request_selection()

    def _on_select(self, selected: tuple[GridRow, ...]) -> None:
        self._pending = None
        self._reset_rows(list(selected[: self.page_size]), selected)
        self.matched.emit(len(selected))
        self.page_loaded.emit(len(self._rows))

    def _on_failed(self, error: BaseException) -> None:
        self._pending = None
        self._next_key = None
        self.load_failed.emit(f"The evaluation rows could not be read: {error}")

    def _reset_rows(self, shown: list[GridRow], selected: tuple[GridRow, ...] | None) -> None:
        self.beginResetModel()
        self._rows, self._selected = shown, selected
        self.endResetModel()

    def _append(self, new: tuple[GridRow, ...] | list[GridRow]) -> None:
        if new:
            start = len(self._rows)
            self.beginInsertRows(_ROOT, start, start + len(new) - 1)
            self._rows.extend(new)
            self.endInsertRows()
        self.page_loaded.emit(len(new))

    # -- QAbstractItemModel -----------------------------------------------------------------

    def rowCount(self, parent: _Index = _ROOT) -> int:  # QAbstractItemModel.rowCount
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:  # QAbstractItemModel.columnCount
        return 0 if parent.isValid() else self._column_count

    def canFetchMore(self, parent: _Index) -> bool:  # QAbstractItemModel.canFetchMore
        if parent.isValid():
            return False
        if self._selected is not None:
            return len(self._rows) < len(self._selected)
        return self._next_key is not None

    def fetchMore(self, parent: _Index) -> None:  # QAbstractItemModel.fetchMore
        if not self.canFetchMore(parent) or self._pending is not None or self._revealing:
            return
        if self._selected is not None:
            # Index mode: the rows are here already. They are inserted from the event loop, as
            # a page from the database would be, not inside the view's (or a tester's) call.
            self._revealing = True
            QTimer.singleShot(0, self, self._reveal_more)
        elif not self._tasks.is_shut_down:
            self._request_page()

    def _reveal_more(self) -> None:
        self._revealing = False
        if self._selected is not None and len(self._rows) < len(self._selected):
            start = len(self._rows)
            self._append(self._selected[start : start + self.page_size])

    def sort(  # QAbstractItemModel.sort
        self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder
    ) -> None:
        descending = order == Qt.SortOrder.DescendingOrder
        self.apply(replace(self._query, sort_column=max(column, 0), descending=descending))

    def data(  # noqa: PLR0911 - QAbstractItemModel.data; a flat chain is the cheapest dispatch
        self, index: _Index, role: int = DISPLAY
    ) -> Any:
        row = self.row(index.row())
        if row is None or not 0 <= index.column() < self.columnCount():
            return None
        if role == TRACE_ID_ROLE:
            return row.trace_id
        cell = self._cell(row, index.column())
        if role == DISPLAY:
            return cell.text
        if role == KIND_ROLE:
            return cell.kind
        if role == TOOLTIP:
            return rich_tooltip(cell.tooltip) or None
        if role == FOREGROUND:
            return self._look.kind_color(cell.kind)
        if role == DECORATION and cell.kind == ERROR:
            return self._look.error_icon
        if role == ALIGNMENT:
            return self._look.alignment(cell.kind)
        return None

    def _cell(self, row: GridRow, column: int) -> Cell:
        """Any column as a cell; the fixed ones are made here (cheap: no formatting)."""
        if column == grid.NUMBER:
            return Cell(NUMBER, str(row.number), f"Trace {row.trace_id}")
        if column == grid.INPUTS:
            return Cell(TEXT, row.inputs, row.inputs_tip)
        if column == grid.OUTPUT:
            if row.output_error is not None:
                return Cell(ERROR, row.output_error, f"The prediction failed: {row.output_error}")
            return Cell(TEXT, row.output, row.output_tip)
        expectation = self._columns.expectation_at(column)
        if expectation is not None:
            return row.expectations[expectation]
        scorer = self._columns.scorer_at(column)
        return row.scores[scorer] if scorer is not None else Cell(TEXT, "")

    def headerData(  # QAbstractItemModel.headerData
        self, section: int, orientation: Qt.Orientation, role: int = DISPLAY
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        if role == DISPLAY:
            return self._columns.title(section)
        if role == TOOLTIP:
            return self._header_tip(section)
        if role == ALIGNMENT:
            return RIGHT if section == grid.NUMBER else LEFT
        return None

    def _header_tip(self, section: int) -> str:
        title = self._columns.title(section)
        if self._columns.expectation_at(section) is not None:
            return f"Expectation {title!r} of each row"
        if self._columns.scorer_at(section) is not None:
            return f"Scorer {title!r}: green passes, red fails; hover a cell for its rationale"
        return {"#": "Row number in the run", "Inputs": "The row's inputs"}.get(
            title, "What the evaluated function answered"
        )
