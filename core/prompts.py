"""The prompt registry with MLflow's calls: register, load, search, on a store's `Registry`.

    core.register_prompt("qa", "Answer {{ question }}", commit_message="first")
    prompt = core.load_prompt("prompts:/qa@production")
    text = prompt.format(question="Why?")

`Client.register_prompt` and friends (and, through the default client, `core.genai`'s
functions) call these with the client's registry store. Loading a prompt inside a span links
it to that trace (trace tag `mlflow.linkedPrompts`, as MLflow records it), so TraceDesk can
show which prompt version produced a trace.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from core.entities.prompt import PromptSummary, PromptVersion, Template
from core.errors import NotFoundError
from core.mlflow_keys import LINKED_PROMPTS_TAG
from core.store.prompt_registry import PromptRegistry
from core.tracing.spans import get_current_active_span, trace_record

URI = re.compile(r"^prompts:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[\w-]+))?$")


def register_prompt(
    registry: PromptRegistry,
    name: str,
    template: Template,
    *,
    experiment_id: str,
    commit_message: str | None = None,
    tags: Mapping[str, str] | None = None,
    response_format: Any = None,
    model_config: Any = None,
) -> PromptVersion:
    """Create prompt `name` or its next version. A chat template is a list of {role, content}."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name or ""):
        raise ValueError(f"{name!r} cannot be a prompt name: use letters, digits, '_', '-', '.'.")
    _check_template(template)
    return registry.register_version(
        name,
        template,
        commit_message=commit_message,
        tags=tags,
        experiment_id=experiment_id,
        response_format=response_format,
        model_config=model_config,
    )


def _check_template(template: Template) -> None:
    if isinstance(template, str):
        return
    if not isinstance(template, list) or not all(
        isinstance(m, Mapping)
        and isinstance(m.get("role"), str)
        and isinstance(m.get("content"), str)
        for m in template
    ):
        raise TypeError("A prompt template is a string or a list of {'role': ..., 'content': ...}.")


def parse_prompt_uri(
    name_or_uri: str, version: int | str | None = None
) -> tuple[str, str | None, int | None]:
    """(name, alias, version) from `prompts:/name/3`, `prompts:/name@alias` or a bare name."""
    if not name_or_uri.startswith("prompts:/"):
        return name_or_uri, None, int(version) if version is not None else None
    match = URI.match(name_or_uri)
    if match is None:
        raise ValueError(
            f"{name_or_uri!r} is not a prompt URI: use prompts:/name/3, prompts:/name@alias "
            "or prompts:/name@latest."
        )
    number = match.group("version")
    return match.group("name"), match.group("alias"), int(number) if number else None


def load_prompt(
    registry: PromptRegistry,
    name_or_uri: str,
    version: int | str | None = None,
    allow_missing: bool = False,
) -> PromptVersion | None:
    """A prompt version by URI or name (latest when no version or alias is given)."""
    name, alias, number = parse_prompt_uri(name_or_uri, version)
    try:
        if alias is not None and alias.lower() != "latest":
            aliases = registry.aliases(name)
            if alias not in aliases:
                raise NotFoundError(f"Prompt {name!r} has no alias {alias!r}.")
            number = aliases[alias]
        prompt = (
            registry.prompt_version(name, number)
            if number is not None
            else registry.prompt_versions(name)[-1]
        )
    except (NotFoundError, IndexError):
        if allow_missing:
            return None
        raise
    link_to_current_trace(prompt)
    return prompt


def link_to_current_trace(prompt: PromptVersion) -> None:
    """Link the trace of the current span to `prompt` (tag and span attribute, as MLflow)."""
    span = get_current_active_span()
    if span is None:
        return
    record = trace_record(span)
    entry = {"name": prompt.name, "version": str(prompt.version)}
    with record.lock:
        linked = json.loads(record.tags.get(LINKED_PROMPTS_TAG, "[]"))
        if entry not in linked:
            linked.append(entry)
        record.tags[LINKED_PROMPTS_TAG] = json.dumps(linked)
    span.set_attribute(LINKED_PROMPTS_TAG, linked)


def search_prompts(
    registry: PromptRegistry, filter_string: str | None = None
) -> list[PromptSummary]:
    """Prompts, optionally those whose name matches `name LIKE '%text%'` or contains a text."""
    text = None
    if filter_string:
        match = re.fullmatch(
            r"\s*name\s+(?:I?LIKE)\s+'%?([^%']*)%?'\s*", filter_string, re.IGNORECASE
        )
        text = match.group(1) if match else filter_string.strip()
    return registry.prompts(text)
