"""What the Insights tab shows, read in the database thread: the range resolved, the series per
time bucket, the span tables, the error messages, the sessions, the feedback per bucket and the
tag keys a breakdown can use (no Qt).

`read_charts` and `read_table_part` are the only functions that touch the store; the tab
submits them through the task runner, one after the other (the charts show before the tables
are read, and each part of the tables is a task of its own),
and caches the whole answer per `Request` and data version. What an answer already read holds
is not read again: another breakdown of the same range reads only the series, another range of
the same experiments reuses the tag keys (which do not depend on the range).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from core.errors import StoreError
from core.store import (
    AssessmentBucket,
    ErrorStat,
    SessionRow,
    SpanStat,
    Store,
    TraceBucket,
    bucket_ms_for,
)

DAY_MS = 86_400_000
#: The range presets: key, label, length (None: from the first trace to the last).
PRESETS: tuple[tuple[str, str, int | None], ...] = (
    ("24h", "Last 24 hours", DAY_MS),
    ("7d", "Last 7 days", 7 * DAY_MS),
    ("30d", "Last 30 days", 30 * DAY_MS),
    ("all", "All time", None),
)
TABLE_ROWS = 200
SESSION_ROWS = 500


@dataclass(frozen=True)
class Request:
    """What to read: the experiments, the range (a preset, or `span` for a zoomed one) and the
    breakdown ("name", "status", "tag:<key>", "span.type", "span.model" or None)."""

    experiment_ids: tuple[str, ...]
    preset: str
    span: tuple[int, int] | None = None
    by: str | None = None

    def same_range(self, other: Request) -> bool:
        """Whether `other` asks for the same experiments and range (any breakdown)."""
        return (self.experiment_ids, self.preset, self.span) == (
            other.experiment_ids,
            other.preset,
            other.span,
        )


@dataclass(frozen=True)
class Insight:
    """The answer to a `Request`: empty lists (and no range) when there are no traces."""

    start_ms: int
    end_ms: int
    bucket_ms: int
    series: Sequence[TraceBucket] = ()
    slow_spans: Sequence[SpanStat] = ()
    models: Sequence[SpanStat] = ()
    sessions: Sequence[SessionRow] = ()
    tag_keys: tuple[str, ...] = ()
    feedback: Sequence[AssessmentBucket] = ()
    errors: Sequence[ErrorStat] = ()
    errors_unread: str | None = None  # why the error messages could not be read
    tables_read: bool = True  # False: the charts' part only (`read_charts`)


def resolve_span(store: Store, request: Request, now_ms: int) -> tuple[int, int] | None:
    """The [start, end] (ms) a request covers; None when "all" finds no traces."""
    if request.span is not None:
        return request.span
    length = dict((key, span) for key, _label, span in PRESETS)[request.preset]
    if length is not None:
        return now_ms - length, now_ms
    return store.insights.time_range(list(request.experiment_ids))


def read_charts(
    store: Store, request: Request, now_ms: int, same_range: Insight | None = None
) -> Insight:
    """What the charts draw for `request`: the range, the series and the feedback (database
    thread); the tables are left unread (`tables_read` False) for `read_table_part`. Given
    `same_range`, an answer for the same experiments and range, only the series is read, over
    its very range, and its tables are kept."""
    ids = list(request.experiment_ids)
    insights = store.insights
    if same_range is not None:
        series = insights.trace_series(
            ids, same_range.start_ms, same_range.end_ms, same_range.bucket_ms, request.by
        )
        return replace(same_range, series=series)
    span = resolve_span(store, request, now_ms)
    if span is None:
        return Insight(now_ms, now_ms, bucket_ms_for(now_ms, now_ms))
    start, end = span
    bucket = bucket_ms_for(start, end)
    series = insights.trace_series(ids, start, end, bucket, request.by)
    feedback = insights.assessment_series(ids, start, end, bucket)
    return Insight(start, end, bucket, series, feedback=feedback, tables_read=False)


#: The tables' parts, each read by its own task: a newer request waits for one, not all.
TABLE_PARTS = ("spans", "errors", "sessions")


def read_table_part(
    store: Store,
    request: Request,
    charts: Insight,
    part: str,
    same_experiments: Insight | None = None,
) -> dict[str, Any]:
    """One part of the tables of `charts`' range, as `Insight` fields (database thread):
    "spans" the slowest span names and the costliest models, "errors" the error messages,
    "sessions" the sessions with a turn in the range and (unless `same_experiments` has them:
    they do not depend on the range) the tag keys."""
    ids = list(request.experiment_ids)
    insights = store.insights
    start, end = charts.start_ms, charts.end_ms
    if part == "sessions":
        if same_experiments is not None and same_experiments.tables_read:
            tag_keys = same_experiments.tag_keys
        else:
            tag_keys = store.reader.trace_list_keys(ids).tag_keys
        sessions = insights.sessions(ids, SESSION_ROWS, start_ms=start, end_ms=end)
        return {"sessions": sessions, "tag_keys": tag_keys}
    if not charts.series:
        return {}
    if part == "spans":
        models = [row for row in insights.span_stats(ids, start, end, "model") if row.group]
        models.sort(key=lambda row: (-(row.cost or 0.0), -row.spans))
        return {
            "slow_spans": insights.span_stats(ids, start, end, "name")[:TABLE_ROWS],
            "models": models[:TABLE_ROWS],
        }
    try:
        return {"errors": insights.error_messages(ids, start, end, limit=TABLE_ROWS)}
    except StoreError as exc:  # a malformed span JSON on PostgreSQL 15 (no IS JSON to skip it)
        return {"errors_unread": str(exc)}
