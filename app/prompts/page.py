"""`PromptsPage`: the prompt registry of the open database — list, history, template, editor,
diff, try-it and the traces a version was used in.

The page reads everything in the database thread (`app/prompts/data.py` through the models)
and writes only when the store is open for writing: a read-only store gets a bar with Enable
Editing (the window reopens the file and calls `set_store` again; the selection and the draft
survive that), an older layout gets a message instead of an editor. Unsaved edits are asked
about before they could be lost (`EditSession.resolve`), and kept in QSettings while typing.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QKeyCombination, Qt
from PySide6.QtGui import QHideEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QTabWidget, QWidget

from app.formatting import local_time
from app.messages.browser import SafeTextBrowser, is_dark
from app.pages import Page
from app.prompts import data, dialogs
from app.prompts.bars import ERROR, INFO
from app.prompts.detail import VersionPanel
from app.prompts.diff_view import DiffPane
from app.prompts.drafts import load_draft
from app.prompts.editing import EditSession, forget_stored_draft
from app.prompts.editor import PromptEditor
from app.prompts.list_panel import PromptListPanel
from app.prompts.style import STYLE
from app.prompts.template_html import template_html
from app.prompts.traces import TracesPane
from app.prompts.try_it import TryItPane
from app.tasks import TaskRunner
from core.prompt_version import PromptVersion
from core.store.store import Store

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
        self._store: Store | None = None
        self._database = ""  # data.database_key of the store shown (or last shown)
        self._experiment_id: str | None = None
        self._name: str | None = None  # the prompt shown on the right
        self._wanted: tuple[str, int | None] | None = None  # to show once the lists are read
        self._build()
        self._connect()
        self._keys = {
            QKeySequence("Ctrl+F"): self.list_panel.focus_search,
            QKeySequence("Ctrl+E"): self.edit,
            QKeySequence("Ctrl+S"): self.save,
            QKeySequence("Ctrl+D"): self.compare,
        }
        self._show_placeholder(NO_STORE)

    def _build(self) -> None:
        self.list_panel = PromptListPanel(self._tasks, self)
        self.versions = VersionPanel(self._tasks, self)
        self.template_view = SafeTextBrowser(self)
        self.template_view.setObjectName("templateView")
        self.diff = DiffPane(self)
        self.try_it = TryItPane(self._tasks, self)
        self.traces = TracesPane(self._tasks, self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("promptTabs")
        self.tabs.setDocumentMode(True)
        for widget, label in ((self.template_view, "Template"), (self.diff, "Diff"),
                              (self.try_it, "Try It"), (self.traces, "Traces")):
            self.tabs.addTab(widget, label)
        self.editor = PromptEditor(self)
        self.session = EditSession(self, self._tasks, self.editor, self._next_version)
        self.lower = QStackedWidget(self)
        self.lower.addWidget(self.tabs)
        self.lower.addWidget(self.editor)
        right = QSplitter(Qt.Orientation.Vertical, self)
        right.setChildrenCollapsible(False)
        right.addWidget(self.versions)
        right.addWidget(self.lower)
        right.setSizes([260, 440])
        self.placeholder = QLabel(self)
        self.placeholder.setObjectName("promptPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.content = QStackedWidget(self)
        self.content.addWidget(self.placeholder)
        self.content.addWidget(right)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.list_panel)
        splitter.addWidget(self.content)
        splitter.setSizes([380, 900])
        from PySide6.QtWidgets import QVBoxLayout

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

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
        self.editor.save_requested.connect(self.save)
        self.editor.cancel_requested.connect(self.cancel_edit)
        self.session.stopped.connect(lambda: self.lower.setCurrentWidget(self.tabs))
        self.session.saved.connect(self._saved)
        self.session.save_failed.connect(self.status_message)
        self.traces.trace_requested.connect(self.trace_requested)
        self.try_it.trace_requested.connect(self.trace_requested)

    # -- Page API -------------------------------------------------------------------------------

    def set_store(self, store: Store | None) -> None:
        """Show `store`'s prompts; reopening the same file keeps the selection and the edit."""
        if store is None:
            if self._name is not None:
                current = self.versions.current_version()
                self._wanted = (self._name, current.version if current else None)
            self._store, self._name = None, None
            self.list_panel.set_store(None)
            self.versions.clear()
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
        return self.session.resolve(self._store, self._experiment_id)

    def show_prompt(self, name: str, version: int | None = None) -> bool:
        """Select prompt `name` at `version` (the newest when None); False if the user kept
        editing another one."""
        if self.session.active and (name, version) != (self.session.name, self._edit_version()):
            if not self.session.resolve(self._store, self._experiment_id):
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

    # -- list and history -----------------------------------------------------------------------

    def _list_loaded(self) -> None:
        target = self._name or (self._wanted[0] if self._wanted else None)
        if target is not None and self.list_panel.select(target):
            if self._name is None:
                self._show_prompt(target, self._wanted[1] if self._wanted else None)
            return
        model = self.list_panel.model
        if self._name is None and model.rowCount():
            first = model.summary(0)
            if first is not None:
                self.list_panel.select(first.name)
                self._show_prompt(first.name)

    def _prompt_selected(self, name: str) -> None:
        if name == self._name:
            return
        if not self.session.resolve(self._store, self._experiment_id):
            self.list_panel.select(self._name)  # the user kept editing
            return
        self._show_prompt(name)

    def _show_prompt(self, name: str, version: int | None = None) -> None:
        if self._store is None:
            return
        self._name = name
        self._wanted = (name, version)
        self.content.setCurrentIndex(1)
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
        if self.session.active and version != self._edit_version():
            if not self.session.resolve(self._store, self._experiment_id):
                self.versions.select_version(self._edit_version())
                return
        self._show_version(self.versions.current_version())

    def _show_version(self, version: PromptVersion | None) -> None:
        dark = is_dark(self.palette())
        if version is None:
            self.template_view.clear()
        else:
            self.template_view.setHtml(template_html(version.template, version.variables, dark))
            self.template_view.copy_all = lambda v=version: _raw(v)
        selected = version.version if version is not None else None
        self.diff.set_versions(self.versions.history.versions(), selected)
        self.try_it.set_version(version)
        self.traces.load(self._store, self._name or "", selected)

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
        self.lower.setCurrentWidget(self.editor)
        self._update_write_state()
        self.editor.focus_editor()

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
            self.session.save(self._store, self._experiment_id, message)

    def cancel_edit(self) -> None:
        """Esc: stop editing (asking first when there are changes)."""
        if self.session.active and not self.session.is_saving:
            self.session.resolve(self._store, self._experiment_id)

    def _saved(self, version: PromptVersion) -> None:
        self.status_message.emit(f"Saved “{version.name}” version {version.version}.")
        if self._store is not None:
            self._name = version.name
            self._wanted = (version.name, version.version)
            self.versions.history.load(self._store, version.name)
            self.list_panel.run_search()

    def _edit_version(self) -> int | None:
        base = self.session.base
        return base.version if base is not None else None

    def _next_version(self) -> int:
        versions = self.versions.history.versions()
        return (versions[0].version + 1) if versions else 1

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
        self.lower.setCurrentWidget(self.editor)
        self._update_write_state()
        self.editor.focus_editor()

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
        version = self.versions.current_version()
        if version is None or self._name is None or not self._can_write("move an alias"):
            return
        versions = self.versions.history.versions()
        aliases = {a: v.version for v in versions for a in v.aliases}
        chosen = dialogs.ask_move_alias(self, aliases, versions, version.version)
        if chosen is not None:
            alias, target = chosen
            self._write(data.move_alias, f"Alias “{alias}” now points at version {target}.",
                        alias, target)

    def delete_alias(self, alias: str) -> None:
        versions = self.versions.history.versions()
        target = next((v.version for v in versions if alias in v.aliases), None)
        if target is None or self._name is None or not self._can_write("delete an alias"):
            return
        if dialogs.confirm_delete_alias(self, self._name, alias, target):
            self._write(data.delete_alias, f"Alias “{alias}” deleted.", alias)

    def _write(self, fn: object, done: str, *args: object) -> None:
        """Run an alias change in the database thread, then read the prompt again."""
        store, name = self._store, self._name
        if store is None or name is None:
            return
        current = self.versions.current_version()
        task = self._tasks.submit(fn, store, name, *args)  # type: ignore[arg-type]

        def finished(_result: object) -> None:
            self.status_message.emit(done)
            if self._store is store and self._name == name:
                self._wanted = (name, current.version if current else None)
                self.versions.history.load(store, name)
                self.list_panel.run_search()

        task.finished.connect(finished)
        task.failed.connect(lambda error: self.versions.bar.show_bar(
            f"The alias was not changed: {error}", [("Dismiss", self.versions.bar.hide_bar)],
            kind=ERROR,
        ))

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
        editing = self.session.active
        if editing and state is data.WriteState.READ_ONLY:
            self.editor.read_only_bar.show_bar(
                READ_ONLY_BAR, [("Enable Editing", self.editing_requested.emit)]
            )
        else:
            self.editor.read_only_bar.hide_bar()
        self.editor.set_saving(self.session.is_saving)
        uri = data.tracking_uri(self._store) if state is data.WriteState.WRITABLE else None
        self.try_it.set_target(uri, self._experiment_id)
        if state is data.WriteState.OLD_LAYOUT and self._name is not None:
            self._show_layout_message()

    def _show_placeholder(self, text: str) -> None:
        self.placeholder.setText(text)
        if self._name is None:
            self.content.setCurrentWidget(self.placeholder)

    # -- keyboard and Qt events -----------------------------------------------------------------

    def _command(self, event: QKeyEvent) -> object:
        return self._keys.get(QKeySequence(QKeyCombination(event.keyCombination())))

    def event(self, event: QEvent) -> bool:  # QWidget.event
        # The page's keys win over the window's while the focus is inside the page (Ctrl+E is
        # also the window's Export Trace): accepting the override delivers them as key presses.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if self._command(event) is not None:
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QWidget.keyPressEvent
        command = self._command(event)
        if command is not None:
            command()  # type: ignore[operator]
            event.accept()
        elif event.key() == Qt.Key.Key_Escape and self.session.active:
            self.cancel_edit()
            event.accept()
        else:
            super().keyPressEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # QWidget.hideEvent
        self.list_panel.flush()  # pending work runs now rather than under a hidden page
        self.session.keeper.flush()
        super().hideEvent(event)


def _raw(version: PromptVersion) -> str:
    import json

    template = version.template
    return template if isinstance(template, str) else json.dumps(template, indent=2)
