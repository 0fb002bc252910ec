"""The traces being recorded in this process, and the switch that stops writing them.

Span code finds a trace's record here by id (a child span joins its parent's record, whichever
client started it). When a root span ends, its record goes to the exporter it names, unless
tracing is disabled (`disable()`, MLflow's `mlflow.tracing.disable`). Every trace writer that
has started is known here too, so `flush()` and the exit of the process wait for all of them.
"""

from __future__ import annotations

import atexit
import threading
from typing import Protocol

from core.tracing.record import TraceRecord

#: How long the exit of the process waits for pending traces (seconds).
EXIT_FLUSH_TIMEOUT_S = 120.0


class Flushable(Protocol):
    def flush(self, timeout_s: float | None = None) -> bool: ...


class ActiveTraces:
    """Records by trace id while their traces are being recorded; the started writers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, TraceRecord] = {}
        self._writers: list[Flushable] = []
        self._last: str | None = None
        self._last_here = threading.local()
        #: False after `disable()`: spans still work for the code, traces are not written.
        self.enabled = True

    def begin(self, record: TraceRecord) -> TraceRecord:
        with self._lock:
            self._records[record.trace_id] = record
        return record

    def record(self, trace_id: str) -> TraceRecord:
        """The record of a trace still being recorded; RuntimeError once it ended."""
        with self._lock:
            found = self._records.get(trace_id)
        if found is None:
            raise RuntimeError(f"Trace {trace_id} is not being recorded (it already ended).")
        return found

    def finish(self, trace_id: str) -> None:
        """The root span ended: hand the trace to its exporter (unless tracing is off)."""
        with self._lock:
            record = self._records.pop(trace_id, None)
            self._last = trace_id
        self._last_here.trace_id = trace_id
        if record is not None and self.enabled:
            record.exporter.export(record)

    def last_trace_id(self, thread_local: bool = False) -> str | None:
        """The trace that ended last, in the process (or in this thread)."""
        if thread_local:
            return getattr(self._last_here, "trace_id", None)
        with self._lock:
            return self._last

    def add_writer(self, writer: Flushable) -> None:
        with self._lock:
            self._writers.append(writer)

    def remove_writer(self, writer: Flushable) -> None:
        with self._lock:
            if writer in self._writers:
                self._writers.remove(writer)

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait for every writer; True when all traces were written before the timeout."""
        with self._lock:
            writers = list(self._writers)
        return all([w.flush(timeout_s) for w in writers])


registry = ActiveTraces()


def disable() -> None:
    """Stop writing traces (MLflow's `mlflow.tracing.disable`); traced code runs unchanged."""
    registry.enabled = False


def enable() -> None:
    """Write traces again after `disable()`."""
    registry.enabled = True


def is_enabled() -> bool:
    return registry.enabled


def flush(timeout_s: float | None = None) -> bool:
    """Block until every finished trace of every client is in its database (MLflow's
    `flush_trace_async_logging`)."""
    return registry.flush(timeout_s)


atexit.register(flush, EXIT_FLUSH_TIMEOUT_S)
