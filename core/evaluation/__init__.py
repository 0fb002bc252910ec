"""Evaluations, as MLflow 3.18's `mlflow.genai.evaluate` writes them.

* `core.evaluate` (`evaluate.py`): run scorers over a dataset or existing traces, recording an
  evaluation run, its traces and one assessment per score.
* `core.scorer` and the built-in scorers (`scorers.py`, `judge.py`).
* What evaluations hand out (`entities.py`); reading stored evaluations back is
  `Store.evaluations` (`core/store/evaluations.py`).

This package imports nothing on purpose: `core.store` imports its entities, and `core` imports
its modules, so an import here could only create a cycle.
"""
