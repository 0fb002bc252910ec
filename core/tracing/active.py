"""The traces being recorded in this process, and the switch that stops writing them.

Span code finds a trace's record here by id (a child span joins its parent's record, whichever
client started it). When a root span ends, its record goes to the exporter it names, unless
tracing is disabled (`disable()`, MLflow's `mlflow.tracing.disable`). Every trace writer that
has started is known here too, so `flush()` and the exit of the process wait for all of them.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from typing import Protocol

from core.tracing.record import TraceRecord

log = logging.getLogger(__name__)

#: How long the exit of the process waits for pending traces (seconds).
EXIT_FLUSH_TIMEOUT_S = 120.0


class Writer(Protocol):
    """A client's trace writer (`core.tracing.writer.TraceWriter`), as `flush()` sees it."""

    name: str

    def wait(self, timeout_s: float | None = None) -> bool: ...

    def failure_count(self) -> int: ...

    def last_failure(self) -> str | None: ...

    def pending(self) -> int: ...

    def stop(self, timeout_s: float | None = None) -> None: ...


class ActiveTraces:
    """Records by trace id while their traces are being recorded; the started writers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, TraceRecord] = {}
        self._writers: list[Writer] = []
        #: Per writer, the failures `flush()` has already reported (kept after `stop()`, so a
        #: writer that starts again does not hide them; weak, so a closed client goes away).
        self._reported: weakref.WeakKeyDictionary[Writer, int] = weakref.WeakKeyDictionary()
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

    def add_writer(self, writer: Writer) -> None:
        failures = writer.failure_count()
        with self._lock:
            if writer not in self._writers:
                self._writers.append(writer)
                self._reported.setdefault(writer, failures)

    def writers(self) -> list[Writer]:
        with self._lock:
            return list(self._writers)

    def remove_writer(self, writer: Writer) -> None:
        with self._lock:
            if writer in self._writers:
                self._writers.remove(writer)

    def flush(self, timeout_s: float | None = None, *, terminate: bool = False) -> bool:
        """Wait for every writer; True when every trace finished before the call is written.

        False when the timeout passed first, or when traces could not be written since the
        previous `flush()` (a full disk, say): those are logged as an error with the reason,
        and each writer's `failures()` names them. With `terminate`, the writers' threads end
        too (a later trace starts them again).
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        all_written = True
        for writer in self.writers():
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not writer.wait(left):
                all_written = False
            count = writer.failure_count()
            with self._lock:
                new = count - self._reported.get(writer, 0)
                self._reported[writer] = count
            if new > 0:
                log.error(
                    "%d trace(s) could not be written to %s: %s",
                    new,
                    writer.name,
                    writer.last_failure(),
                )
                all_written = False
            if terminate:
                writer.stop(left)
        return all_written


registry = ActiveTraces()


def disable() -> None:
    """Stop writing traces (MLflow's `mlflow.tracing.disable`); traced code runs unchanged."""
    registry.enabled = False


def enable() -> None:
    """Write traces again after `disable()`."""
    registry.enabled = True


def is_enabled() -> bool:
    return registry.enabled


def flush(timeout_s: float | None = None, *, terminate: bool = False) -> bool:
    """Block until every finished trace of every client is in its database (MLflow's
    `flush_trace_async_logging`, which returns None; here False says that the timeout passed
    or that traces could not be written, and the log says why)."""
    return registry.flush(timeout_s, terminate=terminate)


def _flush_at_exit() -> None:
    """Write what is left before the process ends; say what could not be written."""
    registry.flush(EXIT_FLUSH_TIMEOUT_S)  # logs the traces that failed
    for writer in registry.writers():
        if left := writer.pending():
            log.error(
                "%d trace(s) were not written to %s: the process ended after waiting %.0f s.",
                left,
                writer.name,
                EXIT_FLUSH_TIMEOUT_S,
            )


atexit.register(_flush_at_exit)
