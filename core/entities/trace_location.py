"""`TraceLocation`: where a trace is kept (MLflow's `mlflow.entities.TraceLocation`).

TraceDesk reads MLflow tracking databases, whose traces always live in an experiment; the
Databricks locations (inference table, Unity Catalog) exist here only as empty slots so a
`TraceLocation` prints and compares as MLflow's does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class TraceLocationType(StrEnum):
    TRACE_LOCATION_TYPE_UNSPECIFIED = "TRACE_LOCATION_TYPE_UNSPECIFIED"
    MLFLOW_EXPERIMENT = "MLFLOW_EXPERIMENT"
    INFERENCE_TABLE = "INFERENCE_TABLE"
    UC_SCHEMA = "UC_SCHEMA"
    UC_TABLE_PREFIX = "UC_TABLE_PREFIX"


@dataclass
class MlflowExperimentLocation:
    """The experiment a trace belongs to."""

    experiment_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"experiment_id": self.experiment_id}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MlflowExperimentLocation:
        return cls(experiment_id=str(d["experiment_id"]))


@dataclass
class TraceLocation:
    """A trace's location: for every trace TraceDesk reads, an MLflow experiment."""

    type: TraceLocationType
    mlflow_experiment: MlflowExperimentLocation | None = None
    inference_table: Any = None
    uc_schema: Any = None
    uc_table_prefix: Any = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type.value}
        if self.mlflow_experiment is not None:
            out["mlflow_experiment"] = self.mlflow_experiment.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TraceLocation:
        experiment = d.get("mlflow_experiment")
        return cls(
            type=TraceLocationType(d["type"]),
            mlflow_experiment=MlflowExperimentLocation.from_dict(experiment)
            if isinstance(experiment, Mapping)
            else None,
        )

    @classmethod
    def from_experiment_id(cls, experiment_id: str) -> TraceLocation:
        return cls(
            type=TraceLocationType.MLFLOW_EXPERIMENT,
            mlflow_experiment=MlflowExperimentLocation(experiment_id=experiment_id),
        )
