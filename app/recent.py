"""Recently opened databases: the list kept in QSettings (newest first) and its menu.

Files are kept as absolute paths, server URLs without their password (never in settings).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QMenu, QWidget

from app.logins import safe_location

MAX_RECENT = 10
_KEY = "recentFiles"


class RecentFiles:
    """The Open Recent list. Paths are stored as absolute strings; URLs without a password."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings

    def _open(self) -> QSettings:
        return self._settings if self._settings is not None else QSettings()

    def entries(self) -> list[str]:
        value = self._open().value(_KEY, [])
        if value is None:
            return []
        if isinstance(value, str):  # INI files give back a one-item list as a string
            return [value] if value else []
        if isinstance(value, list | tuple):
            return [str(v) for v in value if v]
        return []

    def _store(self, entries: list[str]) -> None:
        settings = self._open()
        settings.setValue(_KEY, entries[:MAX_RECENT])
        settings.sync()

    def add(self, location: str) -> None:
        """Put `location` first, removing an older mention of it. A server URL is kept without
        its password, whatever the caller passed."""
        location = safe_location(location)
        entries = [e for e in self.entries() if e != location]
        self._store([location, *entries])

    def remove(self, location: str) -> None:
        self._store([e for e in self.entries() if e != location])

    def clear(self) -> None:
        self._store([])

    def prune_missing(self) -> list[str]:
        """Drop files that no longer exist; return what was dropped."""
        entries = self.entries()
        missing = [e for e in entries if is_local(e) and not Path(e).exists()]
        if missing:
            self._store([e for e in entries if e not in missing])
        return missing


def is_local(location: str) -> bool:
    """True for a file path (as opposed to a server URL)."""
    return "://" not in location


class RecentMenu(QMenu):
    """File → Open Recent: rebuilt each time it opens, after dropping files that are gone."""

    file_chosen = Signal(str)
    pruned = Signal(list)  # locations removed because their files no longer exist

    def __init__(self, recent: RecentFiles, parent: QWidget | None = None) -> None:
        super().__init__("Open &Recent", parent)
        self.setObjectName("recentMenu")
        self.recent = recent
        self.aboutToShow.connect(self.rebuild)

    def rebuild(self) -> None:
        missing = self.recent.prune_missing()
        self.clear()
        entries = self.recent.entries()
        for number, location in enumerate(entries, start=1):
            action = self.addAction(f"&{number % 10}  {_menu_label(location)}")
            action.setData(location)
            action.setToolTip(location)
            action.triggered.connect(
                lambda _checked=False, where=location: self.file_chosen.emit(where)
            )
        if entries:
            self.addSeparator()
            self.addAction("&Clear Menu", self._clear)
        else:
            self.addAction("No recent databases").setEnabled(False)
        if missing:
            self.pruned.emit(missing)

    def locations(self) -> list[str]:
        """The locations the menu offers now (its actions with data)."""
        return [str(a.data()) for a in self.actions() if a.data()]

    def _clear(self) -> None:
        self.recent.clear()
        self.rebuild()


def _menu_label(location: str) -> str:
    """`mlflow.db — parent folder`, with `&` doubled so it is not taken as a mnemonic."""
    if is_local(location):
        path = Path(location)
        text = f"{path.name}  —  {path.parent}"
    else:
        text = location
    return text.replace("&", "&&")
