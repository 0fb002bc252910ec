"""Received spans → rows of a writable store, as MLflow 3.18's `log_spans` writes them.

One call is one transaction for a whole request's spans (all or nothing, as MLflow's
endpoint). Per trace: the first batch makes `trace_info` (IN_PROGRESS until the root span
comes) with its `mlflow.artifactLocation` tag; every batch upserts its spans, widens the time
range, takes state, previews and trace tags from the root when it is there, recomputes token
counts over all the trace's stored spans, sets `session_id` (`session.id` or
`gen_ai.conversation.id`) and `mlflow.trace.user` (`user.id`), tags the trace
`mlflow.trace.spansLocation = TRACKING_STORE`, and copies the resource's attributes
(service.name, ...) into trace tags. One difference: `spans.type` holds the recognised span
type, where MLflow's endpoint leaves it NULL for spans of other SDKs. Not done: MLflow's
price table (`mlflow.llm.cost`, cost columns), and its SDK-specific translators (Spring AI,
LiveKit, Vercel AI, ...).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from core.errors import StoreError
from core.mlflow_keys import (
    INPUTS_KEY,
    MODEL_KEY,
    OUTPUTS_KEY,
    PROVIDER_KEY,
    SPAN_TYPE_KEY,
    SPANS_LOCATION_TAG,
    TOKEN_USAGE_KEY,
    TRACE_NAME_TAG,
    TRACE_USER_METADATA,
)
from core.otlp.decode import OtlpSpan
from core.store import otlp_spans as sql
from core.store.store import Store
from core.tracing.encode import preview, span_document

TRACE_TAG_PREFIX = "mlflow.traceTag."
#: Tags a client may not set through root span attributes (MLflow's `_HANDLER_BLOCKED_TRACE_TAGS`
#: and bookkeeping it owns).
_BLOCKED_TAGS = frozenset({"mlflow.artifactLocation", SPANS_LOCATION_TAG})
TAG_KEY_MAX = 250
TAG_VALUE_MAX = 8000
MODEL_DIMENSION_MAX = 500


class TraceElsewhereError(StoreError):
    """Spans of a trace that is stored in another experiment (never written across)."""


@dataclass(frozen=True)
class Stored:
    """What one batch did: spans written, traces touched, traces whose root came, and the
    traces new to the store."""

    spans: int
    traces: tuple[str, ...]
    completed: tuple[str, ...]
    created: tuple[str, ...] = ()
    #: When the earliest span of the batch started (ms): its traces start then or later.
    start_ms: int | None = None

    @property
    def added(self) -> int:
        """How many traces the store did not have before (what an import reports)."""
        return len(self.created)


def store_spans(store: Store, experiment_id: str, spans: Sequence[OtlpSpan]) -> Stored:
    """Write `spans` (of any traces) into experiment `experiment_id` in one transaction."""
    if not spans:
        return Stored(0, (), ())
    sql.require_spans_table(store.layout)
    writer = store.writer
    by_trace: dict[str, list[OtlpSpan]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
    documents = {(s.trace_id, s.span_id): span_document(s.content) for s in spans}

    def work(connection: Connection) -> Stored:
        return _write(connection, experiment_id, by_trace, documents)

    return writer.transaction(work)


def _write(
    connection: Connection,
    experiment_id: str,
    by_trace: Mapping[str, list[OtlpSpan]],
    documents: Mapping[tuple[str, str], str],
) -> Stored:
    trace_ids = sorted(by_trace)
    existing = sql.existing_traces(connection, trace_ids)
    foreign = [
        i for i in trace_ids if i in existing and str(existing[i].experiment_id) != experiment_id
    ]
    if foreign:
        raise TraceElsewhereError(
            f"Trace with ID '{foreign[0]}' already exists in another experiment."
        )
    location = None
    created = set()
    for trace_id in trace_ids:
        if trace_id in existing:
            continue
        if location is None:
            location = sql.artifact_location(connection, experiment_id)
        batch = by_trace[trace_id]
        start, end = _range_ms(batch)
        root = _root(batch)
        sql.create_trace(
            connection,
            {
                "request_id": trace_id,
                "experiment_id": int(experiment_id),
                "timestamp_ms": start,
                "execution_time_ms": end - start if end else None,
                "status": _state(root) or "IN_PROGRESS",
                "client_request_id": None,
                "db_payload_generation": 0,
            },
            f"{location}/traces/{trace_id}/artifacts",
        )
        created.add(trace_id)
    rows = [
        _span_row(s, experiment_id, documents[(s.trace_id, s.span_id)])
        for trace_id in trace_ids
        for s in by_trace[trace_id]
    ]
    sql.upsert_spans(connection, rows)
    done = sql.finalized(connection, [i for i in trace_ids if i not in created])
    completed = []
    for trace_id in trace_ids:
        batch = by_trace[trace_id]
        root = _root(batch)
        if root is not None:
            completed.append(trace_id)
        _update(connection, trace_id, batch, existing.get(trace_id), trace_id in done)
        tags = {SPANS_LOCATION_TAG: "TRACKING_STORE", **_resource_tags(batch)}
        tags.update(_root_tags(root))
        sql.set_tags(connection, trace_id, tags)
    start_ms = min(r["start_time_unix_nano"] for r in rows) // 1_000_000
    return Stored(len(rows), tuple(trace_ids), tuple(completed), tuple(sorted(created)), start_ms)


def _update(
    connection: Connection,
    trace_id: str,
    batch: Sequence[OtlpSpan],
    stored: Any,
    finalized: bool,
) -> None:
    root = _root(batch)
    values: dict[str, Any] = {}
    status = stored.status if stored is not None else None
    if status in (None, "IN_PROGRESS", "STATE_UNSPECIFIED") and (state := _state(root)):
        values["status"] = state
    if root is not None:
        attributes = root.attributes
        if (stored is None or stored.request_preview is None) and attributes.get(INPUTS_KEY):
            values["request_preview"] = preview(attributes[INPUTS_KEY], "user")
        if (stored is None or stored.response_preview is None) and attributes.get(OUTPUTS_KEY):
            values["response_preview"] = preview(attributes[OUTPUTS_KEY], "assistant")
        values["trace_name"] = _trace_name(root)
    if any(_usage(s.attributes) for s in batch):
        usage = aggregate_usage(
            [
                (span_id, parent, _usage(json.loads(content).get("attributes") or {}))
                for span_id, parent, content in sql.stored_span_usage(connection, trace_id)
            ]
        )
        for key in sql.TOKEN_COLUMNS:
            if usage and isinstance(usage.get(key), int):
                values[key] = usage[key]
    session = _first_value(batch, ("session.id", "gen_ai.conversation.id"))
    if session is not None and (stored is None or stored.session_id is None):
        values["session_id"] = str(session)[:250]
    user = _first_value(batch, ("user.id",))
    if user is not None:
        sql.add_metadata_once(connection, trace_id, TRACE_USER_METADATA, str(user))
    start, end = _range_ms(batch)
    if finalized:
        sql.update_trace(connection, trace_id, values, None, None)
    else:
        sql.update_trace(connection, trace_id, values, start, end)


def aggregate_usage(
    nodes: Sequence[tuple[str, str | None, Mapping[str, Any] | None]],
) -> dict[str, int] | None:
    """MLflow's tree-aware token sum: a span's usage counts unless an ancestor has usage
    (frameworks that put a run's total on the agent span would otherwise count twice)."""
    ids = {span_id for span_id, _parent, _usage in nodes}
    children: dict[str | None, list[tuple[str, str | None, Mapping[str, Any] | None]]] = (
        defaultdict(list)
    )
    for node in nodes:
        parent = node[1] if node[1] in ids else None
        children[parent].append(node)
    totals = dict.fromkeys(("input_tokens", "output_tokens", "total_tokens"), 0)
    found = False
    stack = list(children[None])
    while stack:
        span_id, _parent, usage = stack.pop()
        if usage:
            found = True
            for key, value in usage.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    totals[key] = totals.get(key, 0) + value
            continue
        stack.extend(children.get(span_id, ()))
    return totals if found else None


def _usage(attributes: Mapping[str, Any]) -> Mapping[str, Any] | None:
    raw = attributes.get(TOKEN_USAGE_KEY)
    if not raw:
        return None
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return None
    return value if isinstance(value, dict) and value else None


def _root(batch: Sequence[OtlpSpan]) -> OtlpSpan | None:
    return next((s for s in batch if s.parent_id is None), None)


def _state(root: OtlpSpan | None) -> str | None:
    if root is None:
        return None
    return "ERROR" if root.status == "ERROR" else "OK"


def _range_ms(batch: Sequence[OtlpSpan]) -> tuple[int, int | None]:
    start = min(s.start_ns for s in batch) // 1_000_000
    ends = [s.end_ns for s in batch if s.end_ns is not None]
    return start, (max(ends) // 1_000_000 if ends else None)


def _first_value(batch: Sequence[OtlpSpan], keys: Sequence[str]) -> Any:
    for span in batch:
        for key in keys:
            raw = span.attributes.get(key)
            if raw:
                return _loads(raw)
    return None


def _resource_tags(batch: Sequence[OtlpSpan]) -> dict[str, str]:
    """The resource's attributes as trace tags (not `telemetry.sdk.*` nor `mlflow.*`)."""
    resource = next((s.resource for s in batch if s.resource), {})
    tags = {}
    for key, value in resource.items():
        if key.startswith(("telemetry.sdk.", "mlflow.")):
            continue
        text = value if isinstance(value, str) else json.dumps(value)
        if _valid_tag(key, text):
            tags[key] = text
    return tags


def _trace_name(root: OtlpSpan) -> str:
    """The trace's name: the client's `mlflow.traceName` tag, else the root span's name (what
    MLflow's own tracer names a trace; its OTLP endpoint leaves other SDKs' traces unnamed,
    which leaves the trace list's Name column empty)."""
    return _root_tags(root)[TRACE_NAME_TAG]


def _root_tags(root: OtlpSpan | None) -> dict[str, str]:
    """Trace tags a client put on the root span as `mlflow.traceTag.<key>` attributes, and
    the trace's name (`_trace_name`)."""
    if root is None:
        return {}
    tags = {TRACE_NAME_TAG: root.name[:TAG_VALUE_MAX]}
    for key, raw in root.attributes.items():
        if key.startswith(TRACE_TAG_PREFIX):
            tag, value = key[len(TRACE_TAG_PREFIX) :], str(_loads(raw))
            if tag not in _BLOCKED_TAGS and _valid_tag(tag, value):
                tags[tag] = value
    return tags


def _valid_tag(key: str, value: str) -> bool:
    return 0 < len(key) <= TAG_KEY_MAX and len(value) <= TAG_VALUE_MAX


def _span_row(span: OtlpSpan, experiment_id: str, document: str) -> dict[str, Any]:
    attributes = span.attributes
    return {
        "trace_id": span.trace_id,
        "experiment_id": int(experiment_id),
        "span_id": span.span_id,
        "parent_span_id": span.parent_id,
        "name": span.name,
        # The recognised type. MLflow's endpoint fills this column from `mlflow.spanType` as
        # sent (NULL for other SDKs' spans), though its readers take the type from the
        # document; the column is what span filters (`span.type = 'LLM'`) and TraceDesk's
        # span tree read, so it gets the type the document says.
        "type": _text(attributes.get(SPAN_TYPE_KEY)),
        "status": span.status,
        "start_time_unix_nano": span.start_ns,
        "end_time_unix_nano": span.end_ns,
        "content": document,
        "model_name": _dimension(attributes.get(MODEL_KEY)),
        "model_provider": _dimension(attributes.get(PROVIDER_KEY)),
    }


def _text(raw: str | None) -> str | None:
    value = _loads(raw) if raw is not None else None
    return value if isinstance(value, str) else None


def _dimension(raw: str | None) -> str | None:
    value = _loads(raw) if raw is not None else None
    return value[:MODEL_DIMENSION_MAX] if isinstance(value, str) else None


def _loads(raw: str) -> Any:
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw
