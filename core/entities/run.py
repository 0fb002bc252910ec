"""`Run`: one MLflow run (`RunInfo` + `RunData`), as `mlflow.entities.Run` names and prints it."""

from __future__ import annotations

import pprint
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: `RunInfo.status` values (MLflow's `RunStatus`).
RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")


def _entity_repr(name: str, fields: Iterator[tuple[str, Any]]) -> str:
    """MLflow's `_MlflowObjectPrinter`: `<Name: a=..., b=...>`, values pretty-printed."""
    printer = pprint.PrettyPrinter()
    return f"<{name}: {', '.join(f'{key}={printer.pformat(value)}' for key, value in fields)}>"


@dataclass(frozen=True, repr=False)
class RunInfo:
    """What the `runs` row says about a run."""

    run_id: str
    run_name: str | None
    experiment_id: str
    status: str
    start_time: int | None
    end_time: int | None
    user_id: str | None
    artifact_uri: str | None
    lifecycle_stage: str

    @property
    def run_uuid(self) -> str:
        """MLflow's deprecated alias of `run_id`."""
        return self.run_id

    def __repr__(self) -> str:
        names = (
            "artifact_uri", "end_time", "experiment_id", "lifecycle_stage", "run_id",
            "run_name", "start_time", "status", "user_id",
        )  # fmt: skip
        return _entity_repr("RunInfo", ((n, getattr(self, n)) for n in names))


@dataclass(frozen=True, repr=False)
class RunData:
    """A run's tags, params and latest metric values (key -> value)."""

    tags: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        return _entity_repr(
            "RunData",
            iter(
                (
                    ("metrics", dict(self.metrics)),
                    ("params", dict(self.params)),
                    ("tags", dict(self.tags)),
                )
            ),
        )


@dataclass(frozen=True, repr=False)
class Run:
    """A run: `info` (the row) and `data` (tags, params, metrics)."""

    info: RunInfo
    data: RunData = field(default_factory=RunData)

    def __repr__(self) -> str:
        return _entity_repr("Run", iter((("data", self.data), ("info", self.info))))
