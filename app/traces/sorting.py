"""Which trace list columns sort in SQL, and how a column and direction become `order_by`.

Sorting never happens in Python: a header click becomes an MLflow order-by item such as
`"execution_time_ms ASC"`, and the reader pages the new order by keyset like the default one.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt

from app.traces.rows import Column

#: Column -> the order-by field core's `compile_order_by` knows.
SORT_FIELDS: dict[Column, str] = {
    Column.TRACE_ID: "request_id",
    Column.NAME: "name",
    Column.STATE: "status",
    Column.REQUEST_TIME: "timestamp_ms",
    Column.DURATION: "execution_time_ms",
    Column.TOKENS: "total_tokens",
    Column.SESSION: "session_id",
}
#: What a first click on a column sorts by: biggest and newest first for numbers and times.
FIRST_ORDER: dict[Column, Qt.SortOrder] = {
    Column.REQUEST_TIME: Qt.SortOrder.DescendingOrder,
    Column.DURATION: Qt.SortOrder.DescendingOrder,
    Column.TOKENS: Qt.SortOrder.DescendingOrder,
}


@dataclass(frozen=True)
class SortSpec:
    """A sorted column and its direction; the default is the newest trace first."""

    column: Column = Column.REQUEST_TIME
    order: Qt.SortOrder = Qt.SortOrder.DescendingOrder

    @property
    def is_default(self) -> bool:
        """True for the newest-first order, the only one live mode merges new rows into."""
        return self == SortSpec()

    def order_by(self) -> tuple[str, ...] | None:
        """The `order_by` items for the reader; None for the default order."""
        if self.is_default:
            return None
        direction = "DESC" if self.order == Qt.SortOrder.DescendingOrder else "ASC"
        return (f"{SORT_FIELDS[self.column]} {direction}",)

    def to_text(self) -> str:
        """How the spec is saved in QSettings: `"execution_time_ms DESC"`."""
        direction = "DESC" if self.order == Qt.SortOrder.DescendingOrder else "ASC"
        return f"{SORT_FIELDS[self.column]} {direction}"

    @classmethod
    def from_order_by(cls, order_by: tuple[str, ...] | None) -> SortSpec:
        """The spec of a query's `order_by` (as `order_by()` makes it)."""
        return cls.from_text(order_by[0]) if order_by else cls()

    @classmethod
    def from_text(cls, text: object) -> SortSpec:
        """The inverse of `to_text`; anything unknown gives the default order."""
        parts = str(text or "").split()
        by_field = {field: column for column, field in SORT_FIELDS.items()}
        if len(parts) != 2 or parts[0] not in by_field or parts[1] not in ("ASC", "DESC"):
            return cls()
        order = Qt.SortOrder.DescendingOrder if parts[1] == "DESC" else Qt.SortOrder.AscendingOrder
        return cls(by_field[parts[0]], order)


def is_sortable(column: int) -> bool:
    return column in SORT_FIELDS


def first_order(column: Column) -> Qt.SortOrder:
    return FIRST_ORDER.get(column, Qt.SortOrder.AscendingOrder)
