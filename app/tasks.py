"""The one way to run work off the GUI thread: a database executor and a pool for long jobs.

    task = runner.submit(store.reader.trace_counts)   # one database thread, in order
    task.finished.connect(show_counts)                # delivered on the GUI thread
    task.failed.connect(report)                       # the exception, also on the GUI thread
    task.cancel()                                     # its result, if it still comes, is dropped

`LatestRead` keeps the newest of a series of reads (a model reloading its rows): starting one
drops the one still pending, so a late answer never replaces a newer one.

`submit_job(fn, *args)` runs `fn(token, *args)` on the job pool; `token.cancelled` lets a long
job stop early and `token.report(done, total)` emits the task's `progress`. `shutdown()` drops
whatever has not started, asks running jobs to stop and joins every thread.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)

DB_THREAD_NAME = "tracedesk-db"
JOB_THREAD_NAME = "tracedesk-job"


class JobToken:
    """What a pool job sees of its task: whether to stop, and a way to report progress."""

    def __init__(self, report: Callable[[int, int], None]) -> None:
        self._event = threading.Event()
        self._report = report

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        self._event.set()

    def report(self, done: int, total: int) -> None:
        """Tell the GUI how far the job is (thread-safe, delivered as `Task.progress`)."""
        if not self.cancelled:
            self._report(done, total)


class Task(QObject):
    """One piece of background work; its signals always arrive on the GUI thread."""

    finished = Signal(object)  # the function's return value
    failed = Signal(object)  # the exception it raised
    progress = Signal(int, int)  # done, total (pool jobs only)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        # No reference cycle through the token: tasks must be freed by reference counting,
        # because the cyclic GC tearing down a PySide wrapper late (at exit) crashes Python.
        this = weakref.ref(self)
        self.token = JobToken(lambda done, total: _queue_progress(this, done, total))
        self._future: Future[Any] | None = None
        self._relay: _Relay | None = None
        self._cancelled = False
        self._done = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def done(self) -> bool:
        """True once the outcome was delivered or dropped."""
        return self._done

    def cancel(self) -> None:
        """Drop the result; a task that has not started never runs."""
        self._cancelled = True
        self.token.cancel()
        if self._future is not None:
            self._future.cancel()

    def on_finished(self, slot: Callable[[Any], object]) -> Task:
        """Connect `slot` to `finished` and return the task, for chaining."""
        self.finished.connect(slot)
        return self

    def on_failed(self, slot: Callable[[BaseException], object]) -> Task:
        """Connect `slot` to `failed` and return the task, for chaining."""
        self.failed.connect(slot)
        return self


def _queue_progress(task_ref: weakref.ref[Task], done: int, total: int) -> None:
    task = task_ref()
    if task is not None and task._relay is not None:
        task._relay.progress_reported.emit(task, done, total)


class _Relay(QObject):
    """Lives on the GUI thread; worker threads emit to it, so its slots run on the GUI thread."""

    completed = Signal(object, object)  # Task, Future
    progress_reported = Signal(object, int, int)

    def __init__(self, runner: TaskRunner) -> None:
        super().__init__(runner)
        self._runner = runner
        self.completed.connect(self._deliver)
        self.progress_reported.connect(self._progress)

    @Slot(object, object)
    def _deliver(self, task: Task, future: Future[Any]) -> None:
        self._runner._deliver(task, future)

    @Slot(object, int, int)
    def _progress(self, task: Task, done: int, total: int) -> None:
        if not task.cancelled and not self._runner.is_shut_down:
            task.progress.emit(done, total)


class TaskRunner(QObject):
    """Owns the database executor (one thread, so reads and writes keep their order) and the
    job pool; every background call in the app goes through `submit` or `submit_job`."""

    def __init__(self, parent: QObject | None = None, *, job_workers: int | None = None) -> None:
        super().__init__(parent)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix=DB_THREAD_NAME)
        workers = job_workers or min(4, os.cpu_count() or 2)
        self._jobs = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=JOB_THREAD_NAME)
        self._relay = _Relay(self)
        self._live: set[Task] = set()
        self._shut_down = False

    @property
    def is_shut_down(self) -> bool:
        return self._shut_down

    @property
    def pending(self) -> int:
        """How many tasks have not delivered their outcome yet."""
        return len(self._live)

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
        """Run `fn(*args, **kwargs)` on the database thread, after what was submitted before."""
        return self._start(self._db, _name(fn), lambda _task: fn(*args, **kwargs))

    def submit_job(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
        """Run `fn(token, *args, **kwargs)` on the job pool (network calls, long computations)."""
        return self._start(self._jobs, _name(fn), lambda task: fn(task.token, *args, **kwargs))

    def _start(self, executor: ThreadPoolExecutor, name: str, call: Callable[[Task], Any]) -> Task:
        if self._shut_down:
            raise RuntimeError("The task runner has been shut down.")
        task = Task(name)  # owned by Python: kept alive by `_live` until delivered
        task._relay = self._relay
        self._live.add(task)
        started = threading.Event()

        def run() -> Any:
            started.wait()
            return None if task.cancelled else call(task)

        future = executor.submit(run)
        task._future = future
        # Registered before the work may finish, so the callback always runs on the worker
        # thread (queued to the GUI) and never inside `submit`, before the caller connects.
        future.add_done_callback(lambda f: self._relay.completed.emit(task, f))
        started.set()
        return task

    def _deliver(self, task: Task, future: Future[Any]) -> None:
        """GUI thread: emit the outcome unless the task was cancelled meanwhile."""
        self._live.discard(task)
        task._done = True
        task._future = None  # the future's callbacks refer to the task: no cycle left behind
        if task.cancelled or future.cancelled() or self._shut_down:
            return
        error = future.exception()
        if error is not None:
            log.debug("task %s failed: %r", task.name, error)
            task.failed.emit(error)
        else:
            task.finished.emit(future.result())

    def shutdown(self) -> None:
        """Drop pending work, stop running jobs cooperatively, and join all threads."""
        if self._shut_down:
            return
        self._shut_down = True
        for task in list(self._live):
            task.cancel()
            task._future = None
        self._jobs.shutdown(wait=True, cancel_futures=True)
        self._db.shutdown(wait=True, cancel_futures=True)
        self._live.clear()


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


class LatestRead:
    """The newest of a series of database reads; `start` cancels the one still pending.

    A cancelled task never delivers, so whatever reaches `on_done`/`on_failed` answers the
    newest read. Callbacks run on the GUI thread.
    """

    def __init__(self, tasks: TaskRunner) -> None:
        self._tasks = tasks
        self._pending: Task | None = None

    @property
    def pending(self) -> bool:
        return self._pending is not None

    def start(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], object],
        on_failed: Callable[[BaseException], object],
    ) -> None:
        """Run `fn(*args)` on the database thread in place of the pending read, if any."""
        self.cancel()
        task = self._tasks.submit(fn, *args)
        task.finished.connect(lambda result: self._settle(on_done, result))
        task.failed.connect(lambda error: self._settle(on_failed, error))
        self._pending = task

    def cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def _settle(self, callback: Callable[[Any], object], value: Any) -> None:
        self._pending = None
        callback(value)
