"""`EditSession`: one prompt being edited — its draft kept while typing, saving, and the
question asked before unsaved changes would be lost.

Saving shows what it writes (`data.NewVersion`: the next version of this prompt, nothing else)
and asks for the commit message, then writes it in the database thread
(`registry.register_version`). A failed write (locked file, full disk) leaves the editor and the
stored draft as they were and says why. `resolve()` is the Save / Discard / Cancel question the
page asks before switching prompts or versions and the window asks (through
`Page.confirm_close`) before closing the database or itself; it must answer at once, so its
Save waits for the write with a local event loop (user input excluded) instead of returning
before the version is written.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QObject, Signal
from PySide6.QtWidgets import QWidget

from app.prompts import data, dialogs
from app.prompts.drafts import DraftKeeper, discard_draft
from app.prompts.editor import PromptEditor
from app.tasks import Task, TaskRunner
from core.entities.prompt import PromptVersion, Template
from core.store import Store


class EditSession(QObject):
    """The editor's session: which database and prompt, the draft, the save in flight."""

    saved = Signal(object)  # the PromptVersion written
    stopped = Signal()  # the editor closed (saved, discarded or cancelled)
    save_failed = Signal(str)

    def __init__(
        self,
        dialog_parent: QWidget,
        tasks: TaskRunner,
        editor: PromptEditor,
        history: Callable[[], list[PromptVersion]],
    ) -> None:
        super().__init__(dialog_parent)
        self._parent = dialog_parent
        self._tasks = tasks
        self.editor = editor
        self._history = history  # the prompt's versions as shown, newest first
        self.keeper = DraftKeeper(self)
        self.database: str | None = None
        self._saving: Task | None = None
        editor.changed.connect(self._keep_draft)

    # -- state ----------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.database is not None and self.editor.base is not None

    @property
    def name(self) -> str:
        return self.editor.name if self.active else ""

    @property
    def base(self) -> PromptVersion | None:
        return self.editor.base if self.active else None

    @property
    def is_dirty(self) -> bool:
        return self.active and self.editor.is_dirty

    @property
    def is_saving(self) -> bool:
        return self._saving is not None

    def start(
        self, database: str, name: str, base: PromptVersion, template: Template | None = None
    ) -> None:
        """Open the editor on `name` from version `base` (or from a stored draft's text)."""
        self.keeper.flush()
        self.database = database
        self.editor.start(name, base, template)
        if template is not None:
            self._keep_draft()

    def stop(self, forget_draft: bool) -> None:
        """Close the session; `forget_draft` also removes the stored draft."""
        if self.database is not None and self.editor.base is not None:
            if forget_draft:
                self.keeper.forget(self.database, self.editor.name)
            else:
                self.keeper.flush()
        self.database = None
        self.editor.base = None
        self.stopped.emit()

    def _keep_draft(self) -> None:
        if not self.active or self.editor.base is None or self.database is None:
            return
        if self.editor.is_dirty:
            self.keeper.keep(
                self.database, self.name, self.editor.base.version, self.editor.template()
            )
        else:  # back to the version's text: nothing to keep
            self.keeper.forget(self.database, self.name)

    # -- saving ---------------------------------------------------------------------------------

    def new_version(self) -> data.NewVersion | None:
        """What saving the draft now would write."""
        base = self.base
        if base is None:
            return None
        versions = self._history()
        return data.NewVersion(
            name=self.name,
            version=(versions[0].version + 1) if versions else 1,
            template=self.editor.template(),
            base=base,
            aliases={a: v.version for v in versions for a in v.aliases},
        )

    def ask_message(self) -> str | None:
        """The commit message the user wants ("" for none), or None when they cancelled."""
        new = self.new_version()
        if new is None:
            return None
        suggestion = data.suggested_message(new.base, new.template)
        return dialogs.ask_commit_message(self._parent, new, suggestion)

    def save(self, store: Store, message: str) -> Task | None:
        """Write the draft as the next version in the database thread; the editor stays open
        (and the draft stored) until the write succeeded."""
        new = self.new_version()
        if new is None or self._saving is not None:
            return None
        self.keeper.flush()
        self.editor.error_bar.hide_bar()
        self.editor.set_saving(True)
        task = self._tasks.submit(data.save_version, store, new, message)
        task.on_finished(self._saved)
        task.on_failed(self._failed)
        self._saving = task
        return task

    def _saved(self, version: PromptVersion) -> None:
        self._saving = None
        self.editor.set_saving(False)
        self.stop(forget_draft=True)
        self.saved.emit(version)

    def _failed(self, error: BaseException) -> None:
        self._saving = None
        self.editor.set_saving(False)
        message = (
            f"The new version was not saved: {error}\n"
            "Your draft is kept (also if TraceDesk closes): save again when the problem is gone."
        )
        self.editor.show_error(message)
        self.save_failed.emit(message)

    def save_and_wait(self, store: Store) -> bool:
        """Ask for the message and save, returning once the write is done: True if saved."""
        message = self.ask_message()
        if message is None:
            return False
        task = self.save(store, message)
        if task is None:
            return False
        outcome: list[bool] = []
        loop = QEventLoop(self)

        def done(saved: bool) -> None:
            outcome.append(saved)
            loop.quit()

        task.on_finished(lambda _version: done(True))
        task.on_failed(lambda _error: done(False))
        loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        return outcome == [True]

    # -- the question ---------------------------------------------------------------------------

    def resolve(self, store: Store | None) -> bool:
        """Before the edit would be lost: ask Save / Discard / Cancel. False = keep editing."""
        if not self.active:
            return True
        if self.is_saving:
            return False  # a write is in flight; its outcome decides
        if not self.is_dirty:
            self.stop(forget_draft=True)
            return True
        writable = data.write_state(store) is data.WriteState.WRITABLE
        choice = dialogs.ask_unsaved(self._parent, self.name, writable)
        if choice is dialogs.UnsavedChoice.CANCEL:
            return False
        if choice is dialogs.UnsavedChoice.SAVE and store is not None:
            return self.save_and_wait(store)
        self.stop(forget_draft=choice is dialogs.UnsavedChoice.DISCARD)
        return True


def forget_stored_draft(database: str, name: str) -> None:
    """Remove a stored draft the user declined to restore."""
    discard_draft(database, name)
