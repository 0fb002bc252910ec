"""`SpanSearchBar`: the search box of a trace (Ctrl+Shift+F) — finds spans by name, type,
status and text in their payloads, says "3 of 17", and steps through the matches.

Unlike the filter bar above it, it hides no row: `TraceSearch` highlights the matches and
selects the current one. The bar only reports what the user asks for.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from app.widgets import is_escape_override

PLACEHOLDER = "Search spans: name, type, status, inputs, outputs… (Ctrl+Shift+F)"


class SearchEdit(QLineEdit):
    """Enter: next match, Shift+Enter: previous; Esc clears a search (an empty field lets Esc
    go on to the explorer, which goes back to the list)."""

    step_requested = Signal(bool)  # True: backwards
    clear_requested = Signal()

    def event(self, event: QEvent) -> bool:  # QLineEdit.event
        """Esc belongs to the field while it holds a search, not to the explorer's shortcut."""
        if is_escape_override(event) and self.text():
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QLineEdit.keyPressEvent
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.step_requested.emit(bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        elif key == Qt.Key.Key_Escape and self.text():
            self.clear_requested.emit()
        else:
            super().keyPressEvent(event)


class SpanSearchBar(QWidget):
    """The field, the match count and the previous/next buttons."""

    text_changed = Signal(str)  # as typed (the search waits for a pause)
    step_requested = Signal(bool)  # True: to the previous match
    clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spanSearchBar")
        self.edit = SearchEdit(self)
        self.edit.setObjectName("spanTextSearch")
        self.edit.setPlaceholderText(PLACEHOLDER)
        self.edit.setClearButtonEnabled(True)
        self.edit.setToolTip(
            "Find spans whose name, type or status, or whose inputs, outputs, attributes or "
            "events hold this text. Enter / F3: next, Shift+Enter / Shift+F3: previous, "
            "Esc: clear. Matches are highlighted; no span is hidden."
        )
        self.edit.textChanged.connect(self._typed)
        self.edit.step_requested.connect(self.step_requested)
        self.edit.clear_requested.connect(self.clear_requested)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("spanSearchCount")
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.previous_button = self._step_button(
            Qt.ArrowType.UpArrow, "Previous match (Shift+Enter, Shift+F3)", True
        )
        self.next_button = self._step_button(
            Qt.ArrowType.DownArrow, "Next match (Enter, F3)", False
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.next_button)
        self.show_count(None, 0)

    def _step_button(self, arrow: Qt.ArrowType, tip: str, backwards: bool) -> QToolButton:
        button = QToolButton(self)
        button.setArrowType(arrow)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(lambda: self.step_requested.emit(backwards))
        return button

    @property
    def text(self) -> str:
        return self.edit.text()

    def focus(self) -> None:
        """Ctrl+Shift+F: the field, its text selected so typing replaces it."""
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def clear(self) -> None:
        """Empty the field without reporting it as typed."""
        self.edit.blockSignals(True)
        self.edit.clear()
        self.edit.blockSignals(False)
        self.show_count(None, 0)

    def show_searching(self) -> None:
        self.count_label.setText("Searching…")
        self.count_label.setToolTip("")

    def show_count(self, current: int | None, total: int, problem: str | None = None) -> None:
        """ "3 of 17" (current is 0-based; None: no match selected), "No matches", or nothing
        while the field is empty; `problem` (a search that failed in part) goes in the tooltip."""
        if not self.text.strip():
            text = ""
        elif total == 0:
            text = "No matches"
        elif current is None:
            text = f"{total:,} matches" if total != 1 else "1 match"
        else:
            text = f"{current + 1:,} of {total:,}"
        self.count_label.setText(f"{text} (partial)" if problem and text else text)
        self.count_label.setToolTip(problem or "")
        for button in (self.previous_button, self.next_button):
            button.setEnabled(total > 0)

    def _typed(self, text: str) -> None:
        self.text_changed.emit(text)
