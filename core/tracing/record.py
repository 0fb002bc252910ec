"""A trace being recorded (`TraceRecord`), and where it goes when its root span ends.

A record names its `exporter` when its root span starts: the trace writer of the client that
started it. Nothing else decides where a trace is written, so traces of several clients (on
several stores) are recorded side by side in one process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

from core.tracing.live_span import LiveSpan


class TraceExporter(Protocol):
    """Takes finished traces (a client's `TraceWriter`)."""

    def export(self, record: TraceRecord) -> None:
        """Write `record` (in the background); never raises for a database problem."""
        ...


@dataclass
class TraceRecord:
    """A trace being recorded: its spans, tags and metadata, and who writes it."""

    trace_id: str
    exporter: TraceExporter
    experiment_id: str
    spans: list[LiveSpan] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    request_preview: str | None = None
    response_preview: str | None = None
    client_request_id: str | None = None
    #: Runs the trace is linked to in `entity_associations` (an evaluation's run does this; a
    #: trace made inside an active run only names it in metadata `mlflow.sourceRun`).
    linked_runs: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, span: LiveSpan) -> None:
        with self.lock:
            self.spans.append(span)

    @property
    def root(self) -> LiveSpan | None:
        return next((s for s in self.spans if s.parent_id is None), None)


class TraceSink(Protocol):
    """Where a new trace starts: `core.Client` is one (its store, experiment and active run)."""

    def open_trace(self, trace_id: str, experiment_id: str | None = None) -> TraceRecord:
        """A new record for `trace_id`, in `experiment_id` or the sink's active experiment."""
        ...
