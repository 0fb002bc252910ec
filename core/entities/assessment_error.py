"""`AssessmentError`: why an assessment could not be made (MLflow's `AssessmentError`)."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Error code of an error given as text (MLflow's `Feedback(error="...")`).
ASSESSMENT_ERROR = "ASSESSMENT_ERROR"


@dataclass
class AssessmentError:
    error_code: str
    error_message: str | None = None
    stack_trace: str | None = None

    def to_dictionary(self) -> dict[str, Any]:
        return {
            "error_code": self.error_code,
            "error_message": self.error_message,
            "stack_trace": self.stack_trace,
        }

    @classmethod
    def from_dictionary(cls, error_dict: Mapping[str, Any]) -> AssessmentError:
        return cls(**error_dict)


def as_assessment_error(
    error: BaseException | str | Mapping[str, Any] | AssessmentError | None,
) -> AssessmentError | None:
    """An `AssessmentError` of what MLflow's `Feedback(error=...)` takes: an exception (its class
    name, message and stack trace), a message (`ASSESSMENT_ERROR`) or an `AssessmentError`; and,
    beyond MLflow, a mapping with `error_code` / `error_message` / `stack_trace`."""
    if error is None or isinstance(error, AssessmentError):
        return error
    if isinstance(error, BaseException):
        return AssessmentError(
            error_code=type(error).__name__,
            error_message=str(error),
            stack_trace=stack_trace(error),
        )
    if isinstance(error, str):
        return AssessmentError(error_code=ASSESSMENT_ERROR, error_message=error)
    if isinstance(error, Mapping):
        message = error.get("error_message")
        stack = error.get("stack_trace")
        return AssessmentError(
            error_code=str(error.get("error_code") or ASSESSMENT_ERROR),
            error_message=None if message is None else str(message),
            stack_trace=None if stack is None else str(stack),
        )
    raise TypeError(f"'error' must be an Exception, AssessmentError, or string. Got: {type(error)}")


def stack_trace(error: BaseException) -> str:
    """MLflow's `get_stacktrace`: the error's repr, then its formatted traceback."""
    try:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        return (repr(error) + "".join(lines)).strip()
    except Exception:  # a broken __repr__/__str__: say at least what type it was
        return type(error).__name__
