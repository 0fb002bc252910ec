"""Scorers for `core.genai.evaluate` (MLflow's `mlflow.genai.scorers`)."""

from core.evaluation.scorers import *  # noqa: F403
from core.evaluation.scorers import __all__ as __all__  # noqa: PLC0414 (re-exported)
