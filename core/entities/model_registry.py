"""Registered models and their versions, as plain values (MLflow's
`mlflow.entities.model_registry`): a registered model, one of its versions and the folder of
files behind it, and what a model URI names. `core.store.registered_models` reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from core.entities.mlmodel import MLmodelFacts
from core.entities.prompt import PromptVersion

__all__ = ["ModelFolder", "ModelVersion", "PromptVersion", "RegisteredModel", "ResolvedModel"]


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
class ResolvedModel:
    """What a model URI names: the files to load and the ids to record."""

    uri: str
    folder: ModelFolder
    model_id: str | None = None
    name: str | None = None
    version: int | None = None
    run_id: str | None = None
    experiment_id: str | None = None
