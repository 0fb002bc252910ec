"""Item models of the Agents page: registered models (not prompts) and one model's versions.

Both are `LoadingModel`s: read in the database thread, their rows replaced when the read
finishes; a read that a newer one superseded is dropped.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.agents.data import AgentVersion, load_models, load_versions
from app.chips import CHIPS_ROLE
from app.formatting import local_time, rich_tooltip
from app.row_models import LoadingListModel, LoadingModel
from app.tasks import TaskRunner
from core.store import Store

MODEL_NAME_ROLE = Qt.ItemDataRole.UserRole + 1
VERSION_ROLE = Qt.ItemDataRole.UserRole + 2
ALIASES_ROLE = Qt.ItemDataRole.UserRole + 3

_Index = QModelIndex | QPersistentModelIndex
MISSING_COLOR = QColor("#dc2626")


class AgentListModel(LoadingListModel):
    """One row per registered model that is not a prompt, by name (one column, for a list)."""

    HEADERS = ("Model",)

    def load(self, store: Store | None) -> None:
        """Read the registered models of `store` (clear the list when None)."""
        if store is None:
            self.clear()
            return
        self._load(load_models, store)

    def failure_message(self, error: BaseException) -> str:
        return f"The registered models could not be read: {error}"

    def row_of(self, name: str) -> int | None:
        return self.row_where(lambda m: m.name == name)

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


class VersionTableModel(LoadingModel):
    """The versions of one registered model, newest first, with their aliases and files."""

    HEADERS = COLUMNS

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(tasks, parent)
        self.model_name: str | None = None

    def load(self, store: Store | None, name: str | None) -> None:
        """Read the versions of model `name` (clear the table when there is none)."""
        self.model_name = name
        if store is None or name is None:
            self.clear()
            return
        self._load(load_versions, store, name)

    def failure_message(self, error: BaseException) -> str:
        return f"The versions could not be read: {error}"

    def row_of(self, version: int) -> int | None:
        return self.row_where(lambda v: v.number == version)

    def versions(self) -> list[int]:
        return [v.number for v in self._items]

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
        if role == CHIPS_ROLE and index.column() == ALIASES_COLUMN:
            return [f"@{a}" for a in item.version.aliases]
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
