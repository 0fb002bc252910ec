"""The icicle layout of a span tree for the flame view: rows of start-sorted spans (no Qt).

Each depth of the tree gets one row, or a few when siblings ran at the same time (parallel tool
calls), so a span seldom hides another. The rows are numpy arrays built once per tree in
O(n log n) from the plain span fields (no payload is decoded); what a paint needs at any zoom
is then a binary search and a few array operations per row, however many spans the trace has.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from app.spans.colors import ERROR_COLOR, type_color
from app.spans.tree import SpanTree, is_error

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

#: Rows one depth may take for spans that ran at the same time; more overlap in the last ones.
MAX_LANES = 8
#: Narrower than this many pixels, a span is merged with the spans it touches into a sliver:
#: bars of a pixel or two side by side read as noise, not as spans.
MIN_SPAN_PX = 3.0


@dataclass(frozen=True)
class FlameRow:
    """The spans of one row, sorted by start (times in ns from the trace's start)."""

    depth: int
    nodes: Ints
    starts: Floats
    ends: Floats
    reach: Floats  # the latest end among spans 0..i: a row's spans may overlap when capped
    errors: Ints  # 1 for a span that failed

    def __len__(self) -> int:
        return len(self.nodes)

    def window(self, t0: float, t1: float) -> tuple[int, int]:
        """The index range of the spans that may show between `t0` and `t1`."""
        lo = int(np.searchsorted(self.reach, t0, side="left"))
        hi = int(np.searchsorted(self.starts, t1, side="right"))
        return lo, max(lo, hi)

    def at(self, t: float, slack: float) -> int | None:
        """The index of the span under time `t` (the latest started when several are), else
        the nearest one within `slack` ns; None when there is none."""
        i = int(np.searchsorted(self.starts, t + slack, side="right")) - 1
        best: int | None = None
        best_gap = math.inf
        while i >= 0 and self.reach[i] >= t - slack:
            start, end = self.starts[i], self.ends[i]
            gap = 0.0 if start <= t <= end else min(abs(start - t), abs(end - t))
            if gap < best_gap:
                best, best_gap = i, gap
                if gap == 0.0:
                    break
            i -= 1
        return best if best_gap <= slack else None


class Pieces(NamedTuple):
    """What a row paints over a window: spans wide enough to draw, and merged slivers."""

    wide: Ints  # indices into the row
    x0: Floats  # pixel edges of the wide spans
    x1: Floats
    sliver_x0: Floats  # pixel edges of the merged slivers
    sliver_x1: Floats
    sliver_count: Ints  # how many spans each sliver stands for
    sliver_first: Ints  # the row index of each sliver's first span (a lone span keeps its colour)
    sliver_errors: Ints  # how many of each sliver's spans failed


def row_pieces(row: FlameRow, t0: float, t1: float, left: float, scale: float) -> Pieces:
    """The row's spans between `t0` and `t1` mapped to pixels (`x = left + (t - t0) * scale`):
    those at least `MIN_SPAN_PX` wide one by one, the narrower merged where they touch."""
    lo, hi = row.window(t0, t1)
    x0 = left + (row.starts[lo:hi] - t0) * scale
    x1 = left + (row.ends[lo:hi] - t0) * scale
    is_wide = (x1 - x0) >= MIN_SPAN_PX
    wide = np.flatnonzero(is_wide)
    narrow = np.flatnonzero(~is_wide)
    if not len(narrow):
        empty = np.zeros(0)
        none = np.zeros(0, dtype=np.int64)
        return Pieces(wide + lo, x0[wide], x1[wide], empty, empty, none, none, none)
    n0, n1 = np.floor(x0[narrow]), np.ceil(x1[narrow])
    n1 = np.maximum(n1, n0 + 1)
    # A new sliver starts where a span begins past the pixel after all before it ended.
    ahead = np.maximum.accumulate(n1)
    starts_run = np.ones(len(narrow), dtype=bool)
    starts_run[1:] = n0[1:] > ahead[:-1]
    first = np.flatnonzero(starts_run)
    counts = np.diff(np.append(first, len(narrow)))
    return Pieces(
        wide + lo,
        x0[wide],
        x1[wide],
        n0[first],
        np.maximum.reduceat(n1, first),
        counts.astype(np.int64),
        narrow[first] + lo,
        np.add.reduceat(row.errors[lo:hi][narrow], first),
    )


@dataclass(frozen=True)
class FlameLayout:
    """A tree's rows, top first, and where each node sits in them."""

    tree: SpanTree
    rows: tuple[FlameRow, ...]
    row_of: Ints  # node -> row
    slot_of: Ints  # node -> index in its row
    duration_ns: float  # at least 1, so a trace of instant spans still has a width
    colors: tuple[str, ...]  # the colours in use: each type's, and the error colour
    color_of: Ints  # node -> index into `colors`

    def span_range(self, node: int) -> tuple[float, float]:
        row = self.rows[int(self.row_of[node])]
        slot = int(self.slot_of[node])
        return float(row.starts[slot]), float(row.ends[slot])

    def node_at(self, row: int, t: float, slack: float) -> int | None:
        if not 0 <= row < len(self.rows):
            return None
        found = self.rows[row].at(t, slack)
        return None if found is None else int(self.rows[row].nodes[found])


def build_flame_layout(tree: SpanTree) -> FlameLayout:
    """The rows of `tree`: one per depth, more where spans overlap (at most `MAX_LANES`)."""
    spans = tree.spans
    count = len(spans)
    depth = _depths(tree)
    failed = np.fromiter((is_error(s) for s in spans), dtype=np.int64, count=count)
    starts = np.fromiter((s.start_time_ns for s in spans), dtype=np.int64, count=count)
    ends = np.fromiter(
        (tree.end_ns if s.end_time_ns is None else s.end_time_ns for s in spans),
        dtype=np.int64,
        count=count,
    )
    ends = np.maximum(ends, starts)  # an end before the start (clock skew): an instant span
    start_f = (starts - tree.start_ns).astype(np.float64)
    end_f = (ends - tree.start_ns).astype(np.float64)
    order = np.lexsort((start_f, depth))
    bounds = np.flatnonzero(np.diff(depth[order])) + 1
    rows: list[FlameRow] = []
    row_of = np.zeros(count, dtype=np.int64)
    slot_of = np.zeros(count, dtype=np.int64)
    for group in np.split(order, bounds) if count else []:
        level = int(depth[group[0]])
        for lane in _lanes(start_f[group], end_f[group]):
            nodes = group[lane]
            row_of[nodes] = len(rows)
            slot_of[nodes] = np.arange(len(nodes))
            lane_ends = end_f[nodes]
            reach = np.maximum.accumulate(lane_ends)
            rows.append(FlameRow(level, nodes, start_f[nodes], lane_ends, reach, failed[nodes]))
    duration = float(max(tree.duration_ns, int(end_f.max()) if count else 0, 1))
    colors, color_of = _colors(tree)
    return FlameLayout(tree, tuple(rows), row_of, slot_of, duration, colors, color_of)


def _colors(tree: SpanTree) -> tuple[tuple[str, ...], Ints]:
    """Each node's colour (its type's; the error colour for a span that failed), as an index
    into the few colours the trace uses, so a paint groups rectangles by colour in numpy."""
    colors: dict[str, int] = {}
    by_type: dict[str | None, int] = {}
    keys = np.zeros(len(tree.spans), dtype=np.int64)
    for node, span in enumerate(tree.spans):
        if is_error(span):
            keys[node] = colors.setdefault(ERROR_COLOR, len(colors))
            continue
        key = by_type.get(span.span_type)
        if key is None:
            key = by_type[span.span_type] = colors.setdefault(
                type_color(span.span_type), len(colors)
            )
        keys[node] = key
    return tuple(colors), keys


def _depths(tree: SpanTree) -> Ints:
    """Each node's depth, level by level from the top-level spans."""
    depth = np.zeros(len(tree.spans), dtype=np.int64)
    level, number = list(tree.shape.roots), 0
    children = tree.shape.children
    while level:
        depth[level] = number
        level = [child for node in level for child in children[node]]
        number += 1
    return depth


def _lanes(starts: Floats, ends: Floats) -> list[Ints]:
    """Split start-sorted spans into lanes in which none overlaps another: each span takes the
    first lane free at its start, so the first lane keeps most of them; past `MAX_LANES` a
    span joins the lane that frees first. Spans that merely touch share a lane."""
    if len(starts) < 2 or not np.any(starts[1:] < np.maximum.accumulate(ends)[:-1]):
        return [np.arange(len(starts))]
    lanes: list[list[int]] = []
    busy: list[tuple[float, int]] = []  # (end of the lane's last span, lane)
    free: list[int] = []  # lanes whose last span has ended, lowest first
    for index, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        while busy and busy[0][0] <= start:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            lane, lane_end = heapq.heappop(free), end
        elif len(lanes) < MAX_LANES:
            lane, lane_end = len(lanes), end
            lanes.append([])
        else:
            old_end, lane = heapq.heappop(busy)
            lane_end = max(old_end, end)
        lanes[lane].append(index)
        heapq.heappush(busy, (lane_end, lane))
    return [np.asarray(lane, dtype=np.int64) for lane in lanes]


# -- the time axis ---------------------------------------------------------------------------

_STEPS = (1, 2, 5)
_UNITS = ((1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "µs"), (1, "ns"))


def tick_step(span_ns: float, width_px: float, min_gap_px: float) -> float:
    """The smallest 1-2-5 step (ns) whose ticks over `span_ns` are `min_gap_px` apart or more."""
    if span_ns <= 0 or width_px <= 0:
        return 1.0
    least = span_ns * min_gap_px / width_px
    power = 10.0 ** math.floor(math.log10(max(least, 1e-9)))
    for factor in (*_STEPS, 10):
        if factor * power >= least:
            return max(factor * power, 1.0)
    return 10 * power  # not reached: 10 x power is always enough


def ticks(t0: float, t1: float, step: float) -> list[float]:
    """Multiples of `step` from `t0` to `t1` (both in ns from the trace's start)."""
    first = math.ceil(t0 / step)
    last = math.floor(t1 / step)
    return [k * step for k in range(first, last + 1)]


def tick_text(t: float, step: float, t_max: float) -> str:
    """`t` in the unit of the window's end, with as many decimals as `step` needs:
    `0`, `250 ms`, `1.25 s`, `1.23456 s`."""
    if t == 0:
        return "0"
    scale, unit = next((s, u) for s, u in _UNITS if t_max >= s or s == 1)
    decimals = max(0, -math.floor(math.log10(step / scale) + 1e-9))
    return f"{t / scale:.{decimals}f} {unit}"
