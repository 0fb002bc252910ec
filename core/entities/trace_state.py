"""`TraceState`: how a trace ended (MLflow's `mlflow.entities.TraceState`), and `TraceStatus`,
MLflow 2's name for it that MLflow 3 still answers to (`trace.info.status`)."""

from __future__ import annotations

from enum import StrEnum


class TraceState(StrEnum):
    """A trace's state. A `str` enum: `state == "OK"` holds, and `str(state)` is `"OK"`."""

    STATE_UNSPECIFIED = "STATE_UNSPECIFIED"
    OK = "OK"
    ERROR = "ERROR"
    IN_PROGRESS = "IN_PROGRESS"

    @classmethod
    def of(cls, value: str | None) -> TraceState:
        """The state of a stored status; unknown or missing ones are `STATE_UNSPECIFIED`."""
        if isinstance(value, TraceState):
            return value
        try:
            return cls(value or "")
        except ValueError:
            return cls.STATE_UNSPECIFIED


class TraceStatus(StrEnum):
    """MLflow 2's trace status (deprecated in MLflow 3 in favour of `TraceState`)."""

    UNSPECIFIED = "TRACE_STATUS_UNSPECIFIED"
    OK = "OK"
    ERROR = "ERROR"
    IN_PROGRESS = "IN_PROGRESS"

    def to_state(self) -> TraceState:
        if self is TraceStatus.UNSPECIFIED:
            return TraceState.STATE_UNSPECIFIED
        return TraceState(self.value)

    @classmethod
    def from_state(cls, state: TraceState) -> TraceStatus:
        if state is TraceState.STATE_UNSPECIFIED:
            return cls.UNSPECIFIED
        return cls(state.value)
