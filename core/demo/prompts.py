"""The demo's prompt registry: a text prompt and a chat prompt, with versions and aliases.

`support-triage` (three versions, `production` -> 2, `staging` -> 3), `rag-answer` (two
chat versions, `production` -> 2) and `support-system`, the support agent's system prompt (four
versions, `production` -> 4; release 1.7.4 used version 3, and each support trace links the
version it used). Their templates are in `resources/demo/prompts.toml`.
"""

from __future__ import annotations

import core
from core.demo import texts
from core.entities.prompt import fill

TEXTS = texts("prompts")
#: (template, commit message) of each version, oldest first.
TRIAGE_VERSIONS: tuple[tuple[str, str], ...] = tuple(
    (version["template"], version["commit_message"]) for version in TEXTS["support-triage"]
)
RAG_VERSIONS: tuple[tuple[list[dict[str, str]], str], ...] = tuple(
    (version["messages"], version["commit_message"]) for version in TEXTS["rag-answer"]
)

SYSTEM_PROMPT = "support-system"
SYSTEM_VERSIONS: tuple[tuple[str, str], ...] = tuple(
    (version["template"], version["commit_message"]) for version in TEXTS[SYSTEM_PROMPT]
)


def support_system(version: int, tenant: str) -> str:
    """The support agent's system message as version `version` of its prompt renders it."""
    return fill(SYSTEM_VERSIONS[version - 1][0], {"tenant": tenant})


def add_prompts() -> None:
    for template, message in TRIAGE_VERSIONS:
        core.register_prompt(
            "support-triage", template, commit_message=message, tags={"team": "support"}
        )
    core.set_prompt_alias("support-triage", "production", 2)
    core.set_prompt_alias("support-triage", "staging", 3)
    for chat, message in RAG_VERSIONS:
        core.register_prompt("rag-answer", chat, commit_message=message, tags={"team": "docs"})
    core.set_prompt_alias("rag-answer", "production", 2)
    for template, message in SYSTEM_VERSIONS:
        core.register_prompt(
            SYSTEM_PROMPT, template, commit_message=message, tags={"team": "support"}
        )
    core.set_prompt_alias(SYSTEM_PROMPT, "production", len(SYSTEM_VERSIONS))
