"""Spans from where MLflow keeps them: `spans` rows (3.2+) or `traces.json` files (older).

Everything is turned into `core.entities.Span` with hex ids and a document in MLflow 3's
shape. Rows keep their JSON text undecoded; the tree needs only the columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import Any

from core.entities import SPAN_TYPE_KEY, PayloadSource, Span, base64_to_hex, hex_to_base64
from core.jsonutil import decode_attribute

_START_AND_ID = attrgetter("start_time_ns", "span_id")
_STATUS_FROM_OTEL = {
    "STATUS_CODE_OK": "OK",
    "STATUS_CODE_ERROR": "ERROR",
    "STATUS_CODE_UNSET": "UNSET",
}


def span_from_row(trace_id: str, row: Sequence[Any], payloads: PayloadSource | None = None) -> Span:
    """A span from a `spans` row (MLflow ≥ 3.2): columns now, JSON later.

    `row` is `(span_id, parent_span_id, name, type, status, start_ns, end_ns, content)`, or
    without `content` when `payloads` will provide it on first access. The JSON is checked only
    when first read (`Span.decode_error`). Kept lean: a 10,000-span trace calls this 10,000
    times.
    """
    status = row[4]
    return Span(
        trace_id,
        row[0],
        row[1] or None,
        row[2] or "",
        row[3],
        _STATUS_FROM_OTEL.get(status, status or "UNSET"),
        row[5],
        row[6],
        payloads if payloads is not None else row[7] or "",
    )


def spans_from_traces_json(trace_id: str, document: Any) -> tuple[list[Span], list[str]]:
    """Spans from a parsed `traces.json` (3.x OTel shape or 2.x shape); also returns problems."""
    if not isinstance(document, Mapping) or not isinstance(document.get("spans"), list):
        return [], ["traces.json holds no list of spans"]
    spans: list[Span] = []
    problems: list[str] = []
    for index, raw in enumerate(document["spans"]):
        try:
            if not isinstance(raw, Mapping):
                raise TypeError("not an object")
            spans.append(
                _span_from_v2(trace_id, raw) if "context" in raw else _span_from_v3(trace_id, raw)
            )
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"span #{index + 1} in traces.json cannot be read ({exc})")
    return spans, problems


def _id_to_hex(value: Any) -> str | None:
    """Span ids in traces.json are base64 (3.x) or hex (2.x); empty means no parent."""
    if not value:
        return None
    text = str(value)
    if len(text) in (16, 32) and all(c in "0123456789abcdefABCDEF" for c in text):
        return text.lower()
    return base64_to_hex(text)


def _span_type(attributes: Mapping[str, Any]) -> str | None:
    value = decode_attribute(attributes.get(SPAN_TYPE_KEY))
    return value if isinstance(value, str) else None


def _span_from_v3(trace_id: str, raw: Mapping[str, Any]) -> Span:
    attributes = raw.get("attributes") or {}
    status = raw.get("status") or {}
    document = dict(raw)
    parent = _id_to_hex(raw.get("parent_span_id"))
    document["parent_span_id"] = raw.get("parent_span_id") or None
    document.setdefault("events", [])
    return Span(
        trace_id=trace_id,
        span_id=_id_to_hex(raw["span_id"]) or "",
        parent_id=parent,
        name=str(raw.get("name", "")),
        span_type=_span_type(attributes),
        status_code=_STATUS_FROM_OTEL.get(str(status.get("code", "")), "UNSET"),
        start_time_ns=int(raw["start_time_unix_nano"]),
        end_time_ns=_optional_int(raw.get("end_time_unix_nano")),
        document=document,
    )


def _span_from_v2(trace_id: str, raw: Mapping[str, Any]) -> Span:
    """MLflow 2.x: `context`, `parent_id`, `start_time`, `status_code`, events with `timestamp`."""
    context = raw["context"]
    span_id = _id_to_hex(context["span_id"]) or ""
    otel_trace = _id_to_hex(context.get("trace_id")) or trace_id.removeprefix("tr-")
    parent = _id_to_hex(raw.get("parent_id"))
    attributes = raw.get("attributes") or {}
    status_code = str(raw.get("status_code") or "UNSET").removeprefix("STATUS_CODE_")
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
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_id=parent,
        name=str(raw.get("name", "")),
        span_type=_span_type(attributes),
        status_code=status_code,
        start_time_ns=int(raw["start_time"]),
        end_time_ns=_optional_int(raw.get("end_time")),
        document=document,
    )


def _optional_int(value: Any) -> int | None:
    return int(value) if value is not None else None


def tree_order(spans: Sequence[Span]) -> list[Span]:
    """Spans in depth-first order: roots first, siblings by start time (then id).

    A span whose parent was never recorded is a root. Spans whose parents form a loop (bad
    data) are reached from no root: each loop is shown from its earliest span, so none is lost
    and nothing is walked twice.
    """
    by_start = sorted(spans, key=_START_AND_ID)  # one sort in C; stable for equal keys
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[Span]] = {}
    for span in by_start:
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)
    ordered: list[Span] = []
    placed: set[int] = set()  # by identity: two spans may share an id
    for start in (children.get(None, []), by_start):
        stack = start[::-1]
        while stack:
            span = stack.pop()
            if id(span) in placed:
                continue
            placed.add(id(span))
            ordered.append(span)
            kids = children.get(span.span_id)
            if kids:
                stack.extend(reversed(kids))
        if len(ordered) == len(spans):
            break
    return ordered
