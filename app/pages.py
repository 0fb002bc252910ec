"""The window's pages beside the trace workspace: Evaluations, Prompts, Agents.

Each page is one feature folder's top widget. The main window gives it the open store's
client (`client.store()` is the store; the client also writes traces) and the selected
experiment, and listens to its requests (open a trace, open a prompt version); a page with
unsaved work can refuse to be closed.
"""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from core.client import Client


class Page(QWidget):
    """Base class of a page in the window's mode tabs."""

    #: The tab's label ("&Prompts": Alt+P switches to it).
    title: ClassVar[str] = ""

    trace_requested = Signal(str)  # a trace id to show in the trace explorer
    prompt_requested = Signal(str, int)  # a prompt name and version to show
    status_message = Signal(str)  # a short note for the status bar
    editing_requested = Signal()  # the page needs the database opened for writing

    def set_client(self, client: Client | None) -> None:
        """The open store's client (None when none is open); the page reloads what it shows."""

    def set_experiment(self, experiment_id: str | None) -> None:
        """The experiment selected in the sidebar (pages that are per experiment follow it)."""

    def confirm_close(self) -> bool:
        """False when the user chose to keep unsaved work (the window then stays as it is)."""
        return True

    def refresh(self) -> None:
        """Read what the page shows again (F5), keeping the selection and any open edit."""

    def settings_changed(self) -> None:
        """The Settings dialog saved new values: show the ones this page displays."""

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) for Help → Keyboard Shortcuts."""
        return []
