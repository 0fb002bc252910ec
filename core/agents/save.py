"""`log_model`: log an agent from its code file, writing what MLflow 3.18's `log_model` writes.

    info = core.pyfunc.log_model(python_model="agent.py", name="agent",
                                 registered_model_name="agent")

Files first, then one transaction: the model folder
`<experiment artifact root>/models/m-<32 hex>/artifacts/` gets MLmodel, a copy of the code file,
requirements and environment files and the input examples; then the logged model (linked to the
active run, when there is one: MLflow 3.18 makes no run for a model logged outside a run) and
(with `registered_model_name`) the next registered version are stored together. A failed write
removes the folder again. The code file is read, never run: MLflow runs it once to validate it,
TraceDesk leaves running code to `load_model` and `AgentRunner`.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.agents.codefile import CodeFile, infer_requirements, inspect_code_file
from core.agents.model_folder import NewModelFolder, write_model_folder
from core.agents.responses import ResponsesAgentRequest
from core.entities.logged_model import NewLoggedModel
from core.entities.mlmodel import DEFAULT_INPUT_EXAMPLE
from core.run_context import context_tags
from core.store.store import Store


@dataclass(frozen=True)
class ModelInfo:
    """What `log_model` logged (MLflow's `ModelInfo` fields that matter here)."""

    model_uri: str
    model_id: str
    run_id: str | None  # the run it was logged in (None outside a run, as MLflow)
    name: str
    experiment_id: str
    #: The model folder, absolute, as recorded in the database and in MLmodel.
    artifact_path: str
    registered_model_name: str | None = None
    registered_model_version: int | None = None

    @property
    def artifact_dir(self) -> Path:
        return Path(self.artifact_path)


def _check_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or any(c in value for c in "/@:"):
        raise ValueError(f"{value!r} cannot be a {what}: use a non-empty name without / @ :.")
    return value


def _code_file(python_model: Any) -> CodeFile:
    if not isinstance(python_model, str | os.PathLike):
        raise TypeError(
            "core.log_model logs models from code: pass python_model as the path of a .py file "
            "that ends with core.set_model(agent) (or mlflow.models.set_model(agent))."
        )
    code = inspect_code_file(Path(python_model).expanduser().resolve())
    if not code.calls_set_model:
        raise ValueError(
            f"{code.path} never calls set_model(...): end it with core.set_model(agent) "
            "(or mlflow.models.set_model(agent)) so loading it finds the agent."
        )
    return code


def _input_example(example: Any) -> dict[str, Any]:
    if example is None:
        return DEFAULT_INPUT_EXAMPLE
    if isinstance(example, ResponsesAgentRequest):
        return example.to_dict(exclude_none=True)
    if not isinstance(example, Mapping):
        raise TypeError("input_example must be a ResponsesAgentRequest or a dict with its fields.")
    ResponsesAgentRequest.from_dict(example)  # raises ValueError when it is not a request
    return dict(example)


def _requirements(code: CodeFile, pip_requirements: Iterable[str] | str | None) -> list[str]:
    if pip_requirements is None:
        return infer_requirements(code)
    if isinstance(pip_requirements, str | os.PathLike):
        lines = Path(pip_requirements).read_text("utf-8").splitlines()
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return [str(r) for r in pip_requirements]


def log_model(
    store: Store,
    python_model: str | os.PathLike[str],
    *,
    experiment_id: str,
    run_id: str | None = None,
    name: str = "model",
    registered_model_name: str | None = None,
    input_example: Mapping[str, Any] | ResponsesAgentRequest | None = None,
    pip_requirements: Iterable[str] | str | None = None,
) -> ModelInfo:
    """Log the agent defined by code file `python_model` in `experiment_id`, in run `run_id`
    (the active run; a run's model belongs to the run's experiment) or in none.

    With `registered_model_name`, also register it as that model's next version. Without
    `input_example`, MLflow's default (`{"input": [{"role": "user", "content": "Hello!"}]}`)
    is saved; without `pip_requirements`, the packages the file imports are pinned.
    """
    _check_name(name, "model name")
    if registered_model_name is not None:
        _check_name(registered_model_name, "registered model name")
    code = _code_file(python_model)
    example, requirements = _input_example(input_example), _requirements(code, pip_requirements)
    models = store.models
    new = _new_model(name, experiment_id, run_id, models.artifact_folder(experiment_id))
    folder = Path(new.artifact_location)
    try:
        write_model_folder(
            NewModelFolder(folder, code.path, new.model_id, new.run_id, example, requirements)
        )
        version = models.log_model(replace(new, end_ms=_now_ms()), registered_model_name)
    except BaseException:
        shutil.rmtree(folder.parent, ignore_errors=True)
        raise
    return _model_info(new, registered_model_name if version is not None else None, version)


def _model_info(new: NewLoggedModel, registered: str | None, version: int | None) -> ModelInfo:
    return ModelInfo(
        model_uri=f"models:/{new.model_id}",
        model_id=new.model_id,
        run_id=new.run_id,
        name=new.name,
        experiment_id=new.experiment_id,
        artifact_path=new.artifact_location,
        registered_model_name=registered,
        registered_model_version=version,
    )


def _now_ms() -> int:
    return int(time.time() * 1000)


def _new_model(
    name: str, experiment_id: str, run_id: str | None, experiment_dir: Path
) -> NewLoggedModel:
    """The rows of a new logged model in `experiment_dir`, with a fresh id, starting now."""
    model_id = f"m-{uuid.uuid4().hex}"
    return NewLoggedModel(
        model_id=model_id,
        run_id=run_id,
        name=name,
        experiment_id=experiment_id,
        artifact_location=str(experiment_dir / "models" / model_id / "artifacts"),
        tags=context_tags(),
        start_ms=_now_ms(),
    )
