"""`TraceData`: a trace's spans (MLflow's `mlflow.entities.TraceData`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.entities.span import Span
from core.mlflow_keys import INPUTS_KEY, OUTPUTS_KEY


@dataclass(init=False)
class TraceData:
    """The spans of a trace, in tree order when read from a store."""

    spans: list[Span] = field(default_factory=list)

    def __init__(self, spans: Iterable[Span] | None = None, **kwargs: Any) -> None:
        # MLflow's constructor takes (and ignores) MLflow 2's `request` / `response` too.
        self.spans = list(spans) if spans else []

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TraceData:
        if not isinstance(d, Mapping):
            raise TypeError(f"TraceData.from_dict() expects a dictionary. Got: {type(d).__name__}")
        return cls(spans=[Span.from_dict(span) for span in d.get("spans", [])])

    def to_dict(self) -> dict[str, Any]:
        return {"spans": [span.to_dict() for span in self.spans]}

    def to_json_bytes(self) -> bytes:
        """`{"spans": [...]}` as compact JSON bytes."""
        return json.dumps(self.to_dict(), separators=(",", ":"), default=str).encode("utf-8")

    def load_payloads(self) -> None:
        """Read every span's JSON now (one query), e.g. in a worker thread before a GUI uses it.

        Spans read from a `spans` table come without their JSON, which is fetched on the first
        access to any span's payload; this forces that fetch without decoding anything.
        """
        for span in self.spans:
            if not isinstance(span.document, str | Mapping):
                span.document = span.document.payload(span.span_id)

    @property
    def root_span(self) -> Span | None:
        """The span without a parent, or None when the root was never recorded."""
        return next((s for s in self.spans if s.parent_id is None), None)

    @property
    def request(self) -> str | None:
        """The root span's inputs as stored: JSON text, as MLflow gives it (`json.loads` it)."""
        return self._root_attribute(INPUTS_KEY)

    @property
    def response(self) -> str | None:
        """The root span's outputs as stored: JSON text, as MLflow gives it."""
        return self._root_attribute(OUTPUTS_KEY)

    def _root_attribute(self, key: str) -> str | None:
        root = self.root_span
        value = root.raw_attributes.get(key) if root is not None else None
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, default=str)  # a hand-made span may hold it decoded
