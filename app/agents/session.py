"""`AgentSession`: the page's agent runner, with every call off the GUI thread.

Threads (the GUI thread never waits on the agent, except a short kill when the window closes):

* preparing — resolving the model URI and reading the code file — runs in the database thread
  (`tasks.submit`), because `AgentRunner(...)` opens the store;
* starting, answering and stopping are pool jobs (`tasks.submit_job`): they block on the child;
* the runner's `on_stderr` / `on_log` callbacks run on its reader threads and `on_event` on the
  answering job's thread. They only emit this object's signals; the receivers live in the GUI
  thread, so Qt queues each emission to it, in order, before the job's own `finished`.

Results of a runner the page has moved away from (another version, another database) are
dropped (the session's `TaskGroup`); that runner is stopped all the same. `shutdown()` stops
every runner this session started and waits for it: no child outlives the page.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.agents.data import CodeFacts, read_code
from app.tasks import JobToken, Task, TaskRunner
from core.agents import AgentCallError, AgentResult, AgentRunner, AgentStoppedError

log = logging.getLogger(__name__)

IDLE, PREPARING, STARTING, READY, BUSY = "idle", "preparing", "starting", "ready", "busy"
STOPPING, STOPPED, CRASHED, FAILED = "stopping", "stopped", "crashed", "failed"
#: Loading imports the agent's packages: it may take longer than an answer.
LOAD_TIMEOUT_S = 120.0
#: How long a stopping child may take to finish its pending trace writes.
STOP_GRACE_S = 3.0
#: When the window closes: terminate at once, kill soon after.
SHUTDOWN_GRACE_S = 0.3


@dataclass(frozen=True)
class Prepared:
    """A runner ready to start, and the code file it would execute."""

    runner: AgentRunner
    name: str
    version: int
    code: CodeFacts | None

    @property
    def approval_key(self) -> tuple[str, int, str]:
        """What an approval to run covers: the model, the version and the code's hash."""
        digest = self.code.sha256 if self.code is not None else ""
        return (self.name, self.version, digest)


class _Forward:
    """The runner's callbacks: emit the session's signals from whichever thread calls them."""

    def __init__(self, session: AgentSession) -> None:
        self._session: AgentSession | None = session

    def stderr(self, line: str) -> None:
        session = self._session
        if session is not None:
            session.stderr_line.emit(line)

    def log(self, level: str, message: str) -> None:
        session = self._session
        if session is not None:
            session.log_line.emit(level, message)

    def event(self, event: dict[str, Any]) -> None:
        session = self._session
        if session is not None:
            session.event_received.emit(event)


def prepare_runner(
    model_uri: str,
    tracking_uri: str,
    python: str,
    timeout_s: float,
    forward: _Forward,
    **extra: Any,
) -> Prepared:
    """Database thread: the runner for `model_uri` (pinned to one version) and its code file."""
    runner = AgentRunner(
        model_uri,
        tracking_uri,
        python=python,
        timeout_s=timeout_s,
        load_timeout_s=max(timeout_s, LOAD_TIMEOUT_S),
        on_stderr=forward.stderr,
        on_log=forward.log,
        **extra,
    )
    resolved = runner.resolved
    code = read_code(runner.code_file) if runner.code_file is not None else None
    return Prepared(runner, str(resolved.name), int(resolved.version or 0), code)


def _start_job(token: JobToken, runner: AgentRunner, cancelled: threading.Event) -> dict[str, Any]:
    """Pool job: start the child; if Stop came meanwhile, stop it again."""
    if cancelled.is_set():
        raise AgentStoppedError("The agent was stopped before it started.")
    info = runner.start()
    if cancelled.is_set():
        runner.stop(grace_s=SHUTDOWN_GRACE_S)
        raise AgentStoppedError("The agent was stopped while it was loading.")
    return info


def _answer_job(
    token: JobToken,
    runner: AgentRunner,
    request: Mapping[str, Any],
    stream: bool,
    on_event: Callable[[dict[str, Any]], None],
) -> AgentResult:
    """Pool job: ask the agent, streaming when it can (falling back when it cannot)."""
    if stream:
        try:
            return runner.predict_stream(request, on_event=on_event)
        except AgentCallError as error:
            if error.error_type != "NotImplementedError":
                raise
    return runner.predict(request)


def _stop_job(token: JobToken, runner: AgentRunner) -> int | None:
    return runner.stop(grace_s=STOP_GRACE_S)


