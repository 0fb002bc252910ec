"""Where finished traces go: one background writer per tracking URI, and nothing dropped.

MLflow drops spans when its queues fill up (SCHEMA.md §12). Here the queue is unbounded, a
locked database is waited for, a failed batch is retried, and the process flushes everything
at exit. Traced code pays only for appending to the queue.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from dataclasses import dataclass, field

from core.errors import StoreError
from core.store.store import Store
from core.tracing.encode import TraceRows, encode_trace
from core.tracing.live_span import TraceRecord

log = logging.getLogger(__name__)

BATCH_SIZE = 200
RETRY_DELAYS_S = (0.05, 0.2, 1.0, 2.0, 5.0)


@dataclass
class _Writer:
    """A thread that writes finished traces of one tracking URI in batched transactions."""

    uri: str
    pending: queue.Queue[TraceRecord | None] = field(default_factory=queue.Queue)
    failed: list[tuple[TraceRecord, str]] = field(default_factory=list)
    _store: Store | None = None
    _locations: dict[str, str] = field(default_factory=dict)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"tracedesk-trace-writer:{self.uri}", daemon=True
        )
        self._thread.start()

    def submit(self, record: TraceRecord) -> None:
        self.pending.put(record)

    def stop(self, timeout_s: float | None = None) -> None:
        self.pending.put(None)
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self._store is not None:
            self._store.close()
            self._store = None

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until everything submitted so far is written; False on timeout."""
        done = threading.Event()

        def wait_for_queue() -> None:
            self.pending.join()
            done.set()

        threading.Thread(target=wait_for_queue, daemon=True).start()
        return done.wait(timeout_s)

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                self._write_with_retries(batch)
            finally:
                for _ in batch:
                    self.pending.task_done()

    def _next_batch(self) -> list[TraceRecord] | None:
        first = self.pending.get()
        if first is None:
            self.pending.task_done()
            return None
        batch = [first]
        while len(batch) < BATCH_SIZE:
            try:
                item = self.pending.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self.pending.put(None)  # keep the stop signal for the next round
                self.pending.task_done()
                break
            batch.append(item)
        return batch

    def _write_with_retries(self, batch: list[TraceRecord]) -> None:
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS_S)):
            time.sleep(delay)
            try:
                self._write(batch)
                return
            except Exception as error:  # a writer thread must outlive any one bad batch
                self._store = None  # reopen next time: the file may have been replaced
                if attempt == len(RETRY_DELAYS_S):
                    log.error(
                        "TraceDesk could not write %d trace(s) to %s: %s",
                        len(batch),
                        self.uri,
                        error,
                    )
                    self.failed.extend((record, str(error)) for record in batch)

    def _write(self, batch: list[TraceRecord]) -> None:
        store = self._open()
        rows = [self._encode(store, record) for record in batch]
        store.writer.insert_traces(rows)

    def _open(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.uri, read_only=False, create=True)
            if self._store.read_only:
                raise StoreError(" ".join(self._store.notices) or f"{self.uri} is read-only.")
        return self._store

    def _encode(self, store: Store, record: TraceRecord) -> TraceRows:
        experiment_id = record.experiment_id or "0"
        location = self._locations.get(experiment_id)
        if location is None:
            location = store.writer.experiment_artifact_location(experiment_id)
            self._locations[experiment_id] = location
        return encode_trace(record, experiment_id, location)


class Tracer:
    """Process-wide: the traces being recorded and the writers of finished ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, TraceRecord] = {}
        self._writers: dict[str, _Writer] = {}
        #: False after `disable()`: spans still work for the code, traces are not written.
        self.enabled = True

    def begin_trace(self, trace_id: str, experiment_id: str | None = None) -> TraceRecord:
        from core import tracking  # the module API holds the current URI and experiment

        record = TraceRecord(
            trace_id=trace_id,
            tracking_uri=tracking.get_tracking_uri(),
            experiment_id=experiment_id or tracking.active_experiment_id(),
        )
        with self._lock:
            self._records[trace_id] = record
        return record

    def record(self, trace_id: str) -> TraceRecord:
        with self._lock:
            found = self._records.get(trace_id)
        if found is None:
            raise RuntimeError(f"Trace {trace_id} is not being recorded (it already ended).")
        return found

    def finish_trace(self, trace_id: str) -> None:
        with self._lock:
            record = self._records.pop(trace_id, None)
            if record is None or not self.enabled:
                return
            writer = self._writers.get(record.tracking_uri)
            if writer is None:
                writer = _Writer(record.tracking_uri)
                writer.start()
                self._writers[record.tracking_uri] = writer
        writer.submit(record)

    def flush(self, timeout_s: float | None = None) -> bool:
        """Write every finished trace; True when all were written before the timeout."""
        with self._lock:
            writers = list(self._writers.values())
        return all(w.flush(timeout_s) for w in writers)

    def shutdown(self, timeout_s: float | None = 30.0) -> None:
        """Flush, then stop every writer thread and close its database."""
        self.flush(timeout_s)
        with self._lock:
            writers = list(self._writers.values())
            self._writers.clear()
        for writer in writers:
            writer.stop(timeout_s)

    def failures(self) -> list[tuple[str, str]]:
        """(trace id, reason) of traces that could not be written after every retry."""
        with self._lock:
            writers = list(self._writers.values())
        return [(r.trace_id, reason) for w in writers for r, reason in w.failed]


_tracer = Tracer()


def tracer() -> Tracer:
    return _tracer


def disable() -> None:
    """Stop writing traces (MLflow's `mlflow.tracing.disable`); traced code runs unchanged."""
    _tracer.enabled = False


def enable() -> None:
    """Write traces again after `disable()`."""
    _tracer.enabled = True


def flush(timeout_s: float | None = None) -> bool:
    """Block until every finished trace is in its database (MLflow's
    `flush_trace_async_logging`)."""
    return _tracer.flush(timeout_s)


atexit.register(flush, 120.0)
