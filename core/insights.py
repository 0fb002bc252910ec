"""Insights as DataFrames, for scripts and notebooks: the numbers the window's Insights tab draws
(issue 20), computed by the database of the default client's store (`core.set_tracking_uri`).

    import core
    core.set_tracking_uri("sqlite:///mlflow.db")
    frame = core.insights.trace_stats(["1"], by="name")        # per 6 hours, per trace name
    slow = core.insights.span_stats(["1"]).head(10)            # slowest span names by p95
    chats = core.insights.session_stats(["1"])                 # one row per chat session
    errors = core.insights.error_stats(["1"])                  # the most frequent error messages
    calls = core.insights.trace_stats(["1"], by="span.model")  # calls, latency, tokens per model
    judged = core.insights.assessment_stats(["1"])             # pass rate per feedback, per day

Times are milliseconds since the epoch in, `pandas.Timestamp` (UTC) out. Percentiles are exact
(nearest rank), computed in SQL. A `store` may be given instead of the default client's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

from core import context
from core.store import Store
from core.store.insights import bucket_ms_for

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["assessment_stats", "error_stats", "session_stats", "span_stats", "trace_stats"]


def trace_stats(
    experiment_ids: Sequence[str] | None = None,
    *,
    start_ms: int | None = None,
    end_ms: int | None = None,
    bucket_ms: int | None = None,
    by: str | None = None,
    filter_string: str | None = None,
    store: Store | None = None,
) -> pd.DataFrame:
    """Per time bucket (and per `by`: "name", "status" or "tag:<key>"): traces, errors,
    latency p50/p90/p99 (ms), input and output tokens, cost; past 100,000 traces the
    percentiles come from an even sample of them (`sample_every` > 1). By "span.type" or
    "span.model", the rows count the spans of each type or model (`sample_every` > 1: of a
    sample of the traces). The range defaults to the traces' own; the bucket to the smallest
    of minute … 30 days giving at most 60 buckets."""
    import pandas as pd

    insights = _store(store).insights
    found = insights.time_range(experiment_ids, filter_string)
    columns = ["bucket", "group", "traces", "errors", "p50_ms", "p90_ms", "p99_ms"]
    columns += ["input_tokens", "output_tokens", "cost", "sample_every"]
    if found is None:
        return pd.DataFrame(columns=columns)
    start = found[0] if start_ms is None else start_ms
    end = found[1] if end_ms is None else end_ms
    size = bucket_ms or bucket_ms_for(start, end)
    rows = insights.trace_series(experiment_ids, start, end, size, by, filter_string)
    frame = pd.DataFrame([asdict(row) for row in rows], columns=["start_ms", *columns[1:]])
    frame.insert(0, "bucket", pd.to_datetime(frame.pop("start_ms"), unit="ms", utc=True))
    return frame


def assessment_stats(
    experiment_ids: Sequence[str] | None = None,
    *,
    start_ms: int | None = None,
    end_ms: int | None = None,
    bucket_ms: int | None = None,
    filter_string: str | None = None,
    store: Store | None = None,
) -> pd.DataFrame:
    """Per feedback name and time bucket: count, mean (the pass rate of pass/fail and yes/no
    feedback), and whether the values are numbers."""
    import pandas as pd

    insights = _store(store).insights
    found = insights.time_range(experiment_ids, filter_string)
    columns = ["bucket", "name", "count", "mean", "numeric"]
    if found is None:
        return pd.DataFrame(columns=columns)
    start = found[0] if start_ms is None else start_ms
    end = found[1] if end_ms is None else end_ms
    size = bucket_ms or bucket_ms_for(start, end)
    rows = insights.assessment_series(experiment_ids, start, end, size, filter_string)
    frame = pd.DataFrame([asdict(row) for row in rows], columns=["start_ms", *columns[1:]])
    frame.insert(0, "bucket", pd.to_datetime(frame.pop("start_ms"), unit="ms", utc=True))
    return frame


def span_stats(
    experiment_ids: Sequence[str] | None = None,
    *,
    start_ms: int | None = None,
    end_ms: int | None = None,
    by: str = "name",
    filter_string: str | None = None,
    store: Store | None = None,
) -> pd.DataFrame:
    """Spans by name, type or model: count, errors, duration p50/p95 (ms), cost; the slowest
    p95 first."""
    import pandas as pd

    insights = _store(store).insights
    found = insights.time_range(experiment_ids, filter_string)
    columns = ["group", "spans", "errors", "p50_ms", "p95_ms", "cost"]
    if found is None:
        return pd.DataFrame(columns=columns)
    start = found[0] if start_ms is None else start_ms
    end = found[1] if end_ms is None else end_ms
    rows = insights.span_stats(experiment_ids, start, end, by, filter_string)
    return pd.DataFrame([asdict(row) for row in rows], columns=columns)


def error_stats(
    experiment_ids: Sequence[str] | None = None,
    *,
    start_ms: int | None = None,
    end_ms: int | None = None,
    filter_string: str | None = None,
    limit: int = 50,
    store: Store | None = None,
) -> pd.DataFrame:
    """The most frequent error messages (an exception event's type and message, else the
    span's status message): how many traces and error spans carry each, and the last time."""
    import pandas as pd

    insights = _store(store).insights
    found = insights.time_range(experiment_ids, filter_string)
    columns = ["kind", "message", "traces", "spans", "last_ms"]
    if found is None:
        return pd.DataFrame(columns=[*columns[:-1], "last"])
    start = found[0] if start_ms is None else start_ms
    end = found[1] if end_ms is None else end_ms
    rows = insights.error_messages(experiment_ids, start, end, filter_string, limit)
    frame = pd.DataFrame([asdict(row) for row in rows], columns=columns)
    frame["last"] = pd.to_datetime(frame.pop("last_ms"), unit="ms", utc=True)
    return frame


def session_stats(
    experiment_ids: Sequence[str] | None = None,
    *,
    start_ms: int | None = None,
    end_ms: int | None = None,
    limit: int = 500,
    filter_string: str | None = None,
    store: Store | None = None,
) -> pd.DataFrame:
    """One row per chat session (`session_id`): user, turns, first and last request, total
    tokens and cost, errors; the latest first. Given a range, the sessions with a turn in it."""
    import pandas as pd

    rows = _store(store).insights.sessions(experiment_ids, limit, filter_string, start_ms, end_ms)
    columns = ["session_id", "user", "turns", "first_ms", "last_ms", "tokens", "cost", "errors"]
    frame = pd.DataFrame([asdict(row) for row in rows], columns=columns)
    for name in ("first_ms", "last_ms"):
        frame[name.removesuffix("_ms")] = pd.to_datetime(frame.pop(name), unit="ms", utc=True)
    return frame


def _store(store: Store | None) -> Store:
    return store if store is not None else context.default_client().store()
