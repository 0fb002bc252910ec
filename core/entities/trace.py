"""`Trace`: a trace's info and its spans (`TraceData`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.entities.span import Span
from core.entities.trace_info import TraceInfo


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
