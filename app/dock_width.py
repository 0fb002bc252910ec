"""`DockWidthKeeper`: a side dock squeezed by a small window gets its width back when it grows.

QMainWindow takes the width a shrinking window loses from its docks as well, down to their
minimum, and gives what a growing window gains to the central widget only; the squeezed width
would then stay, and be saved with the window's state for the next start. A dock found at its
minimum in a window wide enough for more is therefore widened to its usual width again (at the
first show too, which mends a squeezed width saved by an earlier version). A width the user
chose above the minimum is left alone.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

#: Within this many pixels of its minimum a dock counts as squeezed.
SQUEEZED_SLACK = 4


class DockWidthKeeper(QObject):
    """Watches `window`'s resizes for `dock` (minimum `minimum`, usual width `usual`)."""

    def __init__(
        self, window: QMainWindow, dock: QDockWidget, minimum: int, usual: int, roomy: int
    ) -> None:
        super().__init__(window)
        self._window = window
        self._dock = dock
        self._usual = usual
        self._roomy = roomy  # a window at least this wide has room for the usual width
        dock.setMinimumWidth(minimum)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # QObject.eventFilter
        if watched is self._window and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.mend()
        return False

    def mend(self) -> None:
        """Widen the dock to its usual width when it is squeezed and the window has room."""
        dock = self._dock
        if dock.isHidden() or dock.isFloating() or self._window.width() < self._roomy:
            return
        if dock.width() <= dock.minimumWidth() + SQUEEZED_SLACK:
            self._window.resizeDocks([dock], [self._usual], Qt.Orientation.Horizontal)
