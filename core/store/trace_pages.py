"""The trace list's page query: which traces, in which order, after which key.

Pages are keyset-paged on the sort keys plus the trace id (never OFFSET), so the first and the
thousandth page cost the same. Each row carries its sort key values (`_k0`, `_k1`, ...) so the
last row of a page is the key to ask for the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)

from core import jsonutil
from core.entities import RowAssessment, TokenUsage, TraceListKeys, TraceRow, TraceRowExtras
from core.entities.ids import stored_number
from core.mlflow_keys import COST_METADATA
from core.store import schema as t
from core.store.columns import TraceColumns, checked_number, not_a_number, trace_columns
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
                _total_cost(self.layout).label("total_cost"),
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
    """One line of the trace list; the total tokens from the usage JSON when no column has it.

    A value that is not what MLflow writes (text in a time column) is shown as unknown and
    named in `problems`: the row still lists and opens.
    """
    problems: list[str] = []
    request_time = checked_number(
        row.timestamp_ms, "timestamp_ms", problems, "read as 0 (1970-01-01)"
    )
    duration = checked_number(row.execution_time_ms, "execution_time_ms", problems)
    total = checked_number(row.total_tokens, "total_tokens", problems)
    cost = _cost(row.total_cost, problems)
    if total is None and row.token_usage_json:
        usage = TokenUsage.from_value(jsonutil.decode_attribute(row.token_usage_json))
        total = usage.total_tokens if usage else None
    return TraceRow(
        trace_id=row.request_id,
        experiment_id=str(row.experiment_id),
        request_time=request_time or 0,
        execution_duration=duration,
        state=row.status,
        name=row.name,
        request_preview=row.request_preview,
        response_preview=row.response_preview,
        session_id=row.session_id,
        total_tokens=total,
        problems=tuple(problems),
        total_cost=cost,
    )


def _total_cost(layout: Layout) -> ColumnElement[Any]:
    """The trace's cost column where MLflow ≥ 3.2 keeps it (else the metadata, see extras)."""
    return t.trace_info.c.total_cost if layout.has_trace_column("total_cost") else null()


def _cost(value: Any, problems: list[str]) -> float | None:
    number = stored_number(value)
    if number is None and value is not None:
        problems.append(not_a_number("total_cost", value, "left out"))
    return None if number is None else float(number)


# -- what a page carries beyond trace_info: tags, metadata and assessments --------------------

#: Which table an extras row came from (plain SQL literals: no parameter whose type a UNION
#: on PostgreSQL would have to guess).
_TAG, _METADATA, _ASSESSMENT = 0, 1, 2
#: Tag keys are collected from this many of the newest traces: a bounded read however large
#: the experiment (a key only older traces have is not offered).
KEY_SAMPLE = 2000


def with_extras(
    page: TracePage,
    extras: TraceRowExtras | None,
    layout: Layout,
    run: Callable[[Any], list[Any]],
) -> TracePage:
    """`page` with the tags, metadata and assessments `extras` names, read with one query for
    the whole page (`run` executes it); the page itself unchanged when nothing is asked."""
    if not extras or not page.rows:
        return page
    statement = _extras_statement(layout, [r.trace_id for r in page.rows], extras)
    if statement is None:
        return page
    found: dict[str, _Found] = {}
    for extra in run(statement):
        found.setdefault(extra[1], _Found()).add(extra)
    rows = tuple(found[r.trace_id].apply(r) if r.trace_id in found else r for r in page.rows)
    return TracePage(rows, page.next_key)


def _extras_statement(
    layout: Layout, trace_ids: Sequence[str], extras: TraceRowExtras
) -> Select[Any] | None:
    """One UNION ALL over the three tables, each part seeking on its trace id index."""
    parts: list[Select[Any]] = []
    for kind, table, keys in (
        (_TAG, t.trace_tags, extras.tag_keys),
        (_METADATA, t.trace_request_metadata, extras.metadata_keys),
    ):
        if keys:
            parts.append(
                select(
                    literal_column(str(kind)),
                    table.c.request_id,
                    table.c.key,
                    table.c.value,
                    cast(null(), String),  # typed: PostgreSQL pairs UNION columns by type
                    literal_column("0"),
                    cast(null(), BigInteger),
                ).where(table.c.request_id.in_(trace_ids), table.c.key.in_(keys))
            )
    if extras.assessment_names and layout.has_assessments:
        a = t.assessments
        parts.append(
            select(
                literal_column(str(_ASSESSMENT)),
                a.c.trace_id,
                a.c.name,
                a.c.value,
                a.c.assessment_type,
                case((a.c.error.is_not(None), 1), else_=0),
                a.c.created_timestamp,
            ).where(
                a.c.trace_id.in_(trace_ids),
                a.c.name.in_(extras.assessment_names),
                a.c.valid == true(),
            )
        )
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union_all(*parts)  # type: ignore[return-value]


class _Found:
    """What the extras query found for one trace."""

    def __init__(self) -> None:
        self.tags: dict[str, str] = {}
        self.metadata: dict[str, str] = {}
        self.assessments: dict[str, tuple[int, RowAssessment]] = {}

    def add(self, extra: Any) -> None:
        """One row of the extras query: (table, trace id, key, value, type, failed, created)."""
        kind, _trace_id, key, value, kind_of, failed, created = extra
        if kind == _TAG:
            self.tags[key] = value
        elif kind == _METADATA:
            self.metadata[key] = value
        else:
            when = stored_number(created) or 0
            newest = self.assessments.get(key)
            if newest is None or when >= newest[0]:
                decoded = jsonutil.decode_attribute(value)
                assessment = RowAssessment(str(kind_of), decoded, bool(failed))
                self.assessments[key] = (int(when), assessment)

    def apply(self, row: TraceRow) -> TraceRow:
        cost = row.total_cost
        if cost is None and COST_METADATA in self.metadata:  # layouts before the cost column
            usage = jsonutil.decode_attribute(self.metadata[COST_METADATA])
            number = stored_number(usage.get("total_cost")) if isinstance(usage, dict) else None
            cost = None if number is None else float(number)
        return replace(
            row,
            total_cost=cost,
            tags=self.tags,
            metadata=self.metadata,
            assessments={name: found for name, (_when, found) in self.assessments.items()},
        )


def list_keys(
    layout: Layout, experiment_ids: Sequence[str] | None, run: Callable[[Any], list[Any]]
) -> TraceListKeys:
    """The tag keys of the newest `KEY_SAMPLE` traces of `experiment_ids` (all when None) and
    the assessment names of all their traces, sorted: the columns a list can add."""
    ti = t.trace_info
    newest = select(ti.c.request_id).order_by(ti.c.timestamp_ms.desc()).limit(KEY_SAMPLE)
    if experiment_ids is not None:
        newest = newest.where(ti.c.experiment_id.in_([int(e) for e in experiment_ids]))
    tags = t.trace_tags
    keys = run(select(tags.c.key).distinct().where(tags.c.request_id.in_(newest.scalar_subquery())))
    names: list[Any] = []
    if layout.has_assessments:
        a = t.assessments
        statement = select(a.c.name).distinct().where(a.c.valid == true())
        if experiment_ids is not None:  # the (experiment_id, name, valid) index answers this
            statement = statement.where(a.c.experiment_id.in_([int(e) for e in experiment_ids]))
        names = run(statement)
    return TraceListKeys(
        tuple(sorted(str(k) for (k,) in keys)), tuple(sorted(str(n) for (n,) in names))
    )
