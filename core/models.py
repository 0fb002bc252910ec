"""MLflow's `mlflow.models`: `set_model`, which a "models from code" file ends with."""

from core.agents.agent import set_model
from core.agents.save import ModelInfo

__all__ = ["ModelInfo", "set_model"]
