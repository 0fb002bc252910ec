"""`LoadingModel`: a table whose rows a read in the database thread replaces as a whole.

The experiments, an experiment's evaluation runs, the prompt list, a prompt's versions and
linked traces, the registered agents and an agent's versions are such tables: small enough to
read in one query, re-read on demand, and a newer read drops the answer of an older one still
running (the model's `TaskGroup`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from app.tasks import TaskRunner

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class LoadingModel(QAbstractTableModel):
    """Rows replaced as a whole by a read in the database thread; headers from `HEADERS`."""

    HEADERS: tuple[str, ...] = ()
    loaded = Signal()  # the rows were replaced
    load_failed = Signal(str)  # a message for the user

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._items: list[Any] = []
        self._reads = tasks.group()

    @property
    def is_loading(self) -> bool:
        return self._reads.pending

    def _load(self, fn: Callable[..., Sequence[Any]], *args: Any) -> None:
        """Read the rows with `fn(*args)` in the database thread, in place of a pending read."""
        self._reads.drop()
        self._reads.submit(fn, *args).on_finished(self._on_loaded).on_failed(self._on_failed)

    def clear(self) -> None:
        """No rows and no read pending (`loaded` is not emitted: nothing was read)."""
        self._reads.drop()
        self.beginResetModel()
        self._set_items([])
        self.endResetModel()

    def _on_loaded(self, items: Sequence[Any]) -> None:
        self.replace(items)

    def _on_failed(self, error: BaseException) -> None:
        """A read failed: no rows (an earlier read's must not pass for the answer), and why."""
        self.clear()
        self.load_failed.emit(self.failure_message(error))

    def failure_message(self, error: BaseException) -> str:
        """What `load_failed` tells the user about `error`."""
        return str(error)

    def replace(self, items: Sequence[Any]) -> None:
        self.beginResetModel()
        self._set_items(items)
        self.endResetModel()
        self.loaded.emit()

    def _set_items(self, items: Sequence[Any]) -> None:
        """Inside a model reset: hold `items` (and whatever a subclass derives from them)."""
        self._items = list(items)

    def item(self, row: int) -> Any:
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_where(self, matches: Callable[[Any], bool]) -> int | None:
        """The first row whose item `matches`, None when none does."""
        return next((i for i, item in enumerate(self._items) if matches(item)), None)

    def rowCount(self, parent: _Index = _ROOT) -> int:  # QAbstractItemModel.rowCount
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = _ROOT) -> int:  # QAbstractItemModel.columnCount
        return 0 if parent.isValid() else len(self.HEADERS)

    def flags(self, index: _Index) -> Qt.ItemFlag:  # QAbstractItemModel.flags
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # QAbstractItemModel.headerData
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None


class LoadingListModel(LoadingModel):
    """A `LoadingModel` of one column, for a `QListView` (`index(row)` needs no column)."""

    def index(
        self, row: int, column: int = 0, parent: _Index = _ROOT
    ) -> QModelIndex:  # QAbstractItemModel.index
        return super().index(row, column, parent)
