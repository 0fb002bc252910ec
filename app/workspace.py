"""The central area: the filter bar and trace list beside (or above) the trace explorer.

Where the explorer goes is the user's choice (View → Explorer Below the List), kept in
QSettings with the splitter sizes of each arrangement. While no trace is open the explorer is
hidden and the list has the whole width; opening one brings it back at the sizes kept.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QSplitter, QVBoxLayout, QWidget

SETTINGS_BELOW = "workspace/explorerBelow"
_SIZES_KEY = {False: "workspace/sizesBeside", True: "workspace/sizesBelow"}
#: The list keeps the larger share beside the explorer: its columns need the width more.
_DEFAULT_SIZES = {False: [580, 460], True: [300, 460]}
#: The explorer lays its tree and detail side by side only when it is wide, and its minimum
#: size hint then forbids narrowing it; below this width it stacks them, so this is its floor.
EXPLORER_MIN_WIDTH = 380
LIST_MIN_WIDTH = 300


def _ints(value: object) -> list[int] | None:
    """Sizes read back from QSettings (INI files give strings), or None when unusable."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    try:
        sizes = [int(v) for v in value]
    except (TypeError, ValueError):
        return None
    return sizes if all(s > 0 for s in sizes) else None


class TraceWorkspace(QSplitter):
    """Two panes: the list side (filter bar over the trace list) and the explorer."""

    def __init__(self, query_bar: QWidget, trace_list: QWidget, explorer: QWidget) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.setObjectName("workspace")
        self.list_panel = QWidget()
        self.list_panel.setObjectName("listPanel")
        layout = QVBoxLayout(self.list_panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(query_bar)
        layout.addWidget(trace_list, 1)
        self.trace_list = trace_list
        self.explorer = explorer
        self.list_panel.setMinimumWidth(LIST_MIN_WIDTH)
        explorer.setMinimumWidth(EXPLORER_MIN_WIDTH)
        self.addWidget(self.list_panel)
        self.addWidget(explorer)
        self.setChildrenCollapsible(False)
        self.setHandleWidth(6)
        self.setStretchFactor(0, 1)
        self.setStretchFactor(1, 1)
        self._sizes: dict[bool, list[int]] = dict(_DEFAULT_SIZES)
        self._explorer_open = False
        explorer.hide()  # until a trace is opened

    @property
    def explorer_below(self) -> bool:
        return self.orientation() == Qt.Orientation.Vertical

    @property
    def explorer_open(self) -> bool:
        """Whether the explorer is shown (a trace is open in it)."""
        return self._explorer_open

    def show_explorer(self, shown: bool) -> None:
        """Show the explorer at its kept sizes, or hide it and give the list all the room."""
        if shown == self._explorer_open:
            return
        if not shown:
            self._sizes[self.explorer_below] = self.sizes()
            focus = QApplication.focusWidget()
            if focus is not None and self.explorer.isAncestorOf(focus):
                self.trace_list.setFocus(Qt.FocusReason.OtherFocusReason)
        self._explorer_open = shown
        self.explorer.setVisible(shown)
        if shown:
            self.setSizes(self._sizes[self.explorer_below])

    def set_explorer_below(self, below: bool) -> None:
        """Put the explorer under the list (or beside it), with that arrangement's sizes."""
        if below == self.explorer_below:
            return
        if self._explorer_open:
            self._sizes[self.explorer_below] = self.sizes()
        self.setOrientation(Qt.Orientation.Vertical if below else Qt.Orientation.Horizontal)
        if self._explorer_open:
            self.setSizes(self._sizes[below])

    def restore(self) -> None:
        """The arrangement and sizes from the last session."""
        settings = QSettings()
        for below, key in _SIZES_KEY.items():
            self._sizes[below] = _ints(settings.value(key)) or _DEFAULT_SIZES[below]
        below = str(settings.value(SETTINGS_BELOW, "false")).lower() == "true"
        self.setOrientation(Qt.Orientation.Vertical if below else Qt.Orientation.Horizontal)
        if self._explorer_open:
            self.setSizes(self._sizes[below])

    def save(self) -> None:
        if self._explorer_open:
            self._sizes[self.explorer_below] = self.sizes()
        settings = QSettings()
        settings.setValue(SETTINGS_BELOW, self.explorer_below)
        for below, key in _SIZES_KEY.items():
            settings.setValue(key, self._sizes[below])
