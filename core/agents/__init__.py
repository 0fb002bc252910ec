"""Agents: MLflow's ResponsesAgent, "models from code" logging and loading, and an isolated runner.

    core.pyfunc.log_model(python_model="agent.py", name="agent", registered_model_name="agent")
    model = core.pyfunc.load_model("models:/agent@latest")
    model.predict({"input": [{"role": "user", "content": "Hi"}]})

`core.agents.runner.AgentRunner` runs a model in a child process (possibly another virtualenv,
e.g. one with MLflow) and talks to it over JSON lines. Reading a model folder (`MLmodel`) is
the store's (`core.store.mlmodel`, into `core.entities.mlmodel`); writing one is `model_folder`.
"""

from core.agents.codefile import CodeFile, inspect_code_file
from core.agents.errors import (
    AgentCallError,
    AgentCrashedError,
    AgentError,
    AgentLoadError,
    AgentStoppedError,
    AgentTimeoutError,
)
from core.agents.responses import OUTPUT_ITEM_DONE, OUTPUT_TEXT_DELTA
from core.agents.runner import AgentResult, AgentRunner

__all__ = [
    "OUTPUT_ITEM_DONE",
    "OUTPUT_TEXT_DELTA",
    "AgentCallError",
    "AgentCrashedError",
    "AgentError",
    "AgentLoadError",
    "AgentResult",
    "AgentRunner",
    "AgentStoppedError",
    "AgentTimeoutError",
    "CodeFile",
    "inspect_code_file",
]
