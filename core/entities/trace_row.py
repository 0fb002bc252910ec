"""`TraceRow`: one line of the trace list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TraceRow:
    """One line of the trace list: the columns a list shows, nothing that costs a join."""

    trace_id: str
    experiment_id: str
    request_time: int
    execution_duration: int | None
    state: str
    name: str | None
    request_preview: str | None
    response_preview: str | None
    session_id: str | None
    total_tokens: int | None
