"""`Span`: one step of a trace, its payload decoded on demand (MLflow's `mlflow.entities.Span`).

Span payloads are decoded lazily: a span built from a database row keeps its JSON text until
someone asks for its attributes, so a tree of 10,000 spans costs no JSON decoding at all. What
MLflow computes from the payload (`status`, `events`, `links`, `log_level`...) is computed on
access too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from core import jsonutil
from core.entities.ids import hex_to_base64, whole_number
from core.entities.link import Link
from core.entities.span_dict import span_fields
from core.entities.span_event import SpanEvent
from core.entities.span_log_level import SpanLogLevel
from core.entities.span_status import SpanStatus, SpanStatusCode
from core.entities.token_usage import TokenUsage
from core.mlflow_keys import (
    DESCRIPTION_KEY,
    INPUTS_KEY,
    LLM_COST_KEY,
    LOG_LEVEL_KEY,
    MODEL_KEY,
    OUTPUTS_KEY,
    SPAN_TYPE_KEY,
    TOKEN_USAGE_KEY,
    TRACE_REQUEST_ID_KEY,
)

__all__ = [
    "INPUTS_KEY",
    "OUTPUTS_KEY",
    "SPAN_TYPE_KEY",
    "TOKEN_USAGE_KEY",
    "TRACE_REQUEST_ID_KEY",
    "PayloadSource",
    "Span",
    "SpanEvent",
]


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
        "_notes",
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
        self._notes: list[str] | None = None

    def __repr__(self) -> str:
        return (
            f"Span(name={self.name!r}, trace_id={self.trace_id!r}, "
            f"span_id={self.span_id!r}, parent_id={self.parent_id!r})"
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Span:
        """A span from MLflow's span dictionary (`Span.to_dict()`, MLflow 3 or 2 shape).

        Raises ValueError when `data` is no span dictionary.
        """
        try:
            return cls(*span_fields(data))
        except (KeyError, TypeError, ValueError) as exc:
            message = f"Failed to create a Span object from the given dictionary: {exc}"
            raise ValueError(message) from exc

    @property
    def request_id(self) -> str:
        """MLflow 2's name of `trace_id`."""
        return self.trace_id

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
                parsed, cut = jsonutil.decode(document)
            except ValueError as exc:
                self._parsed = ({}, f"the span's JSON is malformed: {exc}")
            else:
                if cut:
                    self._note(_too_deep("The span's JSON"))
                ok = isinstance(parsed, Mapping)
                self._parsed = (parsed, None) if ok else ({}, "the span's JSON is not an object")
        return self._parsed

    @property
    def payload_loaded(self) -> bool:
        """Whether the span's JSON is at hand. False: it is still in the database, and any
        property read from it (attributes, events, `decode_error`...) reads it from there now.
        """
        return isinstance(self.document, str | Mapping)

    @property
    def content(self) -> Mapping[str, Any]:
        """The span document, parsed (empty when it could not be)."""
        return self._parse()[0]

    def stored_json(self) -> str | None:
        """The span's stored JSON text when it is exactly `to_dict()` as JSON (it was read and
        parsed whole), else None. `Trace.to_json` puts it in as it is instead of encoding the
        parsed document again, a third of `search_traces`' time for spans with payloads."""
        parsed, error = self._parse()
        document = self.document
        if error or not parsed or not isinstance(document, str):
            return None
        if self._notes and _too_deep("The span's JSON") in self._notes:
            return None  # parsed only down to the depth limit: not the same document
        return document

    @property
    def decode_error(self) -> str | None:
        """Why the span's payload could not be read, or None (parses the span to find out)."""
        return self._parse()[1]

    @property
    def notes(self) -> tuple[str, ...]:
        """What of the payload is shown otherwise than stored, in words: JSON nested deeper than
        `jsonutil.MAX_DEPTH` (the deeper part stays JSON text), an event time that is no number.
        Reads the document and its events; an attribute is covered once it has been decoded."""
        self._parse()
        if self._events is None:
            self._events = _events(self.content.get("events"), self.start_time_ns, self._note)
        return tuple(self._notes or ())

    def _note(self, note: str) -> None:
        if self._notes is None:
            self._notes = []
        if note not in self._notes:
            self._notes.append(note)

    def _decoded(self, key: str, raw: Any) -> Any:
        """An attribute value decoded from its JSON text (as `jsonutil.decode_attribute`)."""
        if not isinstance(raw, str):
            return raw
        try:
            value, cut = jsonutil.decode(raw)
        except ValueError:
            return raw
        if cut:
            self._note(_too_deep(f"Attribute {key}"))
        return value

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
            self._attributes = {k: self._decoded(k, v) for k, v in raw.items()}
        return self._attributes

    def get_attribute(self, key: str) -> Any:
        """One decoded attribute, without decoding the others."""
        if self._attributes is not None:
            return self._attributes.get(key)
        return self._decoded(key, self.raw_attributes.get(key))

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
    def status(self) -> SpanStatus:
        """The status code and, for an error, its description (as OpenTelemetry keeps it)."""
        try:
            code = SpanStatusCode(self.status_code)
        except ValueError:
            code = SpanStatusCode.UNSET
        if code is not SpanStatusCode.ERROR:  # known without reading the payload
            return SpanStatus(code)
        return SpanStatus(code, self.status_message)

    @property
    def events(self) -> list[SpanEvent]:
        if self._events is None:
            self._events = _events(self.content.get("events"), self.start_time_ns, self._note)
        return list(self._events)

    @property
    def links(self) -> list[Link]:
        """Links to spans of other traces (MLflow ≥ 3.6 records them)."""
        raw = self.content.get("links")
        if not isinstance(raw, list):
            return []
        links = []
        for item in raw:
            try:
                links.append(Link.from_dict(item))
            except (KeyError, TypeError, AttributeError):
                continue
        return links

    @property
    def description(self) -> str | None:
        value = self.get_attribute(DESCRIPTION_KEY)
        return value if isinstance(value, str) else None

    @property
    def model_name(self) -> str | None:
        value = self.get_attribute(MODEL_KEY)
        return value if isinstance(value, str) else None

    @property
    def llm_cost(self) -> dict[str, float] | None:
        """`input_cost` / `output_cost` / `total_cost` in USD, when MLflow priced the call."""
        value = self.get_attribute(LLM_COST_KEY)
        return value if isinstance(value, dict) else None

    @property
    def log_level(self) -> SpanLogLevel | None:
        """The span's severity, or None when it was not classified."""
        value = self.get_attribute(LOG_LEVEL_KEY)
        if value is None:
            return None
        try:
            return SpanLogLevel.from_value(value)
        except (TypeError, ValueError):
            return None

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


def _too_deep(what: str) -> str:
    return (
        f"{what} nests deeper than {jsonutil.MAX_DEPTH} levels: the deeper part is shown as "
        "its JSON text."
    )


def _events(raw: Any, span_start_ns: int, note: Callable[[str], None]) -> tuple[SpanEvent, ...]:
    """The events of a span document; one whose time is no number is put at the span's start
    (and `note` says so)."""
    if not isinstance(raw, list):
        return ()
    events = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        attributes = item.get("attributes")
        name = str(item.get("name", ""))
        stored = item.get("time_unix_nano")
        timestamp = whole_number(stored or 0)
        if timestamp is None:
            shown = jsonutil.abbreviate(repr(stored), 40)
            note(f"Event {name!r}: its time is {shown}, not a number; shown at the span's start.")
            timestamp = span_start_ns
        events.append(
            SpanEvent(
                name=name,
                timestamp=timestamp,
                attributes=dict(attributes) if isinstance(attributes, Mapping) else {},
            )
        )
    return tuple(events)
