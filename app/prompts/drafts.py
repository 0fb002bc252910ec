"""Unsaved prompt drafts, kept in QSettings so that a crash or a closed window loses nothing.

A draft is filed under the database (its resolved path) and the prompt name; it holds the
template being edited and the version it started from. The page writes it while the user types
(`DraftKeeper` batches the writes) and removes it once the version is saved or the user
discards it. `all_drafts()` lists them, for offering them back after a restart.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass

from PySide6.QtCore import QObject, QSettings, QTimer

from core.entities.prompt import Template

GROUP = "promptDrafts"
#: Milliseconds of quiet typing before the draft is written to the settings file.
WRITE_DELAY_MS = 400


@dataclass(frozen=True)
class Draft:
    """An unsaved template of prompt `name` in `database`, started from `base_version`."""

    database: str
    name: str
    base_version: int | None
    template: Template
    saved_ms: int


def _key(database: str, name: str) -> str:
    digest = hashlib.sha1(f"{database}\n{name}".encode()).hexdigest()[:24]
    return f"{GROUP}/{digest}"


def _decode(raw: object) -> Draft | None:
    try:
        data = json.loads(str(raw))
        return Draft(
            str(data["database"]),
            str(data["name"]),
            int(data["base_version"]) if data.get("base_version") is not None else None,
            data["template"],
            int(data["saved_ms"]),
        )
    except (ValueError, KeyError, TypeError):
        return None  # a damaged entry is ignored, never an error


def save_draft(database: str, name: str, base_version: int | None, template: Template) -> None:
    draft = Draft(database, name, base_version, template, int(time.time() * 1000))
    settings = QSettings()
    settings.setValue(_key(database, name), json.dumps(asdict(draft)))
    settings.sync()


def load_draft(database: str, name: str) -> Draft | None:
    raw = QSettings().value(_key(database, name))
    draft = _decode(raw) if raw is not None else None
    return draft if draft is not None and (draft.database, draft.name) == (database, name) else None


def discard_draft(database: str, name: str) -> None:
    settings = QSettings()
    settings.remove(_key(database, name))
    settings.sync()


def all_drafts() -> list[Draft]:
    """Every stored draft, newest first (for offering them back when the app starts)."""
    settings = QSettings()
    settings.beginGroup(GROUP)
    found = [_decode(settings.value(key)) for key in settings.childKeys()]
    settings.endGroup()
    return sorted((d for d in found if d is not None), key=lambda d: -d.saved_ms)


class DraftKeeper(QObject):
    """Writes the draft of the prompt being edited a moment after the last change."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setObjectName("promptDraftTimer")
        self._timer.setSingleShot(True)
        self._timer.setInterval(WRITE_DELAY_MS)
        self._timer.timeout.connect(self.flush)
        self._pending: tuple[str, str, int | None, Template] | None = None

    def keep(self, database: str, name: str, base_version: int | None, template: Template) -> None:
        """Remember the latest text; it is written when typing pauses (or on `flush`)."""
        self._pending = (database, name, base_version, template)
        self._timer.start()

    def flush(self) -> None:
        """Write what is pending now (before closing, switching or saving)."""
        self._timer.stop()
        pending, self._pending = self._pending, None
        if pending is not None:
            save_draft(*pending)

    def forget(self, database: str, name: str) -> None:
        """The draft was saved as a version or discarded: remove it, pending write included."""
        self._timer.stop()
        self._pending = None
        discard_draft(database, name)


def unsaved_notice(database: str) -> str | None:
    """What to tell about prompt edits left unsaved for `database` in an earlier session (or
    before a crash); None when there are none."""
    names = sorted({d.name for d in all_drafts() if d.database == database})
    if not names:
        return None
    return (
        f"Unsaved prompt edits from an earlier session: {', '.join(names)}. "
        "Open them in the Prompts tab to save or discard them."
    )
