"""A finished trace as the rows MLflow 3.18 writes: trace_info, tags, metadata, spans.

The rules (previews, the 250-character metadata copies, token sums, size stats) follow
SCHEMA.md §1/§3 and were checked against databases real MLflow wrote.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import Any

import orjson

from core.jsonutil import decode_attribute
from core.mlflow_keys import (
    ARTIFACT_LOCATION_TAG,
    INFO_FINALIZED_METADATA,
    INPUTS_KEY,
    INPUTS_METADATA,
    LINKED_PROMPTS_TAG,
    MODEL_KEY,
    OUTPUTS_KEY,
    OUTPUTS_METADATA,
    PROVIDER_KEY,
    SCHEMA_VERSION_METADATA,
    SESSION_METADATA,
    SIZE_BYTES_METADATA,
    SIZE_STATS_METADATA,
    SPANS_LOCATION_TAG,
    TOKEN_USAGE_KEY,
    TRACE_NAME_TAG,
)
from core.run_context import source_metadata
from core.tracing.live_span import LiveSpan
from core.tracing.record import TraceRecord

PREVIEW_MAX = 1000
METADATA_COPY_MAX = 250
TOKEN_FIELDS = ("input_tokens", "output_tokens", "total_tokens")


@dataclass(frozen=True)
class TraceRows:
    """Everything one trace adds to the database, ready for `StoreWriter.insert_traces`."""

    trace_id: str
    experiment_id: str
    info: dict[str, Any]
    tags: dict[str, str]
    metadata: dict[str, str]
    spans: list[dict[str, Any]]
    #: `entity_associations` rows (trace → prompt version, trace → run).
    associations: list[dict[str, Any]] = field(default_factory=list)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def preview(raw: str | None, role: str) -> str | None:
    """MLflow's preview: the last `role` message's text for chat payloads, else the JSON."""
    if raw is None:
        return None
    content = message_text(decode_attribute(raw), role)
    return cut((content or raw).replace("\x00", "\ufffd"), PREVIEW_MAX)


def message_text(value: Any, role: str) -> str | None:
    messages = _messages(value)
    if not messages:
        return None
    chosen = next((m for m in reversed(messages) if m.get("role") == role), messages[-1])
    content = chosen.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        for part in content:
            if isinstance(part, str):
                return part
            if isinstance(part, Mapping) and part.get("type") in ("text", "output_text"):
                text = part.get("text")
                return text if isinstance(text, str) else ""
    return ""


def _messages(value: Any) -> list[Mapping[str, Any]] | None:
    """Chat messages in OpenAI chat or Responses shape (also inside a ResponsesAgent request)."""
    if not isinstance(value, Mapping):
        return None

    def is_message(item: Any) -> bool:
        return isinstance(item, Mapping) and "role" in item and "content" in item

    for key in ("messages", "input", "output"):
        items = value.get(key)
        if items and isinstance(items, list):
            return [m for m in items if is_message(m)]
    choices = value.get("choices")
    if choices and isinstance(choices, list) and isinstance(choices[0], Mapping):
        message = choices[0].get("message")
        if isinstance(message, Mapping) and is_message(message):
            return [message]
    if "request" in value:
        return _messages(value["request"])
    return None


def token_usage(spans: Sequence[LiveSpan]) -> dict[str, int]:
    """Sum `mlflow.chat.tokenUsage` over spans, skipping spans whose ancestor already counts."""
    by_id = {s.span_id: s for s in spans}
    usage = {s.span_id: decode_attribute(s.attributes.get(TOKEN_USAGE_KEY)) for s in spans}
    totals: dict[str, int] = {}
    for span in spans:
        value = usage.get(span.span_id)
        if not isinstance(value, Mapping) or _ancestor_has_usage(span, by_id, usage):
            continue
        for key in TOKEN_FIELDS:
            if isinstance(value.get(key), int):
                totals[key] = totals.get(key, 0) + value[key]
    return totals


def _ancestor_has_usage(
    span: LiveSpan, by_id: Mapping[str, LiveSpan], usage: Mapping[str, Any]
) -> bool:
    parent = by_id.get(span.parent_id or "")
    while parent is not None:
        if isinstance(usage.get(parent.span_id), Mapping):
            return True
        parent = by_id.get(parent.parent_id or "")
    return False


def span_document(content: Mapping[str, Any]) -> str:
    """`json.dumps(content, ensure_ascii=False)`: the span document MLflow writes, made faster.

    Most of a large document is its attribute values, JSON text escaped once more as JSON
    strings (SCHEMA.md §1). orjson escapes an ASCII string exactly as `json` does, in half
    the time, so large attributes are escaped by orjson and the document assembled around
    them; small ones are not worth the assembling.
    """
    attributes = content.get("attributes")
    if not isinstance(attributes, Mapping) or not _worth_escaping_apart(attributes):
        return _DOCUMENT.encode(content)
    keys = list(content)
    at = keys.index("attributes")
    pairs = ", ".join(f"{_json_string(k)}: {_json_string(v)}" for k, v in attributes.items())
    parts = [f'"attributes": {{{pairs}}}']
    before, after = keys[:at], keys[at + 1 :]
    if before:  # `json.dumps` of a dict is "{" + its items joined by ", " + "}"
        parts.insert(0, _DOCUMENT.encode({k: content[k] for k in before})[1:-1])
    if after:
        parts.append(_DOCUMENT.encode({k: content[k] for k in after})[1:-1])
    return "{" + ", ".join(parts) + "}"


#: Attribute values of at least this many characters in all are escaped by orjson.
ESCAPE_APART_MIN_CHARS = 2048
_DOCUMENT = json.JSONEncoder(ensure_ascii=False)


def _worth_escaping_apart(attributes: Mapping[Any, Any]) -> bool:
    total = 0
    for key, value in attributes.items():
        if not isinstance(key, str) or not isinstance(value, str):
            return False
        total += len(value)
    return total >= ESCAPE_APART_MIN_CHARS


def _json_string(text: str) -> str:
    """`text` as the JSON string `json.dumps(text, ensure_ascii=False)` writes."""
    if text.isascii():
        return orjson.dumps(text).decode()
    return str(encode_basestring(text))


def size_stats(span_documents: Sequence[str], info_size: int) -> dict[str, int]:
    sizes = sorted(len(d) if d.isascii() else len(d.encode("utf-8")) for d in span_documents)
    sizes = sizes or [0]

    def percentile(fraction: float) -> int:
        position = (len(sizes) - 1) * fraction
        low = int(position)
        high = min(low + 1, len(sizes) - 1)
        return int(sizes[low] + (sizes[high] - sizes[low]) * (position - low))

    total = sum(sizes) + info_size + 2 * (len(sizes) - 1)
    return {
        "total_size_bytes": total,
        "num_spans": len(span_documents),
        "max": sizes[-1],
        "p25": percentile(0.25),
        "p50": percentile(0.50),
        "p75": percentile(0.75),
    }


def encode_trace(record: TraceRecord, experiment_id: str, artifact_location: str) -> TraceRows:
    """Rows for a finished trace in experiment `experiment_id`."""
    spans = list(record.spans)
    root = record.root
    documents = [span_document(s.to_content()) for s in spans]
    start_ns = root.start_time_ns if root else min(s.start_time_ns for s in spans)
    end_ns = (
        root.end_time_ns
        if root and root.end_time_ns
        else max(s.end_time_ns or start_ns for s in spans)
    )
    raw_inputs = root.attributes.get(INPUTS_KEY) if root else None
    raw_outputs = root.attributes.get(OUTPUTS_KEY) if root else None
    usage = token_usage(spans)
    metadata = {
        SCHEMA_VERSION_METADATA: "3",
        **source_metadata(),
        INPUTS_METADATA: cut(raw_inputs or "", METADATA_COPY_MAX),
        OUTPUTS_METADATA: cut(raw_outputs or "", METADATA_COPY_MAX),
        **record.metadata,
        INFO_FINALIZED_METADATA: "true",
    }
    session_id = metadata.pop(SESSION_METADATA, None)
    info = {
        "request_id": record.trace_id,
        "experiment_id": int(experiment_id),
        "timestamp_ms": start_ns // 1_000_000,
        "execution_time_ms": max(0, (end_ns - start_ns) // 1_000_000),
        "status": _state(root),
        "client_request_id": record.client_request_id,
        "request_preview": record.request_preview or preview(raw_inputs, "user"),
        "response_preview": record.response_preview or preview(raw_outputs, "assistant"),
        "db_payload_generation": 2,
        "trace_name": root.name if root else None,
        "session_id": session_id,
        **{k: usage.get(k) for k in TOKEN_FIELDS},
    }
    stats = size_stats(documents, len(json.dumps(info, default=str)) + len(json.dumps(metadata)))
    metadata[SIZE_BYTES_METADATA] = str(stats["total_size_bytes"])
    metadata[SIZE_STATS_METADATA] = json.dumps(stats)
    tags = {
        **record.tags,
        ARTIFACT_LOCATION_TAG: f"{artifact_location}/traces/{record.trace_id}/artifacts",
        SPANS_LOCATION_TAG: "TRACKING_STORE",
    }
    tags.pop(TRACE_NAME_TAG, None)
    rows = [_span_row(s, d, experiment_id) for s, d in zip(spans, documents, strict=True)]
    links = _associations(record.trace_id, tags, record.linked_runs, start_ns // 1_000_000)
    return TraceRows(record.trace_id, experiment_id, info, tags, metadata, rows, links)


def _associations(
    trace_id: str, tags: dict[str, str], runs: Sequence[str], now_ms: int
) -> list[dict[str, Any]]:
    """What MLflow links a trace to: the prompt versions it loaded and its evaluation run."""
    targets = []
    linked = decode_attribute(tags.get(LINKED_PROMPTS_TAG, "[]"))
    for entry in linked if isinstance(linked, list) else []:
        if isinstance(entry, Mapping) and "name" in entry and "version" in entry:
            targets.append(("prompt_version", f"{entry['name']}/{entry['version']}"))
    targets.extend(("run", run_id) for run_id in runs)
    return [
        {
            "association_id": uuid.uuid4().hex,
            "source_type": "trace",
            "source_id": trace_id,
            "destination_type": kind,
            "destination_id": target,
            "created_time": now_ms,
        }
        for kind, target in targets
    ]


def _state(root: LiveSpan | None) -> str:
    if root is None:
        return "IN_PROGRESS"
    return "ERROR" if root.status_code == "ERROR" else "OK"


def _span_row(span: LiveSpan, document: str, experiment_id: str) -> dict[str, Any]:
    model = span.get_attribute(MODEL_KEY)
    provider = span.get_attribute(PROVIDER_KEY)
    return {
        "trace_id": span.trace_id,
        "experiment_id": int(experiment_id),
        "span_id": span.span_id,
        "parent_span_id": span.parent_id,
        "name": span.name,
        "type": span.span_type,
        "status": span.status_code,
        "start_time_unix_nano": span.start_time_ns,
        "end_time_unix_nano": span.end_time_ns,
        "content": document,
        "model_name": model if isinstance(model, str) else None,
        "model_provider": provider if isinstance(provider, str) else None,
    }
