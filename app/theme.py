"""Light, dark or the system's look, and the user's font size, applied to the application.

Light and dark use Qt's Fusion style with a full palette, so every widget (and the role colours
of chat messages, which read the palette) follows; "system" leaves the platform's choice.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

_DARK = {
    Role.Window: "#1f2227",
    Role.WindowText: "#e6e6e6",
    Role.Base: "#16181c",
    Role.AlternateBase: "#23262c",
    Role.ToolTipBase: "#2b2f36",
    Role.ToolTipText: "#e6e6e6",
    Role.PlaceholderText: "#8a9099",
    Role.Text: "#e6e6e6",
    Role.Button: "#2a2e35",
    Role.ButtonText: "#e6e6e6",
    Role.BrightText: "#ff6b6b",
    Role.Highlight: "#2f6fd0",
    Role.HighlightedText: "#ffffff",
    Role.Link: "#6aa7ff",
    Role.LinkVisited: "#b08cff",
    Role.Mid: "#3a3f47",
    Role.Dark: "#121418",
    Role.Light: "#3a3f47",
}
_DISABLED_TEXT = "#6c727b"


class _PaletteFollower(QObject):
    def __init__(self, widget: QWidget, changed: Callable[[], None]) -> None:
        super().__init__(widget)
        self._changed = changed
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # QObject.eventFilter
        if event.type() == QEvent.Type.PaletteChange:
            self._changed()
        return False


def follow_palette(widget: QWidget, changed: Callable[[], None]) -> None:
    """Call `changed` when `widget`'s palette changes (the theme was switched): a view that
    drew HTML or formats in the old theme's colours draws them again."""
    _PaletteFollower(widget, changed)


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, color in _DARK.items():
        palette.setColor(role, QColor(color))
    for role in (Role.Text, Role.WindowText, Role.ButtonText):
        palette.setColor(Group.Disabled, role, QColor(_DISABLED_TEXT))
    return palette


class ThemeApplier:
    """Remembers the platform's own style and palette so "system" can go back to them."""

    def __init__(self, app: QApplication) -> None:
        self._app = app
        self._system_style = app.style().name()
        self._system_palette = QPalette(app.palette())
        self._system_font = QFont(app.font())

    def apply(self, theme: str, font_points: float | None) -> None:
        if theme == "system":
            self._app.setStyle(self._system_style)
            self._app.setPalette(self._system_palette)
        else:
            self._app.setStyle("Fusion")
            fusion = self._app.style().standardPalette()
            self._app.setPalette(dark_palette() if theme == "dark" else fusion)
        font = QFont(self._system_font)
        if font_points:
            font.setPointSizeF(font_points)
        self._app.setFont(font)
