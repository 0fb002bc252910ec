"""A logged model (MLflow ≥ 3.0's `logged_models` row) and what logging one writes."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.entities.model_registry import ModelFolder

LOGGED_MODEL_STATUSES = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}


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
