"""`ActiveRun`: the run `start_run` started, and a `with` block that ends it (MLflow's
`mlflow.ActiveRun`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from core.entities.run import Run

FINISHED, FAILED = "FINISHED", "FAILED"


@dataclass(frozen=True, repr=False)
class ActiveRun(Run):
    """A started run. Leaving its `with` block ends it: FINISHED, or FAILED when an exception
    (Ctrl+C included, as MLflow) left the block."""

    ending: Callable[[str, str], Any] | None = field(default=None, compare=False)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        status = FINISHED if kind is None else FAILED
        if self.ending is not None:
            self.ending(self.info.run_id, status)
