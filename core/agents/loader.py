"""`load_model`: find a logged agent through the store and run its code file.

    model = core.load_model("models:/agent@latest")
    model.predict({"input": [{"role": "user", "content": "what is 4*3 in python"}]})
    # {"object": "response", "output": [...]}

URIs: `models:/name/2`, `models:/name@alias`, `models:/name@latest`, `models:/name/latest`,
`models:/m-<id>`, `runs:/<run id>/<path>` (MLflow 2.x models live among run artifacts), or a
model folder. The folder is found through the store and re-based when the database moved.

Two runtimes execute the copy of the code file in the model folder:

* core: the file is run with importlib and names its agent with `core.set_model`; `predict`
  is traced by `core` (AGENT span `predict`, metadata `mlflow.modelId`).
* mlflow: a file that imports `mlflow` is loaded by MLflow itself (`mlflow.pyfunc.load_model`)
  when this interpreter has MLflow, and MLflow traces it into the same database. Without MLflow
  the load fails and says which interpreter is needed (run it with `AgentRunner`).

Calls are traced only into a database in MLflow 3.18's layout. MLflow upgrades any older
SQLite database it is pointed at, in place; for those, MLflow is never pointed at the file,
its tracing is turned off, and `LoadedModel.traced` is False.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from core.agents.agent import MODEL_SLOT, prediction_context
from core.agents.codefile import inspect_code_file
from core.agents.errors import AgentLoadError
from core.agents.responses import ResponsesAgentResponse, ResponsesAgentStreamEvent
from core.entities.mlmodel import MLmodelFacts
from core.entities.model_registry import ResolvedModel
from core.errors import StoreError
from core.store.connection import parse_location
from core.store.store import Store

CORE, MLFLOW = "core", "mlflow"


def mlflow_available() -> bool:
    """Whether this interpreter can import MLflow."""
    return importlib.util.find_spec("mlflow") is not None


def traces_writable(client: TraceTarget) -> str | None:
    """None when traces may go to `client`'s store, else why not (an older layout)."""
    try:
        layout = client.store().layout
    except StoreError:
        return None  # no database yet: tracing creates it in MLflow 3.18's layout
    if layout.is_head:
        return None
    return f"the database has the {layout.label}, which TraceDesk does not write to"


def mlflow_tracking_uri(uri: str) -> str:
    """The URI MLflow understands for a store `core` accepts (`sqlite:///<absolute path>`)."""
    location = parse_location(uri)
    return f"sqlite:///{location.path}" if location.path is not None else uri


# -- running the code file ----------------------------------------------------------------------


def _mlflow_slot(reset: bool = False) -> Any:
    """The model an MLflow code file named with `mlflow.models.set_model` (when MLflow ran)."""
    module = sys.modules.get("mlflow.models.model")
    if module is None:
        return None
    if reset:
        setattr(module, "__mlflow_model__", None)  # noqa: B010 (MLflow's module global)
    return getattr(module, "__mlflow_model__", None)


def _needs_mlflow(path: Path) -> str:
    return (
        f"{path} imports mlflow, which is not installed for {sys.executable}. "
        "Run it with an interpreter that has MLflow (AgentRunner(python=...))."
    )


def _load_error(path: Path, error: BaseException) -> AgentLoadError:
    if isinstance(error, ModuleNotFoundError) and error.name == "mlflow":
        message = _needs_mlflow(path)
    else:
        message = f"Running {path} failed: {type(error).__name__}: {error}"
    return AgentLoadError(message, traceback=traceback.format_exc())


def execute_code_file(path: Path) -> Any:
    """Run a "models from code" file as a fresh module; return the agent it set."""
    with MODEL_SLOT.lock:
        MODEL_SLOT.model = None
        _mlflow_slot(reset=True)
        module_name = f"code_model_{uuid.uuid4().hex}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise AgentLoadError(f"{path} cannot be imported as a Python file.")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as error:
            sys.modules.pop(module_name, None)
            raise _load_error(path, error) from error
        model = MODEL_SLOT.model if MODEL_SLOT.model is not None else _mlflow_slot()
        MODEL_SLOT.model = None
    if model is None:
        raise AgentLoadError(f"{path} ran but never called core.set_model(agent).")
    return model


# -- runtimes -----------------------------------------------------------------------------------


