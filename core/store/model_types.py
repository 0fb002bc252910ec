"""What the store says about registered and logged models, as plain values: a registered model,
its versions, a logged model and its folder, what a model URI resolves to, and what logging a
model writes (`NewLoggedModel`). `core.store.registered_models` reads and writes them."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.store.mlmodel import MLmodelFacts

LOGGED_MODEL_STATUSES = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}


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
