"""`VariableHighlighter`: `{{ variables }}` highlighted while a template is typed."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from app.prompts.template_html import VARIABLE_STYLE
from core.entities.prompt import VARIABLE


class VariableHighlighter(QSyntaxHighlighter):
    """Marks each `{{ name }}` placeholder (not the escaped `\\{{ name }}`) of a document."""

    def __init__(self, document: QTextDocument, dark: bool = False) -> None:
        super().__init__(document)
        self._format = QTextCharFormat()
        self._format.setFontWeight(QFont.Weight.DemiBold)
        self.set_dark(dark)

    def set_dark(self, dark: bool) -> None:
        """Mark placeholders in the colours of a dark (or light) theme."""
        background, color = VARIABLE_STYLE[dark]
        self._format.setBackground(QColor(background))
        self._format.setForeground(QColor(color))
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # QSyntaxHighlighter.highlightBlock
        for match in VARIABLE.finditer(text):
            if not match.group(1):
                self.setFormat(match.start(), match.end() - match.start(), self._format)
