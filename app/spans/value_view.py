"""`ValueView`: one long value (JSON, code or text), highlighted when it is visible, folded
when it is long, never cut silently: a bar says how much is hidden and "Show all" shows it.
Ctrl+F finds text in it (`app.find_bar`)."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.find_bar import FindBar
from app.messages.browser import SafeTextBrowser, is_dark
from app.messages.highlight import document_html
from app.messages.render import size_text
from app.theme import follow_palette
from core.safe_text import bidi_escaped

FOLD_LINES = 400
FOLD_CHARS = 40_000
#: Values bigger than this open as plain text; "Highlight" colours them on request.
HIGHLIGHT_LIMIT = 200 * 1024
#: Highlighting more than this at once would stall the window for seconds.
HIGHLIGHT_SHOWN_LIMIT = 2 * 1024 * 1024
#: "Show all" shows a huge value in steps of this many characters (Qt lays out ~2 MB/s).
SHOW_MORE_CHARS = 2 * 1024 * 1024


#: A JSON string at least this long shows its `\n` escapes as line breaks too.
LONG_STRING = 80
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_ESCAPE = re.compile(r"\\(.)")


def with_line_breaks(json_text: str) -> str:
    """`json_text` with a real line break after each `\n` escape of its long strings, so a
    multi-line answer reads as lines (the escape stays: it is still what the JSON holds)."""

    def broken(string: re.Match[str]) -> str:
        token = string.group(0)
        if len(token) < LONG_STRING or "\\n" not in token:
            return token
        return _ESCAPE.sub(lambda e: e.group(0) + ("\n" if e.group(1) == "n" else ""), token)

    return _JSON_STRING.sub(broken, json_text)


def fold_point(text: str, max_lines: int = FOLD_LINES, max_chars: int = FOLD_CHARS) -> int:
    """Where to cut `text` for its folded view (its length when it is short enough)."""
    position = -1
    for _ in range(max_lines):
        position = text.find("\n", position + 1, max_chars + 1)
        if position < 0:
            return len(text) if len(text) <= max_chars else max_chars
    return position


class ValueView(QWidget):
    """Shows a value once it is asked to render (`ensure_rendered`), e.g. when its tab shows."""

    rendered = Signal()

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = SafeTextBrowser(self, monospace=True)
        self.browser.setPlaceholderText(placeholder)
        self._text = ""
        self.browser.copy_all = lambda: self._text
        self._language = "text"
        self._shown: int | None = None  # None: folded at `fold_point`
        self._highlight = True
        self._dirty = False
        self._bar = self._build_bar()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.browser, 1)
        self.find_bar = FindBar(self.browser, self, lambda: self.is_folded)
        layout.addWidget(self.find_bar)
        layout.addWidget(self._bar)
        self._bar.hide()
        follow_palette(self, self._restyle)

    def _build_bar(self) -> QWidget:
        """Under the value: how much is folded, "Highlight" and "Show all (size)"."""
        self.fold_label = QLabel(self)
        self.fold_label.setTextFormat(Qt.TextFormat.PlainText)
        self.fold_label.setObjectName("foldLabel")
        self.show_all_button = QPushButton(self)
        self.show_all_button.clicked.connect(self.show_all)
        self.highlight_button = QPushButton("Highlight", self)
        self.highlight_button.setToolTip("Colour this large value (may take a moment)")
        self.highlight_button.clicked.connect(self.highlight)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 2)
        bar.addWidget(self.fold_label, 1)
        bar.addWidget(self.highlight_button)
        bar.addWidget(self.show_all_button)
        widget = QWidget(self)
        widget.setObjectName("foldBar")
        widget.setLayout(bar)
        return widget

    @property
    def text(self) -> str:
        """The full value (what Ctrl+C with nothing selected copies)."""
        return self._text

    @property
    def shown_chars(self) -> int:
        """How much of the value is on screen."""
        return fold_point(self._text) if self._shown is None else self._shown

    @property
    def is_folded(self) -> bool:
        return self.shown_chars < len(self._text)

    @property
    def is_highlighted(self) -> bool:
        return self._highlight and self._language != "text"

    def set_value(self, text: str, language: str = "json") -> None:
        """Show `text`; in JSON a bidi control shows as its escape, so a string holding a
        right-to-left override cannot reorder the quotes and keys after it."""
        self._text = bidi_escaped(text) if language == "json" else text
        self._language = language
        self._shown = None
        self._highlight = len(text) <= HIGHLIGHT_LIMIT
        self._dirty = True

    def _restyle(self) -> None:
        """The theme changed: highlighted text is drawn again in the new colours."""
        if not self._dirty and self.is_highlighted:
            self._render()

    def ensure_rendered(self) -> None:
        if self._dirty:
            self._render()

    def show_all(self) -> None:
        """Show everything, or for a huge value the next `SHOW_MORE_CHARS` of it."""
        if len(self._text) - self.shown_chars <= SHOW_MORE_CHARS:
            self._shown = len(self._text)
        else:
            self._shown = self.shown_chars + SHOW_MORE_CHARS
        self._highlight = self._highlight and self._shown <= HIGHLIGHT_SHOWN_LIMIT
        self._render()

    def highlight(self) -> None:
        self._highlight = True
        self._render()

    def _render(self) -> None:
        self._dirty = False
        cut = self.shown_chars
        shown = self._text[:cut]
        if self._language == "json":
            shown = with_line_breaks(shown)
        self.browser.wrap_for(shown)
        if self.is_highlighted and shown:
            self.browser.setHtml(document_html(shown, self._language, is_dark(self.palette())))
        else:
            self.browser.setPlainText(shown)
        self._update_bar(cut)
        self.rendered.emit()

    def _update_bar(self, cut: int) -> None:
        folded = cut < len(self._text)
        plain_big = not self.is_highlighted and self._language != "text" and bool(self._text)
        self._bar.setVisible(folded or plain_big)
        notes = []
        if folded:
            lines = self._text.count("\n", 0, cut) + 1
            notes.append(
                f"Showing the first {lines:,} lines ({size_text(self._text[:cut])} of "
                f"{size_text(self._text)}); Ctrl+C copies all of it."
            )
        if plain_big:
            notes.append("Plain text: this value is large.")
        self.fold_label.setText(" ".join(notes))
        self.show_all_button.setVisible(folded)
        rest = len(self._text) - cut
        self.show_all_button.setText(
            f"Show all ({size_text(self._text)})"
            if rest <= SHOW_MORE_CHARS
            else f"Show more (next {size_text(self._text[cut : cut + SHOW_MORE_CHARS])})"
        )
        self.highlight_button.setVisible(plain_big and cut <= HIGHLIGHT_SHOWN_LIMIT)
