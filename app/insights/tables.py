"""The tables of the Insights tab: slowest span names, costliest models, the most frequent error
messages and chat sessions. Each row stands for some traces: Enter or a double-click asks for
the trace list filtered to them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

from app.formatting import EMPTY, duration, local_time, one_line, rich_tooltip
from app.insights.filters import error_filter, model_filter, session_filter, span_filter
from app.widgets import set_up_row_table
from core.store import ErrorStat, SessionRow, SpanStat

R = TypeVar("R")
Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True)
class Column(Generic[R]):
    """A column: its header, its text for a row, and whether it holds numbers."""

    header: str
    text: Callable[[R], str]
    number: bool = True
    tip: Callable[[R], str] | None = None  # the full text, when `text` shortens it


class RowTable(QAbstractTableModel, Generic[R]):
    """Read-only rows of one kind, each with the trace filter it opens."""

    def __init__(
        self,
        columns: Sequence[Column[R]],
        filter_for: Callable[[R], str | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.filter_for = filter_for
        self.rows: list[R] = []

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = _ROOT) -> int:  # QAbstractItemModel
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = _ROOT) -> int:  # QAbstractItemModel
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(self.rows[index.row()])
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = column.tip or column.text  # escaped: Qt reads text with tags as markup
            return rich_tooltip(tip(self.rows[index.row()]))
        if role == Qt.ItemDataRole.TextAlignmentRole and column.number:
            return int(RIGHT.value)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        return None


class LinkTable(QTableView):
    """A row table whose Enter or double-click emits the row's trace filter."""

    filter_requested = Signal(str)

    def __init__(self, model: RowTable[Any], name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setModel(model)
        set_up_row_table(self)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.doubleClicked.connect(self.open_row)

    def open_row(self, index: QModelIndex | None = None) -> None:
        """Ask for the traces of the row at `index` (the current row when None)."""
        index = index if index is not None else self.currentIndex()
        model = self.model()
        if not index.isValid() or not isinstance(model, RowTable):
            return
        text = model.filter_for(model.rows[index.row()])
        if text:
            self.filter_requested.emit(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QWidget.keyPressEvent
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_row()
            return
        super().keyPressEvent(event)


def _ms(value: float | None) -> str:
    return duration(None if value is None else round(value))


def _cost(value: float | None) -> str:
    return EMPTY if value is None else f"${value:,.4f}"


def _count(value: int | None) -> str:
    return EMPTY if value is None else f"{value:,}"


def slow_spans_table(parent: QObject | None = None) -> RowTable[SpanStat]:
    """Span names, slowest p95 first."""
    return RowTable(
        [
            Column("Span name", lambda r: r.group or "(unnamed)", number=False),
            Column("Spans", lambda r: f"{r.spans:,}"),
            Column("Errors", lambda r: f"{r.errors:,}"),
            Column("p50", lambda r: _ms(r.p50_ms)),
            Column("p95", lambda r: _ms(r.p95_ms)),
        ],
        lambda r: None if r.group is None else span_filter(r.group),
        parent,
    )


def models_table(parent: QObject | None = None) -> RowTable[SpanStat]:
    """Models called by spans, the costliest first."""
    return RowTable(
        [
            Column("Model", lambda r: r.group or "", number=False),
            Column("Cost", lambda r: _cost(r.cost)),
            Column("Calls", lambda r: f"{r.spans:,}"),
            Column("Errors", lambda r: f"{r.errors:,}"),
            Column("p95", lambda r: _ms(r.p95_ms)),
        ],
        lambda r: None if r.group is None else model_filter(r.group),
        parent,
    )


def errors_table(parent: QObject | None = None) -> RowTable[ErrorStat]:
    """Error messages, the most frequent first."""
    return RowTable(
        [
            Column(
                "Error",
                lambda r: one_line(f"{r.kind}: {r.message}" if r.kind else r.message),
                number=False,
                tip=lambda r: f"{r.kind}: {r.message}" if r.kind else r.message,
            ),
            Column("Traces", lambda r: f"{r.traces:,}"),
            Column("Spans", lambda r: f"{r.spans:,}"),
            Column(
                "Last",
                lambda r: local_time(r.last_ms)[5:16],  # 12-06 09:55: room for the message
                number=False,
                tip=lambda r: local_time(r.last_ms),
            ),
        ],
        lambda r: error_filter(r.kind, r.message),
        parent,
    )


def sessions_table(parent: QObject | None = None) -> RowTable[SessionRow]:
    """Chat sessions, the latest activity first."""
    return RowTable(
        [
            Column("Session", lambda r: r.session_id, number=False),
            Column("User", lambda r: r.user or EMPTY, number=False),
            Column("Turns", lambda r: f"{r.turns:,}"),
            Column("First", lambda r: local_time(r.first_ms), number=False),
            Column("Last", lambda r: local_time(r.last_ms), number=False),
            Column("Tokens", lambda r: _count(r.tokens)),
            Column("Cost", lambda r: _cost(r.cost)),
            Column("Errors", lambda r: f"{r.errors:,}"),
        ],
        lambda r: session_filter(r.session_id),
        parent,
    )
