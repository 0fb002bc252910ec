"""A logged model's folder as MLflow 3.18 lays it out, and what its `MLmodel` file says.

Files of an agent folder (SCHEMA.md §8): MLmodel, the code file under its own name,
requirements.txt, python_env.yaml, conda.yaml, input_example.json, serving_input_example.json.
Reading the file is `core.store.mlmodel`; writing a folder is `core.agents.model_folder`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MLMODEL = "MLmodel"
PYFUNC = "python_function"
CODE_MODEL_LOADER = "mlflow.pyfunc.loaders.code_model"
AGENT_TASK = "agent/v1/responses"
REQUIREMENTS = "requirements.txt"
PYTHON_ENV = "python_env.yaml"
CONDA_ENV = "conda.yaml"
INPUT_EXAMPLE = "input_example.json"
SERVING_INPUT_EXAMPLE = "serving_input_example.json"
#: The input example MLflow saves for a ResponsesAgent logged without one.
DEFAULT_INPUT_EXAMPLE: dict[str, Any] = {"input": [{"role": "user", "content": "Hello!"}]}


@dataclass(frozen=True)
class MLmodelFacts:
    """What an `MLmodel` file says, for the app and the loader."""

    folder: Path
    raw: Mapping[str, Any] = field(default_factory=dict)
    #: Why the file could not be read, when it could not.
    error: str | None = None

    def _pyfunc(self) -> Mapping[str, Any]:
        flavors = self.raw.get("flavors")
        pyfunc = flavors.get(PYFUNC) if isinstance(flavors, Mapping) else None
        return pyfunc if isinstance(pyfunc, Mapping) else {}

    def _text(self, value: Any) -> str | None:
        return None if value is None else str(value)

    @property
    def flavors(self) -> tuple[str, ...]:
        flavors = self.raw.get("flavors")
        return tuple(flavors) if isinstance(flavors, Mapping) else ()

    @property
    def loader_module(self) -> str | None:
        return self._text(self._pyfunc().get("loader_module"))

    @property
    def model_code_path(self) -> str | None:
        """The code file's path when it was logged (usually gone by now)."""
        return self._text(self._pyfunc().get("model_code_path"))

    @property
    def code_file(self) -> Path | None:
        """The copy of the code file in this folder, which is what runs."""
        recorded = self.model_code_path
        return self.folder / Path(recorded).name if recorded else None

    @property
    def task(self) -> str | None:
        metadata = self.raw.get("metadata")
        return self._text(metadata.get("task")) if isinstance(metadata, Mapping) else None

    @property
    def is_agent(self) -> bool:
        return self.task == AGENT_TASK

    @property
    def streamable(self) -> bool:
        return bool(self._pyfunc().get("streamable"))

    @property
    def python_version(self) -> str | None:
        return self._text(self._pyfunc().get("python_version"))

    @property
    def model_id(self) -> str | None:
        return self._text(self.raw.get("model_id"))

    @property
    def run_id(self) -> str | None:
        return self._text(self.raw.get("run_id"))

    @property
    def mlflow_version(self) -> str | None:
        return self._text(self.raw.get("mlflow_version"))

    @property
    def requirements(self) -> tuple[str, ...]:
        """The lines of requirements.txt beside the MLmodel file."""
        try:
            text = (self.folder / REQUIREMENTS).read_text("utf-8")
        except OSError:
            return ()
        return tuple(line.strip() for line in text.splitlines() if line.strip())
