"""What the page says when loading or asking an agent went wrong, and about its traces (no Qt).

The runner's exceptions already name the exit code and the last stderr lines; these
functions add what the user can do about it (restart, choose or fix an interpreter).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from core.agents import (
    AgentCallError,
    AgentCrashedError,
    AgentLoadError,
    AgentStoppedError,
    AgentTimeoutError,
)
from core.store import Layout

RESTART_HINT = "Restart starts a new agent process; the conversation is kept."
MISSING_MLFLOW = "imports mlflow, which is not installed"


def install_hint(python: str, requirement: str) -> str:
    """The command that installs `requirement` into `python`, and the other way out."""
    command = f"{shlex.quote(python)} -m pip install {shlex.quote(requirement)}"
    return (
        f"Install it into that interpreter:\n    {command}\n"
        "or choose an interpreter that has MLflow with Interpreter…"
    )


def load_failure(error: BaseException, python: str, requirement: str) -> str:
    """Why the agent did not load, and what to do."""
    if isinstance(error, AgentLoadError):
        return _not_loaded(error, python, requirement)
    if isinstance(error, AgentTimeoutError):
        return f"{error}\nIts imports may be slow: raise the timeout, then Restart."
    if isinstance(error, AgentCrashedError):
        if error.exit_code is None:  # the interpreter itself could not be started
            return f"{error}\nChoose another interpreter with Interpreter…, then Restart."
        return f"The agent process ended while loading the model. {error}"
    if isinstance(error, AgentStoppedError):
        return "Stopped before the agent was loaded."
    return f"The agent could not be started: {error}"


def _not_loaded(error: AgentLoadError, python: str, requirement: str) -> str:
    reason = str(error).removeprefix(f"{type(error).__name__}: ")
    if MISSING_MLFLOW in reason:  # the runner's own hint names its Python API: ours instead
        reason = reason.split(" Run it with an interpreter", 1)[0]
        return f"The agent could not be loaded: {reason}\n{install_hint(python, requirement)}"
    return f"The agent could not be loaded: {reason}"


def call_failure(error: BaseException) -> str:
    """What happened to a call, for the turn it failed (and the banner, for the process)."""
    if isinstance(error, AgentCallError):
        return f"The agent raised an error: {error}"
    if isinstance(error, AgentTimeoutError):
        return f"{error}\n{RESTART_HINT}"
    if isinstance(error, AgentCrashedError):
        return f"{error}\n{RESTART_HINT}"
    if isinstance(error, AgentStoppedError):
        return f"{error}\n{RESTART_HINT}"
    return f"The call failed: {error!r}"


def turn_failure(error: BaseException) -> str:
    """A call's failure as its turn says it: the first line (the banner has the rest)."""
    return call_failure(error).split("\n", 1)[0]


def call_detail(error: BaseException) -> str:
    """The agent's traceback, when it raised (shown under the message, in grey)."""
    return error.traceback.strip() if isinstance(error, AgentCallError) else ""


def ready_status(info: Mapping[str, Any]) -> str:
    """One line about the running child: runtime, process id, interpreter."""
    runtime = str(info.get("runtime") or "?")
    if info.get("mlflow_version"):
        runtime += f" {info['mlflow_version']}"
    python = info.get("python_version")
    return f"Ready · process {info.get('pid', '?')} · runs with {runtime}" + (
        f" on Python {python}" if python else ""
    )


def traces_note(layout: Layout | None, info: Mapping[str, Any] | None, written: str) -> str:
    """Where this agent's traces go: `written` when the database takes them, else why not."""
    traced = None if info is None else info.get("traced")
    if layout is not None and not layout.is_head:
        return (
            f"Answers are not traced: this database has the {layout.label}, which the agent "
            "process does not write to (MLflow would upgrade it in place)."
        )
    if traced is False:
        return "Answers of this session are not traced."
    experiment = (info or {}).get("experiment_id")
    where = f" (experiment {experiment})" if experiment is not None else ""
    return written.replace("this database", f"this database{where}", 1)