class TraceTarget(Protocol):
    """What loading and running a model needs of its client (the default one: an agent's own
    spans start in it, through `core.start_span`)."""

    @property
    def tracking_uri(self) -> str: ...

    @property
    def experiment_id(self) -> str: ...

    def store(self) -> Store: ...

    def registry_store(self, write: bool = False) -> Store: ...

    def flush_traces(self, timeout_s: float | None = None) -> bool: ...

    def trace_failure(self, trace_id: str) -> str | None: ...


class Runtime(Protocol):
    """What runs a loaded model: `core` in this process, or MLflow."""

    name: str
    model: Any

    def predict(self, data: dict[str, Any], model_id: str | None, trace_ids: list[str]) -> Any: ...

    def predict_stream(
        self, data: dict[str, Any], model_id: str | None, trace_ids: list[str]
    ) -> Iterator[Any]: ...

    def flush(self, trace_id: str | None, timeout_s: float | None) -> str | None: ...


class CoreRuntime:
    """Runs the code file here; `core` traces the agent."""

    name = CORE

    def __init__(self, code_file: Path, client: TraceTarget) -> None:
        self.model = execute_code_file(code_file)
        self._client = client

    def predict(self, data: dict[str, Any], model_id: str | None, trace_ids: list[str]) -> Any:
        with prediction_context(model_id, trace_ids):
            return self.model.predict(data)

    def predict_stream(
        self, data: dict[str, Any], model_id: str | None, trace_ids: list[str]
    ) -> Iterator[Any]:
        with prediction_context(model_id, trace_ids):
            yield from self.model.predict_stream(data)

    def flush(self, trace_id: str | None, timeout_s: float | None) -> str | None:
        """Write pending traces; the reason `trace_id` could not be written, if it could not."""
        self._client.flush_traces(timeout_s)
        return self._client.trace_failure(trace_id) if trace_id is not None else None


class MlflowRuntime:
    """Runs the model with MLflow (`mlflow.pyfunc.load_model`); MLflow traces it."""

    name = MLFLOW

    def __init__(self, folder: Path, traced: bool, client: TraceTarget) -> None:
        self._mlflow: Any = importlib.import_module("mlflow")
        if traced:
            self._mlflow.set_tracking_uri(mlflow_tracking_uri(client.tracking_uri))
            self._mlflow.set_experiment(experiment_id=client.experiment_id)
        else:  # never point MLflow at an older database: it would upgrade it in place
            self._mlflow.tracing.disable()
        try:
            self.model = self._mlflow.pyfunc.load_model(str(folder))
        except Exception as error:
            raise AgentLoadError(
                f"MLflow could not load {folder}: {type(error).__name__}: {error}",
                traceback=traceback.format_exc(),
            ) from error

    def _last_trace_id(self) -> str | None:
        value = self._mlflow.get_last_active_trace_id()
        return str(value) if value else None

    def predict(self, data: dict[str, Any], model_id: str | None, trace_ids: list[str]) -> Any:
        before = self._last_trace_id()
        try:
            return self.model.predict(data)
        finally:
            after = self._last_trace_id()
            if after and after != before:
                trace_ids.append(after)

    def predict_stream(
        self, data: dict[str, Any], model_id: str | None, trace_ids: list[str]
    ) -> Iterator[Any]:
        before = self._last_trace_id()
        try:
            yield from self.model.predict_stream(data)
        finally:
            after = self._last_trace_id()
            if after and after != before:
                trace_ids.append(after)

    def flush(self, trace_id: str | None, timeout_s: float | None) -> str | None:
        self._mlflow.flush_trace_async_logging()
        return None


# -- the loaded model ---------------------------------------------------------------------------


def _as_response(value: Any) -> dict[str, Any]:
    if isinstance(value, ResponsesAgentResponse):
        return value.to_dict(exclude_none=True)
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # an MLflow (pydantic) response
        return dict(dump(exclude_none=True))
    if isinstance(value, Mapping):
        ResponsesAgentResponse.from_dict(value)  # raises ValueError when it is not a response
        return dict(value)
    raise TypeError(f"The agent returned {type(value).__name__}, not a ResponsesAgentResponse.")


def _as_event(value: Any) -> dict[str, Any]:
    if isinstance(value, ResponsesAgentStreamEvent):
        return value.to_dict(exclude_none=True)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dict(dump(exclude_none=True))
    if isinstance(value, Mapping):
        ResponsesAgentStreamEvent.from_dict(value)
        return dict(value)
    raise TypeError(f"The agent streamed {type(value).__name__}, not a stream event.")


