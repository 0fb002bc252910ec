"""Writing a logged agent's folder as MLflow 3.18 writes it: MLmodel, the code file, the
requirements and environment files, the input examples.

MLflow writes `MLmodel` with `yaml.safe_dump(..., default_flow_style=False)`; so does this
module, hence identical text for identical content (see `core.entities.mlmodel` for the layout).
"""

from __future__ import annotations

import datetime
import json
import platform
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.agents import signature
from core.agents.codefile import MLFLOW_VERSION, package_version
from core.entities.mlmodel import (
    AGENT_TASK,
    CODE_MODEL_LOADER,
    CONDA_ENV,
    INPUT_EXAMPLE,
    MLMODEL,
    PYFUNC,
    PYTHON_ENV,
    REQUIREMENTS,
    SERVING_INPUT_EXAMPLE,
)
from core.store.mlmodel import yaml_module


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
