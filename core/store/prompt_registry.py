"""The model registry tables, where MLflow keeps prompts (and registered models).

A prompt is a `registered_models` row tagged `mlflow.prompt.is_prompt=true`; each version is a
`model_versions` row whose `mlflow.prompt.text` tag holds the template and whose description is
the commit message (SCHEMA.md §7). New versions take the next number inside a write-locked
transaction (`dialect.lock_versions`), so concurrent writers get distinct, gapless numbers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from core.entities.prompt import PROMPT_TYPE_CHAT, PromptSummary, PromptVersion, Template
from core.errors import NotFoundError, StoreError
from core.jsonutil import decode_attribute
from core.mlflow_keys import IS_PROMPT_TAG, PROMPT_TEXT_TAG
from core.store import schema as t
from core.store.dialect import lock_versions
from core.store.registered import is_prompt_clause, model_aliases, model_tags

if TYPE_CHECKING:
    from core.store.store import Store

PROMPT_TYPE = "_mlflow_prompt_type"
RESPONSE_FORMAT = "_mlflow_prompt_response_format"
MODEL_CONFIG = "_mlflow_prompt_model_config"
EXPERIMENT_IDS = "_mlflow_experiment_ids"
PLACEHOLDER_SOURCE = "dummy-source"
RESERVED_VERSION_TAGS = frozenset(
    {IS_PROMPT_TAG, PROMPT_TEXT_TAG, PROMPT_TYPE, RESPONSE_FORMAT, MODEL_CONFIG}
)


class PromptRegistry:
    """Prompts in one store: reads through the store's reader engine, writes through its writer."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _rows(self, statement: Any) -> list[Any]:
        return self._store.reader.rows(statement)

    # -- reading ----------------------------------------------------------------------------

    def prompts(self, name_contains: str | None = None) -> list[PromptSummary]:
        rm, mv = t.registered_models, t.model_versions
        statement = (
            select(rm.c.name, rm.c.last_updated_time, rm.c.description, func.max(mv.c.version))
            .outerjoin(mv, mv.c.name == rm.c.name)
            .where(is_prompt_clause(rm.c.name))
            .group_by(rm.c.name, rm.c.last_updated_time, rm.c.description)
            .order_by(rm.c.name)
        )
        if name_contains:
            statement = statement.where(rm.c.name.contains(name_contains, autoescape=True))
        rows = self._rows(statement)
        aliases = model_aliases(self._store.reader, [r[0] for r in rows])
        tags = model_tags(self._store.reader, [r[0] for r in rows])
        return [
            PromptSummary(r[0], r[3], aliases.get(r[0], {}), r[1], r[2], tags.get(r[0], {}))
            for r in rows
        ]

    def aliases(self, name: str) -> dict[str, int]:
        return model_aliases(self._store.reader, [name]).get(name, {})

    def is_prompt(self, name: str) -> bool:
        rm = t.registered_models
        return bool(
            self._rows(select(rm.c.name).where(rm.c.name == name, is_prompt_clause(rm.c.name)))
        )

    def prompt_versions(self, name: str) -> list[PromptVersion]:
        """Every version of prompt `name`, oldest first."""
        if not self.is_prompt(name):
            raise NotFoundError(f"Prompt {name!r} does not exist.")
        mv, tags = t.model_versions, t.model_version_tags
        versions = self._rows(
            select(mv.c.version, mv.c.description, mv.c.creation_time)
            .where(mv.c.name == name)
            .order_by(mv.c.version)
        )
        version_tags: dict[int, dict[str, str]] = {}
        for version, key, value in self._rows(
            select(tags.c.version, tags.c.key, tags.c.value).where(tags.c.name == name)
        ):
            version_tags.setdefault(int(version), {})[key] = value
        by_version: dict[int, list[str]] = {}
        for alias, version in self.aliases(name).items():
            by_version.setdefault(version, []).append(alias)
        return [
            _prompt_version(name, int(v), d, c, version_tags.get(int(v), {}), by_version)
            for v, d, c in versions
        ]

    def prompt_version(self, name: str, version: int) -> PromptVersion:
        for candidate in self.prompt_versions(name):
            if candidate.version == version:
                return candidate
        raise NotFoundError(f"Prompt {name!r} has no version {version}.")

    # -- writing ----------------------------------------------------------------------------

    def register_version(
        self,
        name: str,
        template: Template,
        commit_message: str | None = None,
        tags: Mapping[str, str] | None = None,
        experiment_id: str | None = None,
        response_format: Any = None,
        model_config: Any = None,
    ) -> PromptVersion:
        """Write the next version of `name` (creating the prompt); returns it."""
        writer = self._store.writer
        if not self._store.layout.has_workspaces:
            raise StoreError("TraceDesk writes prompts only into MLflow 3.18 databases.")
        version_tags = _version_tags(template, tags, response_format, model_config)

        def work(connection: Connection) -> int:
            now = int(time.time() * 1000)
            lock_versions(connection, t.model_versions.name, name)  # before reading max()
            _ensure_prompt(connection, name, commit_message, now)
            version = _next_version(connection, name)
            connection.execute(
                insert(t.model_versions).values(**_version_row(name, version, commit_message, now))
            )
            connection.execute(
                insert(t.model_version_tags),
                [
                    {"key": k, "value": v, "name": name, "version": version, "workspace": "default"}
                    for k, v in version_tags.items()
                ],
            )
            connection.execute(
                update(t.registered_models)
                .where(t.registered_models.c.name == name)
                .values(last_updated_time=now)
            )
            if experiment_id is not None:
                _link_experiment(connection, name, experiment_id)
            return version

        return self.prompt_version(name, writer.transaction(work))

    def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point `alias` at `version` (moving it if it pointed elsewhere)."""
        _check_alias(alias)

        def work(connection: Connection) -> None:
            mv = t.model_versions
            found = connection.execute(
                select(mv.c.version).where(mv.c.name == name, mv.c.version == version)
            ).first()
            if found is None:
                raise NotFoundError(f"Prompt {name!r} has no version {version}.")
            a = t.registered_model_aliases
            connection.execute(delete(a).where(a.c.name == name, a.c.alias == alias))
            connection.execute(
                insert(a).values(alias=alias, version=version, name=name, workspace="default")
            )

        self._store.writer.transaction(work)

    def delete_alias(self, name: str, alias: str) -> None:
        a = t.registered_model_aliases

        def work(connection: Connection) -> None:
            connection.execute(delete(a).where(and_(a.c.name == name, a.c.alias == alias)))

        self._store.writer.transaction(work)


def _check_alias(alias: str) -> None:
    if (
        not alias
        or alias.lower() == "latest"
        or not alias.replace("_", "").replace("-", "").isalnum()
    ):
        raise ValueError(
            f"{alias!r} cannot be an alias: use letters, digits, '-' or '_' ('latest' is reserved)."
        )


def _prompt_version(
    name: str,
    version: int,
    description: str | None,
    created: int | None,
    tags: dict[str, str],
    aliases: dict[int, list[str]],
) -> PromptVersion:
    raw = tags.get(PROMPT_TEXT_TAG, "")
    template: Template = raw
    if tags.get(PROMPT_TYPE) == PROMPT_TYPE_CHAT:
        decoded = decode_attribute(raw)
        template = decoded if isinstance(decoded, list) else raw
    return PromptVersion(
        name=name,
        version=version,
        template=template,
        commit_message=description,
        creation_time=created,
        aliases=tuple(sorted(aliases.get(version, []))),
        tags={k: v for k, v in tags.items() if k not in RESERVED_VERSION_TAGS},
        response_format=decode_attribute(tags[RESPONSE_FORMAT])
        if RESPONSE_FORMAT in tags
        else None,
        model_config=decode_attribute(tags[MODEL_CONFIG]) if MODEL_CONFIG in tags else None,
    )


def _version_tags(
    template: Template, tags: Mapping[str, str] | None, response_format: Any, model_config: Any
) -> dict[str, str]:
    is_chat = not isinstance(template, str)
    out = {
        IS_PROMPT_TAG: "true",
        PROMPT_TYPE: PROMPT_TYPE_CHAT if is_chat else "text",
        PROMPT_TEXT_TAG: json.dumps(template) if is_chat else str(template),
    }
    if response_format is not None:
        out[RESPONSE_FORMAT] = json.dumps(response_format)
    if model_config is not None:
        out[MODEL_CONFIG] = json.dumps(model_config)
    out.update({str(k): str(v) for k, v in (tags or {}).items() if k not in RESERVED_VERSION_TAGS})
    return out


def _ensure_prompt(connection: Connection, name: str, description: str | None, now: int) -> None:
    rm, rt = t.registered_models, t.registered_model_tags
    if connection.execute(select(rm.c.name).where(rm.c.name == name)).first() is None:
        connection.execute(
            insert(rm).values(
                name=name,
                creation_time=now,
                last_updated_time=now,
                description=description,
                workspace="default",
            )
        )
        connection.execute(
            insert(rt).values(key=IS_PROMPT_TAG, value="true", name=name, workspace="default")
        )
        return
    is_prompt = connection.execute(
        select(rt.c.value).where(rt.c.name == name, rt.c.key == IS_PROMPT_TAG)
    ).scalar()
    if is_prompt != "true":
        raise StoreError(f"{name!r} is a registered model, not a prompt; choose another name.")


def _next_version(connection: Connection, name: str) -> int:
    mv = t.model_versions
    return (
        int(
            connection.execute(select(func.max(mv.c.version)).where(mv.c.name == name)).scalar()
            or 0
        )
        + 1
    )


def _version_row(name: str, version: int, message: str | None, now: int) -> dict[str, Any]:
    return {
        "name": name,
        "version": version,
        "creation_time": now,
        "last_updated_time": now,
        "description": message,
        "current_stage": "None",
        "source": PLACEHOLDER_SOURCE,
        "status": "READY",
        "storage_location": PLACEHOLDER_SOURCE,
        "workspace": "default",
    }


def _link_experiment(connection: Connection, name: str, experiment_id: str) -> None:
    """Record the experiment in the `,1,2,` list MLflow keeps on the prompt."""
    rt = t.registered_model_tags
    current = connection.execute(
        select(rt.c.value).where(rt.c.name == name, rt.c.key == EXPERIMENT_IDS)
    ).scalar()
    ids = [i for i in (current or "").split(",") if i]
    if experiment_id in ids:
        return
    value = "," + ",".join([*ids, experiment_id]) + ","
    if current is None:
        connection.execute(
            insert(rt).values(key=EXPERIMENT_IDS, value=value, name=name, workspace="default")
        )
    else:
        connection.execute(
            update(rt).where(rt.c.name == name, rt.c.key == EXPERIMENT_IDS).values(value=value)
        )
