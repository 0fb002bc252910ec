"""Plain entities `core` hands out: experiments, traces, spans, assessments.

They hold values, not database rows or sessions. Span payloads are decoded lazily: a span
built from a database row keeps its JSON text until someone asks for its attributes, so a tree
of 10,000 spans costs no JSON decoding at all.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from core import jsonutil

INPUTS_KEY = "mlflow.spanInputs"
OUTPUTS_KEY = "mlflow.spanOutputs"
SPAN_TYPE_KEY = "mlflow.spanType"
TOKEN_USAGE_KEY = "mlflow.chat.tokenUsage"


def iso_time_ms(timestamp_ms: int) -> str:
    """Milliseconds since the epoch as MLflow prints them: `2026-11-26T07:20:06.566Z`."""
    moment = dt.datetime.fromtimestamp(timestamp_ms / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{timestamp_ms % 1000:03d}Z"


def hex_to_base64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode("ascii")


def base64_to_hex(b64_id: str) -> str:
    return base64.b64decode(b64_id).hex()


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str | None
    lifecycle_stage: str
    creation_time: int | None = None
    last_update_time: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TokenUsage:
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None

    def to_dict(self) -> dict[str, int | None]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
        }

    @classmethod
    def from_value(cls, value: Any) -> TokenUsage | None:
        """Build from a decoded `mlflow.chat.tokenUsage` / `mlflow.trace.tokenUsage` value."""
        if not isinstance(value, Mapping):
            return None

        def number(key: str) -> int | None:
            item = value.get(key)
            return int(item) if isinstance(item, int | float) else None

        return cls(number("input_tokens"), number("output_tokens"), number("total_tokens"))


@dataclass(frozen=True)
class TraceRow:
    """One line of the trace list: the columns a list shows, nothing that costs a join."""

    trace_id: str
    experiment_id: str
    request_time: int
    execution_duration: int | None
    state: str
    name: str | None
    request_preview: str | None
    response_preview: str | None
    session_id: str | None
    total_tokens: int | None


@dataclass(frozen=True)
class Assessment:
    """A feedback (scorer result, human label) or an expectation attached to a trace."""

    assessment_id: str
    name: str
    trace_id: str
    assessment_type: str  # "feedback" | "expectation"
    value: Any
    source_type: str
    source_id: str | None
    create_time_ms: int
    last_update_time_ms: int
    span_id: str | None = None
    run_id: str | None = None
    rationale: str | None = None
    error: Mapping[str, Any] | None = None
    overrides: str | None = None
    valid: bool = True
    metadata: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The dictionary MLflow's `Assessment.to_dictionary()` gives."""
        out: dict[str, Any] = {
            "assessment_id": self.assessment_id,
            "assessment_name": self.name,
            "trace_id": self.trace_id,
        }
        if self.span_id:
            out["span_id"] = self.span_id
        out["source"] = {"source_type": self.source_type, "source_id": self.source_id}
        out["create_time"] = iso_time_ms(self.create_time_ms)
        out["last_update_time"] = iso_time_ms(self.last_update_time_ms)
        if self.run_id:
            out["run_id"] = self.run_id
        body: dict[str, Any] = {}
        if self.value is not None or self.error is None:
            body["value"] = self.value
        if self.error is not None and self.assessment_type == "feedback":
            body["error"] = dict(self.error)
        out[self.assessment_type] = body
        if self.rationale:
            out["rationale"] = self.rationale
        if self.metadata:
            out["metadata"] = dict(self.metadata)
        if self.overrides:
            out["overrides"] = self.overrides
        out["valid"] = self.valid
        return out


