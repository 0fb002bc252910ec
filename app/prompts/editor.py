"""`PromptEditor`: the template being edited, from a chosen version, until it is saved.

A text template is edited as plain text with its `{{ variables }}` highlighted; a chat template
as rows of role + content. Above the editor, bars say why it cannot be saved (read-only
database) or why the last save failed (the draft is kept); below it, the variables it has now
and the Save / Cancel buttons.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.messages.browser import is_dark
from app.prompts.bars import ERROR, ActionBar
from app.prompts.chat_editor import ChatTemplateEditor
from app.prompts.highlighter import VariableHighlighter
from app.theme import follow_palette
from core.entities.prompt import PromptVersion, Template, template_variables


class PromptEditor(QWidget):
    """Edits one prompt's template; knows the version it started from and whether it changed."""

    changed = Signal()  # the template was edited
    save_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptEditor")
        self.name = ""
        self.base: PromptVersion | None = None
        self._loading = False
        self.title = QLabel(self)
        self.title.setObjectName("editorTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.read_only_bar = ActionBar("readOnlyBar", self)
        self.error_bar = ActionBar("saveErrorBar", self)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("templateText")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setTabChangesFocus(True)
        self._highlighter = VariableHighlighter(self.text.document(), is_dark(self.palette()))
        follow_palette(self, lambda: self._highlighter.set_dark(is_dark(self.palette())))
        self.chat = ChatTemplateEditor(self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.text)
        self.stack.addWidget(self.chat)
        self._bottom_row()
        self.text.textChanged.connect(self._edited)
        self.chat.changed.connect(self._edited)
        self._lay_out()

    def _bottom_row(self) -> None:
        """The variables the template has now, and Cancel / Save."""
        self.variables = QLabel(self)
        self.variables.setObjectName("editorVariables")
        self.variables.setTextFormat(Qt.TextFormat.RichText)  # built from escaped names only
        self.save_button = QPushButton("&Save…", self)
        self.save_button.setObjectName("saveVersion")
        self.save_button.setToolTip("Save as the next version (Ctrl+S)")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop editing (Esc)")
        self.save_button.clicked.connect(self.save_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)

    def _lay_out(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.variables, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.read_only_bar)
        layout.addWidget(self.error_bar)
        body = QVBoxLayout()
        body.setContentsMargins(10, 4, 10, 8)
        body.addWidget(self.title)
        body.addWidget(self.stack, 1)
        body.addLayout(buttons)
        layout.addLayout(body, 1)

    # -- the session ----------------------------------------------------------------------------

    @property
    def is_chat(self) -> bool:
        return self.stack.currentWidget() is self.chat

    def start(self, name: str, base: PromptVersion, template: Template | None = None) -> None:
        """Edit prompt `name` starting from `base` (or from a draft `template` based on it)."""
        self.name, self.base = name, base
        shown = base.template if template is None else template
        self._loading = True
        if isinstance(shown, str):
            self.text.setPlainText(shown)
            self.stack.setCurrentWidget(self.text)
        else:
            self.chat.set_template([dict(m) for m in shown])
            self.stack.setCurrentWidget(self.chat)
        self._loading = False
        self.title.setText(f"Editing “{name}”, starting from version {base.version}")
        self.error_bar.hide_bar()
        self.set_saving(False)
        self._show_variables()

    def template(self) -> Template:
        return self.chat.template() if self.is_chat else self.text.toPlainText()

    @property
    def is_dirty(self) -> bool:
        """Whether the template differs from the version it started from."""
        return self.base is not None and self.template() != self.base.template

    def focus_editor(self) -> None:
        if self.is_chat:
            self.chat.focus_first()
        else:
            self.text.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # -- what the page tells it -----------------------------------------------------------------

    def set_saving(self, saving: bool) -> None:
        self.save_button.setText("Saving…" if saving else "&Save…")
        self.save_button.setEnabled(not saving and not self.read_only_bar.isVisibleTo(self))
        self.cancel_button.setEnabled(not saving)

    def show_error(self, message: str) -> None:
        self.error_bar.show_bar(message, [("Dismiss", self.error_bar.hide_bar)], kind=ERROR)

    # -- internals ------------------------------------------------------------------------------

    def _edited(self) -> None:
        self._show_variables()
        if not self._loading:
            self.changed.emit()

    def _show_variables(self) -> None:
        names = template_variables(self.template())
        if names:
            shown = ", ".join(html.escape(f"{{{{ {n} }}}}") for n in names)
            self.variables.setText(f"Variables: {shown}")
        else:
            self.variables.setText("No variables")
