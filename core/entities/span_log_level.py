"""`SpanLogLevel`: a span's severity (MLflow's `mlflow.entities.SpanLogLevel`)."""

from __future__ import annotations

from enum import IntEnum


class SpanLogLevel(IntEnum):
    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50

    @classmethod
    def from_value(cls, value: SpanLogLevel | str | int) -> SpanLogLevel:
        """A level from itself, its name (`"info"`) or its number."""
        if isinstance(value, str):
            try:
                return cls[value.strip().upper()]
            except KeyError:
                names = [level.name for level in cls]
                raise ValueError(
                    f"Invalid SpanLogLevel name {value!r}. Expected one of {names}."
                ) from None
        return cls(value)
