"""A just-recorded trace as a `Trace` entity, without waiting for the database.

Scorers receive the row's trace. The trace of a prediction is still on its way to the database
(it is written in the background), so it is built here from the same rows the writer stores
(`encode_trace`): what a scorer sees is what `core.get_trace` will return later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.entities import Span, Trace, TraceData, TraceInfo
from core.store.columns import restore_column_facts
from core.store.span_codec import span_from_row, tree_order
from core.tracing.encode import TraceRows, encode_trace
from core.tracing.record import TraceRecord


def recorded_trace(record: TraceRecord, artifact_location: str) -> Trace:
    """The `Trace` of a finished record, as it will read back from the store."""
    with record.lock:
        experiment_id = record.experiment_id
        rows = encode_trace(record, experiment_id, artifact_location)
    return trace_of_rows(rows)


def trace_of_rows(rows: TraceRows) -> Trace:
    """A `Trace` of the rows `encode_trace` made (tags/metadata restored as the reader does)."""
    info = rows.info
    tags, metadata = _restored(rows)
    trace_info = TraceInfo(
        trace_id=rows.trace_id,
        experiment_id=rows.experiment_id,
        request_time=int(info["timestamp_ms"]),
        execution_duration=info["execution_time_ms"],
        state=info["status"],
        client_request_id=info.get("client_request_id"),
        request_preview=info.get("request_preview"),
        response_preview=info.get("response_preview"),
        trace_metadata=metadata,
        tags=tags,
    )
    spans = [_span(rows.trace_id, row) for row in rows.spans]
    return Trace(info=trace_info, data=TraceData(tuple(tree_order(spans))))


def _restored(rows: TraceRows) -> tuple[dict[str, str], dict[str, str]]:
    """Tags and metadata with what MLflow ≥ 3.2 keeps in columns put back, as the reader does."""
    tags, metadata = dict(rows.tags), dict(rows.metadata)
    restore_column_facts(rows.info, tags, metadata)
    return tags, metadata


def _span(trace_id: str, row: Mapping[str, Any]) -> Span:
    columns = ("span_id", "parent_span_id", "name", "type", "status")
    times = ("start_time_unix_nano", "end_time_unix_nano", "content")
    return span_from_row(trace_id, tuple(row[c] for c in (*columns, *times)))
