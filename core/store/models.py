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

import json
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)

from core.errors import NotFoundError, StoreError
from core.mlflow_keys import MODEL_VERSIONS_TAG
from core.store import schema as t
from core.store.artifacts import ArtifactResolver
from core.store.dialect import lock_versions
from core.store.mlmodel import MLmodelFacts, read_mlmodel
from core.store.registered import is_prompt_clause, model_aliases, model_tags

if TYPE_CHECKING:
    from core.store.store import Store

#: How a logged model relates to a run (see the module docstring).
LOGGED_MODEL_READY = 2
LOGGED_MODEL_STATUSES = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}
ALIAS = re.compile(r"[\w\-]{1,255}")
_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<suffix>[^/]+)|@(?P<alias>[^/]+))?$")
_RUNS_URI = re.compile(r"^runs:/(?P<run_id>[^/]+)/(?P<path>.+?)/?$")


# -- what the app sees ----------------------------------------------------------------------


@dataclass(frozen=True)
class RegisteredModel:
    """One line of the model list (prompts are not models)."""

    name: str
    description: str | None
    tags: Mapping[str, str]
    aliases: Mapping[str, int]
    latest_version: int | None
    creation_time: int | None
    last_updated_time: int | None


@dataclass(frozen=True)
class ModelFolder:
    """Where a model's files are: as recorded, and where they are now."""

    recorded_location: str | None
    artifact_dir: Path | None
    mlmodel: MLmodelFacts | None

    @property
    def code_file(self) -> Path | None:
        """The code file a load would execute (the copy in the model folder)."""
        return self.mlmodel.code_file if self.mlmodel is not None else None


@dataclass(frozen=True)
class ModelVersion:
    """One version of a registered model, with its logged model and files."""

    name: str
    version: int
    creation_time: int | None
    last_updated_time: int | None
    description: str | None
    source: str | None
    run_id: str | None
    status: str | None
    stage: str | None
    storage_location: str | None
    aliases: tuple[str, ...]
    tags: Mapping[str, str]
    model_id: str | None
    experiment_id: str | None
    folder: ModelFolder

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


