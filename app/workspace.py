"""The central area: the filter bar and trace list beside (or above) the trace explorer.

Where the explorer goes is the user's choice (View → Explorer Below the List), kept in
QSettings with the splitter sizes of each arrangement.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

SETTINGS_BELOW = "workspace/explorerBelow"
_SIZES_KEY = {False: "workspace/sizesBeside", True: "workspace/sizesBelow"}
_DEFAULT_SIZES = {False: [540, 500], True: [300, 460]}
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

    @property
    def explorer_below(self) -> bool:
        return self.orientation() == Qt.Orientation.Vertical

    def set_explorer_below(self, below: bool) -> None:
        """Put the explorer under the list (or beside it), with that arrangement's sizes."""
        if below == self.explorer_below:
            return
        self._sizes[self.explorer_below] = self.sizes()
        self.setOrientation(Qt.Orientation.Vertical if below else Qt.Orientation.Horizontal)
        self.setSizes(self._sizes[below])

    def restore(self) -> None:
        """The arrangement and sizes from the last session."""
        settings = QSettings()
        for below, key in _SIZES_KEY.items():
            self._sizes[below] = _ints(settings.value(key)) or _DEFAULT_SIZES[below]
        below = str(settings.value(SETTINGS_BELOW, "false")).lower() == "true"
        self.setOrientation(Qt.Orientation.Vertical if below else Qt.Orientation.Horizontal)
        self.setSizes(self._sizes[below])

    def save(self) -> None:
        self._sizes[self.explorer_below] = self.sizes()
        settings = QSettings()
        settings.setValue(SETTINGS_BELOW, self.explorer_below)
        for below, key in _SIZES_KEY.items():
            settings.setValue(key, self._sizes[below])
