"""`Span`: one step of a trace, its payload decoded on demand; `SpanEvent`.

Span payloads are decoded lazily: a span built from a database row keeps its JSON text until
someone asks for its attributes, so a tree of 10,000 spans costs no JSON decoding at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from core import jsonutil
from core.entities.ids import hex_to_base64
from core.entities.token_usage import TokenUsage

INPUTS_KEY = "mlflow.spanInputs"
OUTPUTS_KEY = "mlflow.spanOutputs"
SPAN_TYPE_KEY = "mlflow.spanType"
TOKEN_USAGE_KEY = "mlflow.chat.tokenUsage"


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
