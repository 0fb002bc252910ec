"""The experiments list model: active experiments with their trace counts, read in the DB thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from app.formatting import rich_tooltip
from app.row_models import LoadingListModel
from app.tasks import TaskRunner
from core.store import Store, StoreReader

EXPERIMENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
TRACE_COUNT_ROLE = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class ExperimentItem:
    experiment_id: str
    name: str
    trace_count: int
    artifact_location: str | None
    newest_trace_ms: int | None = None  # when its newest trace was requested


def load_experiments(reader: StoreReader) -> list[ExperimentItem]:
    """Database thread: active experiments, newest first, each with its number of traces and
    the time of its newest one (one GROUP BY)."""
    activity = reader.trace_activity()
    items = []
    for e in reader.experiments():
        count, newest = activity.get(e.experiment_id, (0, None))
        items.append(ExperimentItem(e.experiment_id, e.name, count, e.artifact_location, newest))
    return items


class ExperimentListModel(LoadingListModel):
    """One row per active experiment; `load(store)` replaces the rows when the read finishes."""

    HEADERS = ("Experiment",)  # one column, for a list

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(tasks, parent)
        self._has_store = False

    @property
    def has_store(self) -> bool:
        """Whether the rows come from an open store (False once cleared)."""
        return self._has_store

    def load(self, store: Store | None) -> None:
        """Read the experiments of `store` (clear the list when None)."""
        self._has_store = store is not None
        if store is None:
            self.clear()
            self.loaded.emit()  # an empty list is the answer: the view selects no experiment
            return
        self._load(load_experiments, store.reader)

    def _on_failed(self, error: BaseException) -> None:
        # The list stays: a re-read that failed (live mode's new counts) takes nothing away.
        self.load_failed.emit(self.failure_message(error))

    def failure_message(self, error: BaseException) -> str:
        return f"The experiments could not be read: {error}"

    def item(self, row: int) -> ExperimentItem | None:
        return super().item(row)  # type: ignore[no-any-return]

    def most_active_row(self) -> int | None:
        """The row of the experiment with the newest trace (None when no experiment has one)."""
        newest = [
            (item.newest_trace_ms, -row)
            for row in range(self.rowCount())
            if (item := self.item(row)) is not None and item.newest_trace_ms is not None
        ]
        return -max(newest)[1] if newest else None

    def row_of(self, experiment_id: str) -> int | None:
        return self.row_where(lambda e: e.experiment_id == experiment_id)

    def data(
        self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # QAbstractItemModel.data
        item = self.item(index.row()) if index.isValid() else None
        if item is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return item.name
        if role == EXPERIMENT_ID_ROLE:
            return item.experiment_id
        if role == TRACE_COUNT_ROLE:
            return item.trace_count
        if role == Qt.ItemDataRole.ToolTipRole:
            traces = "1 trace" if item.trace_count == 1 else f"{item.trace_count:,} traces"
            lines = [item.name, f"Experiment ID {item.experiment_id} · {traces}"]
            if item.artifact_location:
                lines.append(f"Artifacts: {item.artifact_location}")
            return rich_tooltip("\n".join(lines))  # names are untrusted: escaped
        return None
