"""`SpanTreeModel`: a lazy tree model over a prepared `SpanTree` (name, type, time, tokens, bar).

The tree's index lists are built in the background (`build_tree`); the model only looks them
up, so `index`, `parent`, `rowCount` and `hasChildren` are O(1). Cell text is made when a view
asks for a row, and token counts (which decode the span's attributes) are cached per row.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QIcon, QPixmap

from app.formatting import rich_tooltip
from app.spans.colors import span_duration_text, type_color
from app.spans.tree import NO_PARENT, SpanFilter, SpanTree, TreeShape, is_error, span_type_of
from core.entities import Span
from core.safe_text import isolated
from resources import resource_path

SPAN_ROLE = Qt.ItemDataRole.UserRole + 1  # the core Span of the row
BAR_ROLE = Qt.ItemDataRole.UserRole + 2  # (start fraction, end fraction or None, colour, error)
MATCH_ROLE = Qt.ItemDataRole.UserRole + 3  # False for an ancestor shown only for context

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # a shared default argument: Qt never changes it


class Column(IntEnum):
    NAME = 0
    TYPE = 1
    DURATION = 2
    TOKENS = 3
    TIMELINE = 4


_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_COLUMNS = len(Column)


HEADERS = ("Name", "Type", "Duration", "Tokens", "Timeline")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_NUMBER_COLUMNS = (Column.DURATION, Column.TOKENS)
_PATH_NAMES = 16  # a deeper span's tooltip shows the first and last 8 names of its path


class SpanTreeModel(QAbstractItemModel):
    """One trace's spans as a tree; `set_filter` keeps matches and their ancestors."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tree: SpanTree | None = None
        self._shape: TreeShape | None = None
        self._filter = SpanFilter()
        self._tokens: dict[int, tuple[str, str]] = {}
        self._swatches: dict[str, QIcon] = {}
        self._error_icon = QIcon(str(resource_path("icons/span-error.svg")))
        self._role_handlers: dict[int, Callable[[int, int], Any]] = {
            int(Qt.ItemDataRole.DisplayRole): self._display,
            int(Qt.ItemDataRole.DecorationRole): self._decoration,
            int(Qt.ItemDataRole.ToolTipRole): self._tooltip,
            int(Qt.ItemDataRole.TextAlignmentRole): self._alignment,
            int(SPAN_ROLE): self._span_of,
            int(BAR_ROLE): self._bar,
            int(MATCH_ROLE): self._is_match,
        }

    # -- loading and filtering --------------------------------------------------------------

    @property
    def tree(self) -> SpanTree | None:
        return self._tree

    @property
    def span_filter(self) -> SpanFilter:
        return self._filter

    @property
    def decoded_rows(self) -> int:
        """How many rows had their attributes decoded (for token counts) so far."""
        return len(self._tokens)

    def set_tree(self, tree: SpanTree | None) -> None:
        """Show `tree` (already indexed, e.g. in the database thread); the filter is kept."""
        self.beginResetModel()
        self._tree = tree
        self._tokens = {}
        self._shape = tree.filtered(self._filter) if tree is not None else None
        self.endResetModel()

    def set_filter(self, span_filter: SpanFilter) -> None:
        if span_filter == self._filter:
            return
        self.beginResetModel()
        self._filter = span_filter
        self._shape = self._tree.filtered(span_filter) if self._tree is not None else None
        self.endResetModel()

    def match_count(self) -> int:
        """How many spans the filter matches (all spans when no filter is set)."""
        if self._tree is None or self._shape is None:
            return 0
        if self._shape.matched is None:
            return len(self._tree.spans)
        return sum(self._shape.matched)

    # -- lookups ----------------------------------------------------------------------------

    def index_of(self, span_id: str, column: int = 0) -> QModelIndex:
        """The index of the span with `span_id`, if it is shown."""
        if self._tree is None or self._shape is None:
            return QModelIndex()
        node = self._tree.by_id.get(span_id)
        if node is None or self._shape.row[node] < 0:
            return QModelIndex()
        return self.createIndex(self._shape.row[node], column, node)

    def _node(self, index: Index) -> int:
        return index.internalId() if index.isValid() else NO_PARENT

    # -- QAbstractItemModel -----------------------------------------------------------------

    def index(
        self, row: int, column: int, parent: Index = _ROOT
    ) -> QModelIndex:  # QAbstractItemModel.index
        if self._shape is None or not 0 <= column < _COLUMNS:
            return QModelIndex()
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        group = self._shape.children_of(self._node(parent))
        if not 0 <= row < len(group):
            return QModelIndex()
        return self.createIndex(row, column, group[row])

    def parent(self, index: Index = _ROOT) -> QModelIndex:  # type: ignore[override]  # QAbstractItemModel.parent
        if not index.isValid() or self._shape is None:
            return QModelIndex()
        up = self._shape.parent[index.internalId()]
        if up == NO_PARENT:
            return QModelIndex()
        return self.createIndex(self._shape.row[up], 0, up)

    def rowCount(self, parent: Index = _ROOT) -> int:  # QAbstractItemModel.rowCount
        if self._shape is None or (parent.isValid() and parent.column() != 0):
            return 0
        return len(self._shape.children_of(self._node(parent)))

    def columnCount(self, parent: Index = _ROOT) -> int:  # QAbstractItemModel.columnCount
        return len(Column)

    def hasChildren(self, parent: Index = _ROOT) -> bool:  # QAbstractItemModel.hasChildren
        if self._shape is None or (parent.isValid() and parent.column() != 0):
            return False
        return bool(self._shape.children_of(self._node(parent)))

    def flags(self, index: Index) -> Qt.ItemFlag:  # QAbstractItemModel.flags
        # Called for every laid-out row: a precomputed value, not an enum `|` per call.
        return _ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(  # QAbstractItemModel.headerData
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if section == Column.TIMELINE and self._tree is not None and self._tree.spans:
                return f"Timeline ({span_duration_text(self._tree.duration_ns)})"
            return HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in _NUMBER_COLUMNS:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and section == Column.TIMELINE:
            return self._timeline_tooltip()
        return None

    def _timeline_tooltip(self) -> str:
        if self._tree is None or not self._tree.spans:
            return "When each span ran"
        total = span_duration_text(self._tree.duration_ns)
        return f"When each span ran: from the trace's first start (0) to its last end ({total})"

    def data(  # QAbstractItemModel.data
        self, index: Index, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or self._tree is None:
            return None
        handler = self._role_handlers.get(int(role))
        return handler(index.internalId(), index.column()) if handler is not None else None

    # -- cell contents ----------------------------------------------------------------------

    def _span_of(self, node: int, _column: int) -> Span:
        assert self._tree is not None
        return self._tree.spans[node]

    def _alignment(self, _node: int, column: int) -> Any:
        return _RIGHT if column in _NUMBER_COLUMNS else None

    def _display(self, node: int, column: int) -> str | None:
        span = self._span_of(node, column)
        if column == Column.NAME:
            return self._name(node, span)
        if column == Column.TYPE:
            return span_type_of(span)
        if column == Column.DURATION:
            return span_duration_text(span.duration_ns)
        if column == Column.TOKENS:
            return self._token_text(node, span)[0]
        return None

    def _name(self, node: int, span: Span) -> str:
        name = isolated(span.name or "(unnamed)")
        if span.decode_error:
            return f"{name}  — unreadable"
        if self._tree is not None and node in self._tree.orphans:
            return f"{name}  — parent missing"
        return name

    def _is_match(self, node: int, _column: int = 0) -> bool:
        matched = self._shape.matched if self._shape is not None else None
        return matched is None or bool(matched[node])

    def _token_text(self, node: int, span: Span) -> tuple[str, str]:
        """(cell, tooltip) for the row's token usage, decoded once and only when shown."""
        cached = self._tokens.get(node)
        if cached is None:
            usage = span.token_usage if not span.decode_error else None
            if usage is None or (usage.total_tokens is None and usage.input_tokens is None):
                cached = ("", "")
            else:
                total = usage.total_tokens
                if total is None:
                    total = (usage.input_tokens or 0) + (usage.output_tokens or 0)
                cached = (
                    f"{total:,}",
                    f"{usage.input_tokens or 0:,} in · {usage.output_tokens or 0:,} out"
                    f" · {total:,} total",
                )
            self._tokens[node] = cached
        return cached

    def _bar(self, node: int, _column: int = 0) -> tuple[float, float | None, str, bool]:
        tree = self._tree
        assert tree is not None
        span = tree.spans[node]
        total = tree.duration_ns or 1
        start = (span.start_time_ns - tree.start_ns) / total
        end = None if span.end_time_ns is None else (span.end_time_ns - tree.start_ns) / total
        return (start, end, type_color(span.span_type), is_error(span))

    def _decoration(self, node: int, column: int) -> Any:
        span = self._span_of(node, column)
        if column == Column.NAME and (is_error(span) or span.decode_error):
            return self._error_icon
        if column == Column.TYPE:
            return self._swatch(type_color(span.span_type))
        return None

    def _swatch(self, color: str) -> QIcon:
        """A colour square that stays true on a selected row (Qt tints selected icons)."""
        icon = self._swatches.get(color)
        if icon is None:
            pixmap = QPixmap(12, 12)
            pixmap.fill(QColor(color))
            icon = QIcon(pixmap)
            icon.addPixmap(pixmap, QIcon.Mode.Selected)
            self._swatches[color] = icon
        return icon

    def _tooltip(self, node: int, column: int) -> str:
        tree = self._tree
        assert tree is not None
        span = tree.spans[node]
        offset = span_duration_text(span.start_time_ns - tree.start_ns)
        lines = [
            span.name or "(unnamed)",
            f"{span_type_of(span)} · starts at +{offset} · lasts "
            f"{span_duration_text(span.duration_ns)}",
        ]
        path = self._path_text(node)
        if path:
            lines.append(path)
        if column == Column.TOKENS and self._token_text(node, span)[1]:
            lines.append(f"Tokens: {self._token_text(node, span)[1]}")
        if is_error(span):
            lines.append(f"Error: {span.status_message or 'the span failed'}")
        if span.decode_error:
            lines.append(f"Unreadable: {span.decode_error}")
        if node in tree.orphans:
            lines.append(f"Its parent span {span.parent_id} was never recorded.")
        return rich_tooltip("\n".join(lines))

    def _path_text(self, node: int) -> str:
        """`Path: root → … → parent (depth n)`; a very deep path keeps its two ends."""
        assert self._tree is not None
        above = [
            isolated(self._tree.spans[n].name or "(unnamed)") for n in self._tree.ancestors(node)
        ]
        if not above:
            return ""
        depth = len(above)
        if depth > _PATH_NAMES:
            keep = _PATH_NAMES // 2
            above = [*above[:keep], f"… {depth - 2 * keep} more …", *above[-keep:]]
        return f"Path: {' → '.join(above)}  (depth {depth})"
