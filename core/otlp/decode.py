"""OTLP/HTTP trace bodies (protobuf or JSON, gzip or deflate) → spans in MLflow's stored form.

A span becomes the document MLflow 3.18's `/v1/traces` endpoint stores in `spans.content`
(`Span.from_otel_proto`, then `strip_otlp_double_encoding`, then the attribute conventions of
`core.otlp.conventions`): base64 ids, `SPAN_KIND_*` and `STATUS_CODE_*` names, every attribute
value as JSON text, and `mlflow.traceRequestId` = `tr-<hex trace id>`.

OTLP/JSON is read by its own rules (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
trace and span ids are hex, not the base64 of protobuf's JSON mapping.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.json_format import ParseDict
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status as ProtoStatus

from core.mlflow_keys import (
    ARCHIVAL_FAILURE_TAG,
    ARCHIVE_LOCATION_TAG,
    ARTIFACT_LOCATION_TAG,
    SPANS_LOCATION_TAG,
    TRACE_REQUEST_ID_KEY,
)
from core.otlp.conventions import translate

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
#: The prefix of MLflow's `tr-<hex>` trace ids, made from the OpenTelemetry trace id.
TRACE_PREFIX = "tr-"
_ID_FIELDS = ("traceId", "spanId", "parentSpanId")
#: Root span attributes MLflow's endpoint drops: trace tags only the store may set.
BLOCKED_ROOT_ATTRIBUTES = tuple(
    f"mlflow.traceTag.{tag}"
    for tag in (
        ARTIFACT_LOCATION_TAG,
        SPANS_LOCATION_TAG,
        ARCHIVE_LOCATION_TAG,
        ARCHIVAL_FAILURE_TAG,
    )
)


class BadBody(ValueError):
    """A request body that is not an OTLP trace export; `status` is the HTTP answer."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class OtlpSpan:
    """One received span: its ids and times, and the document MLflow stores for it."""

    trace_id: str  # tr-<32 hex>
    span_id: str  # 16 hex
    parent_id: str | None
    name: str
    status: str  # OK, ERROR, UNSET
    start_ns: int
    end_ns: int | None
    content: dict[str, Any]
    #: The OpenTelemetry resource's attributes (service.name, ...), decoded.
    resource: Mapping[str, Any] = field(default_factory=dict)

    @property
    def attributes(self) -> dict[str, str]:
        attributes: dict[str, str] = self.content["attributes"]
        return attributes


#: The most bytes a compressed body may grow to by default.
DECOMPRESSED_MAX = 64 << 20


def read_body(
    body: bytes,
    content_type: str | None,
    encoding: str | None = None,
    *,
    limit: int = DECOMPRESSED_MAX,
) -> list[OtlpSpan]:
    """The spans of an OTLP/HTTP trace export body; `BadBody` says what is wrong with it."""
    return request_spans(parse_request(body, content_type, encoding, limit=limit))


