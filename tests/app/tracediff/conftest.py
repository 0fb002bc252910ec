"""A copy of the MLflow 3.18 database with four runs of the support agent recorded into its
Default experiment: fast, slow, slow, fast (one minute apart, in that order)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.app.tracediff.runs import record_runs

DEFAULT_EXPERIMENT = "0"


@dataclass(frozen=True)
class Runs:
    db: Path
    ids: list[str]  # fast, slow, slow, fast

    @property
    def fast(self) -> str:
        return self.ids[0]

    @property
    def slow(self) -> str:
        return self.ids[1]


@pytest.fixture
def runs(db318: Path) -> Runs:
    return Runs(db318, record_runs(db318, [False, True, True, False], DEFAULT_EXPERIMENT))
