"""A logged model's folder: its `MLmodel` read into facts, and written as MLflow 3.18 writes it.

MLflow writes `MLmodel` with `yaml.safe_dump(..., default_flow_style=False)`; so does this
module, hence identical text for identical content. PyYAML is not a direct dependency of
TraceDesk: it comes with langchain-core (a dependency through langchain-ollama), and ships no
type stubs, so it is imported through `importlib` and typed `Any`.

Files of an agent folder (SCHEMA.md §8): MLmodel, the code file under its own name,
requirements.txt, python_env.yaml, conda.yaml, input_example.json, serving_input_example.json.
"""

from __future__ import annotations

import datetime
import importlib
import json
import platform
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.agents import signature
from core.agents.codefile import MLFLOW_VERSION, package_version

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


def yaml_module() -> Any:
    """PyYAML (see the module docstring for why it is imported this way)."""
    return importlib.import_module("yaml")


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
    def is_code_model(self) -> bool:
        return self.model_code_path is not None

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
    def utc_time_created(self) -> str | None:
        return self._text(self.raw.get("utc_time_created"))

    @property
    def requirements(self) -> tuple[str, ...]:
        """The lines of requirements.txt beside the MLmodel file."""
        try:
            text = (self.folder / REQUIREMENTS).read_text("utf-8")
        except OSError:
            return ()
        return tuple(line.strip() for line in text.splitlines() if line.strip())


def read_mlmodel(folder: Path) -> MLmodelFacts | None:
    """The facts of `folder/MLmodel`; None when there is no such file."""
    path = folder / MLMODEL
    if not path.is_file():
        return None
    yaml = yaml_module()
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return MLmodelFacts(folder, {}, f"{path} cannot be read: {error}")
    if not isinstance(raw, Mapping):
        return MLmodelFacts(folder, {}, f"{path} is not an MLmodel file (no YAML mapping).")
    return MLmodelFacts(folder, raw)


# -- writing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewModelFolder:
    """What `write_model_folder` needs to know."""

    folder: Path
    code_path: Path
    model_id: str
    run_id: str | None  # None: logged outside a run (MLmodel then has no run_id)
    input_example: Mapping[str, Any]
    requirements: Sequence[str]


def write_model_folder(new: NewModelFolder) -> None:
    """Write every file MLflow 3.18 writes for an agent logged from code."""
    new.folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(new.code_path, new.folder / new.code_path.name)
    (new.folder / INPUT_EXAMPLE).write_text(json.dumps(new.input_example), "utf-8")
    serving = json.dumps(new.input_example, indent=2)
    (new.folder / SERVING_INPUT_EXAMPLE).write_text(serving, "utf-8")
    # MLflow measures the folder before it adds MLmodel and the environment files.
    size = sum(p.stat().st_size for p in new.folder.iterdir() if p.is_file())
    yaml = yaml_module()
    text = yaml.safe_dump(mlmodel_dict(new, size), default_flow_style=False)
    (new.folder / MLMODEL).write_text(text, "utf-8")
    (new.folder / REQUIREMENTS).write_text("\n".join(new.requirements), "utf-8")
    python_env = yaml.safe_dump(python_env_dict(), sort_keys=False, default_flow_style=False)
    (new.folder / PYTHON_ENV).write_text(python_env, "utf-8")
    conda = yaml.safe_dump(conda_dict(new.requirements), default_flow_style=False)
    (new.folder / CONDA_ENV).write_text(conda, "utf-8")


def mlmodel_dict(new: NewModelFolder, size: int) -> dict[str, Any]:
    """The MLmodel content MLflow 3.18 writes for a ResponsesAgent logged from code."""
    content = {
        "artifact_path": str(new.folder),
        "flavors": {PYFUNC: _pyfunc_flavor(new.code_path)},
        "is_signature_from_type_hint": False,
        "metadata": {"task": AGENT_TASK},
        "mlflow_version": MLFLOW_VERSION,
        "model_id": new.model_id,
        "model_size_bytes": size,
        "model_uuid": new.model_id,
        "prompts": None,
        "run_id": new.run_id,
        "saved_input_example_info": {
            "artifact_path": INPUT_EXAMPLE,
            "serving_input_path": SERVING_INPUT_EXAMPLE,
            "type": "json_object",
        },
        "signature": signature.signature(),
        "type_hint_from_example": False,
        "utc_time_created": str(datetime.datetime.now(datetime.UTC).replace(tzinfo=None)),
    }
    if new.run_id is None:
        del content["run_id"]
    return content


def _pyfunc_flavor(code_path: Path) -> dict[str, Any]:
    flavor: dict[str, Any] = {
        "code": None,
        "env": {"conda": CONDA_ENV, "virtualenv": PYTHON_ENV},
        "loader_module": CODE_MODEL_LOADER,
        "model_code_path": str(code_path),
        "python_version": platform.python_version(),
        "streamable": True,  # MLflow: a ResponsesAgent always overrides predict_stream
    }
    cloudpickle = package_version("cloudpickle")
    if cloudpickle is not None:  # MLflow records it; a code model never unpickles anything
        flavor["cloudpickle_version"] = cloudpickle
    return flavor


def _pinned_build_package(name: str) -> str:
    version = package_version(name)
    return f"{name}=={version}" if version else name


def python_env_dict() -> dict[str, Any]:
    """python_env.yaml: this interpreter's version and build tools, then requirements.txt."""
    return {
        "python": platform.python_version(),
        "build_dependencies": [_pinned_build_package(p) for p in ("pip", "setuptools", "wheel")],
        "dependencies": [f"-r {REQUIREMENTS}"],
    }


def conda_dict(requirements: Sequence[str]) -> dict[str, Any]:
    """conda.yaml as MLflow's `_mlflow_conda_env` builds it."""
    dependencies: list[Any] = [f"python={platform.python_version()}"]
    if requirements:
        pip = package_version("pip")
        dependencies.append(f"pip<={pip}" if pip else "pip")
    dependencies.append({"pip": list(requirements)})
    return {"name": "mlflow-env", "channels": ["conda-forge"], "dependencies": dependencies}
