"""The experiments list model: active experiments with their trace counts, read in the DB thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from app.formatting import rich_tooltip
from app.tasks import LatestRead, TaskRunner
from core.store.reader import StoreReader
from core.store.store import Store

EXPERIMENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
TRACE_COUNT_ROLE = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # the invisible root: the default parent of a flat model


@dataclass(frozen=True)
class ExperimentItem:
    experiment_id: str
    name: str
    trace_count: int
    artifact_location: str | None


def load_experiments(reader: StoreReader) -> list[ExperimentItem]:
    """Database thread: active experiments, newest first, each with its number of traces."""
    counts = reader.trace_counts()
    return [
        ExperimentItem(e.experiment_id, e.name, counts.get(e.experiment_id, 0), e.artifact_location)
        for e in reader.experiments()
    ]


class ExperimentListModel(QAbstractListModel):
    """One row per active experiment; `load(store)` replaces the rows when the read finishes."""

    loaded = Signal()  # the rows were replaced
    load_failed = Signal(str)

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[ExperimentItem] = []
        self._read = LatestRead(tasks)
        self._has_store = False

    @property
    def is_loading(self) -> bool:
        return self._read.pending

    @property
    def has_store(self) -> bool:
        """Whether the rows come from an open store (False once cleared)."""
        return self._has_store

    def load(self, store: Store | None) -> None:
        """Read the experiments of `store` (clear the list when None)."""
        self._has_store = store is not None
        if store is None:
            self._read.cancel()
            self._replace([])
            return
        self._read.start(
            load_experiments, store.reader, on_done=self._replace, on_failed=self._on_failed
        )

    def _on_failed(self, error: BaseException) -> None:
        self.load_failed.emit(f"The experiments could not be read: {error}")

    def _replace(self, items: list[ExperimentItem]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()
        self.loaded.emit()

    def item(self, row: int) -> ExperimentItem | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, experiment_id: str) -> int | None:
        return next(
            (i for i, e in enumerate(self._items) if e.experiment_id == experiment_id), None
        )

    def rowCount(self, parent: _Index = _ROOT) -> int:  # QAbstractItemModel.rowCount
        return 0 if parent.isValid() else len(self._items)

    def flags(self, index: _Index) -> Qt.ItemFlag:  # QAbstractItemModel.flags
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

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
