"""The span tree of one trace as plain index lists, built in O(n) off the GUI thread (no Qt).

Nodes are positions in `SpanTree.spans`. Building reads only the plain span fields (ids, name,
type, status, times): no span payload is decoded, so a 10,000-span tree costs no JSON work.
A `TreeShape` is what a model shows: the whole tree, or the part a `SpanFilter` keeps (the
matching spans and their ancestors, so every match stays in context). `SpanTree.shown` also
folds runs of repeated siblings (412 consecutive `search_docs` calls) under one node each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from core.entities import Span

NO_PARENT = -1
UNKNOWN_TYPE = "UNKNOWN"
#: This many consecutive siblings of one name and type show as one folded row, or more.
FOLD_MIN = 5


def span_type_of(span: Span) -> str:
    return span.span_type or UNKNOWN_TYPE


def is_error(span: Span) -> bool:
    return span.status_code == "ERROR"


@dataclass(frozen=True)
class SpanFilter:
    """Which spans to show: a name fragment, a set of types (None: all), or errors only."""

    text: str = ""
    types: frozenset[str] | None = None
    errors_only: bool = False

    @property
    def active(self) -> bool:
        return bool(self.text.strip()) or self.types is not None or self.errors_only

    def matches(self, span: Span) -> bool:
        if self.errors_only and not is_error(span):
            return False
        if self.types is not None and span_type_of(span) not in self.types:
            return False
        needle = self.text.strip().casefold()
        return not needle or needle in span.name.casefold()


@dataclass
class TreeShape:
    """Parent/children/row lists for the nodes shown; hidden nodes have row -1.

    Nodes are spans, and in a folded shape (`fold_runs`) also runs of repeated siblings,
    numbered after the spans: a run's children are its members.
    """

    roots: list[int]
    children: list[list[int]]
    parent: list[int]
    row: list[int]
    matched: bytearray | None = None  # 1 for a match, 0 for an ancestor shown for context
    depth: int | None = None  # the deepest level shown, when folding measured it

    def children_of(self, node: int) -> list[int]:
        return self.roots if node == NO_PARENT else self.children[node]

    @property
    def visible_count(self) -> int:
        return sum(1 for r in self.row if r >= 0)


@dataclass
class SpanTree:
    """A trace's spans with their tree, time range and the types present."""

    spans: tuple[Span, ...]
    shape: TreeShape
    by_id: dict[str, int]
    orphans: frozenset[int]  # top-level spans that name a parent never recorded
    start_ns: int
    end_ns: int
    type_counts: dict[str, int] = field(default_factory=dict)
    error_count: int = 0
    max_depth: int = 0  # levels below the top level, so a view can budget its indentation
    folded: TreeShape | None = None  # `shape` with its runs folded (see `shown`)
    critical: frozenset[int] | None = None  # the critical path, once computed (critical_path.py)

    @property
    def duration_ns(self) -> int:
        return max(self.end_ns - self.start_ns, 0)

    def depth(self, node: int) -> int:
        depth = 0
        while (node := self.shape.parent[node]) != NO_PARENT:
            depth += 1
        return depth

    def ancestors(self, node: int) -> list[int]:
        """The nodes above `node`, from the top level down to its parent."""
        path = []
        while (node := self.shape.parent[node]) != NO_PARENT:
            path.append(node)
        return path[::-1]

    def shown(self, span_filter: SpanFilter) -> TreeShape:
        """What a view shows: `filtered`, with runs of repeated siblings folded (the whole
        tree's folding is made once, by `build_tree` in the database thread)."""
        if span_filter.active:
            return fold_runs(self.filtered(span_filter), self.spans)
        if self.folded is None:
            self.folded = fold_runs(self.shape, self.spans)
        return self.folded

    def filtered(self, span_filter: SpanFilter) -> TreeShape:
        """The shape that shows the matches of `span_filter` and their ancestors."""
        if not span_filter.active:
            return self.shape
        parent = self.shape.parent
        matched = bytearray(len(self.spans))
        visible = bytearray(len(self.spans))
        for found, span in enumerate(self.spans):
            if span_filter.matches(span):
                matched[found] = 1
                node = found
                while node != NO_PARENT and not visible[node]:
                    visible[node] = 1
                    node = parent[node]
        return _shape_of(self.shape, visible, matched)


def build_tree(spans: Sequence[Span]) -> SpanTree:
    """Index `spans` into a tree: O(n) apart from sorting each sibling group by start time."""
    spans = tuple(spans)
    by_id: dict[str, int] = {}
    for node, span in enumerate(spans):
        by_id.setdefault(span.span_id, node)
    parent, orphans = _parents(spans, by_id)
    _break_cycles(spans, parent, orphans)
    shape = _shape_from_parents(spans, parent)
    starts = [s.start_time_ns for s in spans]
    ends = [s.end_time_ns for s in spans if s.end_time_ns is not None]
    start = min(starts, default=0)
    end = max(max(ends, default=start), max(starts, default=0))
    type_counts: dict[str, int] = {}
    for span in spans:
        kind = span_type_of(span)
        type_counts[kind] = type_counts.get(kind, 0) + 1
    return SpanTree(
        spans=spans,
        shape=shape,
        by_id=by_id,
        orphans=frozenset(orphans),
        start_ns=start,
        end_ns=end,
        type_counts=dict(sorted(type_counts.items())),
        error_count=sum(1 for s in spans if is_error(s)),
        max_depth=_max_depth(shape),
        folded=fold_runs(shape, spans),
    )


