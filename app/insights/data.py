"""What the Insights tab shows, read in the database thread: the range resolved, the series per
time bucket, the span tables, the error messages, the sessions, the feedback per bucket and the
tag keys a breakdown can use (no Qt).

`read` is the only function that touches the store; the tab submits it through the task runner
and caches its answer per `Request` and data version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


def resolve_span(store: Store, request: Request, now_ms: int) -> tuple[int, int] | None:
    """The [start, end] (ms) a request covers; None when "all" finds no traces."""
    if request.span is not None:
        return request.span
    length = dict((key, span) for key, _label, span in PRESETS)[request.preset]
    if length is not None:
        return now_ms - length, now_ms
    return store.insights.time_range(list(request.experiment_ids))


def read(store: Store, request: Request, now_ms: int) -> Insight:
    """Every number the tab shows for `request` (database thread)."""
    ids = list(request.experiment_ids)
    tag_keys = store.reader.trace_list_keys(ids).tag_keys
    sessions = store.insights.sessions(ids, SESSION_ROWS)
    span = resolve_span(store, request, now_ms)
    if span is None:
        return Insight(
            now_ms, now_ms, bucket_ms_for(now_ms, now_ms), [], [], [], sessions, tag_keys
        )
    start, end = span
    bucket = bucket_ms_for(start, end)
    insights = store.insights
    series = insights.trace_series(ids, start, end, bucket, request.by)
    slow = insights.span_stats(ids, start, end, "name")[:TABLE_ROWS]
    models = [row for row in insights.span_stats(ids, start, end, "model") if row.group]
    models.sort(key=lambda row: (-(row.cost or 0.0), -row.spans))
    feedback = insights.assessment_series(ids, start, end, bucket)
    errors: list[ErrorStat] = []
    unread = None
    try:
        errors = insights.error_messages(ids, start, end, limit=TABLE_ROWS)
    except StoreError as exc:  # a malformed span JSON on PostgreSQL 15 (no IS JSON to skip it)
        unread = str(exc)
    return Insight(
        start,
        end,
        bucket,
        series,
        slow,
        models[:TABLE_ROWS],
        sessions,
        tag_keys,
        feedback,
        errors,
        unread,
    )
