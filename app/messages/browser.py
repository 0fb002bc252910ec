"""`SafeTextBrowser`: read-only rich text for untrusted content.

It follows no link (internal `#call-...` anchors scroll, other `#...` anchors become
`action_requested`), loads no resource (every request is refused and noted in
`blocked_resources`), and Ctrl+C with nothing selected copies the whole value it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import (
    QFontDatabase,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QTextOption,
)
from PySide6.QtWidgets import QTextBrowser, QWidget

from app.messages.render import CALL_PREFIX

#: Lines longer than this make a browser wrap anywhere instead of at word boundaries.
LONG_LINE = 4000


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def has_long_line(text: str, limit: int = LONG_LINE) -> bool:
    """Whether some line of `text` is longer than `limit` characters."""
    if len(text) <= limit:
        return False
    start = 0
    while True:
        end = text.find("\n", start)
        if (end if end >= 0 else len(text)) - start > limit:
            return True
        if end < 0:
            return False
        start = end + 1


class SafeTextBrowser(QTextBrowser):
    """A QTextBrowser that never opens, fetches or follows anything by itself."""

    action_requested = Signal(str)  # the fragment of a clicked internal `#...` anchor
    copied = Signal(int)  # characters put on the clipboard by Ctrl+C with no selection

    def __init__(self, parent: QWidget | None = None, *, monospace: bool = False) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)  # a click only emits anchorClicked, handled below
        self.setOpenExternalLinks(False)
        self.setUndoRedoEnabled(False)
        self.setReadOnly(True)
        self.document().setDocumentMargin(8)
        self.blocked_resources: list[str] = []
        self.copy_all: Callable[[], str] | None = None
        if monospace:
            self.document().setDefaultFont(
                QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
            )
        self.anchorClicked.connect(self._follow_internal)

    def wrap_for(self, text: str) -> None:
        """Wrap anywhere when `text` has a very long line: Qt's word-boundary wrapping of a
        line with no spaces is quadratic (a 400 KB line takes 17 s), wrapping anywhere is
        linear."""
        mode = (
            QTextOption.WrapMode.WrapAnywhere
            if has_long_line(text)
            else QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere
        )
        self.setWordWrapMode(mode)

    def loadResource(self, kind: int, name: QUrl | str) -> Any:  # QTextBrowser.loadResource
        """Refuse every image, stylesheet or file the content may name."""
        self.blocked_resources.append(name.toString() if isinstance(name, QUrl) else name)
        return None

    def _follow_internal(self, url: QUrl) -> None:
        if url.scheme() or url.host() or url.path() or not url.hasFragment():
            return  # external or relative targets are never opened
        fragment = url.fragment()
        if fragment.startswith(CALL_PREFIX):
            self.scrollToAnchor(fragment)
        elif fragment:
            self.action_requested.emit(fragment)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QTextBrowser.keyPressEvent
        if (
            event.matches(QKeySequence.StandardKey.Copy)
            and not self.textCursor().hasSelection()
            and self.copy_all is not None
        ):
            text = self.copy_all()
            QGuiApplication.clipboard().setText(text)
            self.copied.emit(len(text))
            event.accept()
            return
        super().keyPressEvent(event)
