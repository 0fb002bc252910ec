"""What is remembered between sessions: the filter history, and each file's filter and sort.

Settings of a file are keyed by a digest of its path, so a path never becomes a settings group
name (slashes would nest groups) and reopening the same file finds them again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from PySide6.QtCore import QSettings

from app.traces.sorting import SortSpec

HISTORY_KEY = "query/history"
HISTORY_SIZE = 50


@dataclass(frozen=True)
class FileView:
    """How the trace list of one file was last shown."""

    filter_text: str = ""
    sort: SortSpec = field(default_factory=SortSpec)
    experiment_id: str = ""  # the experiment shown last ("" when none was)


def _group(location: str) -> str:
    return "files/" + hashlib.sha256(location.encode("utf-8")).hexdigest()[:24]


def load_file_view(location: str) -> FileView:
    """The filter, sort and experiment last used for `location` (defaults when never opened)."""
    settings = QSettings()
    settings.beginGroup(_group(location))
    text = settings.value("filter", "")
    sort = SortSpec.from_text(settings.value("sort", ""))
    experiment = settings.value("experiment", "")
    settings.endGroup()
    return FileView(str(text or ""), sort, str(experiment or ""))


def save_file_view(location: str, view: FileView) -> None:
    settings = QSettings()
    settings.beginGroup(_group(location))
    settings.setValue("location", location)  # for a person reading the settings file
    settings.setValue("filter", view.filter_text)
    settings.setValue("sort", view.sort.to_text())
    settings.setValue("experiment", view.experiment_id)
    settings.endGroup()


class QueryHistory:
    """Filters that were applied, oldest first, without repeats; shared by all files."""

    def __init__(self) -> None:
        stored = QSettings().value(HISTORY_KEY, [])
        # An INI file gives back a one-item list as a plain string.
        items = [stored] if isinstance(stored, str) else stored if isinstance(stored, list) else []
        self._items: list[str] = [str(i) for i in items if str(i).strip()][-HISTORY_SIZE:]

    @property
    def items(self) -> list[str]:
        return list(self._items)

    def add(self, text: str) -> None:
        """Remember `text` as the newest entry (an older copy of it moves up)."""
        text = text.strip()
        if not text:
            return
        if text in self._items:
            self._items.remove(text)
        self._items = [*self._items, text][-HISTORY_SIZE:]
        QSettings().setValue(HISTORY_KEY, self._items)
