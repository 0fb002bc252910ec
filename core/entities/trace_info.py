"""`TraceInfo`: everything known about a trace without its spans (MLflow's `TraceInfo`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core import jsonutil
from core.entities.assessment import Assessment
from core.entities.ids import iso_time_ms, parse_iso_time_ms
from core.entities.token_usage import TokenUsage
from core.entities.trace_location import TraceLocation
from core.entities.trace_state import TraceState, TraceStatus
from core.mlflow_keys import COST_METADATA, SESSION_METADATA, TOKEN_USAGE_METADATA, TRACE_NAME_TAG


@dataclass(init=False)
class TraceInfo:
    """A trace's id, location, times, state, previews, metadata, tags and assessments.

    The fields are MLflow's (`trace_location`, `request_time` in ms, `state` a `TraceState`,
    `execution_duration` in ms, `assessments` a list) and so are its MLflow 2 aliases
    (`request_id`, `timestamp_ms`, `execution_time_ms`, `request_metadata`, `status`).
    `experiment_id` may be given instead of `trace_location`; `state` may be a string.
    """

    trace_id: str
    trace_location: TraceLocation
    request_time: int
    state: TraceState
    request_preview: str | None
    response_preview: str | None
    client_request_id: str | None
    execution_duration: int | None
    trace_metadata: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    assessments: list[Assessment] = field(default_factory=list)

    def __init__(
        self,
        trace_id: str,
        trace_location: TraceLocation | None = None,
        request_time: int = 0,
        state: TraceState | str = TraceState.STATE_UNSPECIFIED,
        request_preview: str | None = None,
        response_preview: str | None = None,
        client_request_id: str | None = None,
        execution_duration: int | None = None,
        trace_metadata: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        assessments: Iterable[Assessment] | None = None,
        *,
        experiment_id: str | None = None,
    ) -> None:
        if trace_location is None:
            trace_location = TraceLocation.from_experiment_id(str(experiment_id or "0"))
        self.trace_id = trace_id
        self.trace_location = trace_location
        self.request_time = request_time
        self.state = TraceState.of(state)
        self.request_preview = request_preview
        self.response_preview = response_preview
        self.client_request_id = client_request_id
        self.execution_duration = execution_duration
        self.trace_metadata = dict(trace_metadata) if trace_metadata else {}
        self.tags = dict(tags) if tags else {}
        self.assessments = list(assessments) if assessments else []

    # -- MLflow's aliases and derived values ------------------------------------------------

    @property
    def experiment_id(self) -> str:
        experiment = self.trace_location.mlflow_experiment
        return experiment.experiment_id if experiment is not None else ""

    @experiment_id.setter
    def experiment_id(self, value: str) -> None:
        self.trace_location = TraceLocation.from_experiment_id(value)

    @property
    def request_id(self) -> str:
        """MLflow 2's name of `trace_id`."""
        return self.trace_id

    @property
    def timestamp_ms(self) -> int:
        """MLflow 2's name of `request_time`."""
        return self.request_time

    @property
    def execution_time_ms(self) -> int | None:
        """MLflow 2's name of `execution_duration`."""
        return self.execution_duration

    @property
    def request_metadata(self) -> dict[str, str]:
        """MLflow 2's name of `trace_metadata`."""
        return self.trace_metadata

    @property
    def status(self) -> TraceStatus:
        """MLflow 2's form of `state`."""
        return TraceStatus.from_state(self.state)

    @property
    def token_usage(self) -> TokenUsage | None:
        """The trace's summed token usage, the dict MLflow gives (`["total_tokens"]`), also
        readable as attributes (`.total_tokens`); None when nothing was recorded."""
        raw = self.trace_metadata.get(TOKEN_USAGE_METADATA)
        return TokenUsage.from_value(jsonutil.decode_attribute(raw)) if raw else None

    @property
    def cost(self) -> dict[str, float] | None:
        """`input_cost` / `output_cost` / `total_cost` in USD, when MLflow priced the trace."""
        raw = self.trace_metadata.get(COST_METADATA)
        value = jsonutil.decode_attribute(raw) if raw else None
        return value if isinstance(value, dict) else None

    @property
    def name(self) -> str | None:
        """The trace's name (its root span's), from the `mlflow.traceName` tag."""
        return self.tags.get(TRACE_NAME_TAG)

    @property
    def session_id(self) -> str | None:
        return self.trace_metadata.get(SESSION_METADATA)

    # -- MLflow's dictionary form -----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The dictionary MLflow's `TraceInfo.to_dict()` gives (None and empty values left out)."""
        out: dict[str, Any] = {
            "trace_id": self.trace_id,
            "trace_location": self.trace_location.to_dict(),
        }
        if self.client_request_id is not None:
            out["client_request_id"] = self.client_request_id
        out["request_time"] = iso_time_ms(self.request_time)
        out["state"] = self.state.value
        if self.trace_metadata:
            out["trace_metadata"] = dict(self.trace_metadata)
        if self.assessments:
            out["assessments"] = [a.to_dictionary() for a in self.assessments]
        if self.tags:
            out["tags"] = dict(self.tags)
        if self.request_preview is not None:
            out["request_preview"] = self.request_preview
        if self.response_preview is not None:
            out["response_preview"] = self.response_preview
        if self.execution_duration is not None:
            out["execution_duration_ms"] = self.execution_duration
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TraceInfo:
        """The `TraceInfo` of `to_dict()`'s form (or of MLflow 2's, with `request_id`)."""
        if "request_id" in d:
            return cls._from_v2_dict(d)
        location = d.get("trace_location")
        request_time = d.get("request_time")
        return cls(
            trace_id=d["trace_id"],
            trace_location=TraceLocation.from_dict(location) if location else None,
            request_time=parse_iso_time_ms(request_time) if request_time else 0,
            state=d.get("state") or TraceState.STATE_UNSPECIFIED,
            request_preview=d.get("request_preview"),
            response_preview=d.get("response_preview"),
            client_request_id=d.get("client_request_id"),
            execution_duration=d.get("execution_duration_ms"),
            trace_metadata=d.get("trace_metadata"),
            tags=d.get("tags"),
            assessments=[Assessment.from_dictionary(a) for a in d.get("assessments") or ()],
        )

    @classmethod
    def _from_v2_dict(cls, d: Mapping[str, Any]) -> TraceInfo:
        status = str(d.get("status") or "")
        state = (
            TraceStatus(status).to_state()
            if status in {s.value for s in TraceStatus}
            else TraceState.STATE_UNSPECIFIED
        )
        metadata = d.get("request_metadata")
        tags = d.get("tags")
        return cls(
            trace_id=d["request_id"],
            experiment_id=str(d.get("experiment_id") or "0"),
            request_time=int(d.get("timestamp_ms") or 0),
            execution_duration=d.get("execution_time_ms"),
            state=state,
            trace_metadata=_key_values(metadata),
            tags=_key_values(tags),
        )


def _key_values(value: Any) -> dict[str, str]:
    """MLflow 2's dict form of tags/metadata: a dict, or a list of `{key, value}` items."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list):
        return {
            str(item["key"]): str(item["value"])
            for item in value
            if isinstance(item, Mapping) and "key" in item
        }
    return {}
