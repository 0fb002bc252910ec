"""MLflow's span dictionaries (`Span.to_dict()`, `traces.json`) decoded into `Span` fields.

Two shapes exist: MLflow 3's OTel-like one (base64 ids, `status.code = STATUS_CODE_OK`) and
MLflow 2's (`context`, `parent_id`, `status_code`, events with `timestamp`), which is turned into
the first so that every `Span` document has one shape. Ids become hex, as in MLflow's columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from core.entities.ids import base64_to_hex, hex_to_base64
from core.jsonutil import decode_attribute
from core.mlflow_keys import SPAN_TYPE_KEY, TRACE_REQUEST_ID_KEY

_HEX = frozenset("0123456789abcdefABCDEF")


class SpanFields(NamedTuple):
    """`Span`'s constructor arguments, in order."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    span_type: str | None
    status_code: str
    start_time_ns: int
    end_time_ns: int | None
    document: dict[str, Any]


def status_code_of(code: Any) -> str:
    """`STATUS_CODE_OK` (or MLflow 3.5's `OK`) → `OK`; anything unknown is `UNSET`."""
    text = str(code or "").removeprefix("STATUS_CODE_")
    return text if text in ("OK", "ERROR", "UNSET") else "UNSET"


def span_fields(raw: Mapping[str, Any], trace_id: str | None = None) -> SpanFields:
    """The fields of a span dictionary of either shape.

    `trace_id` is the trace's id as its `trace_info` row has it; without it, the span's
    `mlflow.traceRequestId` attribute is used, else `tr-` + its OTel trace id (as MLflow 3).
    Raises KeyError, TypeError or ValueError for a dictionary that is no span.
    """
    if "context" in raw:
        return _from_v2(raw, trace_id)
    return _from_v3(raw, trace_id)


def id_to_hex(value: Any) -> str | None:
    """A span or trace id as hex: base64 (3.x), hex (2.x) or empty (no parent)."""
    if not value:
        return None
    text = str(value)
    if len(text) in (16, 32) and _HEX.issuperset(text):
        return text.lower()
    if text[:2] in ("0x", "0X") and _HEX.issuperset(text[2:]):  # as MLflow's `int(id, 16)`
        digits = text[2:].lower()
        return digits.rjust(16 if len(digits) <= 16 else 32, "0")
    return base64_to_hex(text)


def _span_type(attributes: Mapping[str, Any]) -> str | None:
    value = decode_attribute(attributes.get(SPAN_TYPE_KEY))
    return value if isinstance(value, str) else None


def _trace_id(attributes: Mapping[str, Any], otel_trace_id: Any, given: str | None) -> str:
    if given:
        return given
    recorded = decode_attribute(attributes.get(TRACE_REQUEST_ID_KEY))
    if isinstance(recorded, str) and recorded:
        return recorded
    return "tr-" + (id_to_hex(otel_trace_id) or "")


def _optional_int(value: Any) -> int | None:
    return int(value) if value is not None else None


def _attributes(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    attributes = raw.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        raise TypeError("the span's attributes are not an object")
    return attributes


def _from_v3(raw: Mapping[str, Any], trace_id: str | None) -> SpanFields:
    attributes = _attributes(raw)
    status = raw.get("status") or {}
    document = dict(raw)
    document["parent_span_id"] = raw.get("parent_span_id") or None
    document.setdefault("events", [])
    return SpanFields(
        trace_id=_trace_id(attributes, raw.get("trace_id"), trace_id),
        span_id=id_to_hex(raw["span_id"]) or "",
        parent_id=id_to_hex(raw.get("parent_span_id")),
        name=str(raw.get("name", "")),
        span_type=_span_type(attributes),
        status_code=status_code_of(status.get("code") if isinstance(status, Mapping) else None),
        start_time_ns=int(raw["start_time_unix_nano"]),
        end_time_ns=_optional_int(raw.get("end_time_unix_nano")),
        document=document,
    )


def _from_v2(raw: Mapping[str, Any], trace_id: str | None) -> SpanFields:
    """MLflow 2.x: `context`, `parent_id`, `start_time`, `status_code`, events with `timestamp`."""
    context = raw["context"]
    span_id = id_to_hex(context["span_id"]) or ""
    attributes = _attributes(raw)
    otel_trace = id_to_hex(context.get("trace_id")) or (trace_id or "").removeprefix("tr-")
    parent = id_to_hex(raw.get("parent_id"))
    status_code = status_code_of(raw.get("status_code"))
    events = [
        {
            "name": e.get("name", ""),
            "time_unix_nano": e.get("timestamp", 0),
            "attributes": e.get("attributes") or {},
        }
        for e in raw.get("events") or []
        if isinstance(e, Mapping)
    ]
    document = {
        "trace_id": hex_to_base64(otel_trace.rjust(32, "0")),
        "span_id": hex_to_base64(span_id),
        "parent_span_id": hex_to_base64(parent) if parent else None,
        "name": raw.get("name", ""),
        "start_time_unix_nano": raw.get("start_time"),
        "end_time_unix_nano": raw.get("end_time"),
        "events": events,
        "status": {
            "code": f"STATUS_CODE_{status_code}",
            "message": raw.get("status_message") or "",
        },
        "attributes": dict(attributes),
    }
    return SpanFields(
        trace_id=_trace_id(attributes, otel_trace, trace_id),
        span_id=span_id,
        parent_id=parent,
        name=str(raw.get("name", "")),
        span_type=_span_type(attributes),
        status_code=status_code,
        start_time_ns=int(raw["start_time"]),
        end_time_ns=_optional_int(raw.get("end_time")),
        document=document,
    )
