"""LLM judges on a local Ollama model: MLflow's built-in judges, with MLflow's names.

    from core.evaluation.judges import Correctness, Guidelines, RetrievalGroundedness

    core.evaluate(data, scorers=[Correctness(model="ollama:/llama3.2"),
                                 Guidelines(guidelines="Answer in English.")])

* `models.py`: the model (`"ollama:/<name>"`; any other provider is refused) and the server.
* `verdicts.py`: the yes/no verdict JSON and reading it back (`parse_verdict`).
* `engine.py`: `JudgeEngine`, the one engine every judge asks through (retries, errors that
  name the model and the server), and `make_feedback`, the one place a judge's feedback is made.
* `base.py`: `OllamaJudge`, the scorer base of `core.evaluation.judge.Judge` and of
  `BuiltInJudge`, the base of the built-in judges.
* `answers.py`: `Correctness`, `Guidelines`, `ExpectationsGuidelines`, `RelevanceToQuery`,
  `Safety`; `retrieval.py`: `RetrievalGroundedness`, `RetrievalRelevance`,
  `RetrievalSufficiency`; `fields.py`: what they read of a row and its trace; `prompts.py`:
  what they ask.
"""

from core.evaluation.judges.answers import (
    Correctness,
    ExpectationsGuidelines,
    Guidelines,
    RelevanceToQuery,
    Safety,
)
from core.evaluation.judges.base import BuiltInJudge, OllamaJudge
from core.evaluation.judges.retrieval import (
    RetrievalGroundedness,
    RetrievalRelevance,
    RetrievalSufficiency,
)
from core.evaluation.judges.verdicts import CategoricalRating, JudgeError

__all__ = [
    "BuiltInJudge",
    "CategoricalRating",
    "Correctness",
    "ExpectationsGuidelines",
    "Guidelines",
    "JudgeError",
    "OllamaJudge",
    "RelevanceToQuery",
    "RetrievalGroundedness",
    "RetrievalRelevance",
    "RetrievalSufficiency",
    "Safety",
]
