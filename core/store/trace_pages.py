"""The trace list's page query: which traces, in which order, after which key.

Pages are keyset-paged on the sort keys plus the trace id (never OFFSET), so the first and the
thousandth page cost the same. Each row carries its sort key values (`_k0`, `_k1`, ...) so the
last row of a page is the key to ask for the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, true, union_all

from core import jsonutil
from core.entities import TokenUsage, TraceRow
from core.store import schema as t
from core.store.columns import TraceColumns, trace_columns
from core.store.dialect import needs_page_per_experiment
from core.store.filter_sql import compile_filter
from core.store.order_sql import OrderKey
from core.store.schema import Layout

#: Experiments merged one subquery each in a page; beyond this the rest share one query.
MAX_UNION_PARTS = 100


@dataclass(frozen=True)
class TracePage:
    """One page of the trace list, and the key to ask for the next one (None at the end)."""

    rows: tuple[TraceRow, ...]
    next_key: tuple[Any, ...] | None


def trace_filter(
    layout: Layout, experiment_ids: Sequence[str] | None, filter_string: str | None
) -> ColumnElement[bool]:
    """The traces of `experiment_ids` (all when None) that match `filter_string`."""
    ti = t.trace_info
    clauses: list[ColumnElement[bool]] = []
    if experiment_ids is not None:
        clauses.append(ti.c.experiment_id.in_([int(e) for e in experiment_ids]))
    compiled = compile_filter(filter_string, layout)
    if compiled is not None:
        clauses.append(compiled)
    return and_(true(), *clauses)


def keyset_after(keys: Sequence[OrderKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order `keys`, written so an index can seek."""
    alternatives = []
    for i, key in enumerate(keys):
        equal_prefix = [keys[j].expression == values[j] for j in range(i)]
        beyond = key.expression < values[i] if key.descending else key.expression > values[i]
        alternatives.append(and_(*equal_prefix, beyond))
    first = keys[0]
    # A plain bound on the first key lets SQLite seek in an index instead of filtering a scan.
    bound = first.expression <= values[0] if first.descending else first.expression >= values[0]
    return and_(bound, or_(*alternatives))


@dataclass(frozen=True)
class PageQuery:
    """The trace rows of some experiments that match a filter, in the order of `keys`."""

    layout: Layout
    experiment_ids: Sequence[str] | None
    filter_string: str | None
    keys: Sequence[OrderKey]

    @cached_property
    def _columns(self) -> TraceColumns:
        return trace_columns(self.layout)

    def statement(self, after: Sequence[Any] | None, limit: int, dialect: str) -> Select[Any]:
        """The query of the page after `after` (`limit + 1` rows, to tell whether more follow),
        in the form this database runs fastest."""
        ids = self.experiment_ids
        if ids is not None and len(ids) > 1 and needs_page_per_experiment(dialect):
            return self._per_experiment(ids, after, limit)
        return self._select(ids, after, limit)

    def _select(
        self, experiment_ids: Sequence[str] | None, after: Sequence[Any] | None, limit: int
    ) -> Select[Any]:
        ti, cols, keys = t.trace_info, self._columns, self.keys
        statement = (
            select(
                ti.c.request_id,
                ti.c.experiment_id,
                ti.c.timestamp_ms,
                ti.c.execution_time_ms,
                ti.c.status,
                cols.name.label("name"),
                cols.request_preview.label("request_preview"),
                cols.response_preview.label("response_preview"),
                cols.session_id.label("session_id"),
                cols.total_tokens.label("total_tokens"),
                cols.token_usage_json.label("token_usage_json"),
                *(k.expression.label(f"_k{i}") for i, k in enumerate(keys)),
            )
            .where(trace_filter(self.layout, experiment_ids, self.filter_string))
            .order_by(*(k.expression.desc() if k.descending else k.expression.asc() for k in keys))
            .limit(limit + 1)
        )
        if after is not None:
            statement = statement.where(keyset_after(keys, after))
        return statement

    def _per_experiment(
        self, experiment_ids: Sequence[str], after: Sequence[Any] | None, limit: int
    ) -> Select[Any]:
        """Several experiments: one index-ordered page each, merged, so no query sorts them all.

        `experiment_id IN (...) ORDER BY ... LIMIT` makes SQLite sort every matching row; one
        keyset subquery per experiment reads at most `limit + 1` rows of each from its index.
        """
        parts = [
            select(self._select([e], after, limit).subquery())
            for e in experiment_ids[:MAX_UNION_PARTS]
        ]
        if len(experiment_ids) > MAX_UNION_PARTS:  # SQLite caps compound selects at 500 parts
            parts.append(
                select(self._select(experiment_ids[MAX_UNION_PARTS:], after, limit).subquery())
            )
        merged = union_all(*parts).subquery()
        order = [
            merged.c[f"_k{i}"].desc() if k.descending else merged.c[f"_k{i}"].asc()
            for i, k in enumerate(self.keys)
        ]
        return select(merged).order_by(*order).limit(limit + 1)


def read_page(rows: Sequence[Any], key_count: int, limit: int) -> TracePage:
    """The page in `rows` (as `PageQuery.statement` selects them), with the next page's key."""
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1]._mapping if rows else None
    next_key = tuple(last[f"_k{i}"] for i in range(key_count)) if more and last else None
    return TracePage(tuple(trace_row(r) for r in rows), next_key)


def trace_row(row: Any) -> TraceRow:
    """One line of the trace list; the total tokens from the usage JSON when no column has it."""
    total = row.total_tokens
    if total is None and row.token_usage_json:
        usage = TokenUsage.from_value(jsonutil.decode_attribute(row.token_usage_json))
        total = usage.total_tokens if usage else None
    return TraceRow(
        trace_id=row.request_id,
        experiment_id=str(row.experiment_id),
        request_time=int(row.timestamp_ms),
        execution_duration=row.execution_time_ms,
        state=row.status,
        name=row.name,
        request_preview=row.request_preview,
        response_preview=row.response_preview,
        session_id=row.session_id,
        total_tokens=total,
    )
