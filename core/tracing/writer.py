"""`TraceWriter`: a client's background writer of finished traces; nothing is dropped.

MLflow drops spans when its queues fill up (SCHEMA.md §12). Here the queue is unbounded, a
locked database is waited for, a failed batch is retried, and the process writes everything
at exit (`core.tracing.active` flushes every writer). Traced code pays only for appending to
the queue.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from core.errors import StoreError
from core.store.store import Store
from core.tracing import active
from core.tracing.encode import TraceRows, encode_trace
from core.tracing.record import TraceRecord

log = logging.getLogger(__name__)

BATCH_SIZE = 200
RETRY_DELAYS_S = (0.05, 0.2, 1.0, 2.0, 5.0)


class TraceWriter:
    """A thread that writes the finished traces of one store in batched transactions.

    `open_store` gives the store to write to (asked again after a failed batch); the thread
    starts with the first trace and stops with `stop()`.
    """

    def __init__(self, open_store: Callable[[], Store], name: str) -> None:
        self._open_store = open_store
        self.name = name
        self._pending: queue.Queue[TraceRecord | None] = queue.Queue()
        self._failed: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._locations: dict[str, str] = {}
        self._thread: threading.Thread | None = None

    # -- the TraceExporter side --------------------------------------------------------------

    def export(self, record: TraceRecord) -> None:
        """Queue a finished trace; the writer thread starts with the first one."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"tracedesk-trace-writer:{self.name}", daemon=True
                )
                self._thread.start()
                active.registry.add_writer(self)
        self._pending.put(record)

    # -- waiting for it ----------------------------------------------------------------------

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until everything queued so far is written (or failed); False on timeout."""
        if self._pending.unfinished_tasks == 0:
            return True
        done = threading.Event()

        def wait_for_queue() -> None:
            self._pending.join()
            done.set()

        threading.Thread(target=wait_for_queue, daemon=True).start()
        return done.wait(timeout_s)

    def failures(self) -> list[tuple[str, str]]:
        """(trace id, reason) of traces that could not be written after every retry."""
        with self._lock:
            return list(self._failed)

    def failure_of(self, trace_id: str) -> str | None:
        """Why `trace_id` could not be written, or None."""
        return next((why for tid, why in self.failures() if tid == trace_id), None)

    def stop(self, timeout_s: float | None = None) -> None:
        """Write what is queued, then end the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is None:
            return
        self._pending.put(None)
        thread.join(timeout_s)
        active.registry.remove_writer(self)

    # -- the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                self._write_with_retries(batch)
            finally:
                for _ in batch:
                    self._pending.task_done()

    def _next_batch(self) -> list[TraceRecord] | None:
        first = self._pending.get()
        if first is None:
            self._pending.task_done()
            return None
        batch = [first]
        while len(batch) < BATCH_SIZE:
            try:
                item = self._pending.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._pending.put(None)  # keep the stop signal for the next round
                self._pending.task_done()
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
                self._store = None  # ask for the store again: it may have been reopened
                if attempt == len(RETRY_DELAYS_S):
                    log.error(
                        "TraceDesk could not write %d trace(s) to %s: %s",
                        len(batch),
                        self.name,
                        error,
                    )
                    with self._lock:
                        self._failed.extend((record.trace_id, str(error)) for record in batch)

    def _write(self, batch: list[TraceRecord]) -> None:
        store = self._store or self._open()
        rows = [self._encode(store, record) for record in batch]
        store.writer.insert_traces(rows)

    def _open(self) -> Store:
        store = self._open_store()
        if store.read_only:
            raise StoreError(" ".join(store.notices) or f"{self.name} is open read-only.")
        self._store = store
        return store

    def _encode(self, store: Store, record: TraceRecord) -> TraceRows:
        experiment_id = record.experiment_id
        location = self._locations.get(experiment_id)
        if location is None:
            location = store.writer.experiment_artifact_location(experiment_id)
            self._locations[experiment_id] = location
        with record.lock:
            return encode_trace(record, experiment_id, location)
