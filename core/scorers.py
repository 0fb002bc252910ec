"""`core.scorers`: scorers for `core.evaluate`, as `mlflow.genai.scorers` (see
`core.evaluation.scorers`)."""

from core.evaluation.scorers import (
    Contains,
    ExactMatch,
    Feedback,
    FunctionScorer,
    Judge,
    JudgeError,
    MaxLength,
    Scorer,
    contains,
    exact_match,
    output_text,
    scorer,
)

__all__ = [
    "Contains",
    "ExactMatch",
    "Feedback",
    "FunctionScorer",
    "Judge",
    "JudgeError",
    "MaxLength",
    "Scorer",
    "contains",
    "exact_match",
    "output_text",
    "scorer",
]
