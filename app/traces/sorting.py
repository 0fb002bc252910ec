"""Which trace list columns sort in SQL, and how a column and direction become `order_by`.

Sorting never happens in Python: a header click becomes an MLflow order-by item such as
`"execution_time_ms ASC"`, and the reader pages the new order by keyset like the default one.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt

from app.traces import terms
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
    Column.USER: "user",
    Column.COST: "total_cost",
}
#: What a first click on a column sorts by: biggest and newest first for numbers and times.
FIRST_ORDER: dict[Column, Qt.SortOrder] = {
    Column.REQUEST_TIME: Qt.SortOrder.DescendingOrder,
    Column.DURATION: Qt.SortOrder.DescendingOrder,
    Column.TOKENS: Qt.SortOrder.DescendingOrder,
    Column.COST: Qt.SortOrder.DescendingOrder,
}


@dataclass(frozen=True)
class SortSpec:
    """A sorted column and its direction; the default is the newest trace first. A tag column
    sorts by its key (`tag_key`; `column` is then unused)."""

    column: Column = Column.REQUEST_TIME
    order: Qt.SortOrder = Qt.SortOrder.DescendingOrder
    tag_key: str | None = None

    @property
    def is_default(self) -> bool:
        """True for the newest-first order, the only one live mode merges new rows into."""
        return self == SortSpec()

    @property
    def field(self) -> str:
        """The order-by field: `execution_time_ms`, `tag.env`."""
        return terms.field("tag", self.tag_key) if self.tag_key else SORT_FIELDS[self.column]

    def order_by(self) -> tuple[str, ...] | None:
        """The `order_by` items for the reader; None for the default order."""
        return None if self.is_default else (self.to_text(),)

    def to_text(self) -> str:
        """How the spec is saved in QSettings: `"execution_time_ms DESC"`, `"tag.env ASC"`."""
        direction = "DESC" if self.order == Qt.SortOrder.DescendingOrder else "ASC"
        return f"{self.field} {direction}"

    @classmethod
    def from_order_by(cls, order_by: tuple[str, ...] | None) -> SortSpec:
        """The spec of a query's `order_by` (as `order_by()` makes it)."""
        return cls.from_text(order_by[0]) if order_by else cls()

    @classmethod
    def from_text(cls, text: object) -> SortSpec:
        """The inverse of `to_text`; anything unknown gives the default order."""
        field, _space, direction = str(text or "").rpartition(" ")
        if direction not in ("ASC", "DESC"):
            return cls()
        order = Qt.SortOrder.DescendingOrder if direction == "DESC" else Qt.SortOrder.AscendingOrder
        by_field = {name: column for column, name in SORT_FIELDS.items()}
        if field in by_field:
            return cls(by_field[field], order)
        key = terms.tag_key(field)
        return cls(order=order, tag_key=key) if key else cls()


def is_sortable(column: int) -> bool:
    return column in SORT_FIELDS


def first_order(column: Column) -> Qt.SortOrder:
    return FIRST_ORDER.get(column, Qt.SortOrder.AscendingOrder)