@dataclass(frozen=True)
class TraceInfo:
    """Everything known about a trace without its spans (MLflow's `TraceInfo`)."""

    trace_id: str
    experiment_id: str
    request_time: int
    execution_duration: int | None
    state: str
    client_request_id: str | None = None
    request_preview: str | None = None
    response_preview: str | None = None
    trace_metadata: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    assessments: tuple[Assessment, ...] = ()

    @property
    def name(self) -> str | None:
        return self.tags.get("mlflow.traceName")

    @property
    def session_id(self) -> str | None:
        return self.trace_metadata.get("mlflow.trace.session")

    @property
    def token_usage(self) -> TokenUsage | None:
        raw = self.trace_metadata.get("mlflow.trace.tokenUsage")
        return TokenUsage.from_value(jsonutil.decode_attribute(raw)) if raw else None

    def to_dict(self) -> dict[str, Any]:
        """The dictionary MLflow's `TraceInfo.to_dict()` gives (None and empty values left out)."""
        out: dict[str, Any] = {
            "trace_id": self.trace_id,
            "trace_location": {
                "type": "MLFLOW_EXPERIMENT",
                "mlflow_experiment": {"experiment_id": self.experiment_id},
            },
        }
        if self.client_request_id is not None:
            out["client_request_id"] = self.client_request_id
        out["request_time"] = iso_time_ms(self.request_time)
        out["state"] = self.state
        if self.trace_metadata:
            out["trace_metadata"] = dict(self.trace_metadata)
        if self.assessments:
            out["assessments"] = [a.to_dict() for a in self.assessments]
        if self.tags:
            out["tags"] = dict(self.tags)
        if self.request_preview is not None:
            out["request_preview"] = self.request_preview
        if self.response_preview is not None:
            out["response_preview"] = self.response_preview
        if self.execution_duration is not None:
            out["execution_duration_ms"] = self.execution_duration
        return out


@dataclass(frozen=True)
class SpanEvent:
    name: str
    timestamp_ns: int
    attributes: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "time_unix_nano": self.timestamp_ns,
            "attributes": dict(self.attributes),
        }


class PayloadSource(Protocol):
    """Where the JSON of a trace's spans comes from when it was not read with the tree."""

    def payload(self, span_id: str) -> str:
        """The span's stored JSON text ('' when there is none)."""
        ...


class Span:
    """One span. Identity, timing and status are plain fields; the payload decodes on demand.

    `document` is the span's JSON in MLflow 3's shape (the `spans.content` column), either as
    text still to be parsed or already parsed. Ids are hex, as in MLflow's columns. A slotted
    class rather than a dataclass: a 10,000-span trace builds ten times faster this way.
    """

    __slots__ = (
        "_attributes",
        "_events",
        "_parsed",
        "document",
        "end_time_ns",
        "name",
        "parent_id",
        "span_id",
        "span_type",
        "start_time_ns",
        "status_code",
        "trace_id",
    )

    def __init__(
        self,
        trace_id: str,
        span_id: str,
        parent_id: str | None,
        name: str,
        span_type: str | None,
        status_code: str,  # "OK" | "ERROR" | "UNSET"
        start_time_ns: int,
        end_time_ns: int | None,
        document: str | Mapping[str, Any] | PayloadSource,
        invalid_reason: str | None = None,
    ) -> None:
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent_id = parent_id
        self.name = name
        self.span_type = span_type
        self.status_code = status_code
        self.start_time_ns = start_time_ns
        self.end_time_ns = end_time_ns
        self.document = document
        self._parsed: tuple[Mapping[str, Any], str | None] | None = (
            ({}, invalid_reason) if invalid_reason else None
        )
        self._attributes: dict[str, Any] | None = None
        self._events: tuple[SpanEvent, ...] | None = None

    def __repr__(self) -> str:
        return f"Span(name={self.name!r}, span_id={self.span_id!r}, parent_id={self.parent_id!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Span):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def _identity(self) -> tuple[Any, ...]:
        return (self.trace_id, self.span_id, self.parent_id, self.name, self.start_time_ns)

    def _parse(self) -> tuple[Mapping[str, Any], str | None]:
        if self._parsed is not None:
            return self._parsed
        document = self.document
        if not isinstance(document, str | Mapping):  # still in the database: read it now
            document = self.document = document.payload(self.span_id)
        if not isinstance(document, str):
            self._parsed = (document, None)
        elif not document:
            self._parsed = ({}, "the span's content is empty (archived or never written)")
        else:
            try:
                parsed = jsonutil.loads(document)
            except ValueError as exc:
                self._parsed = ({}, f"the span's JSON is malformed: {exc}")
            else:
                ok = isinstance(parsed, Mapping)
                self._parsed = (parsed, None) if ok else ({}, "the span's JSON is not an object")
        return self._parsed

    @property
    def content(self) -> Mapping[str, Any]:
        """The span document, parsed (empty when it could not be)."""
        return self._parse()[0]

    @property
    def decode_error(self) -> str | None:
        """Why the span's payload could not be read, or None (parses the span to find out)."""
        return self._parse()[1]

    @property
    def known_decode_error(self) -> str | None:
        """The decode error if already known, without parsing anything."""
        return self._parsed[1] if self._parsed is not None else None

    @property
    def raw_attributes(self) -> Mapping[str, Any]:
        """Attribute values as stored: JSON text for everything MLflow wrote."""
        attributes = self.content.get("attributes")
        return attributes if isinstance(attributes, Mapping) else {}

    @property
    def attributes(self) -> dict[str, Any]:
        """All attributes, each decoded from its JSON text."""
        if self._attributes is None:
            raw = self.raw_attributes
            self._attributes = {k: jsonutil.decode_attribute(v) for k, v in raw.items()}
        return self._attributes

    def get_attribute(self, key: str) -> Any:
        """One decoded attribute, without decoding the others."""
        if self._attributes is not None:
            return self._attributes.get(key)
        return jsonutil.decode_attribute(self.raw_attributes.get(key))

    @property
    def inputs(self) -> Any:
        return self.get_attribute(INPUTS_KEY)

    @property
    def outputs(self) -> Any:
        return self.get_attribute(OUTPUTS_KEY)

    @property
    def token_usage(self) -> TokenUsage | None:
        return TokenUsage.from_value(self.get_attribute(TOKEN_USAGE_KEY))

    @property
    def status_message(self) -> str:
        status = self.content.get("status")
        if isinstance(status, Mapping):
            return str(status.get("message") or "")
        return ""

    @property
    def events(self) -> tuple[SpanEvent, ...]:
        if self._events is None:
            self._events = _events(self.content.get("events"))
        return self._events

    @property
    def duration_ns(self) -> int | None:
        if self.end_time_ns is None:
            return None
        return self.end_time_ns - self.start_time_ns

    def to_dict(self) -> dict[str, Any]:
        """MLflow 3's span dictionary (`Span.to_dict()`: base64 ids, JSON-text attributes)."""
        if self.content:
            return dict(self.content)
        return {
            "span_id": hex_to_base64(self.span_id),
            "parent_span_id": hex_to_base64(self.parent_id) if self.parent_id else None,
            "name": self.name,
            "start_time_unix_nano": self.start_time_ns,
            "end_time_unix_nano": self.end_time_ns,
            "events": [],
            "status": {"code": f"STATUS_CODE_{self.status_code}", "message": ""},
            "attributes": {},
        }


