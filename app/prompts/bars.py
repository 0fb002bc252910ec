"""`ActionBar`: a strip with a message and a few buttons (read-only, old layout, draft, error).

The message is plain text (it may quote names from the database); the bar never takes focus
by itself and hides when it has nothing to say.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

#: The bar kinds; each has its colours in app/prompts/style.py.
WARNING, ERROR, INFO = "warning", "error", "info"


class ActionBar(QFrame):
    """A message with buttons; `show_bar` replaces both, `hide_bar` hides it."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setProperty("kind", WARNING)
        self.label = QLabel(self)
        self.label.setObjectName("actionBarText")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 5, 6, 5)
        self._layout.addWidget(self.label, 1)
        self._buttons: list[QPushButton] = []
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text() if not self.isHidden() else ""

    def button(self, text: str) -> QPushButton | None:
        """The button labelled `text` (mnemonic markers ignored), if shown."""
        return next((b for b in self._buttons if b.text().replace("&", "") == text), None)

    def show_bar(
        self,
        message: str,
        buttons: Sequence[tuple[str, Callable[[], object]]] = (),
        kind: str = WARNING,
    ) -> None:
        self.label.setText(message)
        for old in self._buttons:
            old.deleteLater()
        self._buttons = []
        for text, slot in buttons:
            button = QPushButton(text, self)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, call=slot: call())
            self._layout.addWidget(button)
            self._buttons.append(button)
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()

    def hide_bar(self) -> None:
        self.hide()
