"""`PageKeys`: keys a page handles itself while the focus is inside it, ahead of the window's.

The main window's actions are window-wide shortcuts (Ctrl+E is Export Trace); a second shortcut
on the same key would make Qt call both ambiguous and fire neither. Instead the page accepts
the `ShortcutOverride` event for its own keys (the window's shortcut then does not fire) and
runs the command when the key press reaches it. Keys a focused child uses itself (a line edit's
Ctrl+A) stay the child's, since the child sees the key first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QEvent, QKeyCombination
from PySide6.QtGui import QKeyEvent, QKeySequence

Command = Callable[[], object]


class PageKeys:
    """A table of key sequences ("Ctrl+E") and the commands they run."""

    def __init__(self, commands: Mapping[str, Command]) -> None:
        self._commands = {QKeySequence(keys): command for keys, command in commands.items()}

    def command(self, event: QKeyEvent) -> Command | None:
        return self._commands.get(QKeySequence(QKeyCombination(event.keyCombination())))

    def claim(self, event: QEvent) -> bool:
        """For `event()`: True (and the event accepted) when it is the override of our key."""
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(event, QKeyEvent):
            return False
        if self.command(event) is None:
            return False
        event.accept()
        return True

    def run(self, event: QKeyEvent) -> bool:
        """For `keyPressEvent()`: run the key's command; False when the key is not ours."""
        command = self.command(event)
        if command is None:
            return False
        command()
        event.accept()
        return True
