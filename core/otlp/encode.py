"""OTLP/JSON files both ways: stored traces → an `ExportTraceServiceRequest` JSON document,
and such a document (or a file of them, one per line, as the Collector's file exporter
writes) → rows of a writable store.

Written by the OTLP/JSON rules (hex ids, enum numbers, camelCase, 64-bit integers as
strings). Attribute values go out as MLflow's own exporter sends them: a string, a number or
a boolean as itself, a list or object as its stored JSON text. Read back through the
receiver's decoding, that gives every attribute its stored text again, so a trace exported
and imported keeps its ids, spans, times, statuses, events and attributes. The trace's tags,
metadata and assessments are not spans and do not travel in OTLP.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from core.entities.span import Span
from core.entities.trace import Trace
from core.otlp.decode import JSON, TRACE_PREFIX, BadBody, parse_request, request_spans
from core.otlp.ingest import Stored, store_spans
from core.store.store import Store

SCOPE_NAME = "tracedesk"
_KINDS = {
    "SPAN_KIND_UNSPECIFIED": 0,
    "SPAN_KIND_INTERNAL": 1,
    "SPAN_KIND_SERVER": 2,
    "SPAN_KIND_CLIENT": 3,
    "SPAN_KIND_PRODUCER": 4,
    "SPAN_KIND_CONSUMER": 5,
}
_STATUS = {"UNSET": 0, "OK": 1, "ERROR": 2}


def traces_to_otlp_json(traces: Iterable[Trace]) -> dict[str, Any]:
    """One OTLP/JSON `ExportTraceServiceRequest` holding every span of `traces`."""
    spans = [span_to_otlp(span) for trace in traces for span in trace.data.spans]
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": []},
                "scopeSpans": [{"scope": {"name": SCOPE_NAME}, "spans": spans}],
            }
        ]
    }


def span_to_otlp(span: Span) -> dict[str, Any]:
    """One stored span as an OTLP/JSON span."""
    content = span.content
    out: dict[str, Any] = {
        "traceId": _trace_hex(span, content),
        "spanId": span.span_id,
        "name": span.name,
        "kind": _KINDS.get(str(content.get("kind")), 1),
        "startTimeUnixNano": str(span.start_time_ns),
        "attributes": [
            {"key": key, "value": _stored_value(raw)} for key, raw in span.raw_attributes.items()
        ],
        "status": {"code": _STATUS.get(span.status_code, 0)},
    }
    if span.parent_id:
        out["parentSpanId"] = span.parent_id
    if span.end_time_ns is not None:
        out["endTimeUnixNano"] = str(span.end_time_ns)
    if span.status_code == "ERROR" and span.status_message:
        out["status"]["message"] = span.status_message
    events = content.get("events")
    if isinstance(events, list) and events:
        out["events"] = [_event(e) for e in events if isinstance(e, Mapping)]
    links = content.get("links")
    if isinstance(links, list) and links:
        out["links"] = [_link(link) for link in links if isinstance(link, Mapping)]
    return out


def _trace_hex(span: Span, content: Mapping[str, Any]) -> str:
    raw = content.get("trace_id")
    if isinstance(raw, str) and raw:
        try:
            return base64.b64decode(raw).hex()
        except ValueError:
            pass
    return span.trace_id.removeprefix(TRACE_PREFIX)


def _stored_value(raw: Any) -> dict[str, Any]:
    """A stored attribute (JSON text) as the `AnyValue` MLflow's exporter sends for it."""
    if not isinstance(raw, str):
        return any_value(raw)
    try:
        value = json.loads(raw)
    except ValueError:
        return {"stringValue": raw}
    if isinstance(value, list | dict) or (isinstance(value, str) and _looks_like_json(value)):
        # sent as the stored text: the receiver stores such a string as the text it holds
        return {"stringValue": raw}
    return any_value(value)


def _looks_like_json(text: str) -> bool:
    try:
        return isinstance(json.loads(text), str | dict | list)
    except ValueError:
        return False


def any_value(value: Any) -> dict[str, Any]:
    """A Python value as an OTLP/JSON `AnyValue`."""
    if value is None:
        return {}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    if isinstance(value, Mapping):
        pairs = [{"key": str(k), "value": any_value(v)} for k, v in value.items()]
        return {"kvlistValue": {"values": pairs}}
    for kind, name in _SCALARS:  # bool before int: a bool is an int in Python
        if isinstance(value, kind):
            return {name: str(value) if name == "intValue" else value}
    return {"stringValue": str(value)}


_SCALARS = ((bool, "boolValue"), (int, "intValue"), (float, "doubleValue"), (str, "stringValue"))


def _event(event: Mapping[str, Any]) -> dict[str, Any]:
    attributes = event.get("attributes")
    return {
        "name": str(event.get("name", "")),
        "timeUnixNano": str(event.get("time_unix_nano") or 0),
        "attributes": [
            {"key": str(k), "value": any_value(v)}
            for k, v in (attributes.items() if isinstance(attributes, Mapping) else ())
        ],
    }


def _link(link: Mapping[str, Any]) -> dict[str, Any]:
    attributes = link.get("attributes")
    return {
        "traceId": str(link.get("trace_id", "")).removeprefix(TRACE_PREFIX),
        "spanId": str(link.get("span_id", "")),
        "attributes": [
            {"key": str(k), "value": any_value(v)}
            for k, v in (attributes.items() if isinstance(attributes, Mapping) else ())
        ],
    }


def import_otlp_json(store_or_client: Any, path: str | Path, experiment_id: str) -> Stored:
    """Store the spans of an OTLP/JSON file in experiment `experiment_id` of a writable store
    (a `Store` open for writing, or a client); `BadBody` says what is wrong with the file.

    The file holds one `ExportTraceServiceRequest` object, or one per line. All its spans are
    written in one transaction; importing the same file again changes nothing.
    """
    store = _writable(store_or_client)
    text = Path(path).read_text(encoding="utf-8")
    documents = _documents(text, str(path))
    spans = []
    for number, document in enumerate(documents, 1):
        try:
            spans.extend(request_spans(parse_request(document.encode("utf-8"), JSON)))
        except BadBody as error:
            where = f" (request {number})" if len(documents) > 1 else ""
            raise BadBody(f"{path}{where}: {error}") from error
    return store_spans(store, experiment_id, spans)


def _documents(text: str, name: str) -> list[str]:
    stripped = text.strip()
    if not stripped:
        raise BadBody(f"{name} is empty.")
    try:
        json.loads(stripped)
    except ValueError:
        return [line for line in stripped.splitlines() if line.strip()]
    return [stripped]


def _writable(store_or_client: Any) -> Store:
    if isinstance(store_or_client, Store):
        return store_or_client
    writable = getattr(store_or_client, "writable_store", None)
    if callable(writable):
        store = writable()
        if isinstance(store, Store):
            return store
    raise TypeError(f"Expected a Store or a client, not {type(store_or_client).__name__}.")
