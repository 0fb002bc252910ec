"""The filter help popover: the fields, the operators and examples a click puts in the bar."""

from __future__ import annotations

import html

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from app.query.fields import EXAMPLES, OPERATORS, SCOPED_FIELDS, TRACE_FIELDS, FieldHelp

_CODE = "font-family: monospace; white-space: pre"


def _field_rows(fields: tuple[FieldHelp, ...]) -> str:
    return "".join(
        f"<tr><td style='{_CODE}'>{html.escape(f.name)}</td>"
        f"<td style='padding-left: 10px'>{html.escape(f.meaning)}</td></tr>"
        for f in fields
    )


def help_html() -> str:
    """The popover's text: two field tables side by side, operators, clickable examples."""
    examples = "".join(
        f"<tr><td style='{_CODE}'><a href='example:{i}'>{html.escape(text)}</a></td>"
        f"<td style='padding-left: 10px; color: palette(placeholder-text)'>"
        f"{html.escape(meaning)}</td></tr>"
        for i, (text, meaning) in enumerate(EXAMPLES)
    )
    operators = " ".join(f"<code>{html.escape(op)}</code>" for op in OPERATORS)
    return (
        "<table cellspacing='0' cellpadding='1'><tr>"
        f"<td valign='top'><b>Trace fields</b><table>{_field_rows(TRACE_FIELDS)}</table></td>"
        "<td width='18'></td>"
        f"<td valign='top'><b>Tags, metadata, spans, assessments</b>"
        f"<table>{_field_rows(SCOPED_FIELDS)}</table>"
        f"<p><b>Operators</b><br>{operators}<br>combined with <code>AND</code>, "
        "<code>OR</code>, <code>NOT</code> and parentheses; strings in 'single quotes'."
        "</p></td></tr></table>"
        f"<p><b>Examples</b> (click one to use it)</p><table>{examples}</table>"
        "<p>Enter applies · Esc clears · ↑ ↓ earlier filters · Ctrl+Space completes</p>"
    )


class QueryHelp(QFrame):
    """A popup under the filter bar; `example_chosen` carries the example that was clicked."""

    example_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("queryHelp")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(help_html(), self)
        self.label.setObjectName("queryHelpText")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.label.linkActivated.connect(self._on_link)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(self.label)

    def show_below(self, anchor: QWidget) -> None:
        """Open under `anchor`, kept on the anchor's screen."""
        self.adjustSize()
        below = anchor.mapToGlobal(QPoint(0, anchor.height() + 2))
        screen = anchor.screen().availableGeometry()
        x = max(screen.left(), min(below.x(), screen.right() - self.width()))
        self.move(x, below.y())
        self.show()

    def _on_link(self, link: str) -> None:
        index = int(link.removeprefix("example:"))
        self.hide()
        self.example_chosen.emit(EXAMPLES[index][0])
