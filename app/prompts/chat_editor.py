"""`ChatTemplateEditor`: a chat template as rows of role + content, added, removed, reordered.

Each row is a role (a list of the usual roles, or any role typed in) and a content editor that
highlights `{{ variables }}` and grows with its text. `changed` fires on every edit.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.messages.browser import is_dark
from app.prompts.highlighter import VariableHighlighter
from app.prompts.template_html import role_color
from app.theme import follow_palette

ROLES = ("system", "user", "assistant")
MIN_LINES, MAX_LINES = 3, 14


class MessageRow(QFrame):
    """One message of the template: role, content, and its move/remove buttons."""

    changed = Signal()
    move_requested = Signal(object, int)  # the row, -1 (up) or +1 (down)
    remove_requested = Signal(object)

    def __init__(self, role: str, content: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageRow")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.role = QComboBox(self)
        self.role.setObjectName("messageRole")
        self.role.setEditable(True)
        self.role.addItems(ROLES)
        self.role.setCurrentText(role)
        self.content = QPlainTextEdit(content, self)
        self.content.setObjectName("messageContent")
        self.content.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.content.setTabChangesFocus(True)
        self._highlighter = VariableHighlighter(self.content.document(), is_dark(self.palette()))
        follow_palette(self.content, self._restyle)
        self.role.currentTextChanged.connect(self._role_changed)
        self.content.textChanged.connect(self._fit_height)
        self.content.textChanged.connect(self.changed)
        self._lay_out()
        self._fit_height()
        self._show_role_color()

    def _role_changed(self, _role: str) -> None:
        self._show_role_color()
        self.changed.emit()

    def _restyle(self) -> None:
        """The theme changed: placeholders and the role's bar in the new colours."""
        self._highlighter.set_dark(is_dark(self.palette()))
        self._show_role_color()

    def _show_role_color(self) -> None:
        """The explorer's colour of the role, as a bar on the left of the row."""
        color = role_color(self.role.currentText(), is_dark(self.palette()))
        sheet = (
            f"QFrame#messageRow {{ border: 1px solid palette(mid); border-left: 4px solid {color}; "
            "border-radius: 3px; }"
        )
        if sheet != self.styleSheet():  # a new style sheet re-polishes: only when it changed
            self.setStyleSheet(sheet)

    def _tool(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        return button

    def _lay_out(self) -> None:
        up = self._tool("↑", "Move this message up")
        down = self._tool("↓", "Move this message down")
        remove = self._tool("✕", "Remove this message")
        remove.setObjectName("removeMessage")
        up.clicked.connect(lambda: self.move_requested.emit(self, -1))
        down.clicked.connect(lambda: self.move_requested.emit(self, 1))
        remove.clicked.connect(lambda: self.remove_requested.emit(self))
        side = QVBoxLayout()
        side.addWidget(self.role)
        buttons = QHBoxLayout()
        for button in (up, down, remove):
            buttons.addWidget(button)
        side.addLayout(buttons)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(side)
        layout.addWidget(self.content, 1)

    def message(self) -> dict[str, str]:
        return {"role": self.role.currentText().strip(), "content": self.content.toPlainText()}

    def _fit_height(self) -> None:
        """As tall as the text (between MIN_LINES and MAX_LINES lines; it scrolls beyond)."""
        document = self.content.document()
        # QPlainTextEdit's layout measures its document in lines, wrapped lines included
        lines = max(document.blockCount(), int(document.size().height()))
        shown = max(MIN_LINES, min(MAX_LINES, lines))
        line = self.content.fontMetrics().lineSpacing()
        margins = self.content.contentsMargins()
        frame = 2 * self.content.frameWidth() + margins.top() + margins.bottom()
        self.content.setFixedHeight(shown * line + frame + 8)


class ChatTemplateEditor(QWidget):
    """The messages of a chat template, in order, in a scrolling list of rows."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatTemplateEditor")
        self._rows: list[MessageRow] = []
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 0, 0)
        self._list_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._list)
        self.add_button = QPushButton("+ Add Message", self)
        self.add_button.setObjectName("addMessage")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda: self.add_message("user", "", focus=True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)

    @property
    def rows(self) -> list[MessageRow]:
        return list(self._rows)

    def set_template(self, messages: list[dict[str, str]]) -> None:
        for row in self._rows:
            row.deleteLater()
        self._rows = []
        for message in messages:
            self.add_message(str(message.get("role", "")), str(message.get("content", "")))
        self.changed.emit()

    def template(self) -> list[dict[str, str]]:
        return [row.message() for row in self._rows]

    def add_message(self, role: str, content: str, focus: bool = False) -> MessageRow:
        row = MessageRow(role, content, self._list)
        row.changed.connect(self.changed)
        row.move_requested.connect(self.move_message)
        row.remove_requested.connect(self.remove_message)
        self._rows.append(row)
        self._list_layout.insertWidget(len(self._rows) - 1, row)
        if focus:
            row.content.setFocus()
            self.changed.emit()
        return row

    def remove_message(self, row: MessageRow) -> None:
        if row in self._rows:
            self._rows.remove(row)
            row.deleteLater()
            self.changed.emit()

    def move_message(self, row: MessageRow, step: int) -> None:
        index = self._rows.index(row)
        target = index + step
        if not 0 <= target < len(self._rows):
            return
        self._rows.insert(target, self._rows.pop(index))
        self._list_layout.removeWidget(row)
        self._list_layout.insertWidget(target, row)
        row.content.setFocus()
        self.changed.emit()

    def focus_first(self) -> None:
        if self._rows:
            self._rows[0].content.setFocus()
        else:
            self.add_button.setFocus()