def parse_request(
    body: bytes,
    content_type: str | None,
    encoding: str | None = None,
    *,
    limit: int = DECOMPRESSED_MAX,
) -> ExportTraceServiceRequest:
    """Decompress (to at most `limit` bytes) and parse a body as an
    `ExportTraceServiceRequest`."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in (PROTOBUF, JSON):
        raise BadBody(
            f"Content-Type {content_type or '(none)'} is not an OTLP body: send "
            f"{PROTOBUF} or {JSON}.",
            415,
        )
    body = decompress(body, (encoding or "").strip().lower(), limit)
    request = ExportTraceServiceRequest()
    if media == JSON:
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, ValueError) as error:
            raise BadBody(f"The body is not JSON ({error}).") from error
        if not isinstance(document, dict):
            raise BadBody("The body is not an OTLP/JSON ExportTraceServiceRequest object.")
        document = hex_ids_to_base64(document)
        try:
            ParseDict(document, request, ignore_unknown_fields=True)
        except Exception as error:  # json_format raises ParseError and a few others
            raise BadBody(f"The body is not an OTLP/JSON trace export ({error}).") from error
        return request
    try:
        request.ParseFromString(body)
    except (DecodeError, ValueError, RuntimeError) as error:
        raise BadBody(f"The body is not an OTLP protobuf trace export ({error}).") from error
    return request


def decompress(body: bytes, encoding: str, limit: int = DECOMPRESSED_MAX) -> bytes:
    """`body` decoded from `encoding` (gzip, deflate or none), refused beyond `limit` bytes
    (a small compressed body may expand enormously)."""
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        tries = [16 + zlib.MAX_WBITS]
    elif encoding == "deflate":
        tries = [zlib.MAX_WBITS, -zlib.MAX_WBITS]  # zlib-wrapped, or raw as some clients send
    else:
        raise BadBody(
            f"Content-Encoding {encoding} is not supported: send gzip, deflate or none.", 415
        )
    error: Exception | None = None
    for wbits in tries:
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(body, limit + 1)
        except zlib.error as failed:
            error = failed
            continue
        if len(out) > limit:
            raise BadBody(f"The body decompresses to more than {limit} bytes.", 413)
        if not inflater.eof:
            error = zlib.error("the compressed data is truncated")
            continue
        return out
    raise BadBody(f"The body could not be decompressed as {encoding} ({error}).")


def hex_ids_to_base64(document: dict[str, Any]) -> dict[str, Any]:
    """OTLP/JSON's hex ids as the base64 protobuf's JSON mapping reads (in place)."""
    for resource_spans in _list(document.get("resourceSpans")):
        for scope_spans in _list(_dict(resource_spans).get("scopeSpans")):
            for span in _list(_dict(scope_spans).get("spans")):
                for item in [_dict(span), *map(_dict, _list(_dict(span).get("links")))]:
                    for name in _ID_FIELDS:
                        value = item.get(name)
                        if isinstance(value, str) and value:
                            item[name] = _hex_to_base64(value, name)
    return document


def _hex_to_base64(value: str, name: str) -> str:
    try:
        return base64.b64encode(bytes.fromhex(value)).decode("ascii")
    except ValueError as error:
        raise BadBody(f"{name} {value[:40]!r} is not hex, as OTLP/JSON ids are.") from error


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadBody("The body is not an OTLP/JSON trace export (a list is not a list).")
    return value


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadBody("The body is not an OTLP/JSON trace export (an object is not an object).")
    return value


def request_spans(request: ExportTraceServiceRequest) -> list[OtlpSpan]:
    """Every span of `request`, converted; `BadBody` for a span with no trace or span id."""
    spans = []
    for resource_spans in request.resource_spans:
        resource = {a.key: any_value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for proto in scope_spans.spans:
                spans.append(convert(proto, resource))
    return spans


def convert(proto: ProtoSpan, resource: Mapping[str, Any]) -> OtlpSpan:
    """One protobuf span as MLflow 3.18's endpoint stores it."""
    if len(proto.trace_id) != 16 or not any(proto.trace_id):
        raise BadBody(f"Span {proto.name[:80]!r} has no valid 16-byte trace id.")
    if len(proto.span_id) != 8 or not any(proto.span_id):
        raise BadBody(f"Span {proto.name[:80]!r} has no valid 8-byte span id.")
    trace_hex = proto.trace_id.hex()
    span_hex = proto.span_id.hex()
    parent_hex = proto.parent_span_id.hex() if any(proto.parent_span_id) else None
    trace_id = TRACE_PREFIX + trace_hex
    attributes = {a.key: _dump(any_value(a.value)) for a in proto.attributes}
    attributes[TRACE_REQUEST_ID_KEY] = _dump(trace_id)
    attributes = strip_double_encoding(attributes)
    if parent_hex is None:
        for key in BLOCKED_ROOT_ATTRIBUTES:
            attributes.pop(key, None)
    translate(attributes)
    status = _STATUS.get(proto.status.code, "UNSET")
    content = {
        "trace_id": _b64(proto.trace_id),
        "span_id": _b64(proto.span_id),
        "parent_span_id": _b64(proto.parent_span_id) if parent_hex else None,
        "name": proto.name,
        "kind": ProtoSpan.SpanKind.Name(proto.kind),
        "start_time_unix_nano": proto.start_time_unix_nano,
        "end_time_unix_nano": proto.end_time_unix_nano or None,
        "events": [
            {
                "name": event.name,
                "time_unix_nano": event.time_unix_nano,
                "attributes": {a.key: any_value(a.value) for a in event.attributes},
            }
            for event in proto.events
        ],
        # OpenTelemetry keeps a status message for errors only.
        "status": {
            "code": f"STATUS_CODE_{status}",
            "message": proto.status.message if status == "ERROR" else "",
        },
        "attributes": attributes,
        "links": [_link(link, trace_id) for link in proto.links],
    }
    return OtlpSpan(
        trace_id=trace_id,
        span_id=span_hex,
        parent_id=parent_hex,
        name=proto.name,
        status=status,
        start_ns=proto.start_time_unix_nano,
        end_ns=proto.end_time_unix_nano or None,
        content=content,
        resource=resource,
    )


_STATUS = {ProtoStatus.STATUS_CODE_OK: "OK", ProtoStatus.STATUS_CODE_ERROR: "ERROR"}


def _link(link: Any, own_trace_id: str) -> dict[str, Any]:
    """A link as MLflow's `Link.to_dict` keeps it (the trace id as an MLflow trace id)."""
    linked = TRACE_PREFIX + link.trace_id.hex() if any(link.trace_id) else own_trace_id
    return {
        "trace_id": linked,
        "span_id": link.span_id.hex(),
        "attributes": {a.key: any_value(a.value) for a in link.attributes},
    }


def any_value(value: AnyValue) -> Any:
    """An OTLP `AnyValue` as a Python value (lists and key-value lists nested)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return getattr(value, kind)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def strip_double_encoding(attributes: dict[str, str]) -> dict[str, str]:
    """MLflow's `strip_otlp_double_encoding`: a string attribute whose text is itself JSON
    of a string, object or list is kept as that JSON (so a JSON payload an exporter sent as a
    string is stored as the structure, as MLflow's own clients store it)."""
    out = {}
    for key, value in attributes.items():
        try:
            once = json.loads(value)
            if isinstance(once, str) and isinstance(json.loads(once), str | dict | list):
                out[key] = once
                continue
        except (TypeError, ValueError):
            pass
        out[key] = value
    return out


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
