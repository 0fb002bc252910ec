"""`Experiment`: a named group of traces and runs (MLflow's `mlflow.entities.Experiment`)."""

from __future__ import annotations

import pprint
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

#: The attributes MLflow prints in an experiment's repr, in its (alphabetical) order.
_SHOWN = (
    "artifact_location",
    "creation_time",
    "effective_trace_archival_retention",
    "experiment_id",
    "last_update_time",
    "lifecycle_stage",
    "name",
    "tags",
    "trace_location",
    "workspace",
)


@dataclass(frozen=True, repr=False)
class Experiment:
    """An experiment: id, name, artifact location, `active`/`deleted`, tags, times (ms) and,
    in MLflow ≥ 3.10 databases, its workspace (`default` elsewhere)."""

    DEFAULT_EXPERIMENT_NAME: ClassVar[str] = "Default"

    experiment_id: str
    name: str
    artifact_location: str | None
    lifecycle_stage: str
    creation_time: int | None = None
    last_update_time: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    workspace: str = "default"

    @property
    def trace_location(self) -> None:
        """A Databricks Unity Catalog trace destination: never set in a tracking database."""
        return None

    @property
    def effective_trace_archival_retention(self) -> None:
        """Databricks trace archival: never set in a tracking database."""
        return None

    def __repr__(self) -> str:
        shown = ", ".join(f"{key}={pprint.pformat(getattr(self, key))}" for key in _SHOWN)
        return f"<Experiment: {shown}>"
