"""Errors of agents: loading a model, calling it, and the child process that runs it."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import TraceDeskError


class AgentError(TraceDeskError):
    """Base class of the agent errors."""


class AgentLoadError(AgentError):
    """A model could not be loaded: no MLmodel, a missing code file, or the code raised."""

    def __init__(self, message: str, *, traceback: str = "") -> None:
        super().__init__(message)
        self.traceback = traceback


class AgentCallError(AgentError):
    """The agent raised while answering; `trace_id` names the (ERROR) trace when one was written."""

    def __init__(
        self,
        message: str,
        *,
        error_type: str = "",
        traceback: str = "",
        trace_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.traceback = traceback
        self.trace_id = trace_id


class AgentProcessError(AgentError):
    """The child process failed; `exit_code` and the last `stderr` lines say how."""

    def __init__(
        self, message: str, *, exit_code: int | None = None, stderr: Sequence[str] = ()
    ) -> None:
        tail = "\n".join(stderr)
        super().__init__(f"{message}\nLast lines of its error output:\n{tail}" if tail else message)
        self.exit_code = exit_code
        self.stderr = tuple(stderr)


class AgentCrashedError(AgentProcessError):
    """The child process exited while it was loading the model or answering."""


class AgentTimeoutError(AgentProcessError):
    """The child did not answer in time; it was stopped."""


class AgentStoppedError(AgentProcessError):
    """The runner is not running (never started, stopped, or its child died)."""
