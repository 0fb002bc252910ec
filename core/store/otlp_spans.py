"""The SQL of storing OpenTelemetry spans the way MLflow 3.18's `log_spans` does.

Spans of one trace may come in several batches, in any order, and again after a restart:
a trace's `trace_info` row is made by the first of its spans (IN_PROGRESS until the root span
comes), spans are upserted by (trace id, span id), and every later batch widens the trace's
time range, sets its state, previews and session from the root when it comes, recomputes its
token counts over all its stored spans, and bumps `db_payload_generation`, as MLflow does.
`core.otlp.ingest` decides what to write; this module only reads and writes rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, case, delete, insert, select, update

from core.errors import StoreError
from core.store import schema as t
from core.store.dialect import insert_missing
from core.store.writer import bulk_insert, experiment_row

#: `trace_info` token columns, by `mlflow.chat.tokenUsage` key.
TOKEN_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)


def existing_traces(connection: Connection, trace_ids: Iterable[str]) -> dict[str, Any]:
    """The `trace_info` rows (id, experiment, timestamp, execution time, status, previews,
    session) of those of `trace_ids` that exist."""
    ti = t.trace_info
    rows = connection.execute(
        select(
            ti.c.request_id,
            ti.c.experiment_id,
            ti.c.timestamp_ms,
            ti.c.status,
            ti.c.request_preview,
            ti.c.response_preview,
            ti.c.session_id,
        ).where(ti.c.request_id.in_(list(trace_ids)))
    )
    return {row.request_id: row for row in rows}


def finalized(connection: Connection, trace_ids: Sequence[str]) -> set[str]:
    """Those of `trace_ids` whose info a client already wrote whole (MLflow's
    `mlflow.trace.infoFinalized` metadata): their times and counts are left alone."""
    m = t.trace_request_metadata
    return set(
        connection.execute(
            select(m.c.request_id).where(
                m.c.request_id.in_(list(trace_ids)), m.c.key == "mlflow.trace.infoFinalized"
            )
        ).scalars()
    )


def artifact_location(connection: Connection, experiment_id: str) -> str:
    """The experiment's artifact location (`NotFoundError` when there is no such experiment)."""
    return str(experiment_row(connection, experiment_id).artifact_location or "")


def create_trace(connection: Connection, values: Mapping[str, Any], location_tag: str) -> None:
    """A new `trace_info` row and its `mlflow.artifactLocation` tag."""
    bulk_insert(connection, t.trace_info, [dict(values)])
    bulk_insert(
        connection,
        t.trace_tags,
        [
            {
                "request_id": values["request_id"],
                "key": "mlflow.artifactLocation",
                "value": location_tag,
            }
        ],
    )


def upsert_spans(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert span rows, replacing any stored span with the same (trace id, span id)."""
    s = t.spans
    by_trace: dict[str, list[str]] = {}
    for row in rows:
        by_trace.setdefault(row["trace_id"], []).append(row["span_id"])
    for trace_id, span_ids in by_trace.items():
        for start in range(0, len(span_ids), 500):
            connection.execute(
                delete(s).where(
                    s.c.trace_id == trace_id, s.c.span_id.in_(span_ids[start : start + 500])
                )
            )
    bulk_insert(connection, s, rows)


def stored_span_usage(connection: Connection, trace_id: str) -> list[tuple[str, str | None, str]]:
    """(span id, parent id, content) of every stored span of a trace."""
    s = t.spans
    rows = connection.execute(
        select(s.c.span_id, s.c.parent_span_id, s.c.content).where(s.c.trace_id == trace_id)
    )
    return [(r.span_id, r.parent_span_id, r.content) for r in rows]


def update_trace(
    connection: Connection,
    trace_id: str,
    values: Mapping[str, Any],
    min_start_ms: int | None,
    max_end_ms: int | None,
) -> None:
    """Set `values` on a trace, widen its time range to [min_start_ms, max_end_ms] (None: keep
    the stored range) and bump `db_payload_generation`, in one UPDATE."""
    ti = t.trace_info
    changes: dict[Any, Any] = {ti.c[key]: value for key, value in values.items()}
    if min_start_ms is not None:
        start = case((ti.c.timestamp_ms > min_start_ms, min_start_ms), else_=ti.c.timestamp_ms)
        changes[ti.c.timestamp_ms] = start
        if max_end_ms is not None:
            stored_end = ti.c.timestamp_ms + ti.c.execution_time_ms
            end = case((stored_end > max_end_ms, stored_end), else_=max_end_ms)
            changes[ti.c.execution_time_ms] = end - start
    changes[ti.c.db_payload_generation] = ti.c.db_payload_generation + 1
    connection.execute(update(ti).where(ti.c.request_id == trace_id).values(changes))


def set_tags(connection: Connection, trace_id: str, tags: Mapping[str, str]) -> None:
    """Set trace tags (replacing a stored value of the same key)."""
    tt = t.trace_tags
    for key, value in tags.items():
        connection.execute(delete(tt).where(tt.c.request_id == trace_id, tt.c.key == key))
        connection.execute(insert(tt).values(request_id=trace_id, key=key, value=value))


def add_metadata_once(connection: Connection, trace_id: str, key: str, value: str) -> None:
    """Add a metadata entry unless the trace already has one under `key`."""
    insert_missing(
        connection, t.trace_request_metadata, {"request_id": trace_id, "key": key, "value": value}
    )


def require_spans_table(layout: t.Layout) -> None:
    """Refuse a store whose layout keeps spans outside the database (before MLflow 3.2)."""
    if not layout.spans_in_db:
        raise StoreError(
            "This store is an older MLflow layout without the `spans` table, so it cannot "
            "receive OpenTelemetry spans; upgrade it with `mlflow db upgrade` first."
        )
