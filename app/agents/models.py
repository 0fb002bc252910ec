"""Item models of the Agents page: registered models (not prompts) and one model's versions.

Both read in the database thread and replace their rows when the read finishes; a read that a
newer one superseded is dropped.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from app.agents.data import AgentVersion, load_models, load_versions
from app.formatting import local_time, rich_tooltip
from app.tasks import LatestRead, TaskRunner
from core.store.models import RegisteredModel
from core.store.store import Store

MODEL_NAME_ROLE = Qt.ItemDataRole.UserRole + 1
VERSION_ROLE = Qt.ItemDataRole.UserRole + 2
ALIASES_ROLE = Qt.ItemDataRole.UserRole + 3

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
MISSING_COLOR = QColor("#dc2626")


class AgentListModel(QAbstractListModel):
    """One row per registered model that is not a prompt, by name."""

    loaded = Signal()  # the rows were read and replaced
    load_failed = Signal(str)

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._read = LatestRead(tasks)
        self._items: list[RegisteredModel] = []

    def load(self, store: Store | None) -> None:
        """Read the registered models of `store` (clear the list when None)."""
        if store is None:
            self._read.cancel()
            self._replace([])
            return
        self._read.start(load_models, store, on_done=self._loaded, on_failed=self._failed)

    def _loaded(self, items: list[RegisteredModel]) -> None:
        self._replace(items)
        self.loaded.emit()

    def _failed(self, error: BaseException) -> None:
        self.load_failed.emit(f"The registered models could not be read: {error}")

    def _replace(self, items: list[RegisteredModel]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def item(self, row: int) -> RegisteredModel | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, name: str) -> int | None:
        return next((i for i, m in enumerate(self._items) if m.name == name), None)

    def rowCount(self, parent: _Index = _ROOT) -> int:  # QAbstractItemModel.rowCount
        return 0 if parent.isValid() else len(self._items)

    def flags(self, index: _Index) -> Qt.ItemFlag:  # QAbstractItemModel.flags
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(
        self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # QAbstractItemModel.data
        item = self.item(index.row()) if index.isValid() else None
        if item is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            latest = f"  ·  v{item.latest_version}" if item.latest_version else ""
            return f"{item.name}{latest}"
        if role == MODEL_NAME_ROLE:
            return item.name
        if role == Qt.ItemDataRole.ToolTipRole:
            aliases = ", ".join(f"@{a} → v{v}" for a, v in sorted(item.aliases.items()))
            lines = [item.name, item.description or "", f"Aliases: {aliases}" if aliases else ""]
            return rich_tooltip("\n".join(line for line in lines if line))
        return None


COLUMNS = ("Version", "Aliases", "Registered", "Files")
VERSION_COLUMN, ALIASES_COLUMN, REGISTERED_COLUMN, FILES_COLUMN = range(len(COLUMNS))


class VersionTableModel(QAbstractTableModel):
    """The versions of one registered model, newest first, with their aliases and files."""

    loaded = Signal()  # the rows were read and replaced
    load_failed = Signal(str)

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._read = LatestRead(tasks)
        self.model_name: str | None = None
        self._items: list[AgentVersion] = []

    def load(self, store: Store | None, name: str | None) -> None:
        """Read the versions of model `name` (clear the table when there is none)."""
        self.model_name = name
        if store is None or name is None:
            self._read.cancel()
            self._replace([])
            return
        self._read.start(load_versions, store, name, on_done=self._loaded, on_failed=self._failed)

    def _loaded(self, items: list[AgentVersion]) -> None:
        self._replace(items)
        self.loaded.emit()

    def _failed(self, error: BaseException) -> None:
        self.load_failed.emit(f"The versions could not be read: {error}")

    def _replace(self, items: list[AgentVersion]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def item(self, row: int) -> AgentVersion | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, version: int) -> int | None:
        return next((i for i, v in enumerate(self._items) if v.number == version), None)

    def versions(self) -> list[int]:
        return [v.number for v in self._items]

    def rowCount(self, parent: _Index = _ROOT) -> int:  # QAbstractItemModel.rowCount
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = _ROOT) -> int:  # QAbstractItemModel.columnCount
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: _Index) -> Qt.ItemFlag:  # QAbstractItemModel.flags
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # QAbstractItemModel.headerData
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(
        self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # QAbstractItemModel.data
        item = self.item(index.row()) if index.isValid() else None
        if item is None or not 0 <= index.column() < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, index.column())
        if role == Qt.ItemDataRole.ForegroundRole:
            missing = index.column() == FILES_COLUMN and item.folder.missing
            return MISSING_COLOR if missing else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return rich_tooltip(item.load_problem or item.folder.describe())
        return {VERSION_ROLE: item.number, ALIASES_ROLE: item.version.aliases}.get(role)

    def _text(self, item: AgentVersion, column: int) -> str:
        if column == VERSION_COLUMN:
            return f"Version {item.number}"
        if column == ALIASES_COLUMN:
            return " ".join(f"@{a}" for a in item.version.aliases)
        if column == REGISTERED_COLUMN:
            created = item.version.creation_time
            return local_time(created) if created else ""
        return item.folder.short_state
