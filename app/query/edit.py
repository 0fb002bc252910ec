"""The filter line edit: marks a syntax error in place, completes field names, keeps history.

Enter submits, Escape clears (or hands focus back when there is nothing to clear), Up and Down
walk through earlier filters, and Ctrl+Space offers the fields that fit the word being typed.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QPointF, QRect, QStringListModel, Qt, Signal
from PySide6.QtGui import QColor, QFocusEvent, QKeyEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QAbstractItemView, QCompleter, QLineEdit, QWidget

from app.query.fields import completions
from app.query.state import QueryHistory

ERROR_COLOUR = QColor("#d32f2f")
#: The characters of a field name or keyword (what a completion replaces).
_WORD = re.compile(r"[\w.`]*$")
_POPUP_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab, Qt.Key.Key_Escape)


class QueryEdit(QLineEdit):
    """One line of filter text with an error marker, a word completer and history."""

    submitted = Signal(str)  # Enter: the text to apply
    escaped = Signal()  # Escape on an empty edit: the user is done here
    cleared = Signal()  # Escape removed the text (the unfiltered list should show)

    def __init__(self, history: QueryHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queryEdit")
        self.setClearButtonEnabled(True)
        self._history = history
        self._history_index: int | None = None  # None: editing the draft, not an old entry
        self._draft = ""
        self._marker: tuple[int, int] | None = None
        self._words = QStringListModel(completions(), self)  # the completer does not own it
        self.completer_popup = QCompleter(self._words, self)
        self.completer_popup.setWidget(self)
        self.completer_popup.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer_popup.setModelSorting(QCompleter.ModelSorting.UnsortedModel)
        self.completer_popup.setMaxVisibleItems(12)
        self.completer_popup.activated[str].connect(  # type: ignore[index]  # PySide's stubs
            self._insert_completion
        )
        self.textEdited.connect(self._on_edited)

    # -- error marker -----------------------------------------------------------------------

    @property
    def marker(self) -> tuple[int, int] | None:
        """The (start, end) characters underlined as wrong, if any."""
        return self._marker

    def mark_error(self, position: int) -> None:
        """Underline the token at `position` (a caret past the end when the text ran out)."""
        text = self.text()
        position = max(0, min(position, len(text)))
        end = position
        while end < len(text) and not text[end].isspace():
            end += 1
        self._marker = (position, max(end, position + 1) if position < len(text) else position)
        self.update()

    def clear_marker(self) -> None:
        if self._marker is not None:
            self._marker = None
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # QLineEdit.paintEvent
        super().paintEvent(event)
        if self._marker is None:
            return
        start, end = (self._x_of(i) for i in self._marker)
        baseline = self.cursorRect().bottom() - 1
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(ERROR_COLOUR, 1.4))
        painter.drawPath(_squiggle(start, max(end, start + 6), baseline))
        painter.end()

    def _x_of(self, position: int) -> int:
        """The x of the gap before character `position`, in widget coordinates (scrolled)."""
        metrics, text = self.fontMetrics(), self.text()
        here = self.cursorPosition()
        offset = metrics.horizontalAdvance(text[:position]) - metrics.horizontalAdvance(text[:here])
        return self.cursorRect().center().x() + offset

    # -- keys -------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QLineEdit.keyPressEvent
        key = event.key()
        if self._popup().isVisible() and key in _POPUP_KEYS:
            event.ignore()  # the completer then picks (Enter, Tab) or closes (Escape)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._history_index = None
            self.submitted.emit(self.text().strip())
        elif key == Qt.Key.Key_Escape:
            self._escape()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._walk_history(-1 if key == Qt.Key.Key_Up else 1)
        elif key == Qt.Key.Key_Space and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._complete(force=True)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _escape(self) -> None:
        if self.text() or self._marker is not None:
            self.clear()
            self.clear_marker()
            self._history_index = None
            self.cleared.emit()
        else:
            self.escaped.emit()

    def _walk_history(self, step: int) -> None:
        """Up: an older filter; Down: a newer one, and past the newest the draft again."""
        items = self._history.items
        if not items:
            return
        if self._history_index is None:
            if step > 0:
                return
            self._draft, index = self.text(), len(items) - 1
        else:
            index = self._history_index + step
        if index >= len(items):
            self._history_index = None
            self.setText(self._draft)
            return
        self._history_index = max(index, 0)
        self.setText(items[self._history_index])
        self.clear_marker()

    # -- completion -------------------------------------------------------------------------

    def _popup(self) -> QAbstractItemView:
        popup = self.completer_popup.popup()
        assert popup is not None  # a completer always has one
        return popup

    def _current_word(self) -> str:
        before = self.text()[: self.cursorPosition()]
        if before.count("'") % 2 or before.count('"') % 2:
            return ""  # inside a quoted value: nothing to complete
        match = _WORD.search(before)
        return match.group() if match else ""

    def _on_edited(self, _text: str) -> None:
        self.clear_marker()  # the marked characters may have moved
        self._history_index = None
        self._complete(force=False)

    def _complete(self, *, force: bool) -> None:
        word = self._current_word()
        popup = self._popup()
        if not force and (len(word) < 2 or word.endswith("`")):
            popup.hide()
            return
        self.completer_popup.setCompletionPrefix(word)
        exact = self.completer_popup.completionCount() == 1 and (
            self.completer_popup.currentCompletion().lower() == word.lower()
        )
        if self.completer_popup.completionCount() == 0 or exact:
            popup.hide()
            return
        popup.setCurrentIndex(self.completer_popup.completionModel().index(0, 0))
        rect = QRect(self.cursorRect())
        rect.setWidth(popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width())
        self.completer_popup.complete(rect)

    def _insert_completion(self, completion: str) -> None:
        word = self._current_word()
        position = self.cursorPosition()
        text = self.text()
        tail = "" if completion.endswith(".") else " "
        start = position - len(word)
        self.setText(text[:start] + completion + tail + text[position:].lstrip(" "))
        self.setCursorPosition(start + len(completion) + len(tail))

    def focusOutEvent(self, event: QFocusEvent) -> None:  # QLineEdit.focusOutEvent
        self._history_index = None
        super().focusOutEvent(event)


def _squiggle(start: int, end: int, baseline: int) -> QPainterPath:
    """A wavy underline from `start` to `end` (2 px high, 4 px period)."""
    path = QPainterPath(QPointF(start, baseline))
    x, up = float(start), True
    while x < end:
        x = min(x + 2.0, float(end))
        path.lineTo(QPointF(x, baseline - (2.0 if up else 0.0)))
        up = not up
    return path
