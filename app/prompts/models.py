"""The prompt list and a prompt's version history as table models, read in the database thread.

A prompt registry is small (tens of prompts, tens of versions), so each model reads its rows in
one query (`load`) and holds them; the search is done in SQL by `registry.prompts(text)`.
A newer `load` drops the result of an older one that is still running.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from app.chips import CHIPS_ROLE
from app.formatting import EMPTY, local_time, local_time_detail, one_line, rich_tooltip
from app.prompts import data
from app.row_models import LoadingModel
from core.entities.prompt import PromptSummary, PromptVersion
from core.store import Store

NAME_ROLE = Qt.ItemDataRole.UserRole + 2
VERSION_ROLE = Qt.ItemDataRole.UserRole + 3

_Index = QModelIndex | QPersistentModelIndex


def _muted_brush() -> Any:
    return QApplication.palette().brush(QPalette.ColorRole.PlaceholderText)


class PromptListModel(LoadingModel):
    """One row per prompt: name, latest version, aliases (chips), last change."""

    HEADERS = ("Name", "Latest", "Aliases", "Last change")
    NAME, LATEST, ALIASES, CHANGED = range(4)

    def load(self, store: Store, name_contains: str = "") -> None:
        """Read the prompts whose name contains `name_contains` (all when empty)."""
        self._load(data.load_prompts, store, name_contains)

    def summary(self, row: int) -> PromptSummary | None:
        return self.item(row)  # type: ignore[no-any-return]

    def row_of(self, name: str) -> int | None:
        return self.row_where(lambda p: p.name == name)

    def data(
        self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # QAbstractItemModel.data
        prompt = self.summary(index.row()) if index.isValid() else None
        if prompt is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(prompt, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(prompt, column)
        return self._other(prompt, column, role)

    def _other(self, prompt: PromptSummary, column: int, role: int) -> Any:
        if role == NAME_ROLE:
            return prompt.name
        if role == CHIPS_ROLE and column == self.ALIASES:
            return alias_chips(prompt.aliases)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.LATEST:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, prompt: PromptSummary, column: int) -> str:
        if column == self.NAME:
            return prompt.name
        if column == self.LATEST:
            return f"v{prompt.latest_version}" if prompt.latest_version is not None else EMPTY
        if column == self.ALIASES:
            return ", ".join(alias_chips(prompt.aliases))
        if not prompt.last_updated_time:
            return EMPTY
        return local_time(prompt.last_updated_time)[:10]  # the day; the tooltip has the time

    def _tooltip(self, prompt: PromptSummary, column: int) -> str | None:
        if column == self.CHANGED and prompt.last_updated_time:
            return local_time_detail(prompt.last_updated_time)
        if column == self.NAME:
            return rich_tooltip(f"{prompt.name}\n\n{prompt.description or ''}".strip())
        return None


def alias_chips(aliases: dict[str, int] | Any) -> list[str]:
    return [f"{alias} → v{version}" for alias, version in sorted(aliases.items())]


class VersionHistoryModel(LoadingModel):
    """The versions of one prompt, newest first: version, date, commit message, aliases."""

    HEADERS = ("Version", "Created", "Commit message", "Aliases")
    VERSION, CREATED, MESSAGE, ALIASES = range(4)

    def load(self, store: Store, name: str) -> None:
        self._load(_newest_first, store, name)

    def version(self, row: int) -> PromptVersion | None:
        return self.item(row)  # type: ignore[no-any-return]

    def versions(self) -> list[PromptVersion]:
        """Every version, newest first."""
        return list(self._items)

    def row_of(self, version: int) -> int | None:
        return self.row_where(lambda v: v.version == version)

    def data(
        self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # QAbstractItemModel.data
        version = self.version(index.row()) if index.isValid() else None
        if version is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(version, column)
        if role == VERSION_ROLE:
            return version.version
        if role == CHIPS_ROLE and column == self.ALIASES:
            return list(version.aliases)
        return self._message_role(version, column, role)

    def _message_role(self, version: PromptVersion, column: int, role: int) -> Any:
        """Tooltip and colour of the commit message cell (grey when there is none)."""
        if column != self.MESSAGE:
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return rich_tooltip(version.commit_message)
        if role == Qt.ItemDataRole.ForegroundRole and not version.commit_message:
            return _muted_brush()
        return None

    def _display(self, version: PromptVersion, column: int) -> str:
        if column == self.VERSION:
            kind = "" if version.is_text_prompt else " · chat"
            return f"v{version.version}{kind}"
        if column == self.CREATED:
            return local_time(version.creation_time) if version.creation_time else EMPTY
        if column == self.MESSAGE:
            return one_line(version.commit_message) or "(no commit message)"
        return ", ".join(version.aliases)


def _newest_first(store: Store, name: str) -> list[PromptVersion]:
    return list(reversed(data.load_history(store, name)))
