"""Running the scorers on one row, as MLflow's harness does (`_compute_eval_scores`).

Whatever a scorer returns becomes `Feedback`s named after it (a `Feedback` keeps its own name
unless it has none). A scorer that raises gives one `Feedback` with no value and the error
`SCORER_ERROR`; the other scorers and rows go on.
"""

from __future__ import annotations

import copy
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.entities import AssessmentError, AssessmentSource, AssessmentSourceType, Feedback, Trace
from core.entities.assessment import DEFAULT_FEEDBACK_NAME, FeedbackValue
from core.entities.evaluation import SCORER_ERROR
from core.evaluation.scorer import Scorer


@dataclass(frozen=True)
class ScorerOutput:
    """The feedbacks one scorer gave one row."""

    scorer: Scorer
    feedbacks: tuple[Feedback, ...]

    @property
    def failed(self) -> bool:
        return len(self.feedbacks) == 1 and self.feedbacks[0].error is not None


def score_row(
    scorers: Sequence[Scorer],
    *,
    inputs: Any,
    outputs: Any,
    expectations: Mapping[str, Any],
    trace: Trace | None,
) -> list[ScorerOutput]:
    """Every scorer's feedbacks on one row, in the scorers' order."""
    arguments = {"inputs": inputs, "outputs": outputs, "expectations": expectations}
    return [_run(s, arguments, trace) for s in scorers]


def _run(scorer: Scorer, arguments: dict[str, Any], trace: Trace | None) -> ScorerOutput:
    try:
        value = scorer.run(**arguments, trace=trace)
        feedbacks = standardize(scorer.name, value)
    except Exception as error:
        feedbacks = [scorer_error(scorer.name, error)]
    return ScorerOutput(scorer, tuple(feedbacks))


def scorer_error(name: str, error: BaseException) -> Feedback:
    """The feedback MLflow records for a scorer that raised."""
    stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return Feedback(
        name=name,
        value=None,
        error=AssessmentError(error_code=SCORER_ERROR, error_message=str(error), stack_trace=stack),
        source=_code_source(name),
    )


def standardize(name: str, value: Any) -> list[Feedback]:
    """Feedbacks of what scorer `name` returned (MLflow's `standardize_scorer_value`)."""
    value = _python_scalar(value)
    if value is None:
        return []
    if isinstance(value, bool | int | float | str):
        return [Feedback(name=name, value=value, source=_code_source(name))]
    if isinstance(value, Feedback):
        return [_named(value, name)]
    if isinstance(value, list | tuple | set | frozenset):
        # As MLflow: each Feedback keeps its name; any other item is one value of this scorer
        return [
            _named(v, name)
            if isinstance(v, Feedback)
            else Feedback(name=name, value=_python_scalar(v), source=_code_source(name))
            for v in value
        ]
    raise TypeError(
        f"Scorer {name!r} returned {type(value).__name__}: a scorer must return a bool, a "
        "number, a string, a Feedback or a list of them (or None)."
    )


def _code_source(scorer_name: str) -> AssessmentSource:
    """The source MLflow gives a scorer's plain value: `CODE`, the scorer's name."""
    return AssessmentSource(source_type=AssessmentSourceType.CODE, source_id=scorer_name)


def _named(feedback: Feedback, scorer_name: str) -> Feedback:
    """A copy named after the scorer unless it has its own name; NumPy values made Python's.

    The scorer's own object is left as it was (it may be returned again, for another row).
    """
    named = copy.copy(feedback)
    if not feedback.name or feedback.name == DEFAULT_FEEDBACK_NAME:
        named.name = scorer_name
    named.feedback = FeedbackValue(_python_scalar(feedback.value), feedback.error)
    return named


def _python_scalar(value: Any) -> Any:
    """NumPy scalars as Python ones, so they store as JSON."""
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        return item()
    return value
