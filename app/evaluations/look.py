"""How evaluation cells look: roles, colours for light and dark palettes, icons, made once.

The three models (runs, grid, comparison) answer `data()` from here, so a paint only looks
up prepared colours; `Palette.refresh()` follows a switch between light and dark.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QStyle

from app.evaluations import compare
from app.evaluations.values import ERROR, FAIL, NUMBER, PASS

DISPLAY = int(Qt.ItemDataRole.DisplayRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
DECORATION = int(Qt.ItemDataRole.DecorationRole)
ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
#: The cell's kind (values.PASS, FAIL, NUMBER, TEXT, ERROR, NONE) for the delegate.
KIND_ROLE = int(Qt.ItemDataRole.UserRole) + 1
TRACE_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 2
RUN_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 3
#: Rich text (already escaped) the diff delegate paints.
HTML_ROLE = int(Qt.ItemDataRole.UserRole) + 4

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter

#: (on a light base, on a dark base)
KIND_COLOURS = {
    PASS: ("#15803d", "#4ade80"),
    FAIL: ("#dc2626", "#f87171"),
    ERROR: ("#b91c1c", "#fca5a5"),
}
#: Pill backgrounds: white text on them reads in both palettes.
PILL_COLOURS = {PASS: "#15803d", FAIL: "#dc2626"}
STATUS_COLOURS = {
    "FINISHED": ("#15803d", "#4ade80"),
    "RUNNING": ("#1d4ed8", "#93c5fd"),
    "FAILED": ("#dc2626", "#f87171"),
    "KILLED": ("#a16207", "#fcd34d"),
    "SCHEDULED": ("#475569", "#cbd5e1"),
}
VERDICT_COLOURS = {
    compare.IMPROVED: ("#15803d", "#4ade80"),
    compare.REGRESSED: ("#dc2626", "#f87171"),
    compare.ONLY_A: ("#a16207", "#fcd34d"),
    compare.ONLY_B: ("#a16207", "#fcd34d"),
}


def is_dark() -> bool:
    return QGuiApplication.palette().base().color().lightness() < 128


class Palette:
    """Colours and icons for the palette in use."""

    def __init__(self) -> None:
        self.kinds: dict[str, QColor] = {}
        self.statuses: dict[str, QColor] = {}
        self.verdicts: dict[str, QColor] = {}
        self.error_icon = QIcon()
        self.refresh()

    def refresh(self) -> None:
        dark = is_dark()
        self.kinds = {k: QColor(pair[dark]) for k, pair in KIND_COLOURS.items()}
        self.statuses = {k: QColor(pair[dark]) for k, pair in STATUS_COLOURS.items()}
        self.verdicts = {k: QColor(pair[dark]) for k, pair in VERDICT_COLOURS.items()}
        style = QApplication.style()
        if style is not None:
            self.error_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)

    def kind_colour(self, kind: str) -> QColor | None:
        return self.kinds.get(kind)

    def alignment(self, kind: str) -> Qt.AlignmentFlag:
        return RIGHT if kind == NUMBER else LEFT