class AgentSession(QObject):
    """Prepares, starts, asks and stops one agent at a time (see the module docstring)."""

    state_changed = Signal(str)
    prepared = Signal(object)  # a Prepared runner: ask the user, then start()
    prepare_failed = Signal(str)
    loaded = Signal(object)  # the child's load info (runtime, pid, traced, ...)
    load_failed = Signal(object)  # the exception: AgentLoadError, AgentCrashedError, ...
    stderr_line = Signal(str)  # one line the child wrote on stderr
    log_line = Signal(str, str)  # level, message: what the runner noticed (junk on stdout...)
    event_received = Signal(object)  # one streamed event (a dict)
    answered = Signal(object)  # an AgentResult
    call_failed = Signal(object)  # the exception of a call
    stopped = Signal(object)  # the child's exit code (or None)

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._forward = _Forward(self)
        self._state = IDLE
        self._current: Prepared | None = None
        self._cancelled = threading.Event()
        self._stop_requested = False
        self._started: list[AgentRunner] = []  # every runner that may have a child
        self._work = tasks.group()  # calls about the current runner

    # -- state --------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    @property
    def current(self) -> Prepared | None:
        return self._current

    @property
    def runner(self) -> AgentRunner | None:
        return self._current.runner if self._current is not None else None

    @property
    def stop_requested(self) -> bool:
        """Whether the last failure was the user's Stop (not a crash)."""
        return self._stop_requested

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)

    # -- preparing and starting ---------------------------------------------------------------

    def prepare(
        self, tracking_uri: str, model_uri: str, python: str, timeout_s: float, **extra: Any
    ) -> Task:
        """Resolve `model_uri` and read its code file; `prepared` or `prepare_failed` follows."""
        self.discard()
        self._set_state(PREPARING)
        task = self._work.submit(
            prepare_runner, model_uri, tracking_uri, python, timeout_s, self._forward, **extra
        )
        return task.on_finished(self._on_prepared).on_failed(self._on_prepare_failed)

    def _on_prepared(self, prepared: Prepared) -> None:
        self._current = prepared
        self._set_state(IDLE)
        self.prepared.emit(prepared)

    def _on_prepare_failed(self, error: BaseException) -> None:
        self._set_state(FAILED)
        self.prepare_failed.emit(f"The model could not be prepared: {error}")

    def start(self) -> None:
        """Start (or restart) the prepared runner's child in a pool job."""
        prepared = self._current
        if prepared is None or self._state in (STARTING, BUSY, STOPPING):
            return
        runner = prepared.runner
        self._cancelled.clear()
        self._stop_requested = False
        if runner not in self._started:
            self._started.append(runner)
        self._set_state(STARTING)
        task = self._work.submit_job(_start_job, runner, self._cancelled)
        task.on_finished(self._on_started).on_failed(self._on_start_failed)

    def _on_started(self, info: dict[str, Any]) -> None:
        self._set_state(READY)
        self.loaded.emit(info)

    def _on_start_failed(self, error: BaseException) -> None:
        self._set_state(STOPPED if self._stop_requested else FAILED)
        self.load_failed.emit(error)

    # -- asking -------------------------------------------------------------------------------

    def send(self, request: Mapping[str, Any], *, stream: bool) -> bool:
        """Ask the running agent; False when it is not ready for a question."""
        runner = self.runner
        if runner is None or self._state != READY:
            return False
        self._set_state(BUSY)
        task = self._work.submit_job(_answer_job, runner, dict(request), stream, self._on_event)
        task.on_finished(self._on_answered).on_failed(self._on_call_failed)
        return True

    def _on_event(self, event: dict[str, Any]) -> None:
        self._forward.event(event)  # the job's thread: queued to the GUI thread

    def _on_answered(self, result: AgentResult) -> None:
        self._set_state(READY)
        self.answered.emit(result)

    def _on_call_failed(self, error: BaseException) -> None:
        if isinstance(error, AgentCallError):
            self._set_state(READY)  # the agent raised; its process still serves
        elif self._stop_requested:
            self._set_state(STOPPED)
        else:
            self._set_state(CRASHED)
        self.call_failed.emit(error)

    # -- stopping -----------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the child in a pool job (a call waiting for it ends with AgentStoppedError)."""
        runner = self.runner
        if runner is None or self._state in (IDLE, PREPARING, STOPPED, STOPPING):
            return
        self._stop_requested = True
        self._cancelled.set()
        self._set_state(STOPPING)
        task = self._work.submit_job(_stop_job, runner)
        task.on_finished(self._on_stopped).on_failed(lambda _error: self._on_stopped(None))

    def _on_stopped(self, code: int | None) -> None:
        self._set_state(STOPPED)
        self.stopped.emit(code)

    def discard(self) -> None:
        """Forget the current runner (another model was chosen); its child is stopped."""
        runner = self.runner
        self._work.drop()
        self._cancelled.set()
        self._cancelled = threading.Event()  # the next runner's own
        self._current = None
        self._stop_requested = False
        if runner is not None and runner in self._started and not self._tasks.is_shut_down:
            self._tasks.submit_job(_stop_job, runner).describe("Stopping the agent")
        self._set_state(IDLE)

    def shutdown(self) -> None:
        """Stop every child this session started, now (the window or database is closing)."""
        self._work.drop()
        self._cancelled.set()
        for runner in self._started:
            try:
                runner.stop(grace_s=SHUTDOWN_GRACE_S)
            except Exception:  # never keep the window open because a child was odd
                log.exception("Stopping the agent process failed")
        self._started = [r for r in self._started if r.is_running]
        self._current = None
        self._set_state(IDLE)