@dataclass
class _VersionFacts:
    """What `Models.versions` reads once for all versions of a model."""

    logged: Mapping[str, LoggedModel]
    run_experiments: Mapping[str, str]
    tags: Mapping[int, dict[str, str]]
    aliases: dict[int, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class LoggedModel:
    """A `logged_models` row (MLflow ≥ 3.0) with its tags and files."""

    model_id: str
    name: str
    experiment_id: str
    source_run_id: str | None
    status: str
    creation_timestamp_ms: int | None
    last_updated_timestamp_ms: int | None
    tags: Mapping[str, str]
    folder: ModelFolder


@dataclass(frozen=True)
class ResolvedModel:
    """What a model URI names: the files to load and the ids to record."""

    uri: str
    folder: ModelFolder
    model_id: str | None = None
    name: str | None = None
    version: int | None = None
    run_id: str | None = None
    experiment_id: str | None = None


@dataclass(frozen=True)
class NewLoggedModel:
    """Everything `Models.log_model` writes (the files are already in `artifact_location`).

    `run_id` is the active run the model is logged in, or None outside any run.
    """

    model_id: str
    run_id: str | None
    name: str
    experiment_id: str
    artifact_location: str
    tags: Mapping[str, str]
    start_ms: int
    end_ms: int = field(default_factory=lambda: int(time.time() * 1000))


# -- URIs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelUri:
    """A parsed model URI; exactly one way of naming the model is set."""

    name: str | None = None
    version: int | None = None
    alias: str | None = None
    stage: str | None = None
    model_id: str | None = None
    run_id: str | None = None
    artifact_path: str | None = None
    path: Path | None = None


def parse_model_uri(uri: str) -> ModelUri:
    """`models:/name/3`, `models:/name@alias`, `models:/name@latest`, `models:/name/latest`,
    `models:/name/<stage>`, `models:/m-<id>`, `runs:/<run id>/<path>`, or a local folder."""
    text = str(uri).strip()
    runs = _RUNS_URI.match(text)
    if runs is not None:
        return ModelUri(run_id=runs.group("run_id"), artifact_path=runs.group("path"))
    if not text.startswith("models:"):
        if "://" in text or not text:
            raise ValueError(
                f"{uri!r} is not a model URI: use models:/name/1, models:/name@alias, "
                "models:/m-<id>, runs:/<run id>/<path> or a folder."
            )
        return ModelUri(path=Path(text.removeprefix("file:")).expanduser())
    match = _URI.match(text)
    if match is None:
        raise ValueError(
            f"{uri!r} is not a model URI: use models:/name/1, models:/name@alias, "
            "models:/name@latest or models:/m-<id>."
        )
    name, suffix, alias = match.group("name", "suffix", "alias")
    if alias is not None:
        return ModelUri(name=name, alias=alias)
    if suffix is None:
        return ModelUri(model_id=name) if name.startswith("m-") else ModelUri(name=name)
    if suffix.isdigit():
        return ModelUri(name=name, version=int(suffix))
    return ModelUri(name=name) if suffix.lower() == "latest" else ModelUri(name=name, stage=suffix)


def check_alias(alias: str) -> None:
    """MLflow's alias rules: letters, digits, `_`, `-`; not `latest`, not `v<number>`."""
    if (
        not ALIAS.fullmatch(alias or "")
        or alias.lower() == "latest"
        or re.fullmatch(r"[vV]\d+", alias)
    ):
        raise ValueError(
            f"{alias!r} cannot be an alias: use letters, digits, '_' or '-' "
            "('latest' and 'v<number>' are reserved)."
        )


def model_id_of(source: str | None) -> str | None:
    """The logged model id in a version's `models:/m-<id>` source, else None."""
    if source and source.startswith("models:/m-") and "/" not in source[len("models:/") :]:
        return source[len("models:/") :]
    return None


def writable_folder(resolver: ArtifactResolver, recorded: str) -> Path:
    """Where to write files for recorded location `recorded` of a (possibly moved) database:
    the folder that exists, else the recorded one when its parent exists, else beside the db."""
    candidates = resolver.candidates(recorded)
    existing = next((c for c in candidates if c.exists()), None)
    if existing is not None:
        return existing
    as_recorded = Path(recorded.removeprefix("file://"))
    return as_recorded if as_recorded.parent.exists() else candidates[0]


class Models:
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
        writer = self._store.writer
        if not (self._layout.has_logged_models and self._layout.has_workspaces):
            raise StoreError("TraceDesk logs models only into MLflow 3.18 databases.")

        def work(connection: Connection) -> int | None:
            if new.run_id is not None:
                _check_source_run(connection, new)
            _insert_logged_model(connection, new)
            if new.run_id is not None:
                _copy_run_params_and_metrics(connection, new)
            if registered_model_name is None:
                return None
            return _register_version(connection, registered_model_name, new)

        return writer.transaction(work)

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


def _check_source_run(connection: Connection, new: NewLoggedModel) -> None:
    """The existing run must be there, not deleted, and in the model's experiment."""
    r = t.runs
    row = connection.execute(
        select(r.c.experiment_id, r.c.lifecycle_stage).where(r.c.run_uuid == new.run_id)
    ).first()
    if row is None:
        raise NotFoundError(f"Run {new.run_id} does not exist.")
    if row.lifecycle_stage == "deleted":
        raise ValueError(f"Run {new.run_id} is deleted: a model cannot be logged into it.")
    if str(row.experiment_id) != str(new.experiment_id):
        raise ValueError(
            f"Run {new.run_id} belongs to experiment {row.experiment_id}, not "
            f"{new.experiment_id}: a model logged in a run belongs to the run's experiment."
        )


def _copy_run_params_and_metrics(connection: Connection, new: NewLoggedModel) -> None:
    """What MLflow's `Model.log` copies from the active run onto the model: every param, and
    the step-0 points of every metric's history (INSERT ... SELECT: the database copies)."""
    p, m = t.params, t.metrics
    experiment_id = int(new.experiment_id)
    connection.execute(
        insert(t.logged_model_params).from_select(
            ["model_id", "experiment_id", "param_key", "param_value"],
            select(literal(new.model_id), literal(experiment_id), p.c.key, p.c.value).where(
                p.c.run_uuid == new.run_id
            ),
        )
    )
    columns = ["model_id", "metric_name", "metric_timestamp_ms", "metric_step", "metric_value"]
    points = (
        select(literal(new.model_id), m.c.key, m.c.timestamp, m.c.step, m.c.value)
        .add_columns(literal(experiment_id), literal(new.run_id))
        .where(m.c.run_uuid == new.run_id, m.c.step == 0)
        .distinct()
    )
    connection.execute(
        insert(t.logged_model_metrics).from_select([*columns, "experiment_id", "run_id"], points)
    )


def _insert_logged_model(connection: Connection, new: NewLoggedModel) -> None:
    experiment_id = int(new.experiment_id)
    connection.execute(
        insert(t.logged_models).values(
            model_id=new.model_id,
            experiment_id=experiment_id,
            name=new.name,
            artifact_location=new.artifact_location,
            creation_timestamp_ms=new.start_ms,
            last_updated_timestamp_ms=new.end_ms,
            status=LOGGED_MODEL_READY,
            lifecycle_stage="active",
            model_type=None,
            source_run_id=new.run_id,
            status_message=None,
        )
    )
    _set_logged_model_tags(connection, new.model_id, experiment_id, new.tags)
    if new.run_id is None:
        return
    connection.execute(
        insert(t.inputs).values(
            input_uuid=uuid.uuid4().hex,
            source_type="RUN_OUTPUT",
            source_id=new.run_id,
            destination_type="MODEL_OUTPUT",
            destination_id=new.model_id,
            step=0,
        )
    )


def _set_logged_model_tags(
    connection: Connection, model_id: str, experiment_id: int, tags: Mapping[str, str]
) -> None:
    lt = t.logged_model_tags
    connection.execute(delete(lt).where(lt.c.model_id == model_id, lt.c.tag_key.in_(list(tags))))
    connection.execute(
        insert(lt),
        [
            {"model_id": model_id, "experiment_id": experiment_id, "tag_key": k, "tag_value": v}
            for k, v in tags.items()
        ],
    )


def _register_version(connection: Connection, name: str, new: NewLoggedModel) -> int:
    """The next version of `name` (created when missing), linked to the logged model."""
    lock_versions(connection, t.model_versions.name, name)  # before reading max()
    _ensure_registered_model(connection, name, new.end_ms)
    mv, rm = t.model_versions, t.registered_models
    current = connection.execute(select(func.max(mv.c.version)).where(mv.c.name == name)).scalar()
    version = int(current or 0) + 1
    connection.execute(insert(mv).values(**_version_row(name, version, new)))
    connection.execute(update(rm).where(rm.c.name == name).values(last_updated_time=new.end_ms))
    link = json.dumps([{"name": name, "version": version}])
    _set_logged_model_tags(
        connection, new.model_id, int(new.experiment_id), {MODEL_VERSIONS_TAG: link}
    )
    return version


def _version_row(name: str, version: int, new: NewLoggedModel) -> dict[str, Any]:
    """A `model_versions` row as MLflow 3.18's `create_model_version` writes it."""
    return {
        "name": name,
        "version": version,
        "creation_time": new.end_ms,
        "last_updated_time": new.end_ms,
        "description": None,
        "user_id": None,
        "current_stage": "None",
        "source": f"models:/{new.model_id}",
        "run_id": new.run_id,
        "status": "READY",
        "status_message": None,
        "run_link": None,
        "storage_location": new.artifact_location,
        "workspace": "default",
    }


def _ensure_registered_model(connection: Connection, name: str, now: int) -> None:
    rm = t.registered_models
    found = connection.execute(
        select(rm.c.name, is_prompt_clause(rm.c.name)).where(rm.c.name == name)
    ).first()
    if found is None:
        connection.execute(
            insert(rm).values(
                name=name,
                creation_time=now,
                last_updated_time=now,
                description=None,
                workspace="default",
            )
        )
    elif found[1]:
        raise StoreError(f"{name!r} is a prompt, not a registered model; choose another name.")
