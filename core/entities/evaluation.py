"""What evaluations hand out: `core.evaluate`'s result, stored runs and rows.

The read side (`EvaluationRun`, `EvaluationRow`, `Score`, `EvaluationPage`) is what
`Store.evaluations` gives the app's Evaluations view: plain values, with a row's inputs and
outputs decoded only when asked. What a scorer returns is `core.entities.Feedback`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.entities.assessment_error import AssessmentError, as_assessment_error
from core.entities.span import Span
from core.mlflow_keys import (
    AGENT_FUNCTION_TAG,
    USER_TAG,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FAILED",
    "FINISHED",
    "KILLED",
    "RUNNING",
    "RUN_TYPE_EVALUATE",
    "SCORER_ERROR",
    "EvaluationColumns",
    "EvaluationPage",
    "EvaluationResult",
    "EvaluationRow",
    "EvaluationRun",
    "Score",
    "assessment_error",
]

RUN_TYPE_EVALUATE = "genai_evaluate"
#: Error code of a scorer that raised.
SCORER_ERROR = "SCORER_ERROR"
#: Run statuses (MLflow's `RunStatus`).
RUNNING, FINISHED, FAILED, KILLED = "RUNNING", "FINISHED", "FAILED", "KILLED"


def assessment_error(
    error: BaseException | str | Mapping[str, Any] | AssessmentError | None,
) -> dict[str, Any] | None:
    """MLflow's `AssessmentError.to_dictionary()` of an exception, a message or a mapping."""
    found = as_assessment_error(error)
    return found.to_dictionary() if found is not None else None


@dataclass(frozen=True)
class EvaluationResult:
    """What `core.evaluate` returns (MLflow's `EvaluationResult`, plus the run's fate).

    `result_df` has one row per evaluated item, in the order of the data. `status` is FINISHED,
    or KILLED when the evaluation was cancelled (then `metrics` cover the rows that were done
    and were not logged to the run).
    """

    run_id: str
    metrics: dict[str, float]
    result_df: pd.DataFrame
    status: str = FINISHED
    run_name: str | None = None
    experiment_id: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.status == KILLED


# --------------------------------------------------------------------------- reading back


@dataclass(frozen=True)
class EvaluationRun:
    """One evaluation run of an experiment, as the run list shows it."""

    run_id: str
    name: str | None
    experiment_id: str
    status: str
    start_time: int | None
    end_time: int | None
    row_count: int
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def scorer_means(self) -> dict[str, float]:
        """`<scorer>/mean` metrics by scorer name."""
        return {k.removesuffix("/mean"): v for k, v in self.metrics.items() if k.endswith("/mean")}

    @property
    def agent_function(self) -> str | None:
        """The evaluated function (`__main__.predict_fn`), when there was one."""
        return self.tags.get(AGENT_FUNCTION_TAG)

    @property
    def user(self) -> str | None:
        return self.tags.get(USER_TAG)

    @property
    def is_running(self) -> bool:
        return self.status == RUNNING


@dataclass(frozen=True)
class Score:
    """One scorer's result on one row (a `feedback` assessment of the run)."""

    name: str
    value: Any
    assessment_id: str
    source_type: str
    source_id: str | None = None
    rationale: str | None = None
    error: Mapping[str, Any] | None = None

    @property
    def error_code(self) -> str | None:
        return str(self.error.get("error_code")) if self.error else None

    @property
    def error_message(self) -> str | None:
        message = self.error.get("error_message") if self.error else None
        return None if message is None else str(message)

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass(frozen=True)
class EvaluationRow:
    """One evaluated trace of a run: previews, expectations and one `Score` per scorer.

    `inputs` and `outputs` come from the root span, decoded on first use only.
    """

    trace_id: str
    request_time: int
    state: str
    execution_duration: int | None
    request_preview: str | None
    response_preview: str | None
    expectations: Mapping[str, Any] = field(default_factory=dict)
    scores: Mapping[str, Score] = field(default_factory=dict)
    root: Span | None = field(default=None, repr=False, compare=False)

    @property
    def inputs(self) -> Any:
        return self.root.inputs if self.root is not None else None

    @property
    def outputs(self) -> Any:
        return self.root.outputs if self.root is not None else None

    def value(self, scorer: str) -> Any:
        """The value scorer `scorer` gave this row (None when it gave none or failed)."""
        score = self.scores.get(scorer)
        return score.value if score is not None else None


@dataclass(frozen=True)
class EvaluationPage:
    """One page of a run's rows, and the key of the next page (None at the end)."""

    rows: tuple[EvaluationRow, ...]
    next_key: tuple[int, str] | None


@dataclass(frozen=True)
class EvaluationColumns:
    """The grid's value columns for a run: scorer names and expectation names, sorted."""

    scorers: tuple[str, ...]
    expectations: tuple[str, ...]
