"""How the trace list's cells look: the roles a row answers, computed for speed.

A paint of the list asks `data()` about a thousand times, from C++, on the GUI thread; every
answer here is a tuple index or a prepared object (fonts, colours and alignments are made once),
so a paint stays a few milliseconds even while the database thread is busy with the next page.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication

from app.traces.rows import HEADERS, Column, ExtraColumn, TraceItem
from app.traces.sorting import first_order, is_sortable

TRACE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
#: The filter term of a cell ("filter by this value"; "" where there is none).
TERM_ROLE = Qt.ItemDataRole.UserRole + 2

DISPLAY = int(Qt.ItemDataRole.DisplayRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
FONT = int(Qt.ItemDataRole.FontRole)
TRACE_ID = int(TRACE_ID_ROLE)
TERM = int(TERM_ROLE)

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
NUMERIC = frozenset({int(Column.DURATION), int(Column.TOKENS), int(Column.COST)})
STATE_COLOURS = {  # (on a light base, on a dark base)
    "ERROR": ("#c62828", "#ff6b6b"),
    "OK": ("#2e7d32", "#7bd88f"),
    "IN_PROGRESS": ("#a05a00", "#ffb74d"),
}
#: Assessment cells coloured like states: a pass like OK, a fail or error like ERROR.
VERDICTS = {"Pass": "OK", "yes": "OK", "Fail": "ERROR", "no": "ERROR", "Error": "ERROR"}
#: Where TraceItem's fields sit in the plain tuples the model keeps.
ID, STATE, CELLS, TOOLTIPS, ERROR, REQUEST_TIME, TERMS = (
    TraceItem._fields.index(name)
    for name in ("trace_id", "state", "cells", "tooltips", "error", "request_time", "terms")
)
_STATE_COLUMN = int(Column.STATE)
_ID_COLUMN = int(Column.TRACE_ID)
_COLUMNS = len(Column)


def header_value(section: int, role: int) -> Any:
    """What the header of built-in column `section` shows for `role`."""
    if not 0 <= section < _COLUMNS:
        return None
    title, tip = HEADERS[Column(section)]
    if role == DISPLAY:
        return title
    if role == TOOLTIP:
        return tip
    if role == ALIGNMENT:
        return RIGHT if section in NUMERIC else LEFT
    if role == Qt.ItemDataRole.InitialSortOrderRole and is_sortable(section):
        return first_order(Column(section)).value  # the header's first click
    return None


def extra_header_value(column: ExtraColumn, role: int) -> Any:
    """What the header of a tag or assessment column shows for `role`."""
    if role == DISPLAY:
        return column.key
    if role == TOOLTIP:
        return f"{'Assessment' if column.kind == 'assessment' else 'Tag'} {column.key}"
    if role == ALIGNMENT:
        return LEFT
    return None


class CellLook:
    """Prepared fonts and colours, and the answer to one `data()` question."""

    def __init__(self) -> None:
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        bold, bold_fixed = QFont(), QFont(fixed)
        bold.setBold(True)
        bold_fixed.setBold(True)
        # (is the id column, is a new row) -> font; rows new in live mode are bold.
        self._fonts: dict[tuple[bool, bool], QFont | None] = {
            (False, False): None,
            (True, False): fixed,
            (False, True): bold,
            (True, True): bold_fixed,
        }
        self._colors: dict[str, QColor] = {}
        self._verdict_columns: frozenset[int] = frozenset()
        self.update_colors()

    def set_verdict_columns(self, columns: frozenset[int]) -> None:
        """The columns that show assessment values (coloured pass or fail)."""
        self._verdict_columns = columns

    def update_colors(self) -> None:
        """Pick the state colours for the palette now in use (light or dark)."""
        dark = QGuiApplication.palette().base().color().lightness() < 128
        self._colors = {state: QColor(pair[dark]) for state, pair in STATE_COLOURS.items()}

    def value(  # noqa: PLR0911 - one flat chain is the cheapest dispatch on the paint path
        self, row: tuple[Any, ...], column: int, role: int, new: bool
    ) -> Any:
        """What `row` shows in `column` for `role` (None: Qt's default)."""
        if not 0 <= column < len(row[CELLS]):
            return None
        if role == DISPLAY:
            return row[CELLS][column]
        if role == FONT:
            return self._fonts[column == _ID_COLUMN, new]
        if role == ALIGNMENT:
            return RIGHT if column in NUMERIC else LEFT
        if role == FOREGROUND:
            if column == _STATE_COLUMN and row[ERROR] is None:
                return self._colors.get(row[STATE])
            if column in self._verdict_columns:
                return self._colors.get(VERDICTS.get(row[CELLS][column], ""))
            return None
        if role == TOOLTIP:
            return row[TOOLTIPS][column] or None
        if role == TRACE_ID:
            return row[ID]
        if role == TERM:
            return row[TERMS][column] if column < len(row[TERMS]) else ""
        return None
