"""`FindBar`: find in a long text view — type, Enter for the next match, Esc to close.

Whoever holds the view opens it (`open_bar`) from its own Ctrl+F: one shortcut per window
area, so that no two match the same key.

It searches what the view shows (a folded value only up to its fold; the bar says so when the
text is not found there) and wraps around at the end, as browsers do.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QTextEdit, QToolButton, QWidget

from app.widgets import is_escape_override

Find = QTextDocument.FindFlag
#: Matches are counted (at each key typed) only in a document up to this many characters.
COUNT_LIMIT = 200_000


class _FindEdit(QLineEdit):
    """The search field: Enter finds the next match, Shift+Enter the one before, Esc closes."""

    def __init__(self, bar: FindBar) -> None:
        super().__init__(bar)
        self._bar = bar

    def event(self, event: QEvent) -> bool:  # QLineEdit.event
        """Esc is the field's own (closing it), not a shortcut of the views around it."""
        if is_escape_override(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QLineEdit.keyPressEvent
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            backwards = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self._bar.find_next(backwards=backwards)
        elif key == Qt.Key.Key_Escape:
            self._bar.close_bar()
        else:
            super().keyPressEvent(event)


class FindBar(QWidget):
    """A hidden bar under `view` that finds text in it."""

    def __init__(
        self,
        view: QTextEdit,
        host: QWidget,
        is_partial: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__(host)
        self.setObjectName("findBar")
        self._view = view
        self._is_partial = is_partial  # whether the view shows only part of its text
        self.edit = _FindEdit(self)
        self.edit.setPlaceholderText("Find (Enter: next, Shift+Enter: previous, Esc: close)")
        self.edit.textEdited.connect(lambda _text: self.find_next(from_start=True))
        self.result = QLabel(self)
        self.result.setObjectName("findResult")
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip("Close (Esc)")
        close.setAutoRaise(True)
        close.clicked.connect(self.close_bar)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.result)
        layout.addWidget(close)
        self.hide()

    def open_bar(self, text: str | None = None, *, focus: bool = True) -> None:
        """Show the bar with the view's selection (or the last search) ready to find.

        Given `text` (the trace's search showing where a span holds it), the bar finds it at
        once and highlights the first occurrence; `focus=False` leaves the focus where it is.
        """
        selected = self._view.textCursor().selectedText()
        if text is not None:
            self.edit.setText(text)
        elif selected and "\u2029" not in selected:  # a selection within one line
            self.edit.setText(selected)
        self.show()
        if focus:
            self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.edit.selectAll()
        if text is not None:
            self.find_next(from_start=True)

    def close_bar(self, *, focus: bool = True) -> None:
        self.hide()
        self.result.clear()
        if focus:
            self._view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def find_next(self, *, backwards: bool = False, from_start: bool = False) -> bool:
        """Select the next match of the field's text; wrap around once. False: none."""
        text = self.edit.text()
        if not text:
            self.result.clear()
            return False
        flags = Find.FindBackward if backwards else Find(0)
        if from_start:
            self._move_to(QTextCursor.MoveOperation.Start)
        found = self._view.find(text, flags)
        if not found:  # wrap around, as browsers do
            end = QTextCursor.MoveOperation.End if backwards else QTextCursor.MoveOperation.Start
            self._move_to(end)
            found = self._view.find(text, flags)
        if found:
            counted = self._view.document().characterCount() <= COUNT_LIMIT
            self.result.setText(f"{self._count(text)} found" if counted else "Found")
        elif self._is_partial():
            self.result.setText("Not in the part shown (Show all)")
        else:
            self.result.setText("Not found")
        return found

    def _move_to(self, where: QTextCursor.MoveOperation) -> None:
        cursor = self._view.textCursor()
        cursor.movePosition(where)
        self._view.setTextCursor(cursor)

    def _count(self, text: str) -> int:
        return self._view.toPlainText().casefold().count(text.casefold())
