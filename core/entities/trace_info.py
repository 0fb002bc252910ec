"""`TraceInfo`: everything known about a trace without its spans."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core import jsonutil
from core.entities.assessment import Assessment
from core.entities.ids import iso_time_ms
from core.entities.token_usage import TokenUsage


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
