"""`Link`: a span's link to a span of another trace (MLflow's `mlflow.entities.Link`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass
class Link:
    trace_id: str
    span_id: str
    attributes: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"trace_id": self.trace_id, "span_id": self.span_id, "attributes": self.attributes}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Link:
        attributes = data.get("attributes")
        return cls(
            trace_id=str(data["trace_id"]),
            span_id=str(data["span_id"]),
            attributes=dict(attributes) if isinstance(attributes, Mapping) else None,
        )
