"""Everything to score with, in one place (MLflow's `mlflow.genai.scorers`).

from core.scorers import scorer, Feedback, ExactMatch, Contains, MaxLength, Judge

@scorer
def short(outputs: str) -> bool:
    return len(outputs) < 10
"""

from core.evaluation.builtin import (
    Contains,
    ExactMatch,
    MaxLength,
    contains,
    exact_match,
    output_text,
)
from core.evaluation.entities import Feedback
from core.evaluation.judge import Judge, JudgeError
from core.evaluation.scorer import FunctionScorer, Scorer, scorer

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
