"""What the Prompts page asks of the store, as plain functions for the database thread (no Qt).

The page calls these through `tasks.submit(...)`; each takes the open `Store` and returns plain
values (`PromptSummary`, `PromptVersion`, `TraceRow`s) or raises a `core` error with a message.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.entities import TraceRow
from core.entities.prompt import PromptSummary, PromptVersion, Template, template_variables
from core.errors import StoreError
from core.store import Store

#: How many of the traces that used a prompt version the Traces tab lists (newest first).
TRACES_SHOWN = 200


class WriteState(enum.Enum):
    """Whether the page may write to the open store, and if not, why."""

    WRITABLE = "writable"
    READ_ONLY = "read-only"  # opened for reading: Enable Editing reopens it
    OLD_LAYOUT = "old layout"  # a layout core does not write: no editor at all
    NO_STORE = "no store"


def write_state(store: Store | None) -> WriteState:
    if store is None:
        return WriteState.NO_STORE
    if not store.layout.writable:
        return WriteState.OLD_LAYOUT
    return WriteState.READ_ONLY if store.read_only else WriteState.WRITABLE


def layout_message(store: Store) -> str:
    return (
        f"This database has the {store.layout.label}. TraceDesk writes prompts only into "
        "MLflow 3.18 databases, so here you can read, compare and try prompts, but not edit "
        "them or move their aliases."
    )


def database_key(store: Store) -> str:
    """What drafts are filed under: the file's path (or the URL of a server store)."""
    path = store.location.path
    return str(path.resolve()) if path is not None else store.display_name


# -- reading ---------------------------------------------------------------------------------


def load_prompts(store: Store, name_contains: str) -> list[PromptSummary]:
    """Database thread: prompts whose name contains the text (all when empty), by name."""
    return store.prompt_registry.prompts(name_contains.strip() or None)


def load_history(store: Store, name: str) -> list[PromptVersion]:
    """Database thread: every version of prompt `name`, oldest first."""
    return store.prompt_registry.prompt_versions(name)


@dataclass(frozen=True)
class LinkedTraces:
    """The traces that used one prompt version, newest first; `more` when some were left out."""

    rows: tuple[TraceRow, ...]
    more: bool


def prompt_filter(name: str, version: int) -> str:
    """The trace filter `prompt = 'name/3'` (core/query.py: a quote inside is doubled)."""
    quoted = f"{name}/{version}".replace("'", "''")
    return f"prompt = '{quoted}'"


def traces_using(store: Store, name: str, version: int, limit: int = TRACES_SHOWN) -> LinkedTraces:
    """Database thread: traces of any experiment linked to `name` version `version`."""
    if "entity_associations" not in store.layout.tables:
        raise StoreError(
            f"this database has the {store.layout.label}, which does not record which traces "
            "used a prompt version"
        )
    page = store.reader.trace_page(None, filter_string=prompt_filter(name, version), limit=limit)
    return LinkedTraces(page.rows, page.next_key is not None)


# -- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewVersion:
    """What saving the editor writes: one new version of prompt `name`, and nothing else.

    The commit dialog describes it and `save_version` writes it, so the two cannot disagree.
    No alias moves and no experiment is linked: MLflow links a prompt to an experiment when
    code registers or loads it there, which choosing an experiment in the window is not.
    """

    name: str
    version: int  # the number it gets unless another program saves one first
    template: Template
    base: PromptVersion  # the version the edit started from
    aliases: Mapping[str, int]  # the prompt's aliases, left where they are
    tags: Mapping[str, str] = field(default_factory=dict)


def save_version(store: Store, new: NewVersion, commit_message: str | None) -> PromptVersion:
    """Database thread: write `new` as the next version of its prompt; returns it as read back."""
    return store.prompt_registry.register_version(
        new.name,
        new.template,
        commit_message=commit_message or None,
        tags=dict(new.tags) or None,
    )


def move_alias(store: Store, name: str, alias: str, version: int) -> None:
    store.prompt_registry.set_alias(name, alias, version)


def delete_alias(store: Store, name: str, alias: str) -> None:
    store.prompt_registry.delete_alias(name, alias)


# -- describing changes ------------------------------------------------------------------------


def suggested_message(base: PromptVersion, template: Template) -> str:
    """A commit message to start from: the base version and what changed in the variables."""
    before, after = set(base.variables), template_variables(template)
    added = [v for v in after if v not in before]
    removed = [v for v in base.variables if v not in set(after)]
    parts = [f"Edited from version {base.version}"]
    if added:
        parts.append("adds " + _names(added))
    if removed:
        parts.append("removes " + _names(removed))
    if isinstance(base.template, str) != isinstance(template, str):
        parts.append("now a " + ("text" if isinstance(template, str) else "chat") + " template")
    return "; ".join(parts)


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"{{{{ {n} }}}}" for n in names)
