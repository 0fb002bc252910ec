"""`AliasCommands`: move an alias to a version (existing or new alias) or delete one.

Each change is one short write in the database thread (`registry.set_alias` /
`delete_alias`); when it is done `changed` asks the page to read the prompt again, and a failure
is said in the prompt's bar without changing anything.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from app.prompts import data, dialogs
from app.prompts.bars import ERROR
from app.prompts.detail import VersionPanel
from app.tasks import TaskRunner
from core.store import Store


class AliasCommands(QObject):
    """The Move Alias… and Delete Alias commands of the version panel."""

    changed = Signal(object, str, str)  # the store written to, the prompt name, what was done

    def __init__(self, parent: QWidget, tasks: TaskRunner, panel: VersionPanel) -> None:
        super().__init__(parent)
        self._parent = parent
        self._tasks = tasks
        self._panel = panel

    def aliases(self) -> dict[str, int]:
        """The aliases of the prompt shown, and the version each points at."""
        return {a: v.version for v in self._panel.history.versions() for a in v.aliases}

    def move(self, store: Store, name: str) -> None:
        """Ask which alias goes to which version, then write it."""
        version = self._panel.current_version()
        if version is None:
            return
        versions = self._panel.history.versions()
        chosen = dialogs.ask_move_alias(self._parent, self.aliases(), versions, version.version)
        if chosen is not None:
            alias, target = chosen
            done = f"Alias “{alias}” of “{name}” now points at version {target}."
            self._write(store, name, done, data.move_alias, alias, target)

    def delete(self, store: Store, name: str, alias: str) -> None:
        target = self.aliases().get(alias)
        if target is not None and dialogs.confirm_delete_alias(self._parent, name, alias, target):
            self._write(
                store, name, f"Alias “{alias}” of “{name}” deleted.", data.delete_alias, alias
            )

    def _write(
        self, store: Store, name: str, done: str, fn: Callable[..., object], *args: object
    ) -> None:
        task = self._tasks.submit(fn, store, name, *args)
        task.on_finished(lambda _result: self.changed.emit(store, name, done))
        task.on_failed(self._failed)

    def _failed(self, error: BaseException) -> None:
        bar = self._panel.bar
        bar.show_bar(f"The alias was not changed: {error}", [("Dismiss", bar.hide_bar)], ERROR)
