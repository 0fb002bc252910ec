"""`Experiment`: a named group of traces and runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str | None
    lifecycle_stage: str
    creation_time: int | None = None
    last_update_time: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
