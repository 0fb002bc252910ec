"""`SpanEvent`: something that happened at one moment of a span (MLflow's `SpanEvent`)."""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SpanEvent:
    """An event of a span, e.g. an exception. `timestamp` is in nanoseconds (now by default).

    Attribute values are as OpenTelemetry keeps them: strings, numbers, booleans or lists.
    """

    name: str
    timestamp: int = field(default_factory=time.time_ns)
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def timestamp_ns(self) -> int:
        """`timestamp`, named for its unit (TraceDesk's name before MLflow's)."""
        return self.timestamp

    @classmethod
    def from_exception(cls, exception: BaseException) -> SpanEvent:
        """MLflow's `exception` event: the message, type and stack trace of `exception`."""
        return cls(
            name="exception",
            attributes={
                "exception.message": str(exception),
                "exception.type": type(exception).__name__,
                "exception.stacktrace": _stack_trace(exception),
            },
        )

    def json(self) -> dict[str, Any]:
        """MLflow's `SpanEvent.json()`: the attributes as one JSON text (None when empty)."""
        return {
            "name": self.name,
            "timestamp": self.timestamp,
            "attributes": json.dumps(self.attributes, default=str) if self.attributes else None,
        }

    def to_dict(self) -> dict[str, Any]:
        """The event as MLflow's span JSON holds it (`time_unix_nano`)."""
        return {
            "name": self.name,
            "time_unix_nano": self.timestamp,
            "attributes": dict(self.attributes),
        }


def _stack_trace(error: BaseException) -> str:
    try:
        return "".join(traceback.format_exception(error)).strip()
    except Exception:  # a broken __str__ or traceback: the repr still says what it was
        return repr(error)