def _events(raw: Any) -> tuple[SpanEvent, ...]:
    if not isinstance(raw, list):
        return ()
    events = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        attributes = item.get("attributes")
        events.append(
            SpanEvent(
                name=str(item.get("name", "")),
                timestamp_ns=int(item.get("time_unix_nano") or 0),
                attributes=attributes if isinstance(attributes, Mapping) else {},
            )
        )
    return tuple(events)


@dataclass(frozen=True)
class TraceData:
    spans: tuple[Span, ...] = ()

    def load_payloads(self) -> None:
        """Read every span's JSON now (one query), e.g. in a worker thread before a GUI uses it.

        Spans read from a `spans` table come without their JSON, which is fetched on the first
        access to any span's payload; this forces that fetch without decoding anything.
        """
        for span in self.spans:
            if not isinstance(span.document, str | Mapping):
                span.document = span.document.payload(span.span_id)

    @property
    def request(self) -> Any:
        root = self.root_span
        return root.inputs if root else None

    @property
    def response(self) -> Any:
        root = self.root_span
        return root.outputs if root else None

    @property
    def root_span(self) -> Span | None:
        """The span without a parent, or None when the root was never recorded."""
        return next((s for s in self.spans if s.parent_id is None), None)


@dataclass(frozen=True)
class Trace:
    """A trace with its spans. `problems` says what is missing or broken, in words."""

    info: TraceInfo
    data: TraceData
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "info": self.info.to_dict(),
            "data": {"spans": [s.to_dict() for s in self.data.spans]},
        }

    def to_json(self, pretty: bool = False) -> str:
        import json

        return json.dumps(self.to_dict(), indent=2 if pretty else None, default=str)
