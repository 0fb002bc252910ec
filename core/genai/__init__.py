"""MLflow's GenAI module (`mlflow.genai`): evaluation, scorers and the prompt registry, each
call acting on the default client.

    import core as mlflow

    @mlflow.genai.scorer
    def short(outputs: str) -> bool:
        return len(outputs) < 10

    mlflow.genai.evaluate(data=rows, predict_fn=answer, scorers=[short])
    prompt = mlflow.genai.load_prompt("prompts:/qa/2")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from core import context
from core.entities.evaluation import EvaluationResult
from core.entities.prompt import PromptSummary, PromptVersion, Template
from core.evaluation.scorer import Scorer, scorer
from core.genai import datasets, scorers

__all__ = [
    "datasets",
    "delete_prompt_alias",
    "evaluate",
    "load_prompt",
    "register_prompt",
    "scorer",
    "scorers",
    "search_prompts",
    "set_prompt_alias",
]


def evaluate(
    data: Any,
    scorers: Sequence[Scorer | Callable[..., Any]] | None = None,
    predict_fn: Callable[..., Any] | None = None,
    model_id: str | None = None,
    **options: Any,
) -> EvaluationResult:
    """Evaluate `data` with `scorers` into a new evaluation run of the active experiment.

    `options` are `Client.evaluate`'s keyword arguments (`max_workers`, `progress`, `cancel`,
    `experiment_id`, `run_name`). `model_id` (a logged model the results belong to) is
    accepted for MLflow's signature.
    """
    return context.default_client().evaluate(data, scorers, predict_fn, **options)


def register_prompt(
    name: str,
    template: Template,
    commit_message: str | None = None,
    tags: Mapping[str, str] | None = None,
    response_format: Any = None,
    model_config: Any = None,
) -> PromptVersion:
    """Create prompt `name`, or its next version. A chat template is a list of {role, content}."""
    return context.default_client().register_prompt(
        name, template, commit_message, tags, response_format, model_config
    )


def load_prompt(
    name_or_uri: str, version: int | str | None = None, allow_missing: bool = False
) -> PromptVersion | None:
    """A prompt version by `prompts:/name/3`, `prompts:/name@alias` or name (the latest)."""
    return context.default_client().load_prompt(name_or_uri, version, allow_missing)


def search_prompts(
    filter_string: str | None = None, max_results: int | None = None
) -> list[PromptSummary]:
    """Registered prompts, optionally those matching `name LIKE '%text%'`."""
    return context.default_client().search_prompts(filter_string, max_results)


def set_prompt_alias(name: str, alias: str, version: int) -> None:
    """Point `alias` of prompt `name` at `version`."""
    context.default_client().set_prompt_alias(name, alias, version)


def delete_prompt_alias(name: str, alias: str) -> None:
    """Remove `alias` from prompt `name`."""
    context.default_client().delete_prompt_alias(name, alias)
