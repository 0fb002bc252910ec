"""Evaluations, as MLflow 3.18's `mlflow.genai.evaluate` writes them.

* `core.evaluate` (`evaluate.py`): run scorers over a dataset or existing traces, recording an
  evaluation run, its traces and one assessment per score.
* `Scorer` and `@scorer` (`scorer.py`), running them on one row (`row_scores.py`), the
  built-in checks (`builtin.py`) and LLM judges (`judge.py`, `judges/`); the list users import
  is `core.genai.scorers`.
* What evaluations hand out is `core.entities.evaluation`; reading stored evaluations back is
  `Store.evaluations` (`core/store/evaluations.py`).

The app imports only what is named here.
"""

from core.evaluation.judge import describe_failure

__all__ = [
    "describe_failure",
]
