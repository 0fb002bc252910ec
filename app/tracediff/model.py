"""`DiffTreeModel`: the merged tree of a trace diff, one row per `SpanPair`.

Parent and child come from each pair's `parent`. "Changed only" keeps the rows that are not
the same and their ancestors (a changed span's path stays readable); the other rows are left
out of the tree rather than hidden, so the view never lays them out.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from app.spans.colors import type_color
from app.tracediff.loading import Shape, tree_shape
from app.tracediff.look import (
    MINUS,
    delta_colour,
    duration_delta,
    duration_or_dash,
    is_notable,
    mark_text,
    status_colour,
)
from core.safe_text import isolated
from core.tracediff import CHANGED, ONLY_LEFT, SAME, SpanPair

#: The pair's row number in `TraceDiff.pairs`.
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # a shared default argument: Qt never changes it


class DiffColumn(IntEnum):
    SPAN = 0
    MARK = 1
    LEFT = 2
    RIGHT = 3
    DELTA = 4
    WHAT = 5


HEADERS = ("Span", "", "Left", "Right", "Δ", "What changed")
MARK_TIP = f"~ changed, {MINUS} only in the left trace, + only in the right trace, ↕ reordered"
_RIGHT_ALIGNED = (DiffColumn.LEFT, DiffColumn.RIGHT, DiffColumn.DELTA)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def what_changed(pair: SpanPair) -> str:
    status = pair.status
    if status == CHANGED:
        text = ", ".join(pair.changes)
    elif status == SAME:
        text = ""
    else:
        text = "only left" if status == ONLY_LEFT else "only right"
    return f"{text}, reordered" if pair.moved and text else ("reordered" if pair.moved else text)


class DiffTreeModel(QAbstractItemModel):
    """The pairs of a diff as a tree; `set_changed_only` filters, `dark` picks the colours."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pairs: list[SpanPair] = []
        self._changed: tuple[int, ...] = ()
        self._full: Shape = ({-1: []}, {})
        self._kids, self._place = self._full
        self.changed_only = False
        self.dark = False
        self._bold = QFont()
        self._bold.setBold(True)
        roles = Qt.ItemDataRole
        self._handlers: dict[int, Callable[[SpanPair, int], Any]] = {
            int(roles.DisplayRole): self._text,
            int(roles.ForegroundRole): self._colour,
            int(roles.DecorationRole): self._decoration,
            int(roles.FontRole): self._font,
            int(roles.TextAlignmentRole): self._alignment,
            int(roles.ToolTipRole): self._tooltip,
        }

    def set_pairs(
        self, pairs: list[SpanPair], changed: tuple[int, ...], shape: Shape | None = None
    ) -> None:
        """Show `pairs`; `shape` is `tree_shape(pairs)` when it was worked out off the GUI
        thread (100,000 rows take a while)."""
        self.beginResetModel()
        self._pairs, self._changed = pairs, changed
        self._full = shape if shape is not None else tree_shape(pairs)
        self._kids, self._place = self._full if not self.changed_only else self._filtered()
        self.endResetModel()

    def set_changed_only(self, on: bool) -> None:
        if on == self.changed_only:
            return
        self.beginResetModel()
        self.changed_only = on
        self._kids, self._place = self._filtered() if on else self._full
        self.endResetModel()

    def set_dark(self, dark: bool) -> None:
        """Colours for a dark or a light base (the view repaints after a theme change)."""
        self.dark = dark

    def _filtered(self) -> Shape:
        """The changed rows and their ancestors (in time proportional to them, not to all)."""
        shown: set[int] = set()
        for row in self._changed:
            at: int | None = row
            while at is not None and at not in shown:
                shown.add(at)
                at = self._pairs[at].parent
        return tree_shape(self._pairs, sorted(shown))

    # -- lookups ------------------------------------------------------------------------------

    def pair(self, index: Index) -> SpanPair | None:
        return self._pairs[index.internalId()] if index.isValid() else None

    def index_of(self, row: int, column: int = 0) -> QModelIndex:
        """The index of pair `row` (invalid when the filter leaves it out)."""
        place = self._place.get(row)
        if place is None:
            return QModelIndex()
        return self.createIndex(place, column, row)

    def is_shown(self, row: int) -> bool:
        return row in self._place

    def shown_count(self) -> int:
        return len(self._place)

    # -- QAbstractItemModel -------------------------------------------------------------------

    def index(  # QAbstractItemModel.index
        self, row: int, column: int, parent: Index = _ROOT
    ) -> QModelIndex:
        kids = self._kids.get(parent.internalId() if parent.isValid() else -1, [])
        if not 0 <= row < len(kids) or not 0 <= column < len(HEADERS):
            return QModelIndex()
        return self.createIndex(row, column, kids[row])

    def parent(self, index: Index = _ROOT) -> QModelIndex:  # type: ignore[override]  # QAbstractItemModel.parent
        if not index.isValid():
            return QModelIndex()
        up = self._pairs[index.internalId()].parent
        return QModelIndex() if up is None else self.index_of(up)

    def rowCount(self, parent: Index = _ROOT) -> int:  # QAbstractItemModel.rowCount
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._kids.get(parent.internalId() if parent.isValid() else -1, []))

    def columnCount(self, parent: Index = _ROOT) -> int:  # QAbstractItemModel.columnCount
        return len(HEADERS)

    def hasChildren(self, parent: Index = _ROOT) -> bool:  # QAbstractItemModel.hasChildren
        return self.rowCount(parent) > 0

    def headerData(  # QAbstractItemModel.headerData
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section == DiffColumn.MARK:
            return MARK_TIP
        if role == Qt.ItemDataRole.TextAlignmentRole and section in _RIGHT_ALIGNED:
            return _RIGHT
        return None

    def data(  # QAbstractItemModel.data
        self, index: Index, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        pair = self.pair(index)
        if pair is None:
            return None
        if role == ROW_ROLE:
            return index.internalId()
        handler = self._handlers.get(int(role))
        return handler(pair, index.column()) if handler is not None else None

    def _decoration(self, pair: SpanPair, column: int) -> QColor | None:
        return QColor(type_color(pair.span_type)) if column == DiffColumn.SPAN else None

    def _font(self, pair: SpanPair, column: int) -> QFont | None:
        return self._bold if column == DiffColumn.MARK and pair.status != SAME else None

    def _alignment(self, _pair: SpanPair, column: int) -> int | None:
        if column == DiffColumn.MARK:
            return int(Qt.AlignmentFlag.AlignCenter)
        return _RIGHT if column in _RIGHT_ALIGNED else None

    def _tooltip(self, pair: SpanPair, column: int) -> str | None:
        if column == DiffColumn.MARK:
            return pair.status + (", reordered" if pair.moved else "")
        if column != DiffColumn.SPAN:
            return None
        return f"{isolated(pair.name)}\n{pair.span_type or 'no type'}"

    def _text(self, pair: SpanPair, column: int) -> str:
        left, right = pair.duration_ns
        if column == DiffColumn.SPAN:
            name = isolated(pair.name)
            return f"{name}  ·  {pair.span_type}" if pair.span_type else name
        if column == DiffColumn.MARK:
            return mark_text(pair.status, pair.moved)
        if column == DiffColumn.LEFT:
            return "" if pair.left is None else duration_or_dash(left)
        if column == DiffColumn.RIGHT:
            return "" if pair.right is None else duration_or_dash(right)
        if column == DiffColumn.DELTA:
            return duration_delta(left, right)
        return what_changed(pair)

    def _colour(self, pair: SpanPair, column: int) -> QColor | None:
        if column in (DiffColumn.MARK, DiffColumn.WHAT):
            colour = status_colour(pair.status, self.dark)
            return QColor(colour) if colour else None
        if column == DiffColumn.DELTA:
            left, right = pair.duration_ns
            if is_notable(left, right):
                return QColor(delta_colour(pair.duration_delta_ns, self.dark))
        return None
