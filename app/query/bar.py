"""The filter bar above the trace list: the edit, a help button, and the inline error line.

A malformed filter never opens a dialog: the bar underlines the place in red and says below
what is wrong ("Expected a value at column 15"), and the list keeps the rows it had.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget

from app.query.edit import ERROR_COLOUR, QueryEdit
from app.query.help import QueryHelp
from app.query.state import QueryHistory
from core.errors import QuerySyntaxError

PLACEHOLDER = "Filter traces (/), e.g. trace.status = 'ERROR' AND span.type = 'LLM'"


def error_message(error: QuerySyntaxError) -> str:
    """One line for the user: the reason and the 1-based column, as core words them."""
    reason = error.reason.rstrip(".")
    return f"{reason} at column {error.position + 1}"


def _search_icon(size: int, color: QColor) -> QIcon:
    """A magnifying glass drawn in the text colour (no font or theme needed)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(color, max(1.5, size / 10)))
    radius = size * 0.28
    centre = QPointF(size * 0.42, size * 0.42)
    painter.drawEllipse(centre, radius, radius)
    painter.drawLine(QPointF(size * 0.63, size * 0.63), QPointF(size * 0.86, size * 0.86))
    painter.end()
    return QIcon(pixmap)


class QueryBar(QWidget):
    """What the user types to filter the trace list; the owner applies it and reports back."""

    submitted = Signal(str)  # Enter (or a chosen example): apply this filter ("" for none)
    escaped = Signal()  # Escape with nothing to clear: go back to the list

    def __init__(self, history: QueryHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queryBar")
        self.edit = QueryEdit(history, self)
        self.edit.setPlaceholderText(PLACEHOLDER)
        color = self.palette().placeholderText().color()
        self.edit.addAction(_search_icon(16, color), QLineEdit.ActionPosition.LeadingPosition)
        self.busy_label = QLabel("Filtering…", self)
        self.busy_label.setObjectName("queryBusy")
        self.busy_label.setEnabled(False)
        self.busy_label.hide()
        self.help_button = QToolButton(self)
        self.help_button.setObjectName("queryHelpButton")
        self.help_button.setText("?")
        self.help_button.setToolTip("Fields, operators and examples of the filter language")
        self.help_button.setAutoRaise(True)
        self.help = QueryHelp(self)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("queryError")
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)  # it quotes the user's text
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOUR.name()};")
        self.error_label.hide()
        self._lay_out()
        self.edit.submitted.connect(self.submitted)
        self.edit.cleared.connect(self._on_cleared)
        self.edit.escaped.connect(self.escaped)
        self.help_button.clicked.connect(lambda: self.help.show_below(self.edit))
        self.help.example_chosen.connect(self._use_example)

    def _lay_out(self) -> None:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.edit, 1)
        row.addWidget(self.busy_label)
        row.addWidget(self.help_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.setSpacing(3)
        layout.addLayout(row)
        layout.addWidget(self.error_label)

    @property
    def text(self) -> str:
        return self.edit.text().strip()

    @property
    def error_text(self) -> str:
        """The inline error shown now ("" when none)."""
        return self.error_label.text() if not self.error_label.isHidden() else ""

    def set_text(self, text: str) -> None:
        """Put `text` in the edit (a restored filter) without applying it."""
        self.edit.setText(text)
        self.clear_error()

    def show_error(self, error: QuerySyntaxError) -> None:
        """Mark the error in the text (when the text is still the rejected one) and say why."""
        if error.text.strip() == self.text:
            offset = len(self.edit.text()) - len(self.edit.text().lstrip())
            self.edit.mark_error(error.position + offset)
        self.error_label.setText(error_message(error))
        self.error_label.setToolTip(str(error))  # with the caret drawing under the text
        self.error_label.show()

    def clear_error(self) -> None:
        self.edit.clear_marker()
        self.error_label.clear()
        self.error_label.hide()

    def set_busy(self, busy: bool) -> None:
        self.busy_label.setVisible(busy)

    def focus_query(self) -> None:
        """Give the edit the focus with its text selected (the `/` key)."""
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def _on_cleared(self) -> None:
        self.clear_error()
        self.submitted.emit("")

    def _use_example(self, text: str) -> None:
        self.edit.setText(text)
        self.edit.setFocus(Qt.FocusReason.PopupFocusReason)
        self.submitted.emit(text)
