"""Order-by items (`core.query.order`) compiled to never-NULL SQL sort keys.

The reader sorts the trace list with these keys and pages it by keyset on them, so every key
is a never-NULL expression: a nullable field becomes an is-missing flag and a COALESCE, which
keeps MLflow's "missing values last in either direction" and keeps keyset comparisons exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func

from core.mlflow_keys import SOURCE_RUN_METADATA, TRACE_USER_METADATA, USER_TAG
from core.query.errors import fail
from core.query.order import parse_order_item
from core.store.columns import metadata_value, tag_value, trace_columns
from core.store.filter_sql import cost_value, token_count
from core.store.schema import Layout, trace_info

#: Order-by items in one order: keyset paging compares every key with the ones before it, so
#: its cost grows faster than the square of the keys (16 tags took a second a page, 50 three
#: minutes).
MAX_ORDER_ITEMS = 10


@dataclass(frozen=True)
class OrderKey:
    """One sort key: a never-NULL expression and its direction."""

    expression: ColumnElement[Any]
    descending: bool


@dataclass(frozen=True)
class _OrderField:
    expression: ColumnElement[Any]
    #: What stands in for NULL in a nullable expression; None when it is never NULL.
    null_stand_in: str | int | None = None

    def keys(self, descending: bool) -> list[OrderKey]:
        """Sort keys for this field; a nullable one sorts missing values last, as MLflow does."""
        if self.null_stand_in is None:
            return [OrderKey(self.expression, descending)]
        # MLflow's own rule: an ascending is-NULL flag first, whatever the direction. Two
        # never-NULL keys keep keyset pagination exact (NULL never compares equal).
        missing = case((self.expression.is_(None), 1), else_=0)
        present = func.coalesce(self.expression, self.null_stand_in)
        return [OrderKey(missing, descending=False), OrderKey(present, descending)]


def order_fields(layout: Layout) -> dict[str, _OrderField]:
    """Each of `core.query.fields.ORDER_FIELDS` -> how to sort by it in `layout`."""
    cols, ti = trace_columns(layout), trace_info
    return {
        "timestamp_ms": _OrderField(ti.c.timestamp_ms),
        "execution_time_ms": _OrderField(ti.c.execution_time_ms, -1),
        "end_time_ms": _OrderField(ti.c.timestamp_ms + func.coalesce(ti.c.execution_time_ms, 0)),
        "status": _OrderField(ti.c.status),
        "name": _OrderField(cols.name, ""),
        "request_id": _OrderField(ti.c.request_id),
        "experiment_id": _OrderField(ti.c.experiment_id),
        "run_id": _OrderField(metadata_value(SOURCE_RUN_METADATA), ""),
        "session_id": _OrderField(cols.session_id, ""),
        "total_tokens": _OrderField(token_count(layout, "total_tokens"), -1),
        "total_cost": _OrderField(cost_value(layout, "total_cost"), -1),
        # Who the trace was for, else who ran it: what the app's User column shows.
        "user": _OrderField(
            func.coalesce(metadata_value(TRACE_USER_METADATA), metadata_value(USER_TAG)), ""
        ),
    }


def compile_order_by(
    items: Sequence[str] | None, layout: Layout, *, ids_ascending: bool = False
) -> list[OrderKey]:
    """Parse MLflow-style order-by items (`"timestamp_ms DESC"`, `"tag.env"`) into sort keys.

    Every key is a never-NULL expression, as keyset pagination needs. Like MLflow, missing
    values sort last in either direction, and equal keys fall back to the newest trace first
    (timestamp_ms DESC is appended unless given). The trace id ends every order so pages are
    exact; it follows the direction of the key before it, so the default order
    (`timestamp_ms DESC, request_id DESC`) is one backward scan of the (timestamp_ms,
    request_id) index. MLflow breaks exact timestamp ties by ascending id instead:
    `ids_ascending` gives its order (what `search_traces` returns). At most `MAX_ORDER_ITEMS`.
    """
    fields = order_fields(layout)
    keys: dict[str, list[OrderKey]] = {}
    items = items or ["timestamp_ms DESC"]
    if len(items) > MAX_ORDER_ITEMS:
        message = f"The trace list can be ordered by at most {MAX_ORDER_ITEMS} fields"
        fail(items[MAX_ORDER_ITEMS], 0, message, expected="fewer order-by fields")
    for item in items:
        parsed = parse_order_item(item)
        if parsed.name in keys:
            message = f"The order-by field {parsed.name!r} is given twice"
            fail(item, 0, message, expected="another field")
        keys[parsed.name] = _order_field(parsed.scope, parsed.key, fields).keys(parsed.descending)
    if "timestamp_ms" not in keys:
        keys["timestamp_ms"] = [OrderKey(trace_info.c.timestamp_ms, descending=True)]
    ordered = [key for group in keys.values() for key in group]
    if "request_id" not in keys:
        descending = False if ids_ascending else ordered[-1].descending
        ordered.append(OrderKey(trace_info.c.request_id, descending))
    return ordered


def _order_field(scope: str, key: str, fields: dict[str, _OrderField]) -> _OrderField:
    if scope == "tag":
        return _OrderField(tag_value(key), "")
    if scope == "metadata":
        return _OrderField(metadata_value(key), "")
    return fields[key]
