"""The one way to run work off the GUI thread: a database executor and a pool for long jobs.

    task = runner.submit(store.reader.trace_counts)   # one database thread, in order
    task.on_finished(show_counts)                     # delivered on the GUI thread
    task.on_failed(report)                            # the exception, also on the GUI thread
    task.cancel()                                     # its result, if it still comes, is dropped

A failure nobody listens to (no slot on the task's `failed`) is not lost: the runner emits
`failure(what, error)`, which the window shows to the user. A handler that deals with part of
a failure passes the rest on with `report_failure`.

`group()` gives a `TaskGroup`: the work of one view of which only the newest counts (a list
reading its first page, then another experiment's). `drop()` cancels what the group has
pending, and whatever it still produces is never delivered, so a slow answer never lands in
the wrong list. Results that hold something (an opened store) go to the group's `release`.

`submit_job(fn, *args)` runs `fn(token, *args)` on the job pool; `token.cancelled` lets a long
job stop early and `token.report(done, total, payload)` emits the task's `progress`, the
payload (any object: a rerun's counters) handed to the GUI thread as it is. `shutdown()` drops
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

from PySide6.QtCore import QMetaMethod, QObject, Signal, Slot

log = logging.getLogger(__name__)

DB_THREAD_NAME = "tracedesk-db"
JOB_THREAD_NAME = "tracedesk-job"


class JobToken:
    """What a pool job sees of its task: whether to stop, and a way to report progress."""

    def __init__(self, report: Callable[[int, int, object], None]) -> None:
        self._event = threading.Event()
        self._report = report

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        self._event.set()

    def report(self, done: int, total: int, payload: object = None) -> None:
        """Tell the GUI how far the job is (thread-safe, delivered as `Task.progress`).

        Reports go on after the token was cancelled, so a job that winds down says how far it
        got; a cancelled or stale task's never reach its slots.
        """
        self._report(done, total, payload)


class _Generation:
    """The tasks a group started since its last `drop()`; all of them go stale together."""

    def __init__(self, release: Callable[[Any], object] | None) -> None:
        self.release = release
        self.dropped = False
        self.tasks: weakref.WeakSet[Task] = weakref.WeakSet()  # the runner keeps them alive


class Task(QObject):
    """One piece of background work; its signals always arrive on the GUI thread."""

    finished = Signal(object)  # the function's return value
    failed = Signal(object)  # the exception it raised
    progress = Signal(int, int, object)  # done, total, the job's payload (pool jobs only)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        #: What the task does, for the user when it fails and nobody handles it.
        self.what = f"A background task ({name})"
        # No reference cycle through the token: tasks must be freed by reference counting,
        # because the cyclic GC tearing down a PySide wrapper late (at exit) crashes Python.
        this = weakref.ref(self)
        self.token = JobToken(lambda done, total, data: _queue_progress(this, done, total, data))
        self._future: Future[Any] | None = None
        self._relay: _Relay | None = None
        self._generation: _Generation | None = None
        self._cancelled = False
        self._done = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def stale(self) -> bool:
        """Cancelled, or its group moved on: its outcome will not be delivered."""
        return self._cancelled or (self._generation is not None and self._generation.dropped)

    @property
    def done(self) -> bool:
        """True once the outcome was delivered or dropped."""
        return self._done

    @property
    def failure_handled(self) -> bool:
        """Whether a slot listens to `failed` (else a failure goes to the runner's `failure`)."""
        return self.isSignalConnected(QMetaMethod.fromSignal(self.failed))

    def cancel(self) -> None:
        """Drop the result; a task that has not started never runs."""
        self._cancelled = True
        self.token.cancel()
        if self._future is not None:
            self._future.cancel()

    def describe(self, what: str) -> Task:
        """Say what the task does ("Counting the traces"), for the default failure message."""
        self.what = what
        return self

    def on_finished(self, slot: Callable[[Any], object]) -> Task:
        """Connect `slot` to `finished` and return the task, for chaining."""
        self.finished.connect(slot)
        return self

    def on_failed(self, slot: Callable[[BaseException], object]) -> Task:
        """Handle a failure with `slot` (instead of the runner's `failure`); for chaining."""
        self.failed.connect(slot)
        return self

    def on_progress(self, slot: Callable[..., object]) -> Task:
        """Connect `slot` to `progress` (done, total, payload) and return the task."""
        self.progress.connect(slot)
        return self


def _queue_progress(task_ref: weakref.ref[Task], done: int, total: int, payload: object) -> None:
    task = task_ref()
    if task is not None and task._relay is not None:
        task._relay.progress_reported.emit(task, done, total, payload)


class _Relay(QObject):
    """Lives on the GUI thread; worker threads emit to it, so its slots run on the GUI thread."""

    completed = Signal(object, object)  # Task, Future
    progress_reported = Signal(object, int, int, object)

    def __init__(self, runner: TaskRunner) -> None:
        super().__init__(runner)
        self._runner = runner
        self.completed.connect(self._deliver)
        self.progress_reported.connect(self._progress)

    @Slot(object, object)
    def _deliver(self, task: Task, future: Future[Any]) -> None:
        self._runner._deliver(task, future)

    @Slot(object, int, int, object)
    def _progress(self, task: Task, done: int, total: int, payload: object) -> None:
        if not task.stale and not self._runner.is_shut_down:
            task.progress.emit(done, total, payload)


class TaskRunner(QObject):
    """Owns the database executor (one thread, so reads and writes keep their order) and the
    job pool; every background call in the app goes through `submit` or `submit_job`."""

    #: What failed and the exception, for a failure no slot of the task handled: the window
    #: shows it to the user.
    failure = Signal(str, object)

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

    def group(self, *, release: Callable[[Any], object] | None = None) -> TaskGroup:
        """A `TaskGroup` whose `drop()` makes the results of its pending tasks stale."""
        return TaskGroup(self, release=release)

    def report_failure(self, what: str, error: BaseException) -> None:
        """Show a failure on the default path (a handler that dealt with only part of it)."""
        log.warning("%s failed", what, exc_info=error)
        self.failure.emit(what, error)

    def _start(self, executor: ThreadPoolExecutor, name: str, call: Callable[[Task], Any]) -> Task:
        if self._shut_down:
            raise RuntimeError("The task runner has been shut down.")
        task = Task(name)  # owned by Python: kept alive by `_live` until delivered
        task._relay = self._relay
        self._live.add(task)
        started = threading.Event()

        def run() -> Any:
            started.wait()
            if task.stale:
                raise _NotRun  # dropped before it started: nothing to deliver or release
            return call(task)

        future = executor.submit(run)
        task._future = future
        # Registered before the work may finish, so the callback always runs on the worker
        # thread (queued to the GUI) and never inside `submit`, before the caller connects.
        future.add_done_callback(lambda f: self._relay.completed.emit(task, f))
        started.set()
        return task

    def _deliver(self, task: Task, future: Future[Any]) -> None:
        """GUI thread: emit the outcome unless the task was cancelled or went stale meanwhile."""
        self._live.discard(task)
        task._done = True
        task._future = None  # the future's callbacks refer to the task: no cycle left behind
        if self._shut_down or future.cancelled():
            return
        error = future.exception()
        if task.stale:
            release = task._generation.release if task._generation is not None else None
            if release is not None and error is None:
                release(future.result())  # a stale result that holds something: let it go
            return
        if error is None:
            task.finished.emit(future.result())
        elif task.failure_handled:
            log.debug("task %s failed: %r", task.name, error)
            task.failed.emit(error)
        else:
            self.report_failure(task.what, error)

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


class _NotRun(Exception):
    """The outcome of a task that went stale before it started."""


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


class TaskGroup:
    """Tasks of one consumer (a model, a panel) of which only those since the last `drop()`
    count: `drop()` cancels them, and an outcome that still arrives is never delivered.

    A dropped task that had finished anyway hands its result to `release` (a store opened
    for nothing is closed), on the GUI thread.
    """

    def __init__(
        self, runner: TaskRunner, *, release: Callable[[Any], object] | None = None
    ) -> None:
        self._runner = runner
        self._release = release
        self._generation = _Generation(release)

    @property
    def pending(self) -> bool:
        """Whether a task started since the last `drop()` has not delivered yet."""
        return any(not task.done for task in self._generation.tasks)

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
        """`TaskRunner.submit`, in this group."""
        return self._adopt(self._runner.submit(fn, *args, **kwargs))

    def submit_job(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
        """`TaskRunner.submit_job`, in this group."""
        return self._adopt(self._runner.submit_job(fn, *args, **kwargs))

    def _adopt(self, task: Task) -> Task:
        # Only the GUI thread drops a group, and not before `submit` returned: the task cannot
        # have gone stale before it joined the generation.
        task._generation = self._generation
        self._generation.tasks.add(task)
        return task

    def drop(self) -> None:
        """Make every task started so far stale: cancelled, and never delivered."""
        old, self._generation = self._generation, _Generation(self._release)
        old.dropped = True
        for task in list(old.tasks):
            task.cancel()
