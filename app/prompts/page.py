"""`PromptsPage`: the prompt registry of the open database — list, history, template, editor,
diff, try-it and the traces a version was used in.

The page reads everything in the database thread (`app/prompts/data.py` through the models)
and writes only when the store is open for writing: a read-only store gets a bar with Enable
Editing (the window reopens the file and calls `set_store` again; the selection and the draft
survive that), an older layout gets a message instead of an editor. Unsaved edits are asked
about before they could be lost (`EditSession.resolve`), and kept in QSettings while typing.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHideEvent, QKeyEvent
from PySide6.QtWidgets import (
    QVBoxLayout,
    QWidget,
)

from app.formatting import local_time
from app.pages import Page
from app.prompts import data, try_call
from app.prompts.aliases import AliasCommands
from app.prompts.bars import ERROR, INFO
from app.prompts.drafts import load_draft
from app.prompts.edit_session import EditSession, forget_stored_draft
from app.prompts.keys import PageKeys
from app.prompts.style import STYLE
from app.prompts.view import PromptsView
from app.tasks import TaskRunner
from core.client import Client
from core.entities.prompt import PromptVersion
from core.store import Store

NO_STORE = "Open a database to see its prompts."
NO_PROMPT = "Select a prompt to see its versions."
READ_ONLY_BAR = "This database is open read-only — Enable Editing to save new versions."


class PromptsPage(Page):
    """The Prompts tab of the main window."""

    title = "&Prompts"

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptsPage")
        self.setStyleSheet(STYLE)
        self._tasks = tasks
        self._client: Client | None = None
        self._store: Store | None = None
        self._database = ""  # data.database_key of the store shown (or last shown)
        self._experiment_id: str | None = None
        self._name: str | None = None  # the prompt shown on the right
        self._wanted: tuple[str, int | None] | None = None  # to show once the lists are read
        self._build()
        self._connect()
        self._keys = PageKeys(
            {
                "Ctrl+F": self.list_panel.focus_search,
                "Ctrl+E": self.edit,
                "Ctrl+S": self.save,
                "Ctrl+D": self.compare,
            }
        )
        self._show_placeholder(NO_STORE)

    def _build(self) -> None:
        self.view = PromptsView(self._tasks, self)
        view = self.view
        self.list_panel, self.versions = view.list_panel, view.versions
        self.editor, self.tabs, self.diff = view.editor, view.tabs, view.diff
        self.try_it, self.traces, self.template_view = view.try_it, view.traces, view.template_view
        self.session = EditSession(self, self._tasks, self.editor, self.versions.history.versions)
        self.aliases = AliasCommands(self, self._tasks, self.versions)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(view)

    def _connect(self) -> None:
        self.list_panel.prompt_selected.connect(self._prompt_selected)
        self.list_panel.model.loaded.connect(self._list_loaded)
        self.versions.history.loaded.connect(self._history_loaded)
        self.versions.history.load_failed.connect(self._history_failed)
        self.versions.version_selected.connect(self._version_selected)
        self.versions.edit_clicked.connect(self.edit)
        self.versions.compare_clicked.connect(self.compare)
        self.versions.move_alias_clicked.connect(self.move_alias)
        self.versions.delete_alias_clicked.connect(self.delete_alias)
        self.aliases.changed.connect(self._aliases_changed)
        self.editor.save_requested.connect(self.save)
        self.editor.cancel_requested.connect(self.cancel_edit)
        self.session.stopped.connect(self.view.show_tabs)
        self.session.saved.connect(self._saved)
        self.session.save_failed.connect(self.status_message)
        self.traces.trace_requested.connect(self.trace_requested)
        self.try_it.trace_requested.connect(self.trace_requested)

    # -- Page API -------------------------------------------------------------------------------

    def set_client(self, client: Client | None) -> None:
        """Show the store's prompts; reopening the same file keeps the selection and the edit."""
        self._client = client
        store = client.store() if client is not None else None
        if store is None:
            if self._name is not None:
                self._remember_selection(self._name)
            self._store, self._name = None, None
            self.list_panel.set_store(None)
            self.versions.clear()
            self._show_version(None)
            self._show_placeholder(NO_STORE)
            return
        database = data.database_key(store)
        if database != self._database:
            self._wanted = None
            if self.session.active:  # another file: the draft stays stored for the old one
                self.session.stop(forget_draft=False)
        self._store, self._database = store, database
        self._show_placeholder(NO_PROMPT)
        self._update_write_state()
        self.list_panel.set_store(store)

    def set_experiment(self, experiment_id: str | None) -> None:
        self._experiment_id = experiment_id
        self._update_write_state()

    def confirm_close(self) -> bool:
        """Save / Discard / Cancel for an unsaved edit (the window is closing the database)."""
        self.session.keeper.flush()
        if self.session.is_saving:
            self.status_message.emit("A prompt version is being saved: try again in a moment.")
            return False
        return self._resolve()

    def show_prompt(self, name: str, version: int | None = None) -> bool:
        """Select prompt `name` at `version` (the newest when None); False if the user kept
        editing another one."""
        other = version is not None and version != self._edit_version()
        leaving = name != self.session.name or other
        if self.session.active and leaving and not self._resolve():
            return False
        if self._store is None:
            self._wanted = (name, version)
            return True
        if not self.list_panel.select(name) and self.list_panel.search.text():
            self.list_panel.search.clear()
            self.list_panel.run_search()  # the prompt was filtered out: list all again
        if name == self._name and not self.versions.history.is_loading:
            if self.versions.select_version(version):
                self._show_version(self.versions.current_version())
            return True
        self._show_prompt(name, version)
        return True

    def refresh(self) -> None:
        """F5: read the list and the shown history again; selection and edit are kept."""
        if self._store is None:
            return
        self.list_panel.run_search()
        if self._name is not None:
            self._remember_selection(self._name)
            self.versions.history.load(self._store, self._name)

    # -- list and history -----------------------------------------------------------------------

    def _list_loaded(self) -> None:
        target = self._name or (self._wanted[0] if self._wanted else None)
        if target is not None and self.list_panel.select(target):
            if self._name is None:
                self._show_prompt(target, self._wanted[1] if self._wanted else None)
            return
        first = self.list_panel.model.summary(0)
        if self._name is None and first is not None:  # nothing shown yet: the first prompt
            self.list_panel.select(first.name)
            self._show_prompt(first.name)

    def _prompt_selected(self, name: str) -> None:
        if name == self._name:
            return
        if not self._resolve():
            self.list_panel.select(self._name)  # the user kept editing
            return
        self._show_prompt(name)

    def _show_prompt(self, name: str, version: int | None = None) -> None:
        if self._store is None:
            return
        self._name = name
        self._wanted = (name, version)
        self.view.show_content()
        self.versions.bar.hide_bar()
        self.versions.history.load(self._store, name)

    def _history_loaded(self) -> None:
        if self._name is None:
            return
        versions = self.versions.history.versions()
        self.versions.show_header(self._name, versions)
        wanted = self._wanted[1] if self._wanted and self._wanted[0] == self._name else None
        self._wanted = None
        if self.session.active and self.session.name == self._name:
            wanted = self._edit_version()
        if not self.versions.select_version(wanted):
            self.versions.select_version(None)
        self._show_version(self.versions.current_version())
        self._update_write_state()
        self._offer_draft()

    def _history_failed(self, message: str) -> None:
        self.versions.bar.show_bar(f"The versions cannot be read: {message}", kind=ERROR)

    def _version_selected(self, version: int) -> None:
        leaving = self.session.active and version != self._edit_version()
        if leaving and not self._resolve():
            self.versions.select_version(self._edit_version())  # the user kept editing
            return
        self._show_version(self.versions.current_version())

    def _show_version(self, version: PromptVersion | None) -> None:
        versions = self.versions.history.versions()
        self.view.show_version(version, versions, self._store, self._name or "")

    # -- editing --------------------------------------------------------------------------------

    def edit(self) -> None:
        """Ctrl+E: edit a new version starting from the selected one."""
        version = self.versions.current_version()
        if version is None or self._name is None or self._store is None:
            return
        if data.write_state(self._store) is data.WriteState.OLD_LAYOUT:
            self._show_layout_message()
            self.status_message.emit("Prompts in this database cannot be edited.")
            return
        if not self.session.active:
            self.session.start(self._database, self._name, version)
        self._update_write_state()
        self.view.show_editor()

    def save(self) -> None:
        """Ctrl+S: ask for the commit message and write the next version."""
        if not self.session.active or self._store is None or self.session.is_saving:
            return
        state = data.write_state(self._store)
        if state is not data.WriteState.WRITABLE:
            self._update_write_state()
            self.status_message.emit("This database is open read-only: the draft is kept.")
            return
        base = self.session.base
        if not self.session.is_dirty and base is not None:
            self.status_message.emit(f"Nothing to save: this is version {base.version}'s text.")
            return
        message = self.session.ask_message()
        if message is not None:
            self.session.save(self._store, message)

    def cancel_edit(self) -> None:
        """Esc: stop editing (asking first when there are changes)."""
        if self.session.active and not self.session.is_saving:
            self._resolve()

    def _saved(self, version: PromptVersion) -> None:
        self.status_message.emit(f"Saved “{version.name}” version {version.version}.")
        if self._store is not None:
            self._name = version.name
            self._wanted = (version.name, version.version)
            self.versions.history.load(self._store, version.name)
            self.list_panel.run_search()

    def _remember_selection(self, name: str) -> None:
        """Select the same version again once the history is read anew."""
        current = self.versions.current_version()
        self._wanted = (name, current.version if current else None)

    def _resolve(self) -> bool:
        """Save / Discard / Cancel an unsaved edit; False when the user keeps editing."""
        return self.session.resolve(self._store)

    def _edit_version(self) -> int | None:
        base = self.session.base
        return base.version if base is not None else None

    def _offer_draft(self) -> None:
        if self.session.active or self._name is None or self._store is None:
            return
        draft = load_draft(self._database, self._name)
        if draft is None or data.write_state(self._store) is data.WriteState.OLD_LAYOUT:
            return
        since = f" from version {draft.base_version}" if draft.base_version else ""
        self.versions.bar.show_bar(
            f"You have an unsaved draft of this prompt{since}, kept {local_time(draft.saved_ms)}.",
            [("Restore Draft", self.restore_draft), ("Discard Draft", self._discard_draft)],
            kind=INFO,
        )

    def restore_draft(self) -> None:
        """Open the editor on the stored draft of the prompt shown."""
        if self._name is None or self.session.active:
            return
        draft = load_draft(self._database, self._name)
        versions = self.versions.history.versions()
        if draft is None or not versions:
            return
        base = next((v for v in versions if v.version == draft.base_version), versions[0])
        self.versions.select_version(base.version)
        self._show_version(base)
        self.versions.bar.hide_bar()
        self.session.start(self._database, self._name, base, draft.template)
        self._update_write_state()
        self.view.show_editor()

    def _discard_draft(self) -> None:
        if self._name is not None:
            forget_stored_draft(self._database, self._name)
        self.versions.bar.hide_bar()

    # -- aliases and diff -----------------------------------------------------------------------

    def compare(self) -> None:
        """Ctrl+D: the Diff tab, with the version to compare with focused."""
        if self.session.active:
            return
        self.tabs.setCurrentWidget(self.diff)
        self.diff.focus_compare()

    def move_alias(self) -> None:
        if self._store is not None and self._name and self._can_write("move an alias"):
            self.aliases.move(self._store, self._name)

    def delete_alias(self, alias: str) -> None:
        if self._store is not None and self._name and self._can_write("delete an alias"):
            self.aliases.delete(self._store, self._name, alias)

    def _aliases_changed(self, store: Store, name: str, done: str) -> None:
        self.status_message.emit(done)
        if self._store is store and self._name == name:
            self._remember_selection(name)
            self.versions.history.load(store, name)
            self.list_panel.run_search()

    # -- what may be written --------------------------------------------------------------------

    def _can_write(self, what: str) -> bool:
        state = data.write_state(self._store)
        if state is data.WriteState.WRITABLE:
            return True
        if state is data.WriteState.OLD_LAYOUT:
            self._show_layout_message()
        elif state is data.WriteState.READ_ONLY:
            self.versions.bar.show_bar(
                f"This database is open read-only — Enable Editing to {what}.",
                [("Enable Editing", self.editing_requested.emit)],
            )
        return False

    def _show_layout_message(self) -> None:
        if self._store is not None:
            self.versions.bar.show_bar(data.layout_message(self._store), kind=INFO)

    def _update_write_state(self) -> None:
        state = data.write_state(self._store)
        if self.session.active and state is data.WriteState.READ_ONLY:
            self.editor.read_only_bar.show_bar(
                READ_ONLY_BAR, [("Enable Editing", self.editing_requested.emit)]
            )
        else:
            self.editor.read_only_bar.hide_bar()
        self.editor.set_saving(self.session.is_saving)
        writable = self._client if state is data.WriteState.WRITABLE else None
        untraced = try_call.NOT_SAVED_LAYOUT if state is data.WriteState.OLD_LAYOUT else ""
        self.try_it.set_target(writable, self._experiment_id, untraced)
        if state is data.WriteState.OLD_LAYOUT and self._name is not None:
            self._show_layout_message()

    def _show_placeholder(self, text: str) -> None:
        if self._name is None:
            self.view.show_placeholder(text)

    # -- keyboard and Qt events -----------------------------------------------------------------

    def event(self, event: QEvent) -> bool:  # QWidget.event
        # The page's keys win over the window's while the focus is inside it (app/prompts/keys.py)
        if event.type() == QEvent.Type.ShortcutOverride and self._keys.claim(event):
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QWidget.keyPressEvent
        if self._keys.run(event):
            return
        if event.key() == Qt.Key.Key_Escape and self.session.active:
            self.cancel_edit()
            event.accept()
        else:
            super().keyPressEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # QWidget.hideEvent
        self.list_panel.flush()  # pending work runs now rather than under a hidden page
        self.session.keeper.flush()
        super().hideEvent(event)
