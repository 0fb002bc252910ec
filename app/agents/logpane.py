"""`AgentLogPane`: the agent process's stderr and the runner's notes, collapsible and bounded.

Only the last `MAX_LINES` lines are kept (QPlainTextEdit drops the oldest blocks), so a chatty
agent costs a fixed amount of memory. Lines are plain text: nothing in them is interpreted.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

MAX_LINES = 2000
#: How the runner's own notes are told apart from the agent's stderr lines.
NOTE_PREFIX = {"warning": "⚠ ", "error": "✖ "}


class AgentLogPane(QWidget):
    """A header button that folds and unfolds the process output below it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentLogPane")
        self._count = 0
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("agentLogToggle")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.toggled.connect(self.set_expanded)
        self.clear_button = QToolButton(self)
        self.clear_button.setObjectName("agentLogClear")
        self.clear_button.setText("Clear")
        self.clear_button.setAutoRaise(True)
        self.clear_button.clicked.connect(self.clear)
        self.text = QPlainTextEdit(self)
        self._set_up_text()
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.toggle)
        header.addStretch(1)
        header.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.text, 1)
        self.set_expanded(False)

    def _set_up_text(self) -> None:
        text = self.text
        text.setObjectName("agentLogText")
        text.setReadOnly(True)
        text.setUndoRedoEnabled(False)
        text.setMaximumBlockCount(MAX_LINES)
        text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        lines = text.fontMetrics().lineSpacing()
        text.setMinimumHeight(lines * 6)
        text.setMaximumHeight(lines * 10)  # the chat keeps the room

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()

    @property
    def lines(self) -> list[str]:
        """The lines kept now (at most MAX_LINES)."""
        return self.text.toPlainText().splitlines()

    def set_expanded(self, expanded: bool) -> None:
        if self.toggle.isChecked() != expanded:
            self.toggle.setChecked(expanded)  # calls back here through `toggled`
            return
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.text.setVisible(expanded)
        self.clear_button.setVisible(expanded)
        self._update_title()

    def add_line(self, line: str) -> None:
        """One line of the agent's stderr."""
        self._count += 1
        self.text.appendPlainText(line)
        self._update_title()

    def add_note(self, level: str, message: str) -> None:
        """A note of the runner's (output that is not protocol, tracing turned off, ...)."""
        self.add_line(f"{NOTE_PREFIX.get(level, '· ')}{message}")

    def clear(self) -> None:
        self._count = 0
        self.text.clear()
        self._update_title()

    def _update_title(self) -> None:
        count = "1 line" if self._count == 1 else f"{self._count:,} lines"
        kept = f", last {MAX_LINES:,} kept" if self._count > MAX_LINES else ""
        self.toggle.setText(f"Agent process output ({count}{kept})")
