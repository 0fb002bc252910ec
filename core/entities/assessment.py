"""`Assessment`: a feedback or an expectation attached to a trace."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.entities.ids import iso_time_ms


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
