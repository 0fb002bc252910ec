"""The evaluation runs of one experiment: name, start, status, rows, one column per scorer mean.

An experiment holds a handful of evaluation runs, so the list is read whole, in the database
thread (`store.evaluations.runs`), newest first; a load that a newer one replaced is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from app.evaluations.cell_text import format_mean
from app.evaluations.look import (
    ALIGNMENT,
    DISPLAY,
    FOREGROUND,
    LEFT,
    RIGHT,
    RUN_ID_ROLE,
    TOOLTIP,
    Palette,
    repaint_all,
)
from app.formatting import EMPTY, duration, local_time, local_time_detail, rich_tooltip
from app.row_models import LoadingModel
from app.tasks import TaskRunner
from core.entities.evaluation import EvaluationRun
from core.store import Store

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
NAME, STARTED, STATUS, ROWS = range(4)
FIXED = ("Run", "Started", "Status", "Rows")
STATUS_LABELS = {"FINISHED": "Finished", "RUNNING": "Running", "FAILED": "Failed"}
STATUS_LABELS |= {"KILLED": "Killed", "SCHEDULED": "Scheduled"}


def scorer_names(runs: list[EvaluationRun]) -> tuple[str, ...]:
    """Every scorer with a mean in any of the runs, sorted."""
    return tuple(sorted({name for run in runs for name in run.scorer_means}))


def run_tooltip(run: EvaluationRun) -> str:
    lines = [f"{run.name or run.run_id}", f"Run id: {run.run_id}", f"Status: {run.status}"]
    if run.start_time:
        lines.append(f"Started: {local_time_detail(run.start_time)}")
    if run.start_time and run.end_time:
        lines.append(f"Took: {duration(run.end_time - run.start_time)}")
    if run.agent_function:
        lines.append(f"Evaluated: {run.agent_function}")
    if run.user:
        lines.append(f"By: {run.user}")
    return rich_tooltip("\n".join(lines))


class RunListModel(LoadingModel):
    """The runs of the experiment shown; `run(row)` gives the entity."""

    HEADERS = FIXED  # then one column per scorer (`columnCount`, `headerData`)

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(tasks, parent)
        self._scorers: tuple[str, ...] = ()
        self._look = Palette()

    @property
    def scorers(self) -> tuple[str, ...]:
        return self._scorers

    def restyle(self) -> None:
        """The theme changed: the colours are made again and every cell is drawn again."""
        self._look.refresh()
        repaint_all(self)

    def load(self, store: Store | None, experiment_id: str | None) -> None:
        """Read the experiment's runs again (nothing when either is None)."""
        if store is None or experiment_id is None or self._tasks.is_shut_down:
            self.clear()
            self.loaded.emit()  # no runs is the answer: the page's heading says so
            return
        self._load(store.evaluations.runs, experiment_id)

    def _on_failed(self, error: BaseException) -> None:
        super()._on_failed(error)
        self.loaded.emit()  # the list is empty now: the page's heading follows

    def failure_message(self, error: BaseException) -> str:
        return f"The evaluation runs could not be read: {error}"

    def _set_items(self, items: Sequence[EvaluationRun]) -> None:
        super()._set_items(items)
        self._scorers = scorer_names(self._items)

    def run(self, row: int) -> EvaluationRun | None:
        return self.item(row)  # type: ignore[no-any-return]

    def row_of(self, run_id: str) -> int | None:
        return self.row_where(lambda run: run.run_id == run_id)

    # -- QAbstractItemModel -----------------------------------------------------------------

    def columnCount(self, parent: _Index = _ROOT) -> int:  # QAbstractItemModel.columnCount
        return 0 if parent.isValid() else len(FIXED) + len(self._scorers)

    def data(  # noqa: PLR0911 - QAbstractItemModel.data; a flat chain is the cheapest dispatch
        self, index: _Index, role: int = DISPLAY
    ) -> Any:
        run = self.run(index.row())
        column = index.column()
        if run is None or not 0 <= column < self.columnCount():
            return None
        if role == DISPLAY:
            return self._text(run, column)
        if role == TOOLTIP:
            return run_tooltip(run)
        if role == FOREGROUND and column == STATUS:
            return self._look.statuses.get(run.status)
        if role == ALIGNMENT:
            return RIGHT if column == ROWS or column >= len(FIXED) else LEFT
        if role == RUN_ID_ROLE:
            return run.run_id
        return None

    def _text(self, run: EvaluationRun, column: int) -> str:
        if column == NAME:
            return run.name or run.run_id
        if column == STARTED:
            return local_time(run.start_time) if run.start_time else EMPTY
        if column == STATUS:
            return STATUS_LABELS.get(run.status, run.status.title())
        if column == ROWS:
            return f"{run.row_count:,}"
        mean = run.scorer_means.get(self._scorers[column - len(FIXED)])
        return EMPTY if mean is None else format_mean(mean)

    def headerData(  # QAbstractItemModel.headerData
        self, section: int, orientation: Qt.Orientation, role: int = DISPLAY
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        scorer = section >= len(FIXED)
        if role == DISPLAY:
            return self._scorers[section - len(FIXED)] if scorer else FIXED[section]
        if role == TOOLTIP and scorer:
            return f"Mean of {self._scorers[section - len(FIXED)]} over the run's rows"
        if role == ALIGNMENT:
            return RIGHT if scorer or section == ROWS else LEFT
        return None
