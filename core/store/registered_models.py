"""Registered models and logged models: the SQL that reads, resolves and writes them.

A registered model is a `registered_models` row that is not a prompt (no
`mlflow.prompt.is_prompt=true` tag, SCHEMA.md §7). In MLflow 3.x each version's `source` is
`models:/m-<id>`, a `logged_models` row whose `artifact_location` (= the version's
`storage_location`) holds the model files; in 2.x the version points at `<run>/artifacts/<path>`
directly (SCHEMA.md §8). Recorded paths are absolute; they are re-based onto `mlruns/` beside a
moved database with the store's `ArtifactResolver`.

`log_model` adds, in one transaction: the logged model (READY) with its tags, its run link, and
with a registered model name the model (when new) and its next version, linked back by the
logged model tag `mlflow.modelVersions`. Its run (`NewLoggedModel.run_id`) is, as in MLflow 3.18:

* the active run, already stored: no run row or run tag is written, only `source_run_id`, the
  RUN_OUTPUT → MODEL_OUTPUT input (step 0), the version's `run_id`, and copies of the run's
  params (`logged_model_params`) and of its step-0 metric history (`logged_model_metrics`).
  The model belongs to the run's experiment.
* None, for a model logged outside any run: no run at all, `source_run_id` and the version's
  `run_id` NULL, no input row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select

from core.entities.logged_model import LOGGED_MODEL_STATUSES, LoggedModel, NewLoggedModel
from core.entities.model_registry import ModelFolder, ModelVersion, RegisteredModel, ResolvedModel
from core.errors import NotFoundError, StoreError
from core.store import schema as t
from core.store.mlmodel import read_mlmodel
from core.store.model_log import write_logged_model
from core.store.model_uris import (
    ModelUri,
    check_alias,
    model_id_of,
    parse_model_uri,
    writable_folder,
)
from core.store.registered import is_prompt_clause, model_aliases, model_tags

if TYPE_CHECKING:
    from core.store.store import Store


@dataclass
class _VersionFacts:
    """What `Models.versions` reads once for all versions of a model."""

    logged: Mapping[str, LoggedModel]
    run_experiments: Mapping[str, str]
    tags: Mapping[int, dict[str, str]]
    aliases: dict[int, list[str]] = field(default_factory=dict)


class RegisteredModels:
    """Registered and logged models of one store: reads via its reader, writes via its writer."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._layout = store.layout

    def _rows(self, statement: Any) -> list[Any]:
        return self._store.reader.rows(statement)

    def _folder(self, recorded: str | None) -> ModelFolder:
        found = self._store.reader.artifacts.resolve(recorded) if recorded else None
        facts = read_mlmodel(found) if found is not None and found.is_dir() else None
        return ModelFolder(recorded, found, facts)

    # -- registered models ------------------------------------------------------------------

    def registered_models(self, name_contains: str | None = None) -> list[RegisteredModel]:
        """Registered models that are not prompts, by name."""
        rm, mv = t.registered_models, t.model_versions
        statement = (
            select(
                rm.c.name,
                rm.c.description,
                rm.c.creation_time,
                rm.c.last_updated_time,
                func.max(mv.c.version),
            )
            .outerjoin(mv, mv.c.name == rm.c.name)
            .where(~is_prompt_clause(rm.c.name))
            .group_by(rm.c.name, rm.c.description, rm.c.creation_time, rm.c.last_updated_time)
            .order_by(rm.c.name)
        )
        if name_contains:
            statement = statement.where(rm.c.name.contains(name_contains, autoescape=True))
        rows = self._rows(statement)
        names = [r[0] for r in rows]
        tags, aliases = (
            model_tags(self._store.reader, names),
            model_aliases(self._store.reader, names),
        )
        return [
            RegisteredModel(r[0], r[1], tags.get(r[0], {}), aliases.get(r[0], {}), r[4], r[2], r[3])
            for r in rows
        ]

    def _check_model(self, name: str) -> None:
        rm = t.registered_models
        rows = self._rows(select(rm.c.name, is_prompt_clause(rm.c.name)).where(rm.c.name == name))
        if not rows:
            raise NotFoundError(f"Registered model {name!r} does not exist.")
        if rows[0][1]:
            raise NotFoundError(f"{name!r} is a prompt, not a registered model.")

    # -- versions ---------------------------------------------------------------------------

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of registered model `name`, oldest first, with their files."""
        self._check_model(name)
        mv = t.model_versions
        rows = self._rows(
            select(
                mv.c.version,
                mv.c.creation_time,
                mv.c.last_updated_time,
                mv.c.description,
                mv.c.source,
                mv.c.run_id,
                mv.c.status,
                mv.c.storage_location,
                mv.c.current_stage,
            )
            .where(mv.c.name == name)
            .order_by(mv.c.version)
        )
        ids = [i for i in (model_id_of(r.source) for r in rows) if i]
        facts = _VersionFacts(
            logged={m.model_id: m for m in self._logged_models(ids)},
            run_experiments=self._run_experiments([r.run_id for r in rows if r.run_id]),
            tags=self._version_tags(name),
        )
        for alias, version in model_aliases(self._store.reader, [name]).get(name, {}).items():
            facts.aliases.setdefault(version, []).append(alias)
        return [self._version(name, row, facts) for row in rows]

    def _version(self, name: str, row: Any, facts: _VersionFacts) -> ModelVersion:
        version, model_id = int(row.version), model_id_of(row.source)
        model = facts.logged.get(model_id or "")
        recorded = row.storage_location or (model.folder.recorded_location if model else None)
        if recorded is None and row.source and not row.source.startswith("models:/"):
            recorded = row.source  # MLflow 2.x versions point at the run's artifacts
        same = model is not None and recorded == model.folder.recorded_location
        return ModelVersion(
            name=name,
            version=version,
            creation_time=row.creation_time,
            last_updated_time=row.last_updated_time,
            description=row.description,
            source=row.source,
            run_id=row.run_id,
            status=row.status,
            stage=row.current_stage,
            storage_location=row.storage_location,
            aliases=tuple(sorted(facts.aliases.get(version, []))),
            tags=facts.tags.get(version, {}),
            model_id=model_id,
            experiment_id=model.experiment_id if model else facts.run_experiments.get(row.run_id),
            folder=model.folder if model is not None and same else self._folder(recorded),
        )

    def _version_tags(self, name: str) -> dict[int, dict[str, str]]:
        tags = t.model_version_tags
        out: dict[int, dict[str, str]] = {}
        for version, key, value in self._rows(
            select(tags.c.version, tags.c.key, tags.c.value).where(tags.c.name == name)
        ):
            out.setdefault(int(version), {})[key] = value
        return out

    def _run_experiments(self, run_ids: list[str]) -> dict[str, str]:
        r = t.runs
        rows = self._rows(select(r.c.run_uuid, r.c.experiment_id).where(r.c.run_uuid.in_(run_ids)))
        return {run_id: str(experiment_id) for run_id, experiment_id in rows}

    def version(self, name: str, version: int) -> ModelVersion:
        for candidate in self.versions(name):
            if candidate.version == version:
                return candidate
        raise NotFoundError(f"Registered model {name!r} has no version {version}.")

    # -- logged models ----------------------------------------------------------------------

    def _logged_models(self, model_ids: Iterable[str]) -> list[LoggedModel]:
        ids = list(model_ids)
        if not ids or not self._layout.has_logged_models:
            return []
        lm, lt = t.logged_models, t.logged_model_tags
        tags: dict[str, dict[str, str]] = {}
        for model_id, key, value in self._rows(
            select(lt.c.model_id, lt.c.tag_key, lt.c.tag_value).where(lt.c.model_id.in_(ids))
        ):
            tags.setdefault(model_id, {})[key] = value
        rows = self._rows(select(lm).where(lm.c.model_id.in_(ids)))
        return [
            LoggedModel(
                r.model_id,
                r.name,
                str(r.experiment_id),
                r.source_run_id,
                LOGGED_MODEL_STATUSES.get(r.status, str(r.status)),
                r.creation_timestamp_ms,
                r.last_updated_timestamp_ms,
                tags.get(r.model_id, {}),
                self._folder(r.artifact_location),
            )
            for r in rows
        ]

    def logged_model(self, model_id: str) -> LoggedModel:
        found = self._logged_models([model_id])
        if not found:
            raise NotFoundError(f"Logged model {model_id!r} does not exist.")
        return found[0]

    # -- resolving URIs ---------------------------------------------------------------------

    def resolve(self, uri: str) -> ResolvedModel:
        """The model a URI names (see `parse_model_uri`); raises NotFoundError."""
        parsed = parse_model_uri(uri)
        if parsed.path is not None:
            folder = parsed.path.resolve()
            facts = read_mlmodel(folder) if folder.is_dir() else None
            if facts is None:
                raise NotFoundError(f"{folder} holds no MLmodel file.")
            return ResolvedModel(uri, ModelFolder(str(folder), folder, facts), facts.model_id)
        if parsed.model_id is not None:
            model = self.logged_model(parsed.model_id)
            return ResolvedModel(
                uri,
                model.folder,
                model.model_id,
                run_id=model.source_run_id,
                experiment_id=model.experiment_id,
            )
        if parsed.run_id is not None:
            return self._resolve_run(uri, parsed.run_id, parsed.artifact_path or "")
        version = self._pick_version(str(parsed.name), parsed)
        return ResolvedModel(
            uri,
            version.folder,
            version.model_id,
            version.name,
            version.version,
            version.run_id,
            version.experiment_id,
        )

    def _pick_version(self, name: str, parsed: ModelUri) -> ModelVersion:
        versions = self.versions(name)
        if parsed.version is not None:
            return self.version(name, parsed.version)
        if parsed.alias is not None and parsed.alias.lower() != "latest":
            chosen = [v for v in versions if parsed.alias in v.aliases]
            if not chosen:
                raise NotFoundError(f"Registered model {name!r} has no alias {parsed.alias!r}.")
            return chosen[0]
        if parsed.stage is not None:
            stage = parsed.stage.lower()
            versions = [v for v in versions if (v.stage or "").lower() == stage]
        if not versions:
            raise NotFoundError(
                f"Registered model {name!r} has no versions"
                f"{f' in stage {parsed.stage!r}' if parsed.stage else ''}."
            )
        return versions[-1]

    def _resolve_run(self, uri: str, run_id: str, path: str) -> ResolvedModel:
        r = t.runs
        rows = self._rows(select(r.c.artifact_uri, r.c.experiment_id).where(r.c.run_uuid == run_id))
        if not rows:
            raise NotFoundError(f"Run {run_id!r} does not exist.")
        artifact_uri, experiment_id = rows[0]
        folder = self._folder(f"{str(artifact_uri).rstrip('/')}/{path}" if artifact_uri else None)
        if folder.mlmodel is not None:  # MLflow 2.x: the model is among the run's artifacts
            return ResolvedModel(
                uri,
                folder,
                folder.mlmodel.model_id,
                run_id=run_id,
                experiment_id=str(experiment_id),
            )
        model = self._logged_model_of_run(run_id, path)
        return ResolvedModel(
            uri, model.folder, model.model_id, run_id=run_id, experiment_id=model.experiment_id
        )

    def _logged_model_of_run(self, run_id: str, name: str) -> LoggedModel:
        if self._layout.has_logged_models:
            lm = t.logged_models
            ids = [
                r[0]
                for r in self._rows(
                    select(lm.c.model_id)
                    .where(lm.c.source_run_id == run_id, lm.c.name == name)
                    .order_by(lm.c.creation_timestamp_ms.desc())
                )
            ]
            if ids:
                return self.logged_model(ids[0])
        raise NotFoundError(f"Run {run_id!r} has no model {name!r}.")

    # -- writing ----------------------------------------------------------------------------

    def artifact_folder(self, experiment_id: str) -> Path:
        """The experiment's artifact folder as it is now (re-based when the db moved)."""
        recorded = self._store.writer.experiment_artifact_location(experiment_id)
        return writable_folder(self._store.reader.artifacts, recorded)

    def log_model(self, new: NewLoggedModel, registered_model_name: str | None) -> int | None:
        """Write the rows of a logged model (see the module docstring); returns the new
        registered version, if any."""
        if not (self._layout.has_logged_models and self._layout.has_workspaces):
            raise StoreError("TraceDesk logs models only into MLflow 3.18 databases.")
        return self._store.writer.transaction(
            lambda connection: write_logged_model(connection, new, registered_model_name)
        )

    def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point `alias` of registered model `name` at `version` (moving it if set)."""
        check_alias(alias)
        self._check_model(name)
        a, mv = t.registered_model_aliases, t.model_versions

        def work(connection: Connection) -> None:
            found = connection.execute(
                select(mv.c.version).where(mv.c.name == name, mv.c.version == version)
            ).first()
            if found is None:
                raise NotFoundError(f"Registered model {name!r} has no version {version}.")
            connection.execute(delete(a).where(a.c.name == name, a.c.alias == alias))
            connection.execute(
                insert(a).values(alias=alias, version=version, name=name, workspace="default")
            )

        self._store.writer.transaction(work)

    def delete_alias(self, name: str, alias: str) -> None:
        self._check_model(name)
        a = t.registered_model_aliases

        def work(connection: Connection) -> None:
            connection.execute(delete(a).where(a.c.name == name, a.c.alias == alias))

        self._store.writer.transaction(work)
