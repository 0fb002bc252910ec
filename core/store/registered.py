"""What registered models and prompts share: MLflow keeps a prompt as a registered model tagged
`mlflow.prompt.is_prompt`, so both read their tags and aliases from the same tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, exists, select

from core.mlflow_keys import IS_PROMPT_TAG
from core.store import schema as t

if TYPE_CHECKING:
    from core.store.reader import StoreReader


def is_prompt_clause(name_column: Any) -> ColumnElement[bool]:
    """True for the registered models that are prompts (the `is_prompt` tag says "true")."""
    rt = t.registered_model_tags
    return exists().where(rt.c.name == name_column, rt.c.key == IS_PROMPT_TAG, rt.c.value == "true")


def model_tags(reader: StoreReader, names: Sequence[str]) -> dict[str, dict[str, str]]:
    """The tags of each registered model (or prompt) in `names`, by name."""
    rt = t.registered_model_tags
    out: dict[str, dict[str, str]] = {}
    statement = select(rt.c.name, rt.c.key, rt.c.value).where(rt.c.name.in_(list(names)))
    for name, key, value in reader.rows(statement):
        out.setdefault(name, {})[key] = value
    return out


def model_aliases(reader: StoreReader, names: Sequence[str]) -> dict[str, dict[str, int]]:
    """The aliases of each registered model (or prompt) in `names`: alias -> version."""
    a = t.registered_model_aliases
    out: dict[str, dict[str, int]] = {}
    statement = select(a.c.name, a.c.alias, a.c.version).where(a.c.name.in_(list(names)))
    for name, alias, version in reader.rows(statement):
        out.setdefault(name, {})[alias] = int(version)
    return out
