"""Which recorded messages a registered prompt version rendered, and with what values (no Qt).

MLflow links the prompt versions a traced call loaded to its trace (trace tag
`mlflow.linkedPrompts`), not to the messages. `find_prompt_use` finds the messages: a text
template renders one message, a chat template a run of consecutive messages with the same
roles; each template is matched as a pattern whose `{{ variables }}` capture what was filled
in, the same value wherever a variable appears. The replay playground then edits the template
and renders it with those values (`PromptUse.render`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.replay.request import ReplayMessage
from core.entities.prompt import VARIABLE, PromptVersion, Template, fill
from core.store import Store

#: Longest message matched against a template.
MATCH_LIMIT = 100_000


@dataclass(frozen=True)
class LinkedPrompt:
    """A version the trace links, with every version of its prompt (oldest first) and its
    aliases: what "Save as New Version…" needs to number the next one and move an alias."""

    version: PromptVersion
    history: tuple[PromptVersion, ...]
    aliases: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PromptUse:
    """The messages (`rows`, indexes of the request's messages) rendered from `linked`'s
    template, one per template message, and the values its variables had."""

    linked: LinkedPrompt
    rows: tuple[int, ...]
    values: Mapping[str, str]

    @property
    def version(self) -> PromptVersion:
        return self.linked.version

    def templates(self) -> list[str]:
        """The template text of each row."""
        return [content for _role, content in _template_messages(self.version.template)]

    def render(self, text: str) -> str:
        """A row's (edited) template text with the recorded values filled in."""
        return fill(text, self.values)

    def template_with(self, texts: Sequence[str]) -> Template:
        """The version's template with each row's text replaced by `texts` (same order)."""
        template = self.version.template
        if isinstance(template, str):
            return texts[0]
        return [{**message, "content": text} for message, text in zip(template, texts, strict=True)]

    def describe(self) -> str:
        """ "Message 1 is prompt support-system v3 (tenant = Northwind)"."""
        where = ", ".join(str(i + 1) for i in self.rows)
        noun = "Message" if len(self.rows) == 1 else "Messages"
        values = ", ".join(f"{k} = {_short(v)}" for k, v in self.values.items())
        version = self.version
        said = f"{noun} {where} from prompt {version.name} v{version.version}"
        return said + (f" · {values}" if values else "")


def load_linked(store: Store, links: Sequence[tuple[str, int]]) -> list[LinkedPrompt]:
    """Database thread: the linked versions that are still registered, with their histories."""
    registry = store.prompt_registry
    out = []
    for name, number in links:
        history = tuple(registry.prompt_versions(name))
        found = [v for v in history if v.version == number]
        if found:
            out.append(LinkedPrompt(found[0], history, registry.aliases(name)))
    return out


def find_prompt_use(
    messages: Sequence[ReplayMessage], linked: Sequence[LinkedPrompt]
) -> PromptUse | None:
    """The first linked version whose template rendered some of `messages`, or None."""
    for candidate in linked:
        use = _match(messages, candidate)
        if use is not None:
            return use
    return None


def _match(messages: Sequence[ReplayMessage], linked: LinkedPrompt) -> PromptUse | None:
    wanted = _template_messages(linked.version.template)
    if not wanted:
        return None
    for start in range(len(messages) - len(wanted) + 1):
        values: dict[str, str] = {}
        for offset, (role, template) in enumerate(wanted):
            message = messages[start + offset]
            if role is not None and message.role != role:
                break
            found = _values(template, message.content)
            if found is None or any(values.get(k, v) != v for k, v in found.items()):
                break
            values |= found
        else:
            rows = tuple(range(start, start + len(wanted)))
            return PromptUse(linked, rows, values)
    return None


def _template_messages(template: Template) -> list[tuple[str | None, str]]:
    """(role, text) per message of a template; a text template is one message of any role."""
    if isinstance(template, str):
        return [(None, template)]
    return [(str(m.get("role") or ""), str(m.get("content") or "")) for m in template]


def _values(template: str, text: str) -> dict[str, str] | None:
    """What each variable of `template` stood for in `text`, or None when it does not match.
    Leading and trailing whitespace is not compared (templates often start with a newline);
    a text over `MATCH_LIMIT` characters is not tried (several variables backtrack)."""
    if len(text) > MATCH_LIMIT:
        return None
    pattern, groups = _pattern(template.strip())
    match = pattern.fullmatch(text.strip())
    if match is None:
        return None
    return {name: match.group(group) for name, group in groups.items()}


def _pattern(template: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """The template as a pattern, and the group that captures each variable."""
    parts: list[str] = []
    seen: dict[str, str] = {}
    at = 0
    for number, match in enumerate(VARIABLE.finditer(template)):
        parts.append(re.escape(template[at : match.start()]))
        at = match.end()
        escape, name = match.group(1), match.group(2)
        if escape:  # `\{{ x }}` renders as `{{ x }}`
            parts.append(re.escape(match.group(0)[1:]))
        elif name in seen:
            parts.append(f"(?P={seen[name]})")
        else:
            seen[name] = f"v{number}"
            parts.append(f"(?P<{seen[name]}>.*?)")
    parts.append(re.escape(template[at:]))
    return re.compile("".join(parts), re.DOTALL), seen


def _short(value: str, limit: int = 40) -> str:
    line = " ".join(value.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
