"""`PromptBar`: the replay playground's registered prompt — which messages a linked prompt
version rendered, editing its template instead of the rendered text, and "Save as New
Version…".

With "Edit the template" on (the default once a version is found), the rows it rendered show
the template, `{{ variables }}` highlighted, and what is sent is the template rendered with the
values the recorded call had (`sent_text`). Saving asks for the commit message with the Prompts
tab's dialog, writes the version in the database thread (`app.prompts.data.save_version`, the
Prompts tab's path) and then offers to move an alias to it (Cancel leaves the aliases alone).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.prompts import data, dialogs
from app.prompts.chat_editor import MessageRow
from app.replay.prompt_link import LinkedPrompt, PromptUse
from app.tasks import Task, TaskRunner
from core.entities.prompt import PromptVersion, Template
from core.store import Store


class PromptBar(QFrame):
    """Shown when the replayed messages came from a registered prompt version."""

    changed = Signal()  # what is sent changed (template mode switched)
    message = Signal(str)  # a note for the playground's status line
    saved = Signal(object)  # the PromptVersion written

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replayPromptBar")
        self._tasks = tasks
        self.use: PromptUse | None = None  # the version edited from (moves on when saved)
        self.recorded: PromptUse | None = None  # the version the recorded call rendered
        self._rows: list[MessageRow] = []
        self._texts: dict[int, str] = {}  # id(row) -> its template text while showing rendered
        self._store: Store | None = None
        self._why_not = ""
        self._saving: Task | None = None
        self.label = QLabel(self)
        self.label.setObjectName("replayPromptUse")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.template_mode = QCheckBox("Edit the tem&plate", self)
        self.template_mode.setObjectName("replayTemplateMode")
        self.template_mode.setToolTip(
            "Edit the prompt's template; what is sent is it, filled with the recorded values"
        )
        self.template_mode.toggled.connect(self._switch)
        self.save_button = QPushButton("Save as New &Version…", self)
        self.save_button.setObjectName("replaySaveVersion")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        controls = QHBoxLayout()
        controls.addWidget(self.template_mode)
        controls.addStretch(1)
        controls.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.addWidget(self.label)
        layout.addLayout(controls)
        self.hide()

    # -- showing a prompt -----------------------------------------------------------------------

    def show_use(
        self, use: PromptUse, rows: list[MessageRow], store: Store | None, why: str
    ) -> None:
        """`rows` (the editor's rows `use.rows` names) came from `use`; `store` is None when
        versions cannot be saved, and `why` says so."""
        self.use, self._rows, self._store = use, rows, store
        self.recorded = use
        self._why_not = why
        self.label.setText(use.describe())
        for row, text in zip(rows, use.templates(), strict=True):
            self._texts[id(row)] = text
            row.changed.connect(self._update)
        self.template_mode.blockSignals(True)
        self.template_mode.setChecked(True)
        self.template_mode.blockSignals(False)
        self._show_texts(template=True)
        self.show()
        self._update()

    def _switch(self, template: bool) -> None:
        if not template:  # keep the edited template: switching back shows it again
            self._texts |= {id(row): row.content.toPlainText() for row in self._live_rows()}
        self._show_texts(template)
        self._update()
        self.changed.emit()

    def _show_texts(self, template: bool) -> None:
        use = self.use
        if use is None:
            return
        for row in self._live_rows():
            text = self._texts[id(row)]
            row.content.setPlainText(text if template else use.render(text))

    def _live_rows(self) -> list[MessageRow]:
        """The template's rows still in the editor (the user may remove one)."""
        alive = []
        for row in self._rows:
            try:
                row.objectName()
            except RuntimeError:  # deleted by "Remove this message"
                continue
            alive.append(row)
        return alive

    # -- what is sent ---------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """Template rows show templates (the rest of the playground sends rendered text)."""
        return self.use is not None and self.template_mode.isChecked()

    def sent_text(self, row: MessageRow, text: str) -> str:
        """What `row`'s `text` sends: rendered when it is a template row in template mode."""
        if self.use is None or not self.active or row not in self._rows:
            return text
        return self.use.render(text)

    def edited_texts(self) -> tuple[str, ...] | None:
        """Each template row's text as edited, when every row is there in template mode."""
        rows = self._live_rows()
        if self.use is None or not self.active or len(rows) != len(self._rows):
            return None
        return tuple(row.content.toPlainText() for row in rows)

    def edited_template(self) -> Template | None:
        """The template as edited, when every row of it is still there and shows template text."""
        texts = self.edited_texts()
        if self.use is None or texts is None:
            return None
        return self.use.template_with(texts)

    # -- saving ---------------------------------------------------------------------------------

    def _update(self) -> None:
        template = self.edited_template()
        use = self.use
        unchanged = use is not None and template == use.version.template
        self.save_button.setEnabled(
            self._store is not None and template is not None and not unchanged and not self._saving
        )
        if self._store is None:
            tip = self._why_not
        elif template is None:
            tip = "Save needs every message of the template, shown as template."
        elif unchanged:
            tip = "The template is as registered: edit it first."
        else:
            tip = "Register the edited template as the prompt's next version"
        self.save_button.setToolTip(tip)

    def save(self) -> None:
        """Ask for the commit message, write the version, then offer to move an alias."""
        use, template, store = self.use, self.edited_template(), self._store
        if use is None or template is None or store is None or self._saving is not None:
            return
        linked = use.linked
        new = data.NewVersion(
            name=linked.version.name,
            version=max(v.version for v in linked.history) + 1,
            template=template,
            base=linked.version,
            aliases=dict(linked.aliases),
        )
        said = dialogs.ask_commit_message(self, new, data.suggested_message(new.base, template))
        if said is None:
            return
        task = self._tasks.submit(data.save_version, store, new, said)
        task.on_finished(lambda version: self._saved(store, version))
        task.on_failed(self._failed)
        self._saving = task
        self.message.emit(f"Saving {new.name} version {new.version}…")
        self._update()

    def _saved(self, store: Store, version: PromptVersion) -> None:
        self._saving = None
        use = self.use
        assert use is not None
        linked = use.linked
        history = (*linked.history, version)
        self.use = PromptUse(LinkedPrompt(version, history, linked.aliases), use.rows, use.values)
        self.label.setText(self.use.describe())
        self.saved.emit(version)
        self.message.emit(f"Saved {version.name} version {version.version}.")
        self._update()
        chosen = dialogs.ask_move_alias(self, linked.aliases, history, version.version)
        if chosen is not None:
            alias, number = chosen
            task = self._tasks.submit(data.move_alias, store, version.name, alias, number)
            task.on_finished(lambda _none: self._moved(alias, number))
            task.on_failed(lambda error: self.message.emit(f"The alias was not moved: {error}"))

    def _moved(self, alias: str, number: int) -> None:
        use = self.use
        if use is not None:
            linked = use.linked
            aliases = {**linked.aliases, alias: number}
            moved = LinkedPrompt(linked.version, linked.history, aliases)
            self.use = PromptUse(moved, use.rows, use.values)
        name = use.version.name if use is not None else ""
        self.message.emit(f"Alias {alias} of {name} now points at version {number}.")

    def _failed(self, error: BaseException) -> None:
        self._saving = None
        self.message.emit(f"The new version was not saved: {error}")
        self._update()
