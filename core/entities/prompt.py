"""`PromptVersion`: one immutable version of a registered prompt, and filling its template;
`PromptSummary`: one line of the prompt list.

Templates use MLflow's `{{ variable }}` placeholders (names may be dotted: `{{ user.name }}`).
Anything else between double braces is left as written, and a backslash keeps a placeholder
literal: `\\{{ name }}` formats to `{{ name }}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

VARIABLE = re.compile(r"(\\?)\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)*)\s*\}\}")
PROMPT_TYPE_TEXT = "text"
PROMPT_TYPE_CHAT = "chat"

Template = str | list[dict[str, str]]


class MissingVariablesError(KeyError):
    """`format()` was not given a value for every variable of the template."""

    def __init__(self, missing: Sequence[str], prompt: str) -> None:
        self.missing = sorted(missing)
        names = ", ".join(self.missing)
        super().__init__(f"{prompt} needs a value for: {names}")

    def __str__(self) -> str:
        return str(self.args[0])


def template_variables(template: Template) -> list[str]:
    """Variable names in order of first appearance (escaped placeholders excluded)."""
    texts = [template] if isinstance(template, str) else [m.get("content", "") for m in template]
    names: dict[str, None] = {}
    for text in texts:
        for escape, name in VARIABLE.findall(text):
            if not escape:
                names.setdefault(name, None)
    return list(names)


def fill(text: str, values: Mapping[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        escape, name = match.group(1), match.group(2)
        if escape:
            return match.group(0)[1:]
        return str(values[name]) if name in values else match.group(0)

    return VARIABLE.sub(replace, text)


#: How much of a template `repr` shows (MLflow's `PROMPT_TEXT_DISPLAY_LIMIT`).
DISPLAY_LIMIT = 30


@dataclass(frozen=True, repr=False)
class PromptVersion:
    """A registered prompt version (`prompts:/name/version`); never edited after it is written."""

    name: str
    version: int
    template: Template
    commit_message: str | None = None
    creation_time: int | None = None
    aliases: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    response_format: Any = None
    model_config: Any = None

    def __repr__(self) -> str:
        """MLflow's: `PromptVersion(name=qa, version=2, template=Answer {{ question }})`."""
        text = self.template if isinstance(self.template, str) else json.dumps(self.template)
        shown = text[:DISPLAY_LIMIT] + "..." if len(text) > DISPLAY_LIMIT else text
        return f"PromptVersion(name={self.name}, version={self.version}, template={shown})"

    @property
    def creation_timestamp(self) -> int | None:
        """MLflow's name of `creation_time` (ms)."""
        return self.creation_time

    @property
    def prompt_type(self) -> str:
        return PROMPT_TYPE_TEXT if isinstance(self.template, str) else PROMPT_TYPE_CHAT

    @property
    def is_text_prompt(self) -> bool:
        return isinstance(self.template, str)

    @property
    def variables(self) -> list[str]:
        return template_variables(self.template)

    @property
    def uri(self) -> str:
        return f"prompts:/{self.name}/{self.version}"

    def format(self, allow_partial: bool = False, **values: Any) -> Template:
        """Fill the `{{ variables }}`; a missing one raises `MissingVariablesError` naming it."""
        missing = [v for v in self.variables if v not in values]
        if missing and not allow_partial:
            raise MissingVariablesError(missing, f"Prompt {self.uri}")
        if isinstance(self.template, str):
            return fill(self.template, values)
        return [{**m, "content": fill(m.get("content", ""), values)} for m in self.template]


@dataclass(frozen=True)
class PromptSummary:
    """One line of the prompt list."""

    name: str
    latest_version: int | None
    aliases: Mapping[str, int]
    last_updated_time: int | None
    description: str | None
    tags: Mapping[str, str] = field(default_factory=dict)
