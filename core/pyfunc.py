"""MLflow's `mlflow.pyfunc` for agents: `ResponsesAgent`, `log_model`, `load_model`.

with mlflow.start_run():
    mlflow.pyfunc.log_model(python_model="agent.py", name="agent",
                            registered_model_name="agent")
model = mlflow.pyfunc.load_model("models:/agent@latest")
model.predict({"input": [{"role": "user", "content": "what is 4*3 in python"}]})
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from core import context
from core.agents import loader
from core.agents.agent import ResponsesAgent
from core.agents.loader import LoadedModel
from core.agents.responses import ResponsesAgentRequest
from core.agents.save import ModelInfo

__all__ = [
    "LoadedModel",
    "ModelInfo",
    "ResponsesAgent",
    "delete_model_alias",
    "load_model",
    "log_model",
    "set_model_alias",
]


def log_model(
    python_model: str | os.PathLike[str],
    name: str = "model",
    registered_model_name: str | None = None,
    input_example: Mapping[str, Any] | ResponsesAgentRequest | None = None,
    pip_requirements: Iterable[str] | str | None = None,
) -> ModelInfo:
    """Log the agent that code file `python_model` defines, in the active run (or a new one)
    of the active experiment; with `registered_model_name`, register it as the next version."""
    return context.default_client().log_model(
        python_model, name, registered_model_name, input_example, pip_requirements
    )


def load_model(model_uri: str) -> LoadedModel:
    """Load a logged agent by URI (`models:/agent@latest`, `models:/agent/2`, `runs:/<id>/agent`,
    `models:/m-<id>`, a folder); its calls are traced into the tracking store."""
    return loader.load_model(context.default_client(), model_uri)


def set_model_alias(name: str, alias: str, version: int) -> None:
    """Point `alias` of registered model `name` at `version`: then
    `load_model("models:/<name>@<alias>")` loads it (MLflow's
    `MlflowClient().set_registered_model_alias`)."""
    context.default_client().set_registered_model_alias(name, alias, version)


def delete_model_alias(name: str, alias: str) -> None:
    """Remove `alias` from registered model `name`."""
    context.default_client().delete_registered_model_alias(name, alias)
