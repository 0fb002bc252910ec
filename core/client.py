"""`Client`: MLflow's `MlflowClient(tracking_uri=...)`, for one store: its experiments, runs and
traces (`TrackingClient`), its registry (prompts, logged and registered models) and evaluations.

It also holds what MLflow keeps in process globals (the active experiment and run). The
module-level API (`core.set_tracking_uri`, `core.search_traces`, ...) is a thin layer over a
default client (`core.context`); the app makes one client per open store.

    client = core.Client("sqlite:///mlflow.db")
    client.set_experiment("support-agent")
    with client.start_span("answer") as span:
        span.set_inputs({"question": "Why?"})
    client.flush_traces()
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from core import prompts
from core.agents import save
from core.agents.responses import ResponsesAgentRequest
from core.entities.evaluation import EvaluationResult
from core.entities.prompt import PromptSummary, PromptVersion, Template
from core.errors import StoreNotFoundError
from core.evaluation.scorer import Scorer
from core.tracking_client import TrackingClient

if TYPE_CHECKING:
    from core.evaluation.evaluate import Cancel
    from core.evaluation.job import Progress


class Client(TrackingClient):
    """A store's experiments, runs and traces, and its prompts, models and evaluations.
    Thread-safe. See `TrackingClient` for the ways to give the store."""

    # -- prompts -----------------------------------------------------------------------------

    def register_prompt(
        self,
        name: str,
        template: Template,
        commit_message: str | None = None,
        tags: Mapping[str, str] | None = None,
        response_format: Any = None,
        model_config: Any = None,
    ) -> PromptVersion:
        """Create prompt `name` or its next version (a chat template: [{role, content}])."""
        return prompts.register_prompt(
            self.registry_store(write=True).prompt_registry,
            name,
            template,
            experiment_id=self.experiment_id,
            commit_message=commit_message,
            tags=tags,
            response_format=response_format,
            model_config=model_config,
        )

    def load_prompt(
        self, name_or_uri: str, version: int | str | None = None, allow_missing: bool = False
    ) -> PromptVersion | None:
        """A prompt version by URI or name (the latest when neither version nor alias is
        given); inside a span, the trace is linked to it."""
        return prompts.load_prompt(
            self.registry_store().prompt_registry, name_or_uri, version, allow_missing
        )

    def search_prompts(
        self, filter_string: str | None = None, max_results: int | None = None
    ) -> list[PromptSummary]:
        """Prompts, those whose name matches `name LIKE '%text%'` when a filter is given."""
        try:
            registry = self.registry_store().prompt_registry
        except StoreNotFoundError:
            return []
        return prompts.search_prompts(registry, filter_string)[:max_results]

    def set_prompt_alias(self, name: str, alias: str, version: int) -> None:
        self.registry_store(write=True).prompt_registry.set_alias(name, alias, int(version))

    def delete_prompt_alias(self, name: str, alias: str) -> None:
        self.registry_store(write=True).prompt_registry.delete_alias(name, alias)

    # -- evaluation --------------------------------------------------------------------------

    def evaluate(
        self,
        data: Any,
        scorers: Sequence[Scorer | Callable[..., Any]] | None = None,
        predict_fn: Callable[..., Any] | None = None,
        *,
        max_workers: int | None = None,
        progress: Progress | None = None,
        cancel: Cancel | None = None,
        experiment_id: str | None = None,
        run_name: str | None = None,
    ) -> EvaluationResult:
        """Evaluate `data` with `scorers` into a new evaluation run of this store (see
        `core.evaluation.evaluate.run_evaluation`)."""
        # Here, not at the top: it brings pandas, which a window opening a database never needs.
        from core.evaluation.evaluate import run_evaluation

        return run_evaluation(
            data,
            scorers,
            predict_fn,
            store=self.writable_store(),
            traces=self,
            experiment_id=str(experiment_id or self.experiment_id),
            max_workers=max_workers,
            progress=progress,
            cancel=cancel,
            run_name=run_name,
        )

    # -- models ------------------------------------------------------------------------------

    def log_model(
        self,
        python_model: str | os.PathLike[str],
        name: str = "model",
        registered_model_name: str | None = None,
        input_example: Mapping[str, Any] | ResponsesAgentRequest | None = None,
        pip_requirements: Iterable[str] | str | None = None,
    ) -> save.ModelInfo:
        """Log the agent code file `python_model` (see `core.agents.save.log_model`) in the
        active run, if any (as MLflow, no run is made for it otherwise); with
        `registered_model_name`, register it as that model's next version."""
        if registered_model_name is not None and self._registry_uri != self._uri:
            raise ValueError(
                "TraceDesk registers a logged model in the store it is logged to: point the "
                "registry URI at the tracking store to register it."
            )
        store = self.writable_store()
        run_id = self.active_run_id()
        experiment_id = (
            store.runs.get_run(run_id).info.experiment_id if run_id else self.experiment_id
        )
        return save.log_model(
            store,
            python_model,
            experiment_id=experiment_id,
            run_id=run_id,
            name=name,
            registered_model_name=registered_model_name,
            input_example=input_example,
            pip_requirements=pip_requirements,
        )

    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None:
        """Point `alias` of registered model `name` at `version` (moving it if it is set)."""
        self.registry_store(write=True).models.set_alias(name, alias, int(version))

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove `alias` from registered model `name` (nothing happens when it is not set)."""
        self.registry_store(write=True).models.delete_alias(name, alias)
