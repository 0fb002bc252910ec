"""`AgentRunner`: run a logged agent in a child process and talk to it over JSON lines.

    runner = AgentRunner("models:/agent@latest", "sqlite:///mlflow.db", python=venv_python)
    print(runner.code_file)            # what will run: show it before starting
    runner.start()
    result = runner.predict({"input": [{"role": "user", "content": "what is 4*3 in python"}]})
    result.response, result.trace_id  # the answer, and its trace in the same database
    runner.stop()

The child (`core.agents.child`, protocol in `core.agents.protocol`) loads the model in any
interpreter, e.g. a virtualenv with MLflow for code that imports it; how it is started (with
this process's `core`) and ended is `core.agents.child_process`.

Failures never leave the caller hanging:

* the child exits (a crash, `os._exit`, a failed import): `AgentCrashedError` with the exit
  code and the last stderr lines;
* no answer in `timeout_s` (between two events, for a stream): the child is killed,
  `AgentTimeoutError`;
* lines on stdout that are not protocol messages are skipped and reported to `on_log`;
* `stop()` asks the child to finish, then terminates it, then kills it; a call waiting at that
  moment raises `AgentStoppedError`.

Callbacks (`on_stderr(line)`, `on_log(level, message)`) run on the runner's reader threads.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.agents.child_process import BOOTSTRAP, ChildProcess, child_environment
from core.agents.codefile import inspect_code_file
from core.agents.errors import (
    AgentCallError,
    AgentCrashedError,
    AgentLoadError,
    AgentStoppedError,
    AgentTimeoutError,
)
from core.agents.protocol import (
    ERROR,
    EVENT,
    LOAD_ID,
    LOG,
    PING,
    PREDICT,
    PREDICT_STREAM,
    RESPONSE_TYPES,
    SHUTDOWN,
    decode,
    encode,
)
from core.entities.model_registry import ResolvedModel
from core.store.store import Store

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 120.0
STDERR_LINES = 200
StderrCallback = Callable[[str], None]
LogCallback = Callable[[str, str], None]
EventCallback = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class AgentResult:
    """One answer: the response dict, the trace it made, and how long it took."""

    response: dict[str, Any]
    trace_id: str | None
    duration_s: float
    events: tuple[dict[str, Any], ...] = ()


class AgentRunner:
    """Runs one model in a child process; calls are answered one at a time."""

    def __init__(
        self,
        model_uri: str,
        tracking_uri: str | Path,
        python: str | Path = sys.executable,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        *,
        load_timeout_s: float | None = None,
        experiment_id: str | None = None,
        on_stderr: StderrCallback | None = None,
        on_log: LogCallback | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        trace: bool = True,
    ) -> None:
        self.model_uri = model_uri
        #: False: the child writes no traces (`load_info["traced"]` then says so).
        self.trace = trace
        self.tracking_uri = str(tracking_uri)
        self.python = str(python)
        self.timeout_s = timeout_s
        self.load_timeout_s = load_timeout_s if load_timeout_s is not None else timeout_s
        self.experiment_id = experiment_id
        self.on_stderr = on_stderr
        self.on_log = on_log
        self._env, self._cwd = env, cwd
        with Store.open(self.tracking_uri) as store:
            #: What `model_uri` names now; the child loads exactly this (see `pinned_uri`).
            self.resolved: ResolvedModel = store.models.resolve(model_uri)
        self.load_info: dict[str, Any] = {}
        self.stderr_lines: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self.logs: collections.deque[tuple[str, str]] = collections.deque(maxlen=STDERR_LINES)
        self._child: ChildProcess | None = None
        self._call_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stopping = False

    # -- what will run ------------------------------------------------------------------------

    @property
    def code_file(self) -> Path | None:
        """The code file the child will execute (the copy in the model folder)."""
        return self.resolved.folder.code_file

    @property
    def needs_mlflow(self) -> bool:
        """Whether the code imports mlflow (so `python` must have MLflow)."""
        code_file = self.code_file
        if code_file is None or not code_file.is_file():
            return False
        try:
            return inspect_code_file(code_file).imports_mlflow
        except ValueError:
            return False

    @property
    def is_running(self) -> bool:
        child = self._child
        return child is not None and child.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._child.process.pid if self._child is not None else None

    @property
    def returncode(self) -> int | None:
        return self._child.process.poll() if self._child is not None else None

    # -- starting -----------------------------------------------------------------------------

    @property
    def pinned_uri(self) -> str:
        """`model_uri` made exact (`models:/agent@latest` -> `models:/agent/2`), so the child
        runs the code file `code_file` named even if a newer version is registered meanwhile."""
        resolved = self.resolved
        if resolved.name is not None and resolved.version is not None:
            return f"models:/{resolved.name}/{resolved.version}"
        if resolved.model_id is not None and not self.model_uri.startswith("runs:/"):
            return f"models:/{resolved.model_id}"
        return self.model_uri

    def command(self) -> list[str]:
        """The child's command line."""
        command = [self.python, "-c", BOOTSTRAP, "--model-uri", self.pinned_uri]
        command += ["--tracking-uri", self.tracking_uri]
        if not self.trace:
            command.append("--no-trace")
        if self.experiment_id is not None:
            command += ["--experiment-id", str(self.experiment_id)]
        return command

    def start(self) -> dict[str, Any]:
        """Start the child and wait until the model is loaded; returns what the child reported
        (runtime, model id, code file, interpreter). Raises `AgentLoadError` when loading
        failed, `AgentCrashedError` / `AgentTimeoutError` when the child died or hung."""
        with self._call_lock:
            if self.is_running:
                return self.load_info
            self._stopping = False
            self.stderr_lines.clear()
            child = self._launch()
            message = self._await(child, LOAD_ID, self.load_timeout_s, "loading the model")
            if message["type"] == ERROR:
                child.end(grace_s=5.0)
                raise AgentLoadError(_error_text(message), traceback=_traceback(message))
            self.load_info = dict(message.get("result") or {})
            return self.load_info

    def _launch(self) -> ChildProcess:
        try:
            process = subprocess.Popen(
                self.command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=child_environment(self._env),
                cwd=self._cwd,
                start_new_session=os.name == "posix",
            )
        except OSError as error:
            raise AgentCrashedError(f"{self.python} cannot be started: {error}") from error
        child = ChildProcess(process)
        self._child = child
        for target, name in ((self._read_stdout, "stdout"), (self._read_stderr, "stderr")):
            thread = threading.Thread(
                target=target, args=(child,), name=f"agent-{name}-{process.pid}", daemon=True
            )
            child.threads.append(thread)
            thread.start()
        return child

    # -- reader threads -----------------------------------------------------------------------

    def _read_stdout(self, child: ChildProcess) -> None:
        stream = child.process.stdout
        assert stream is not None
        try:
            for line in stream:
                message = decode(line, RESPONSE_TYPES)
                if message is None:
                    if line.strip():
                        text = line.decode("utf-8", "replace").rstrip()
                        self._log("warning", f"Ignored output that is not protocol: {text[:300]}")
                elif message["type"] == LOG:
                    self._log(str(message.get("level", "info")), str(message.get("message", "")))
                else:
                    child.messages.put(message)
        except (OSError, ValueError):
            pass  # the pipe was closed by stop()
        finally:
            child.messages.put(None)

    def _read_stderr(self, child: ChildProcess) -> None:
        stream = child.process.stderr
        assert stream is not None
        with contextlib.suppress(OSError, ValueError):
            for raw in stream:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self.stderr_lines.append(line)
                if self.on_stderr is not None:
                    _notify(self.on_stderr, line)

    def _log(self, level: str, message: str) -> None:
        self.logs.append((level, message))
        if self.on_log is not None:
            _notify(self.on_log, level, message)

    # -- calls --------------------------------------------------------------------------------

    def predict(self, request: Mapping[str, Any], timeout_s: float | None = None) -> AgentResult:
        """Ask the agent; raises `AgentCallError` when the agent raised (with its trace id)."""
        return self._call(PREDICT, request, timeout_s, None)

    def predict_stream(
        self,
        request: Mapping[str, Any],
        on_event: EventCallback | None = None,
        timeout_s: float | None = None,
    ) -> AgentResult:
        """Ask for a stream: `on_event` gets each event as it comes; the result holds them all,
        and the response their `output_item.done` items make."""
        return self._call(PREDICT_STREAM, request, timeout_s, on_event)

    def ping(self, timeout_s: float | None = None) -> float:
        """The round trip to the child, in seconds."""
        return self._call(PING, {}, timeout_s, None).duration_s

    def _call(
        self,
        kind: str,
        request: Mapping[str, Any],
        timeout_s: float | None,
        on_event: EventCallback | None,
    ) -> AgentResult:
        events: list[dict[str, Any]] = []

        def collect(event: dict[str, Any]) -> None:
            events.append(event)
            if on_event is not None:
                on_event(event)

        started = time.monotonic()
        with self._call_lock:
            child = self._running_child()
            call_id = str(next(self._ids))
            self._send(child, {"id": call_id, "type": kind, "request": dict(request)})
            limit = timeout_s if timeout_s is not None else self.timeout_s
            message = self._await(child, call_id, limit, f"answering ({kind})", collect)
        if message["type"] == ERROR:
            raise _call_error(message)
        result = message.get("result") or {}
        return AgentResult(
            response=result.get("response") or {},
            trace_id=result.get("trace_id"),
            duration_s=time.monotonic() - started,
            events=tuple(events),
        )

    def _running_child(self) -> ChildProcess:
        child = self._child
        if child is None or child.process.poll() is not None:
            code = child.process.poll() if child is not None else None
            raise AgentStoppedError(
                "The agent process is not running"
                + (f" (it exited with code {code})" if code is not None else "")
                + "; start it first.",
                exit_code=code,
                stderr=list(self.stderr_lines)[-20:],
            )
        return child

    def _send(self, child: ChildProcess, message: Mapping[str, Any]) -> None:
        stdin = child.process.stdin
        try:
            assert stdin is not None
            stdin.write(encode(message))
            stdin.flush()
        except (OSError, ValueError):
            pass  # the child is gone: waiting for its answer reports how it ended

    def _await(
        self,
        child: ChildProcess,
        call_id: str,
        timeout_s: float,
        doing: str,
        on_event: EventCallback | None = None,
    ) -> dict[str, Any]:
        """The result or error answering `call_id`; events go to `on_event` (each one restarts
        the timeout)."""
        while True:
            try:
                message = child.messages.get(timeout=timeout_s)
            except queue.Empty:
                child.end(grace_s=0.0)
                raise AgentTimeoutError(
                    f"The agent did not answer within {timeout_s:g} s while {doing}; "
                    f"its process ({child.process.pid}) was stopped.",
                    exit_code=child.process.poll(),
                    stderr=list(self.stderr_lines)[-20:],
                ) from None
            if message is None:
                raise self._ended(child, doing)
            if message.get("id") != call_id:
                self._log("warning", f"Ignored a message for another call: {message!r:.300}")
            elif message["type"] == EVENT:
                if on_event is not None:
                    on_event(message.get("event") or {})
            else:
                return message

    def _ended(self, child: ChildProcess, doing: str) -> Exception:
        """The error for a child whose stdout closed while it was `doing` something."""
        code: int | None
        try:
            code = child.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # stdout closed but the process lives on: end it
            code = child.end(grace_s=0.0)
        for thread in child.threads:
            thread.join(timeout=2)
        tail = list(self.stderr_lines)[-20:]
        if self._stopping:
            return AgentStoppedError(f"The agent was stopped while {doing}.", exit_code=code)
        return AgentCrashedError(
            f"The agent process exited with code {code} while {doing}.", exit_code=code, stderr=tail
        )

    # -- stopping -----------------------------------------------------------------------------

    def stop(self, grace_s: float = 3.0) -> int | None:
        """Stop the child: ask it to finish (when idle), then terminate, then kill it.

        Returns its exit code. A call waiting for an answer raises `AgentStoppedError`."""
        child = self._child
        if child is None:
            return None
        self._stopping = True
        if child.process.poll() is None and self._call_lock.acquire(blocking=False):
            try:
                self._send(child, {"id": "stop", "type": SHUTDOWN})
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.process.wait(timeout=grace_s)
            finally:
                self._call_lock.release()
        return child.end(grace_s)

    def __enter__(self) -> AgentRunner:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _notify(callback: Callable[..., None], *arguments: str) -> None:
    """Call an app callback from a reader thread, which must outlive a failing callback (or the
    child would block on a full pipe)."""
    try:
        callback(*arguments)
    except Exception:
        log.exception("An AgentRunner callback failed")


def _call_error(message: Mapping[str, Any]) -> AgentCallError:
    return AgentCallError(
        _error_text(message),
        error_type=str((message.get("error") or {}).get("type", "")),
        traceback=_traceback(message),
        trace_id=message.get("trace_id"),
    )


def _error_text(message: Mapping[str, Any]) -> str:
    error = message.get("error") or {}
    kind, text = error.get("type", ""), error.get("message", "")
    return f"{kind}: {text}" if kind else str(text or "The agent reported an error.")


def _traceback(message: Mapping[str, Any]) -> str:
    return str((message.get("error") or {}).get("traceback", ""))
