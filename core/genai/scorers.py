"""Everything to score with, in one place (MLflow's `mlflow.genai.scorers`).

from core.scorers import scorer, Feedback, ExactMatch, Contains, MaxLength, Judge
from core.scorers import Correctness, Guidelines, RetrievalGroundedness, Safety

@scorer
def short(outputs: str) -> bool:
    return len(outputs) < 10

MLflow's built-in LLM judges (`Correctness`, `Guidelines`, `ExpectationsGuidelines`,
`RelevanceToQuery`, `RetrievalGroundedness`, `RetrievalRelevance`, `RetrievalSufficiency`,
`Safety`) ask a local Ollama model: `Correctness(model="ollama:/llama3.2")`.
"""

from core.entities import Feedback
from core.evaluation.builtin import (
    Contains,
    ExactMatch,
    MaxLength,
    contains,
    exact_match,
    output_text,
)
from core.evaluation.judge import Judge, JudgeError
from core.evaluation.judges import (
    Correctness,
    ExpectationsGuidelines,
    Guidelines,
    RelevanceToQuery,
    RetrievalGroundedness,
    RetrievalRelevance,
    RetrievalSufficiency,
    Safety,
)
from core.evaluation.scorer import FunctionScorer, Scorer, scorer

__all__ = [
    "Contains",
    "Correctness",
    "ExactMatch",
    "ExpectationsGuidelines",
    "Feedback",
    "FunctionScorer",
    "Guidelines",
    "Judge",
    "JudgeError",
    "MaxLength",
    "RelevanceToQuery",
    "RetrievalGroundedness",
    "RetrievalRelevance",
    "RetrievalSufficiency",
    "Safety",
    "Scorer",
    "contains",
    "exact_match",
    "output_text",
    "scorer",
]
