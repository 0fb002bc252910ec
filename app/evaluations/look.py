"""How evaluation cells look: roles, colours for light and dark palettes, icons, made once.

The three models (runs, grid, comparison) answer `data()` from here, so a paint only looks
up prepared colours; `Palette.refresh()` follows a switch between light and dark.
`ColumnFitter` sizes the text columns of the grid and the comparison to the view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QHeaderView, QStyle, QTableView

from app.evaluations import compare
from app.evaluations.cell_text import ERROR, FAIL, NUMBER, PASS

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

#: Column widths: flexible (text) columns never narrower than this, value columns at least this.
FLEXIBLE_MIN = 160
VALUE_MIN = 100

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

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
    compare.CHANGED: ("#2563eb", "#93c5fd"),
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

    def kind_color(self, kind: str) -> QColor | None:
        return self.kinds.get(kind)

    def alignment(self, kind: str) -> Qt.AlignmentFlag:
        return RIGHT if kind == NUMBER else LEFT


def repaint_all(model: QAbstractItemModel) -> None:
    """Ask the views of `model` to draw every cell again (its colours changed)."""
    rows, columns = model.rowCount(), model.columnCount()
    if rows and columns:
        model.dataChanged.emit(model.index(0, 0), model.index(rows - 1, columns - 1))


class ColumnFitter(QObject):
    """Keeps a table's flexible columns (inputs, outputs) sharing the width the others leave,
    until the user drags a column edge; then the widths are the user's."""

    def __init__(self, view: QTableView, flexible: Sequence[int], fixed: Mapping[int, int]) -> None:
        super().__init__(view)
        self._view = view
        self._flexible = tuple(flexible)
        self._fixed = dict(fixed)
        self._fitting = False
        self._user_sized = False
        view.viewport().installEventFilter(self)
        view.horizontalHeader().sectionResized.connect(self._on_resized)

    def fit(self, reset: bool = True) -> None:
        """Set every column's width (`reset`: forget the user's own widths)."""
        if reset:
            self._user_sized = False
        if self._user_sized:
            return
        model, header = self._view.model(), self._view.horizontalHeader()
        widths = {c: self._width(c, model, header) for c in range(model.columnCount())}
        flexible = [c for c in self._flexible if c in widths]
        room = self._view.viewport().width() - sum(
            w for c, w in widths.items() if c not in flexible
        )
        share = max(FLEXIBLE_MIN, room // max(len(flexible), 1))
        self._fitting = True
        for column, width in widths.items():
            self._view.setColumnWidth(column, share if column in flexible else width)
        self._fitting = False

    def _width(self, column: int, model: QAbstractItemModel, header: QHeaderView) -> int:
        if column in self._fixed:
            return self._fixed[column]
        title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
        return max(VALUE_MIN, header.fontMetrics().horizontalAdvance(title) + 30)

    def _on_resized(self, _section: int, _old: int, _new: int) -> None:
        if not self._fitting:
            self._user_sized = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # QObject.eventFilter
        if event.type() == QEvent.Type.Resize:
            self.fit(reset=False)
        return False
