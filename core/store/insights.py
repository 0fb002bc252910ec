"""The shape of many traces at once, computed in the database (issue 20): traces, errors,
latency percentiles, tokens and cost per time bucket (or spans of each type or model per
bucket); feedback pass rates and means per bucket; span statistics by name, type or model; the
most frequent error messages; one row per chat session.

Everything is a GROUP BY over `trace_info` / `spans` (indexed by experiment and time) that the
database runs; Python only reads the grouped rows. Percentiles are exact: each group's rows are
ranked with a window function (`ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY duration)`) and
the nearest rank is kept — one sort of the rows in range, on SQLite and PostgreSQL alike. Span
statistics over many traces are the exception: they are estimated from an even sample of the
traces (see `span_stats`), and say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    true,
)

from core.mlflow_keys import TRACE_USER_METADATA
from core.store import schema as t
from core.store.dialect import event_attribute, json_member, json_number
from core.store.trace_pages import trace_filter

if TYPE_CHECKING:
    from core.store.store import Store

#: Bucket sizes offered, smallest first; `bucket_ms_for` picks the first giving ≤ MAX_BUCKETS.
BUCKET_SIZES_MS = (
    60_000,
    5 * 60_000,
    15 * 60_000,
    3_600_000,
    6 * 3_600_000,
    86_400_000,
    7 * 86_400_000,
    30 * 86_400_000,
)
MAX_BUCKETS = 60
#: Span statistics read every span of at most this many traces; more are sampled.
SAMPLE_TRACES = 5_000
#: Latency percentiles rank every trace of a range of at most this many; more are sampled
#: (ranking a million durations takes seconds; counts, tokens and cost stay exact).
EXACT_PERCENTILE_TRACES = 100_000
PERCENTILES = (0.5, 0.9, 0.99)
SPAN_GROUPS = ("name", "type", "model")
#: The breakdowns of `trace_series` that count spans instead of traces.
SPAN_BREAKDOWNS = {"span.type": "type", "span.model": "model_name"}
ERROR = "ERROR"
#: Error messages are one row when they agree on their type and this many first characters
#: (a rate limit's message goes on with the numbers of the moment).
ERROR_PREFIX_CHARS = 60
#: Where a span's token counts are: a JSON object inside the span JSON's attributes.
TOKEN_USAGE_ATTRIBUTE = "mlflow.chat.tokenUsage"


def bucket_ms_for(start_ms: int, end_ms: int) -> int:
    """The smallest offered bucket that cuts [start, end] into at most `MAX_BUCKETS`."""
    span = max(end_ms - start_ms, 1)
    for size in BUCKET_SIZES_MS:
        if span / size <= MAX_BUCKETS:
            return size
    return BUCKET_SIZES_MS[-1]


@dataclass(frozen=True)
class TraceBucket:
    """One time bucket (of one group, when broken down). Broken down by a span field
    (`SPAN_BREAKDOWNS`), `traces` and `errors` count that group's spans, the percentiles are
    their durations and the tokens and cost theirs."""

    start_ms: int
    group: str | None
    traces: int
    errors: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    input_tokens: int | None
    output_tokens: int | None
    cost: float | None
    #: >1: the percentiles come from 1 in that many traces; broken down by a span field or a
    #: tag, every figure does (counts scaled up).
    sample_every: int = 1


@dataclass(frozen=True)
class SpanStat:
    """Spans of one name, type or model in the range."""

    group: str | None
    spans: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    cost: float | None
    sample_every: int = 1  # >1: estimated from 1 in that many traces (counts scaled up)

    @property
    def approximate(self) -> bool:
        return self.sample_every > 1


@dataclass(frozen=True)
class ErrorStat:
    """One error message: how many traces and error spans carry it, and when it last came.
    `kind` is the exception's type (None when the span recorded only a status message);
    `message` is the first of the messages counted, which share their first
    `ERROR_PREFIX_CHARS` characters."""

    kind: str | None
    message: str
    traces: int
    spans: int
    last_ms: int


@dataclass(frozen=True)
class AssessmentBucket:
    """One feedback name in one time bucket: how many, and their mean (the pass rate of
    pass/fail and yes/no feedback, which MLflow aggregates as 1 and 0)."""

    start_ms: int
    name: str
    count: int
    mean: float | None
    numeric: bool  # a number (mean) rather than pass/fail (pass rate)


@dataclass(frozen=True)
class SessionRow:
    """One chat session (`session_id`): its traces, first and last, totals."""

    session_id: str
    user: str | None
    turns: int
    first_ms: int
    last_ms: int
    tokens: int | None
    cost: float | None
    errors: int


class Insights:
    """The aggregations of one store (`store.insights`); each method runs one or two queries."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._layout = store.layout

    def _rows(self, statement: Any) -> list[Any]:
        return self._store.reader.rows(statement)

    # -- traces over time -------------------------------------------------------------------

    def time_range(
        self, experiment_ids: Sequence[str] | None, filter_string: str | None = None
    ) -> tuple[int, int] | None:
        """The first and last request time (ms) of the traces, or None when there are none."""
        ti = t.trace_info
        where = trace_filter(self._layout, experiment_ids, filter_string)
        (row,) = self._rows(
            select(func.min(ti.c.timestamp_ms), func.max(ti.c.timestamp_ms)).where(where)
        )
        return None if row[0] is None else (int(row[0]), int(row[1]))

    def trace_series(
        self,
        experiment_ids: Sequence[str] | None,
        start_ms: int,
        end_ms: int,
        bucket_ms: int,
        by: str | None = None,
        filter_string: str | None = None,
    ) -> list[TraceBucket]:
        """Per bucket of `bucket_ms` (aligned on multiples of it since the epoch) of the traces
        requested from `start_ms` to `end_ms`, and per `by` ("name", "status" or "tag:<key>"):
        traces, errors, latency percentiles (ms), tokens and cost. By "span.type" or
        "span.model": the same of those traces' spans of each type or model. Past
        `EXACT_PERCENTILE_TRACES` traces the percentiles, and a tag breakdown's every figure
        (scaled up), come from an even sample (`TraceBucket.sample_every`)."""
        if by in SPAN_BREAKDOWNS:
            return self._span_series(experiment_ids, start_ms, end_ms, bucket_ms, by, filter_string)
        ti = t.trace_info
        where = and_(
            trace_filter(self._layout, experiment_ids, filter_string),
            ti.c.timestamp_ms >= start_ms,
            ti.c.timestamp_ms <= end_ms,
        )
        origin = start_ms - start_ms % bucket_ms  # buckets on whole minutes, hours, days (UTC)
        bucket = cast((ti.c.timestamp_ms - origin) // bucket_ms, BigInteger).label("b")
        group, joined = self._trace_group(by)
        every, sample = self._trace_sample(where, EXACT_PERCENTILE_TRACES)
        # A tag breakdown joins every trace to its tag: past the exact limit, the sample's.
        scale = every if by is not None and by.startswith("tag:") else 1
        counted = and_(where, sample) if scale > 1 else where
        totals = (
            select(
                bucket,
                group,
                func.count(),
                func.sum(case((ti.c.status == ERROR, 1), else_=0)),
                func.sum(self._trace_column("input_tokens")),
                func.sum(self._trace_column("output_tokens")),
                func.sum(self._trace_column("total_cost")),
            )
            .select_from(joined)
            .where(counted)
            .group_by(bucket, group)
        )
        latency = ti.c.execution_time_ms
        percentiles = self._percentiles(
            select(bucket, group, latency.label("v"))
            .select_from(joined)
            .where(where, sample, latency.is_not(None)),
            PERCENTILES,
        )
        return _buckets(self._rows(totals), percentiles, origin, bucket_ms, scale, every)

    def _trace_group(self, by: str | None) -> tuple[ColumnElement[Any], Any]:
        """The grouping column and what to select from (`trace_tags` joined for a tag)."""
        ti = t.trace_info
        if by is None:
            return literal(None).label("g"), ti
        if by == "name":
            return self._trace_column("trace_name").label("g"), ti
        if by == "status":
            return ti.c.status.label("g"), ti
        if by.startswith("tag:"):
            tags = t.trace_tags
            joined = ti.outerjoin(
                tags, and_(tags.c.request_id == ti.c.request_id, tags.c.key == by[4:])
            )
            return tags.c.value.label("g"), joined
        raise ValueError(
            f"Cannot break traces down by {by!r}: use name, status, tag:<key>, span.type or "
            "span.model."
        )

    def _span_series(
        self,
        experiment_ids: Sequence[str] | None,
        start_ms: int,
        end_ms: int,
        bucket_ms: int,
        by: str,
        filter_string: str | None,
    ) -> list[TraceBucket]:
        """`trace_series` broken down by a span field: per bucket (of the trace's request time)
        and type or model, the spans' count, errors, duration percentiles, tokens and cost —
        of a sample of the traces past `SAMPLE_TRACES`, as `span_stats`."""
        if not self._layout.spans_in_db:
            return []
        s, ti = t.spans, t.trace_info
        group = self._span_column(SPAN_BREAKDOWNS[by]).label("g")
        in_range = and_(
            trace_filter(self._layout, experiment_ids, filter_string),
            ti.c.timestamp_ms >= start_ms,
            ti.c.timestamp_ms <= end_ms,
        )
        every, sample = self._trace_sample(in_range)
        where = and_(in_range, sample, group.is_not(None))
        origin = start_ms - start_ms % bucket_ms
        bucket = cast((ti.c.timestamp_ms - origin) // bucket_ms, BigInteger).label("b")
        joined = s.join(ti, ti.c.request_id == s.c.trace_id)
        # MATERIALIZED: each span's JSON is read once, not once per use of its token usage.
        rows = (
            select(
                bucket,
                group,
                s.c.status,
                self._span_usage().label("u"),
                self._span_column("total_cost").label("c"),
            )
            .select_from(joined)
            .where(where)
            .cte("span_rows")
            .prefix_with("MATERIALIZED")
        )
        totals = select(
            rows.c.b,
            rows.c.g,
            func.count(),
            func.sum(case((rows.c.status == ERROR, 1), else_=0)),
            func.sum(json_number(json_member(rows.c.u, "input_tokens"))),
            func.sum(json_number(json_member(rows.c.u, "output_tokens"))),
            func.sum(rows.c.c),
        ).group_by(rows.c.b, rows.c.g)
        duration_ms = (s.c.end_time_unix_nano - s.c.start_time_unix_nano) / 1e6
        percentiles = self._percentiles(
            select(bucket, group, duration_ms.label("v"))
            .select_from(joined)
            .where(where, s.c.end_time_unix_nano.is_not(None)),
            PERCENTILES,
        )
        return _buckets(self._rows(totals), percentiles, origin, bucket_ms, every, every)

    def _span_usage(self) -> ColumnElement[Any]:
        """A span's token usage (`mlflow.chat.tokenUsage`, a JSON object as text) from its JSON,
        read only for the spans that called a model (those with a model column; every span in
        layouts without one)."""
        usage = json_member(t.spans.c.content, "attributes", TOKEN_USAGE_ATTRIBUTE)
        if "model_name" not in self._layout.columns.get("spans", frozenset()):
            return usage
        return case((t.spans.c.model_name.is_not(None), usage))

    def _trace_column(self, name: str) -> ColumnElement[Any]:
        """A column of `trace_info`, NULL in layouts older than it (token and cost columns)."""
        if self._layout.has_trace_column(name):
            return t.trace_info.c[name]
        return null()

    def _span_column(self, name: str) -> ColumnElement[Any]:
        """A column of `spans`, NULL in layouts older than it (model and cost columns)."""
        if name in self._layout.columns.get("spans", frozenset()):
            return t.spans.c[name]
        return null()

    def _percentiles(
        self, values: Any, shares: Sequence[float]
    ) -> dict[tuple[Any, Any], tuple[float | None, ...]]:
        """Nearest-rank percentiles of `values` (columns b, g, v) per (b, g), in SQL."""
        inner = values.subquery()
        partition = [inner.c.b, inner.c.g]
        ranked = select(
            inner.c.b,
            inner.c.g,
            inner.c.v,
            func.row_number().over(partition_by=partition, order_by=inner.c.v).label("rn"),
            func.count().over(partition_by=partition).label("n"),
        ).subquery()
        picks = [
            func.min(case((ranked.c.rn >= cast(ranked.c.n, Float) * share, ranked.c.v)))
            for share in shares
        ]
        statement = select(ranked.c.b, ranked.c.g, *picks).group_by(ranked.c.b, ranked.c.g)
        return {
            (row[0], row[1]): tuple(_number(v) for v in row[2:]) for row in self._rows(statement)
        }

    # -- assessments over time ---------------------------------------------------------------

    def assessment_series(
        self,
        experiment_ids: Sequence[str] | None,
        start_ms: int,
        end_ms: int,
        bucket_ms: int,
        filter_string: str | None = None,
    ) -> list[AssessmentBucket]:
        """Per feedback name and bucket (of the traces' request time): the count and the mean
        of MLflow's aggregated value; overridden (invalid) feedback is left out."""
        present = self._layout.columns.get("assessments", frozenset())
        if not {"aggregate_value", "is_numeric_value"} <= present:
            return []  # older layouts keep no aggregated value to average
        a, ti = t.assessments, t.trace_info
        origin = start_ms - start_ms % bucket_ms
        bucket = cast((ti.c.timestamp_ms - origin) // bucket_ms, BigInteger).label("b")
        statement = (
            select(
                bucket,
                a.c.name,
                func.count(),
                func.avg(a.c.aggregate_value),
                func.max(case((a.c.is_numeric_value.is_(True), 1), else_=0)),
            )
            .select_from(a.join(ti, ti.c.request_id == a.c.trace_id))
            .where(
                trace_filter(self._layout, experiment_ids, filter_string),
                ti.c.timestamp_ms >= start_ms,
                ti.c.timestamp_ms <= end_ms,
                a.c.assessment_type == "feedback",
                a.c.valid.is_(True),
            )
            .group_by(bucket, a.c.name)
        )
        rows = [
            AssessmentBucket(
                origin + int(b) * bucket_ms, str(name), int(n), _number(mean), bool(numeric)
            )
            for b, name, n, mean, numeric in self._rows(statement)
        ]
        return sorted(rows, key=lambda row: (row.name, row.start_ms))

    # -- spans ------------------------------------------------------------------------------

    def span_stats(
        self,
        experiment_ids: Sequence[str] | None,
        start_ms: int,
        end_ms: int,
        by: str = "name",
        filter_string: str | None = None,
    ) -> list[SpanStat]:
        """Spans of the traces in range, grouped by name, type or model: count, errors,
        duration p50/p95 (ms) and cost, slowest p95 first. Over `SAMPLE_TRACES` traces the
        spans of a sample of them are read (`SpanStat.sample_every`): a per-span aggregate
        reads the whole spans table otherwise (0.6 s per pass at 100,000 traces)."""
        if not self._layout.spans_in_db:
            return []
        if by not in SPAN_GROUPS:
            raise ValueError(f"Cannot break spans down by {by!r}: use {', '.join(SPAN_GROUPS)}.")
        s, ti = t.spans, t.trace_info
        named = {"name": "name", "type": "type", "model": "model_name"}[by]
        group = self._span_column(named).label("g")
        joined = s.join(ti, ti.c.request_id == s.c.trace_id)
        in_range = and_(
            trace_filter(self._layout, experiment_ids, filter_string),
            ti.c.timestamp_ms >= start_ms,
            ti.c.timestamp_ms <= end_ms,
        )
        every, sample = self._trace_sample(in_range)
        where = and_(in_range, sample)
        totals = (
            select(
                group,
                func.count(),
                func.sum(case((s.c.status == ERROR, 1), else_=0)),
                func.sum(self._span_column("total_cost")),
            )
            .select_from(joined)
            .where(where)
            .group_by(group)
        )
        duration_ms = (s.c.end_time_unix_nano - s.c.start_time_unix_nano) / 1e6
        values = (
            select(literal(0).label("b"), group, duration_ms.label("v"))
            .select_from(joined)
            .where(where, s.c.end_time_unix_nano.is_not(None))
        )
        percentiles = self._percentiles(values, (0.5, 0.95))
        out = []
        for g, spans, errors, total in self._rows(totals):
            p50, p95 = percentiles.get((0, g), (None, None))
            cost = _number(total)
            out.append(
                SpanStat(
                    _text(g),
                    int(spans) * every,
                    int(errors or 0) * every,
                    p50,
                    p95,
                    None if cost is None else cost * every,
                    every,
                )
            )
        return sorted(out, key=lambda row: -(row.p95_ms or 0.0))

    def error_messages(
        self,
        experiment_ids: Sequence[str] | None,
        start_ms: int,
        end_ms: int,
        filter_string: str | None = None,
        limit: int = 50,
    ) -> list[ErrorStat]:
        """The most frequent error messages of the error spans of the traces in range: the
        exception event's type and message (the span's status message when it recorded no
        event), in how many traces and spans, and when the last of those spans started. An exception
        that rose through several spans counts once per trace; messages that differ only after
        their first `ERROR_PREFIX_CHARS` characters are counted together."""
        if not self._layout.spans_in_db:
            return []
        s, ti = t.spans, t.trace_info
        # Driven from the error spans (index on experiment, status), each trace looked up by
        # its key: starting from the traces in range would read every span of each.
        experiments = (
            select(t.experiments.c.experiment_id)
            if experiment_ids is None
            else [int(e) for e in experiment_ids]
        )
        in_range = (
            select(ti.c.request_id)
            .where(
                ti.c.request_id == s.c.trace_id,
                trace_filter(self._layout, experiment_ids, filter_string),
                ti.c.timestamp_ms >= start_ms,
                ti.c.timestamp_ms <= end_ms,
            )
            .exists()
        )
        # MATERIALIZED: each error span's JSON is read once, for its events and status.
        failed = (
            select(
                s.c.trace_id,
                (s.c.start_time_unix_nano // 1_000_000).label("at"),
                json_member(s.c.content, "events").label("events"),
                json_member(s.c.content, "status", "message").label("status_message"),
            )
            .where(s.c.experiment_id.in_(experiments), s.c.status == ERROR, in_range)
            .cte("error_spans")
            .prefix_with("MATERIALIZED")
        )
        raised = select(
            failed.c.trace_id,
            failed.c.at,
            event_attribute(failed.c.events, "exception", "exception.type").label("kind"),
            func.coalesce(
                event_attribute(failed.c.events, "exception", "exception.message"),
                failed.c.status_message,
            ).label("message"),
        ).subquery()
        traces = func.count(raised.c.trace_id.distinct())
        start = func.substr(raised.c.message, 1, ERROR_PREFIX_CHARS)
        statement = (
            select(
                raised.c.kind,
                func.min(raised.c.message),
                traces,
                func.count(),
                func.max(raised.c.at),
            )
            .where(raised.c.message.is_not(None))
            .group_by(raised.c.kind, start)
            .order_by(traces.desc(), func.count().desc(), func.max(raised.c.at).desc())
            .limit(limit)
        )
        return [
            ErrorStat(_text(kind), str(message), int(n_traces), int(n_spans), int(last))
            for kind, message, n_traces, n_spans, last in self._rows(statement)
        ]

    def _trace_sample(
        self, in_range: ColumnElement[bool], most: int | None = None
    ) -> tuple[int, ColumnElement[bool]]:
        """Every trace when at most `most` (`SAMPLE_TRACES`) are in range; else the 1 in 16,
        256 or 4,096 whose id ends in that many zero hex digits (ids are random hex: an even,
        repeatable sample on SQLite and PostgreSQL alike), and that 16, 256 or 4,096."""
        most = SAMPLE_TRACES if most is None else most
        ti = t.trace_info
        (count,) = self._rows(select(func.count()).select_from(ti).where(in_range))[0]
        digits = 0
        while count / 16**digits > most and digits < 3:
            digits += 1
        if digits == 0:
            return 1, and_(true())
        return 16**digits, ti.c.request_id.like("%" + "0" * digits)

    # -- sessions ---------------------------------------------------------------------------

    def sessions(
        self,
        experiment_ids: Sequence[str] | None,
        limit: int = 500,
        filter_string: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> list[SessionRow]:
        """One row per chat session (`session_id`), the latest activity first; given a range,
        the sessions with a turn in it (each with all its turns)."""
        if not self._layout.has_trace_column("session_id"):
            return []
        ti, meta = t.trace_info, t.trace_request_metadata
        within = and_(
            trace_filter(self._layout, experiment_ids, filter_string),
            ti.c.session_id.is_not(None),
        )
        statement = (
            select(
                ti.c.session_id,
                func.count(),
                func.min(ti.c.timestamp_ms),
                func.max(ti.c.timestamp_ms),
                func.sum(self._trace_column("total_tokens")),
                func.sum(self._trace_column("total_cost")),
                func.sum(case((ti.c.status == ERROR, 1), else_=0)),
            )
            .where(within)
            .group_by(ti.c.session_id)
            .having(
                and_(
                    true() if end_ms is None else func.min(ti.c.timestamp_ms) <= end_ms,
                    true() if start_ms is None else func.max(ti.c.timestamp_ms) >= start_ms,
                )
            )
            .order_by(func.max(ti.c.timestamp_ms).desc())
            .limit(limit)
        )
        found = self._rows(statement)
        # The user of the sessions shown only (one metadata lookup per trace of all sessions
        # took seconds on a million traces).
        users = (
            dict(
                self._rows(
                    select(ti.c.session_id, func.max(meta.c.value))
                    .select_from(ti.join(meta, meta.c.request_id == ti.c.request_id))
                    .where(
                        within,
                        meta.c.key == TRACE_USER_METADATA,
                        ti.c.session_id.in_([row[0] for row in found]),
                    )
                    .group_by(ti.c.session_id)
                )
            )
            if found
            else {}
        )
        return [
            SessionRow(
                str(sid),
                _text(users.get(sid)),
                int(turns),
                int(first),
                int(last),
                _whole(tokens),
                _number(cost),
                int(errors or 0),
            )
            for sid, turns, first, last, tokens, cost, errors in found
        ]


def _buckets(
    totals: Sequence[Any],
    percentiles: dict[tuple[Any, Any], tuple[float | None, ...]],
    origin: int,
    bucket_ms: int,
    scale: int,
    every: int,
) -> list[TraceBucket]:
    """The rows of a series: grouped totals (bucket number, group, count, errors, tokens in and
    out, cost) with their percentiles, counts scaled by `scale` (a sample's), in time and group
    order; `every` is what the percentiles were sampled from."""
    out = []
    for b, g, count, errors, tokens_in, tokens_out, cost in totals:
        p50, p90, p99 = percentiles.get((b, g), (None, None, None))
        out.append(
            TraceBucket(
                origin + int(b) * bucket_ms,
                _text(g),
                int(count) * scale,
                int(errors or 0) * scale,
                p50,
                p90,
                p99,
                _scaled(_whole(tokens_in), scale),
                _scaled(_whole(tokens_out), scale),
                _scaled(_number(cost), scale),
                every,
            )
        )
    return sorted(out, key=lambda row: (row.start_ms, row.group or ""))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _whole(value: Any) -> int | None:
    return None if value is None else int(value)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _scaled(value: Any, every: int) -> Any:
    """A sampled total scaled up to the whole (None stays None)."""
    return None if value is None else value * every