def fold_runs(shape: TreeShape, spans: Sequence[Span]) -> TreeShape:
    """`shape` with every run of `FOLD_MIN` or more consecutive siblings of one name and type
    moved under a new node that stands for the run (nodes `len(spans)` and up, in order).

    O(nodes shown): only sibling groups of `FOLD_MIN` or more are scanned, and only plain
    span fields are compared. A shape without such runs comes back as it is.
    """
    folded: TreeShape | None = None
    groups = ((node, group) for node, group in enumerate(shape.children) if len(group) >= FOLD_MIN)
    for up, group in ((NO_PARENT, shape.roots), *groups):
        runs = _runs(group, spans) if len(group) >= FOLD_MIN else []
        if not runs:
            continue
        if folded is None:
            folded = TreeShape(
                shape.roots,
                list(shape.children),
                list(shape.parent),
                list(shape.row),
                bytearray(shape.matched) if shape.matched is not None else None,
            )
        kept = _fold_group(folded, up, group, runs)
        if up == NO_PARENT:
            folded.roots = kept
        else:
            folded.children[up] = kept
    if folded is None:
        return shape
    folded.depth = _max_depth(folded)
    return folded


def _runs(group: list[int], spans: Sequence[Span]) -> list[tuple[int, int]]:
    """(first, stop) positions in `group` of its runs of `FOLD_MIN` or more alike siblings."""
    runs = []
    first, key = 0, None
    for position, node in enumerate(group):
        span = spans[node]
        alike = (span.name, span.span_type or UNKNOWN_TYPE)
        if alike != key:
            if position - first >= FOLD_MIN:
                runs.append((first, position))
            first, key = position, alike
    if len(group) - first >= FOLD_MIN:
        runs.append((first, len(group)))
    return runs


def _fold_group(
    shape: TreeShape, up: int, group: list[int], runs: list[tuple[int, int]]
) -> list[int]:
    """`group` with each run replaced by a new node of `shape` holding it; the new rows."""
    kept: list[int] = []
    done = 0
    for first, stop in runs:
        for node in group[done:first]:
            shape.row[node] = len(kept)
            kept.append(node)
        members = group[first:stop]
        fold = len(shape.children)
        shape.children.append(members)
        shape.parent.append(up)
        shape.row.append(len(kept))
        kept.append(fold)
        for position, member in enumerate(members):
            shape.parent[member] = fold
            shape.row[member] = position
        if shape.matched is not None:
            shape.matched.append(1 if any(shape.matched[m] for m in members) else 0)
        done = stop
    for node in group[done:]:
        shape.row[node] = len(kept)
        kept.append(node)
    return kept


def _parents(spans: Sequence[Span], by_id: dict[str, int]) -> tuple[list[int], set[int]]:
    """Each span's parent node, and the spans whose recorded parent is not in the trace."""
    parent = [NO_PARENT] * len(spans)
    orphans = set()
    for node, span in enumerate(spans):
        if span.parent_id is None:
            continue
        found = by_id.get(span.parent_id)
        if found is None or found == node:
            orphans.add(node)
        else:
            parent[node] = found
    return parent, orphans


def _break_cycles(spans: Sequence[Span], parent: list[int], orphans: set[int]) -> None:
    """Spans whose parent chain loops never reach a root: lift one per loop to the top level."""
    state = bytearray(len(spans))  # 0 unknown, 1 on the current walk, 2 reaches a root
    for start in range(len(spans)):
        walk = []
        node = start
        while node != NO_PARENT and state[node] == 0:
            state[node] = 1
            walk.append(node)
            node = parent[node]
        if node != NO_PARENT and state[node] == 1:  # came back onto this walk: a loop
            parent[node] = NO_PARENT
            orphans.add(node)
        for visited in walk:
            state[visited] = 2


def _shape_from_parents(spans: Sequence[Span], parent: list[int]) -> TreeShape:
    children: list[list[int]] = [[] for _ in spans]
    roots: list[int] = []
    for node, up in enumerate(parent):
        (roots if up == NO_PARENT else children[up]).append(node)

    def start_of(node: int) -> tuple[int, str]:
        return (spans[node].start_time_ns, spans[node].span_id)

    row = [0] * len(spans)
    for group in (roots, *children):
        if len(group) > 1:
            group.sort(key=start_of)
        for index, node in enumerate(group):
            row[node] = index
    return TreeShape(roots, children, parent, row)


def _max_depth(shape: TreeShape) -> int:
    """The deepest level of `shape` (0 when every span is top level), level by level."""
    level, depth = shape.roots, -1
    while level:
        depth += 1
        level = [child for node in level for child in shape.children[node]]
    return max(depth, 0)


def _shape_of(full: TreeShape, visible: bytearray, matched: bytearray) -> TreeShape:
    """The sub-shape of `full` holding only the visible nodes, in the same order."""
    row = [-1] * len(full.row)

    def keep(group: list[int]) -> list[int]:
        kept = [n for n in group if visible[n]]
        for index, node in enumerate(kept):
            row[node] = index
        return kept

    roots = keep(full.roots)
    children = [keep(group) if visible[n] else [] for n, group in enumerate(full.children)]
    return TreeShape(roots, children, full.parent, row, matched)
