"""`LiveSpan`: a span being recorded, with MLflow's LiveSpan API.

Attribute values are JSON-encoded when set, exactly as MLflow stores them ("JSON inside JSON"),
so finishing a span costs nothing more than building its document.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, is_dataclass
from typing import Any

from core.entities import hex_to_base64
from core.entities.span_event import SpanEvent
from core.entities.span_status import SpanStatus, SpanStatusCode
from core.entities.span_type import SpanType
from core.jsonutil import decode_attribute
from core.mlflow_keys import (
    INPUTS_KEY,
    LOG_LEVEL_KEY,
    OUTPUTS_KEY,
    SPAN_TYPE_KEY,
    TRACE_REQUEST_ID_KEY,
)

#: MLflow's log levels: INFO for model, tool and retrieval spans, DEBUG for the rest, and
#: ERROR once an exception was recorded (as read from databases MLflow 3.18 wrote).
INFO_SPAN_TYPES = frozenset({"LLM", "CHAT_MODEL", "TOOL", "RETRIEVER", "AGENT", "EMBEDDING"})
DEBUG, INFO, ERROR = 10, 20, 40


def log_level(span_type: str, had_exception: bool) -> int:
    if had_exception:
        return ERROR
    return INFO if span_type in INFO_SPAN_TYPES else DEBUG


class _Encoder(json.JSONEncoder):
    """Serialise what user code passes: pydantic models, dataclasses, and anything via str()."""

    def default(self, o: Any) -> Any:
        dump = getattr(o, "model_dump", None)
        if callable(dump):
            return dump()
        if is_dataclass(o) and not isinstance(o, type):
            return {name: getattr(o, name) for name in o.__dataclass_fields__}
        if isinstance(o, set | frozenset | tuple):
            return list(o)
        try:
            return super().default(o)
        except TypeError:
            return str(o)


#: One encoder for every attribute: `json.dumps(cls=...)` would build a new one per call.
_ENCODER = _Encoder(ensure_ascii=False)


def encode_attribute(value: Any) -> str:
    """JSON text of an attribute value, never failing (falls back to repr)."""
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError, RecursionError):
        return json.dumps(repr(value), ensure_ascii=False)


@dataclass
class LiveSpan:
    """A span in progress. Use it through `start_span` / `@trace`; `end()` finishes it."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    span_type: str
    start_time_ns: int
    end_time_ns: int | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    status_code: str = "UNSET"
    status_message: str = ""
    #: Called once when the span ends (the tracer uses it to finish the trace at its root).
    on_end: Callable[[LiveSpan], None] | None = field(default=None, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.attributes.setdefault(TRACE_REQUEST_ID_KEY, encode_attribute(self.trace_id))
        self.attributes.setdefault(SPAN_TYPE_KEY, encode_attribute(self.span_type))

    # -- MLflow's LiveSpan API ---------------------------------------------------------------

    def set_inputs(self, inputs: Any) -> None:
        self.set_attribute(INPUTS_KEY, inputs)

    def set_outputs(self, outputs: Any) -> None:
        self.set_attribute(OUTPUTS_KEY, outputs)

    def set_attribute(self, key: str, value: Any) -> None:
        encoded = encode_attribute(value)
        with self._lock:
            self.attributes[key] = encoded

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def set_span_type(self, span_type: str) -> None:
        self.span_type = span_type
        self.set_attribute(SPAN_TYPE_KEY, span_type)

    def add_event(
        self,
        event: SpanEvent | str,
        attributes: Mapping[str, Any] | None = None,
        timestamp_ns: int | None = None,
    ) -> None:
        """Record an event: MLflow's `add_event(SpanEvent(name, attributes=...))`, or a name
        with its attributes. Attribute values are kept as given (str, number, bool or lists)."""
        if isinstance(event, SpanEvent):
            name, attributes, timestamp_ns = event.name, event.attributes, event.timestamp
        else:
            name = event
        record = {
            "name": name,
            "time_unix_nano": timestamp_ns if timestamp_ns is not None else time.time_ns(),
            "attributes": {k: _event_value(v) for k, v in (attributes or {}).items()},
        }
        with self._lock:
            self.events.append(record)

    def set_status(self, status: SpanStatus | SpanStatusCode | str, description: str = "") -> None:
        """A `SpanStatus`, or a code: `"OK"`, `"ERROR"` or `"UNSET"` (`SpanStatusCode`), with
        an optional description."""
        if isinstance(status, SpanStatus):
            description = status.description or description
            given: SpanStatusCode | str = status.status_code
        else:
            given = status
        code = str(getattr(given, "value", given)).upper().removeprefix("STATUS_CODE_")
        if code not in ("OK", "ERROR", "UNSET"):
            raise ValueError(f"Unknown span status {status!r}: use OK, ERROR or UNSET.")
        self.status_code = code
        self.status_message = description

    @property
    def status(self) -> SpanStatus:
        """The status as MLflow's `SpanStatus` (`span.status.status_code`)."""
        return SpanStatus(SpanStatusCode(self.status_code), self.status_message)

    def record_exception(self, error: BaseException) -> None:
        """Mark the span ERROR and add MLflow's `exception` event with the stack trace."""
        message = f"{type(error).__name__}: {error}"
        self.set_status("ERROR", message)
        stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        self.add_event(
            "exception",
            {
                "exception.type": type(error).__name__,
                "exception.message": str(error),
                "exception.stacktrace": stack,
                "exception.escaped": "False",
            },
        )

    def end(
        self,
        outputs: Any = None,
        attributes: Mapping[str, Any] | None = None,
        status: str | None = None,
        end_time_ns: int | None = None,
    ) -> None:
        """Finish the span (idempotent); the tracer exports the trace when its root ends."""
        if outputs is not None:
            self.set_outputs(outputs)
        if attributes:
            self.set_attributes(attributes)
        if status is not None:
            self.set_status(status)
        if self.status_code == "UNSET":
            self.status_code = "OK"  # as MLflow: a span that ended without error is OK
        if self.end_time_ns is not None:
            return
        self.end_time_ns = end_time_ns if end_time_ns is not None else time.time_ns()
        if self.on_end is not None:
            self.on_end(self)

    # -- reading back ------------------------------------------------------------------------

    @property
    def inputs(self) -> Any:
        return decode_attribute(self.attributes.get(INPUTS_KEY))

    @property
    def outputs(self) -> Any:
        return decode_attribute(self.attributes.get(OUTPUTS_KEY))

    def get_attribute(self, key: str) -> Any:
        return decode_attribute(self.attributes.get(key))

    @property
    def request_id(self) -> str:
        return self.trace_id

    def to_content(self) -> dict[str, Any]:
        """The span document MLflow 3.18 stores in `spans.content`."""
        with self._lock:
            attributes = dict(self.attributes)
            events = list(self.events)
        had_exception = any(e.get("name") == "exception" for e in events)
        attributes.setdefault(LOG_LEVEL_KEY, str(log_level(self.span_type, had_exception)))
        return {
            "trace_id": hex_to_base64(self.trace_id.removeprefix("tr-")),
            "span_id": hex_to_base64(self.span_id),
            "parent_span_id": hex_to_base64(self.parent_id) if self.parent_id else None,
            "name": self.name,
            "kind": "SPAN_KIND_INTERNAL",
            "start_time_unix_nano": self.start_time_ns,
            "end_time_unix_nano": self.end_time_ns,
            "events": events,
            "status": {"code": f"STATUS_CODE_{self.status_code}", "message": self.status_message},
            "attributes": attributes,
            "links": [],
        }


def _event_value(value: Any) -> Any:
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple) and all(
        isinstance(v, str | bool | int | float) for v in value
    ):
        return list(value)
    return encode_attribute(value)


def default_span_type(span_type: str | None) -> str:
    return span_type or SpanType.UNKNOWN