class LoadedModel:
    """A loaded agent: `predict(dict) -> dict` as MLflow's loaded pyfunc model answers."""

    def __init__(
        self,
        model_uri: str,
        resolved: ResolvedModel,
        runtime: Runtime,
        untraced_because: str | None = None,
    ) -> None:
        self.model_uri = model_uri
        self.resolved = resolved
        self.runtime = runtime
        #: Why calls are not traced into the store (None: they are).
        self.untraced_because = untraced_because
        #: The trace of the last `predict` / `predict_stream`, when one was recorded.
        self.last_trace_id: str | None = None

    @property
    def traced(self) -> bool:
        return self.untraced_because is None

    @property
    def model_id(self) -> str | None:
        facts = self.resolved.folder.mlmodel
        return self.resolved.model_id or (facts.model_id if facts is not None else None)

    @property
    def metadata(self) -> MLmodelFacts | None:
        return self.resolved.folder.mlmodel

    @property
    def code_file(self) -> Path | None:
        return self.resolved.folder.code_file

    def predict(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Answer a request dict with a response dict (`None` fields left out)."""
        trace_ids: list[str] = []
        try:
            response = self.runtime.predict(dict(data), self.model_id, trace_ids)
        finally:
            self.last_trace_id = trace_ids[0] if trace_ids else None
        return _as_response(response) if self.runtime.name == CORE else _plain(response)

    def predict_stream(self, data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Answer as a stream of event dicts; `last_trace_id` is set once it is exhausted."""
        trace_ids: list[str] = []
        try:
            for event in self.runtime.predict_stream(dict(data), self.model_id, trace_ids):
                yield _as_event(event) if self.runtime.name == CORE else _plain(event)
        finally:
            self.last_trace_id = trace_ids[0] if trace_ids else None

    def flush_traces(self, timeout_s: float | None = None) -> str | None:
        """Write the traces made so far; says why the last one was not written, if it was not."""
        if self.untraced_because is not None:
            return self.untraced_because
        return self.runtime.flush(self.last_trace_id, timeout_s)

    def unwrap_python_model(self) -> Any:
        """The agent object itself (MLflow's name)."""
        return self.runtime.model


def _plain(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {"value": value}


def choose_runtime(facts: MLmodelFacts) -> str:
    """`mlflow` for files that import it (or models not logged from code), else `core`."""
    if facts.error is not None:
        raise AgentLoadError(facts.error)
    code_file = facts.code_file
    if code_file is None:
        if mlflow_available():
            return MLFLOW
        raise AgentLoadError(
            f"{facts.folder} is not a model logged from code; only MLflow can load it, "
            f"and MLflow is not installed for {sys.executable}."
        )
    try:
        imports_mlflow = inspect_code_file(code_file).imports_mlflow
    except ValueError as error:
        raise AgentLoadError(str(error)) from error
    if imports_mlflow and not mlflow_available():
        raise AgentLoadError(_needs_mlflow(code_file))
    return MLFLOW if imports_mlflow else CORE


def open_model(resolved: ResolvedModel, client: TraceTarget, trace: bool = True) -> LoadedModel:
    """Load the model `resolved` names, running its code (see the module docstring).

    With `trace=False` (or a store TraceDesk does not write to) MLflow, when it runs the model,
    writes no trace; the agent child process also disables core's tracing (`child.py`).
    """
    facts = resolved.folder.mlmodel
    if facts is None:
        where = resolved.folder.artifact_dir or resolved.folder.recorded_location
        raise AgentLoadError(
            f"The files of {resolved.uri} are missing (looked for {where}/MLmodel)."
        )
    untraced_because = (
        traces_writable(client) if trace else "tracing is turned off for this session"
    )
    runtime: Runtime
    if choose_runtime(facts) == MLFLOW:
        runtime = MlflowRuntime(facts.folder, untraced_because is None, client)
    else:
        runtime = CoreRuntime(facts.code_file or facts.folder, client)
    return LoadedModel(resolved.uri, resolved, runtime, untraced_because)


def load_model(client: TraceTarget, model_uri: str) -> LoadedModel:
    """Load a logged agent from `client`'s registry (see the module docstring); its calls are
    traced into `client`'s store."""
    return open_model(client.registry_store().models.resolve(model_uri), client)
