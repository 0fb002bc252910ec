"""`SpanTreeModel`: a lazy tree model over a prepared `SpanTree` (name, type, time, tokens, bar).

The tree's index lists are built in the background (`build_tree`); the model only looks them
up, so `index`, `parent`, `rowCount` and `hasChildren` are O(1). Cell text is made when a view
asks for a row, and token counts (which decode the span's attributes) are cached per row.

A run of repeated siblings shows as one folded row ("412x search_docs · p50 …") whose children
are its members; it is summarized when first shown. The critical path, when set, marks its
rows (and the folded rows that hold one of them) through `CRITICAL_ROLE`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from app.spans.folding import TIMES, RunSummary, summarize
from app.spans.payload_cells import shown_error, usage_cell
from app.spans.tree import NO_PARENT, SpanFilter, SpanTree, TreeShape, is_error, span_type_of
from core.entities import Span
from core.safe_text import isolated
from resources import resource_path

SPAN_ROLE = Qt.ItemDataRole.UserRole + 1  # the core Span of the row
BAR_ROLE = Qt.ItemDataRole.UserRole + 2  # (start fraction, end fraction or None, colour, error)
MATCH_ROLE = Qt.ItemDataRole.UserRole + 3  # False for an ancestor shown only for context
FOLD_ROLE = Qt.ItemDataRole.UserRole + 10  # the RunSummary of a folded row (None for a span)
CRITICAL_ROLE = Qt.ItemDataRole.UserRole + 11  # True on the critical path, when it is shown
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 20  # True for a search hit (or a run holding one)

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
        #: Issue 17: a large trace's token cells, read in the database thread (its spans' JSON
        #: stays in the database; nothing here may read it).
        self.token_cells: Callable[[int], tuple[str, str]] | None = None
        self._swatches: dict[str, QIcon] = {}
        self._error_icon = QIcon(str(resource_path("icons/span-error.svg")))
        self._span_count = 0  # nodes from here up are folded runs
        self._summaries: dict[int, RunSummary] = {}
        self._critical: frozenset[int] = frozenset()
        self._critical_rows: frozenset[int] = frozenset()  # the path and the runs holding it
        self._search_hits: frozenset[int] = frozenset()
        self._search_rows: frozenset[int] = frozenset()  # the hits and the runs holding them
        self._role_handlers: dict[int, Callable[[int, int], Any]] = {
            int(Qt.ItemDataRole.DisplayRole): self._display,
            int(Qt.ItemDataRole.DecorationRole): self._decoration,
            int(Qt.ItemDataRole.ToolTipRole): self._tooltip,
            int(Qt.ItemDataRole.TextAlignmentRole): self._alignment,
            int(SPAN_ROLE): self._span_of,
            int(BAR_ROLE): self._bar,
            int(MATCH_ROLE): self._is_match,
            int(CRITICAL_ROLE): self._is_critical,
            int(SEARCH_ROLE): self._is_search_hit,
        }
        self._fold_handlers: dict[int, Callable[[int, int], Any]] = {
            int(Qt.ItemDataRole.DisplayRole): self._fold_display,
            int(Qt.ItemDataRole.DecorationRole): self._fold_decoration,
            int(Qt.ItemDataRole.ToolTipRole): self._fold_tooltip,
            int(Qt.ItemDataRole.TextAlignmentRole): self._alignment,
            int(BAR_ROLE): self._fold_bar,
            int(MATCH_ROLE): self._is_match,
            int(FOLD_ROLE): self.summary,
            int(CRITICAL_ROLE): self._is_critical,
            int(SEARCH_ROLE): self._is_search_hit,
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
        """Show `tree` (already indexed, e.g. in the database thread); the filter is kept, the
        critical path is forgotten (it was the previous tree's)."""
        self.beginResetModel()
        self._tree = tree
        self._tokens = {}
        self._critical = frozenset()
        self._search_hits = frozenset()
        self._show(tree.shown(self._filter) if tree is not None else None)
        self.endResetModel()

    def set_filter(self, span_filter: SpanFilter, shape: TreeShape | None = None) -> None:
        """Show what `span_filter` keeps; `shape` is that, when worked out elsewhere already
        (a large tree's filter runs in the job pool)."""
        if span_filter == self._filter:
            return
        self.beginResetModel()
        self._filter = span_filter
        if shape is None and self._tree is not None:
            shape = self._tree.shown(span_filter)
        self._show(shape)
        self.endResetModel()

    def _show(self, shape: TreeShape | None) -> None:
        self._shape = shape
        self._span_count = len(self._tree.spans) if self._tree is not None else 0
        self._summaries = {}
        self._critical_rows = self._with_runs(self._critical)
        self._search_rows = self._with_runs(self._search_hits)

    def match_count(self) -> int:
        """How many spans the filter matches (all spans when no filter is set)."""
        if self._tree is None or self._shape is None:
            return 0
        if self._shape.matched is None:
            return len(self._tree.spans)
        return self._shape.matched.count(1, 0, self._span_count)

    # -- folded runs and the critical path ----------------------------------------------------

    @property
    def shown_depth(self) -> int:
        """The deepest level of the rows shown (folded runs add a level), for indentation."""
        if self._tree is None:
            return 0
        depth = self._shape.depth if self._shape is not None else None
        return self._tree.max_depth if depth is None else depth

    def is_fold(self, index: Index) -> bool:
        """Whether `index` is a folded run (its children are the run's members)."""
        return index.isValid() and index.internalId() >= self._span_count

    def summary(self, node: int, _column: int = 0) -> RunSummary | None:
        """The summary of folded row `node` (made when first asked for), None for a span."""
        if node < self._span_count or self._tree is None or self._shape is None:
            return None
        summary = self._summaries.get(node)
        if summary is None:
            summary = summarize(self._tree.spans, self._shape.children[node])
            self._summaries[node] = summary
        return summary

    def run_label_samples(self) -> list[str]:
        """What the folded rows shown will say, with wide sample durations (no run is
        summarized): the Name column makes room for them."""
        if self._tree is None or self._shape is None:
            return []
        spans, children = self._tree.spans, self._shape.children
        return [
            f"{len(members):,}{TIMES} {spans[members[0]].name} · p50 888 ms · p95 8.88 s"
            for members in children[self._span_count :]
            if members
        ]

    def expandable(self) -> list[QModelIndex]:
        """Every row with children, parents first, except folded runs and what they hold."""
        if self._shape is None:
            return []
        shape, found = self._shape, []
        pending = [(n, r) for r, n in enumerate(shape.roots) if n < self._span_count]
        while pending:
            node, row = pending.pop()
            children = shape.children[node]
            if children:
                found.append(self.createIndex(row, 0, node))
                pending.extend((n, r) for r, n in enumerate(children) if n < self._span_count)
        return found

    @property
    def critical_path(self) -> frozenset[int]:
        """The span nodes marked as the critical path (empty when it is not shown)."""
        return self._critical

    def set_critical_path(self, nodes: frozenset[int]) -> None:
        """Mark `nodes` (from `critical_path(tree)`) as the critical path; empty unmarks it."""
        if nodes == self._critical:
            return
        self._critical = nodes
        self._critical_rows = self._with_runs(nodes)
        self._repaint_all(CRITICAL_ROLE)

    def _repaint_all(self, role: int) -> None:
        """Every top-level row changed for `role`: the view repaints its whole viewport."""
        rows = self.rowCount()
        if rows:
            bottom = self.index(rows - 1, _COLUMNS - 1)
            self.dataChanged.emit(self.index(0, 0), bottom, [int(role)])

    def _with_runs(self, nodes: frozenset[int]) -> frozenset[int]:
        """`nodes` and the folded runs (in the shape shown) that hold one of them."""
        if not nodes or self._shape is None:
            return nodes
        parent, first = self._shape.parent, self._span_count
        runs = {parent[n] for n in nodes if parent[n] >= first}
        return nodes | runs if runs else nodes

    def _is_critical(self, node: int, _column: int = 0) -> bool:
        return node in self._critical_rows

    # -- search hits (app/spans/trace_search.py) ----------------------------------------------

    def set_search_hits(self, nodes: frozenset[int]) -> None:
        """Highlight `nodes` (the spans a search found) and the folded runs holding them; an
        empty set clears the highlight. A new tree forgets them."""
        if nodes == self._search_hits:
            return
        self._search_hits = nodes
        self._search_rows = self._with_runs(nodes)
        self._repaint_all(SEARCH_ROLE)

    def shown_nodes(self, nodes: Sequence[int]) -> list[int]:
        """Those of span `nodes` that have a row now (the filter hides some; a folded run's
        spans have rows), in their order."""
        if self._shape is None:
            return []
        if not self._filter.active:
            return list(nodes)  # every span
        row, count = self._shape.row, self._span_count
        return [node for node in nodes if node < count and row[node] >= 0]

    def _is_search_hit(self, node: int, _column: int = 0) -> bool:
        return node in self._search_rows

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
        node = index.internalId()
        handlers = self._role_handlers if node < self._span_count else self._fold_handlers
        handler = handlers.get(int(role))
        return handler(node, index.column()) if handler is not None else None

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
        if shown_error(span):
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
            if self.token_cells is not None and not span.payload_loaded:
                return self.token_cells(node)
            cached = usage_cell(span.token_usage if not span.decode_error else None)
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
        if column == Column.NAME and (is_error(span) or shown_error(span)):
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
            why = span.status_message if span.payload_loaded else "select it to read why"
            lines.append(f"Error: {why or 'the span failed'}")
        if shown_error(span):
            lines.append(f"Unreadable: {shown_error(span)}")
        if node in tree.orphans:
            lines.append(f"Its parent span {span.parent_id} was never recorded.")
        if node in self._critical_rows:
            lines.append("On the critical path")
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

    # -- folded rows ----------------------------------------------------------------------------

    def _fold_display(self, node: int, column: int) -> str | None:
        summary = self.summary(node)
        assert summary is not None
        if column == Column.NAME:
            return isolated(summary.label())
        if column == Column.TYPE:
            return summary.span_type
        if column == Column.DURATION:
            return span_duration_text(summary.wall_ns)
        return None

    def _fold_decoration(self, node: int, column: int) -> Any:
        summary = self.summary(node)
        assert summary is not None
        if column == Column.NAME and summary.errors:
            return self._error_icon
        if column == Column.TYPE:
            return self._swatch(type_color(summary.span_type))
        return None

    def _fold_bar(self, node: int, _column: int = 0) -> tuple[float, float | None, str, bool]:
        tree, summary = self._tree, self.summary(node)
        assert tree is not None and summary is not None
        total = tree.duration_ns or 1
        start = (summary.start_ns - tree.start_ns) / total
        end = None if summary.end_ns is None else (summary.end_ns - tree.start_ns) / total
        return (start, end, type_color(summary.span_type), summary.errors > 0)

    def _fold_tooltip(self, node: int, _column: int) -> str:
        return rich_tooltip(self.fold_text(node))

    def fold_text(self, node: int) -> str:
        """What folded row `node` stands for, in lines: count, timing, errors, where."""
        tree, summary = self._tree, self.summary(node)
        assert tree is not None and summary is not None
        offset = span_duration_text(summary.start_ns - tree.start_ns)
        lines = [
            f"{summary.count:,} consecutive {summary.name or '(unnamed)'} spans, folded",
            f"{summary.span_type} · from +{offset} · over {span_duration_text(summary.wall_ns)}"
            f" · {span_duration_text(summary.total_ns)} of work in all",
        ]
        if summary.p50_ns is not None:
            lines.append(
                f"Each: p50 {span_duration_text(summary.p50_ns)} · p95 "
                f"{span_duration_text(summary.p95_ns)} · max {span_duration_text(summary.max_ns)}"
            )
        if summary.errors:
            lines.append(f"{summary.errors:,} failed")
        if summary.running:
            lines.append(f"{summary.running:,} still running")
        first = self._shape.children[node][0] if self._shape is not None else NO_PARENT
        path = self._path_text(first) if first != NO_PARENT else ""
        if path:
            lines.append(path)
        if self._is_critical(node):
            lines.append("One of them is on the critical path")
        lines.append("→ or Enter unfolds the run")
        return "\n".join(lines)
