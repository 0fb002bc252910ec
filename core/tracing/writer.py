"""`TraceWriter`: a client's background writer of finished traces; nothing is dropped.

MLflow drops spans when its queues fill up (SCHEMA.md §12). Here nothing is dropped and memory
stays bounded: when the writer falls behind, `export` waits until there is room again, so a
busy traced loop slows down to the pace of the disk instead of piling traces up in memory
(`MAX_PENDING_TRACES`, `MAX_PENDING_BYTES`). Traces are committed continuously, in large
batches of one transaction each, so a killed process loses at most what was waiting. A locked
database is waited for, a failed batch is retried, and the process writes everything at exit
(`core.tracing.active` flushes every writer). A trace that cannot be written is logged with the
reason, kept in `failures()`, and makes the next `flush()` return False.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from core.errors import DiskFullError, NotFoundError, StoreError
from core.store.store import Store
from core.tracing import active
from core.tracing.encode import TraceRows, encode_trace
from core.tracing.record import TraceRecord

log = logging.getLogger(__name__)

#: Traces accepted but not yet written (waiting, or in the batch being written) beyond which
#: `export` waits. A batch takes at most half of the count and a quarter of the bytes, so the
#: traced code goes on filling the queue while a batch is written (its rows, about as large
#: as its traces, come on top while it is written).
MAX_PENDING_TRACES = 2_000
#: The same bound in bytes of span attributes and events (what a waiting trace holds).
MAX_PENDING_BYTES = 64 << 20
BATCH_MAX_TRACES = MAX_PENDING_TRACES // 2
BATCH_MAX_BYTES = MAX_PENDING_BYTES // 4
RETRY_DELAYS_S = (0.05, 0.2, 1.0, 2.0, 5.0)
#: A full disk is retried briefly (space may come back), then the traced code goes on.
DISK_FULL_RETRY_DELAYS_S = (0.5,)
#: How many failed traces `failures()` remembers (the newest); `failure_count()` counts all.
FAILURES_KEPT = 10_000


class TraceWriter:
    """A thread that writes the finished traces of one store in batched transactions.

    `open_store` gives the store to write to (asked again after a failed batch); the thread
    starts with the first trace and stops with `stop()`.
    """

    def __init__(self, open_store: Callable[[], Store], name: str) -> None:
        self._open_store = open_store
        self.name = name
        #: Guards everything below; notified whenever a trace is queued or written.
        self._changed = threading.Condition()
        self._queue: deque[tuple[TraceRecord, int]] = deque()
        self._pending_bytes = 0
        self._accepted = 0  # traces given to `export`, ever
        self._done = 0  # of those, written or failed (in the order they were given)
        self._failed: dict[str, str] = {}
        self._failure_count = 0
        self._reported = 0  # failures `flush()` has already reported
        self._thread: threading.Thread | None = None
        self._stopping: threading.Thread | None = None
        self._store: Store | None = None
        self._locations: dict[str, str] = {}

    # -- the TraceExporter side --------------------------------------------------------------

    def export(self, record: TraceRecord) -> None:
        """Queue a finished trace, first waiting while too much is waiting to be written."""
        size = record_size(record)
        with self._changed:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"tracedesk-trace-writer:{self.name}", daemon=True
                )
                self._thread.start()
                active.registry.add_writer(self)
            if threading.current_thread() is not self._thread:
                self._changed.wait_for(lambda: self._has_room(size))
            self._queue.append((record, size))
            self._pending_bytes += size
            self._accepted += 1
            self._changed.notify_all()

    def _has_room(self, size: int) -> bool:
        pending = self._accepted - self._done
        if pending == 0:
            return True  # even a trace larger than the bound is taken alone
        return pending < MAX_PENDING_TRACES and self._pending_bytes + size <= MAX_PENDING_BYTES

    # -- waiting for it ----------------------------------------------------------------------

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until every trace given before this call is written or failed; False on
        timeout. Traces given meanwhile (a loop still running) are not waited for."""
        with self._changed:
            target = self._accepted
            return self._changed.wait_for(lambda: self._done >= target, timeout_s)

    def flush(self, timeout_s: float | None = None) -> bool:
        """`wait()`, then say whether all went well: False on timeout, or when traces could
        not be written since the previous `flush()` (they are logged, and in `failures()`)."""
        if not self.wait(timeout_s):
            return False
        with self._changed:
            new, self._reported = self._failure_count - self._reported, self._failure_count
        if new:
            log.error(
                "%d trace(s) could not be written to %s: %s",
                new,
                self.name,
                self.last_failure(),
            )
        return not new

    def pending(self) -> int:
        """How many traces are accepted but not yet written or failed."""
        with self._changed:
            return self._accepted - self._done

    def failures(self) -> list[tuple[str, str]]:
        """(trace id, reason) of traces that could not be written after every retry (the
        newest `FAILURES_KEPT`)."""
        with self._changed:
            return list(self._failed.items())

    def failure_count(self) -> int:
        """How many traces could not be written, ever."""
        with self._changed:
            return self._failure_count

    def last_failure(self) -> str | None:
        """Why the newest failed trace could not be written, or None."""
        with self._changed:
            return next(reversed(self._failed.values()), None)

    def failure_of(self, trace_id: str) -> str | None:
        """Why `trace_id` could not be written, or None."""
        with self._changed:
            return self._failed.get(trace_id)

    def stop(self, timeout_s: float | None = None) -> None:
        """Write what is queued, then end the thread (a later trace starts it again)."""
        with self._changed:
            thread = self._thread
            if thread is None:
                return
            self._stopping = thread
            self._changed.notify_all()
        thread.join(timeout_s)
        with self._changed:
            ended = self._thread is None
        if ended:
            active.registry.remove_writer(self)

    # -- the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        me = threading.current_thread()
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._queue) or self._stopping is me)
                if not self._queue:  # asked to stop, and everything is written
                    self._thread = self._stopping = None
                    self._store = None  # the client closes its stores after `stop()`
                    return
                batch = self._take_batch()
            try:
                self._write_batch([record for record, _size in batch])
            except Exception as error:  # never leave traces counted as pending forever
                log.exception("TraceDesk's trace writer for %s failed", self.name)
                self._fail([record for record, _size in batch], f"{error}")
            finally:
                with self._changed:
                    self._done += len(batch)
                    self._pending_bytes -= sum(size for _record, size in batch)
                    self._changed.notify_all()

    def _take_batch(self) -> list[tuple[TraceRecord, int]]:
        """The oldest waiting traces, up to a batch's bounds (at least one)."""
        batch = [self._queue.popleft()]
        size = batch[0][1]
        while self._queue and len(batch) < BATCH_MAX_TRACES:
            if size + self._queue[0][1] > BATCH_MAX_BYTES:
                break
            batch.append(self._queue.popleft())
            size += batch[-1][1]
        return batch

    def _write_batch(self, batch: list[TraceRecord]) -> None:
        """Encode and insert `batch` in one transaction, retrying what may pass later."""
        rows: list[TraceRows] | None = None
        delays: tuple[float, ...] = RETRY_DELAYS_S
        attempt = 0
        while True:
            store = None
            try:
                store = self._store or self._open()
                if rows is None:
                    rows = self._encode_all(store, batch)
                store.writer.insert_traces(rows)
                return
            except Exception as error:  # a writer thread must outlive any one bad batch
                self._store = None  # ask for the store again: it may have been reopened
                if isinstance(error, DiskFullError):
                    delays = DISK_FULL_RETRY_DELAYS_S
                if attempt < len(delays):
                    time.sleep(delays[attempt])
                    attempt += 1
                    continue
                if rows is not None and store is not None and isinstance(error, DiskFullError):
                    rows = self._write_what_fits(store, rows)
                left = {r.trace_id for r in rows} if rows is not None else None
                self._fail([r for r in batch if left is None or r.trace_id in left], f"{error}")
                return

    @staticmethod
    def _write_what_fits(store: Store, rows: list[TraceRows]) -> list[TraceRows]:
        """Insert, in order, as many of `rows` as the room left takes (the whole did not
        fit); return the rest."""
        size = len(rows) // 2
        while rows and size >= 1:
            try:
                store.writer.insert_traces(rows[:size])
            except DiskFullError:
                size //= 2
                continue
            except Exception:
                break
            rows = rows[size:]
        return rows

    def _encode_all(self, store: Store, batch: Sequence[TraceRecord]) -> list[TraceRows]:
        """The rows of every trace of `batch`. A store error while looking up experiments
        is raised (the batch is retried); a trace whose experiment is gone, or that cannot be
        encoded, fails alone at once: trying again would not change it."""
        missing: dict[str, str] = {}
        for experiment_id in {record.experiment_id for record in batch}:
            try:
                self._location(store, experiment_id)
            except NotFoundError as error:
                missing[experiment_id] = f"{error}"
        rows = []
        for record in batch:
            if record.experiment_id in missing:
                self._fail([record], missing[record.experiment_id])
                continue
            try:
                with record.lock:
                    location = self._locations[record.experiment_id]
                    rows.append(encode_trace(record, record.experiment_id, location))
            except Exception as error:
                why = f"{type(error).__name__}: {error}"
                self._fail([record], f"The trace could not be made into rows ({why}).")
        return rows

    def _fail(self, records: Sequence[TraceRecord], reason: str) -> None:
        if not records:
            return
        log.error(
            "TraceDesk could not write %d trace(s) to %s: %s", len(records), self.name, reason
        )
        with self._changed:
            for record in records:
                self._failed.pop(record.trace_id, None)
                self._failed[record.trace_id] = reason
            self._failure_count += len(records)
            while len(self._failed) > FAILURES_KEPT:
                del self._failed[next(iter(self._failed))]

    def _open(self) -> Store:
        store = self._open_store()
        if store.read_only:
            raise StoreError(" ".join(store.notices) or f"{self.name} is open read-only.")
        self._store = store
        return store

    def _location(self, store: Store, experiment_id: str) -> str:
        """The experiment's artifact location, asked once per writer."""
        location = self._locations.get(experiment_id)
        if location is None:
            location = store.writer.experiment_artifact_location(experiment_id)
            self._locations[experiment_id] = location
        return location


def record_size(record: TraceRecord) -> int:
    """Roughly the bytes a finished trace holds: its attribute values and event attributes."""
    total = 0
    for span in list(record.spans):
        total += 200 + sum(len(value) for value in list(span.attributes.values()))
        for event in list(span.events):
            total += 100 + sum(
                len(value) if isinstance(value, str) else 16
                for value in list(event.get("attributes", {}).values())
            )
    return total
