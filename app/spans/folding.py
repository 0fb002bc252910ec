"""What a folded run of repeated siblings shows: its count, name, p50 and p95 durations and
errors ("412 times search_docs"), its time range and a busy profile for its bar (no Qt).

`fold_runs` (app/spans/tree.py) finds the runs while the tree is built; a run is summarized
only when a view shows its row, so a trace with thousands of runs costs nothing up front.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.spans.colors import span_duration_text
from app.spans.tree import is_error, span_type_of
from core.entities import Span

#: The resolution of a run's busy profile: plenty for a timeline bar, whatever its width.
PROFILE_CELLS = 256
IDLE, BUSY, FAILED = 0, 1, 2
TIMES = "\N{MULTIPLICATION SIGN}"  # "412x", with the sign typography uses


@dataclass(frozen=True)
class RunSummary:
    """A run of `count` consecutive sibling spans that share a name and a type."""

    name: str
    span_type: str
    count: int
    start_ns: int  # the first member's start
    end_ns: int | None  # the last end of a member (None while one is still running)
    p50_ns: int | None  # of the finished members' durations
    p95_ns: int | None
    max_ns: int | None
    total_ns: int  # the finished members' durations added up
    errors: int
    running: int
    #: `PROFILE_CELLS` cells across the run's time range: IDLE, BUSY or FAILED (a member that
    #: failed ran there), so the bar shows the gaps between calls and where the errors are.
    profile: bytes

    @property
    def wall_ns(self) -> int | None:
        """From the first start to the last end."""
        return None if self.end_ns is None else max(self.end_ns - self.start_ns, 0)

    def label(self) -> str:
        """`412x search_docs · p50 120 ms · p95 1.20 s · 3 errors` (with a multiplication sign)."""
        parts = [f"{self.count:,}{TIMES} {self.name or '(unnamed)'}"]
        if self.p50_ns is not None:
            parts.append(f"p50 {span_duration_text(self.p50_ns)}")
            parts.append(f"p95 {span_duration_text(self.p95_ns)}")
        if self.errors:
            parts.append(f"{self.errors:,} error" + ("" if self.errors == 1 else "s"))
        if self.running:
            parts.append(f"{self.running:,} running")
        return " · ".join(parts)


def percentile(ordered: Sequence[int], fraction: float) -> int:
    """The nearest-rank percentile of `ordered` (sorted, not empty): p95 of 20 is the 19th."""
    rank = max(math.ceil(fraction * len(ordered)), 1)
    return ordered[min(rank, len(ordered)) - 1]


def summarize(spans: Sequence[Span], members: Sequence[int]) -> RunSummary:
    """The summary of the run of `members` (nodes of `spans`, in start order, not empty)."""
    first = spans[members[0]]
    durations = sorted(
        end - spans[m].start_time_ns for m in members if (end := spans[m].end_time_ns) is not None
    )
    running = len(members) - len(durations)
    start = min(spans[m].start_time_ns for m in members)
    ends = [end for m in members if (end := spans[m].end_time_ns) is not None]
    end = max(ends) if ends and not running else None
    known = bool(durations)
    return RunSummary(
        name=first.name,
        span_type=span_type_of(first),
        count=len(members),
        start_ns=start,
        end_ns=end,
        p50_ns=percentile(durations, 0.5) if known else None,
        p95_ns=percentile(durations, 0.95) if known else None,
        max_ns=durations[-1] if known else None,
        total_ns=sum(durations),
        errors=sum(1 for m in members if is_error(spans[m])),
        running=running,
        profile=_profile(spans, members, start, max(ends, default=start)),
    )


def _profile(spans: Sequence[Span], members: Sequence[int], start: int, end: int) -> bytes:
    """Which cells of [start, end] a member ran in (FAILED where a failed one ran): O(members +
    cells), however much the members overlap."""
    busy = [0] * (PROFILE_CELLS + 1)  # +1 where a member's cells begin, -1 after they end
    failed = [0] * (PROFILE_CELLS + 1)
    width = max(end - start, 1)
    for member in members:
        span = spans[member]
        span_end = end if span.end_time_ns is None else span.end_time_ns
        first = min(
            max((span.start_time_ns - start) * PROFILE_CELLS // width, 0), PROFILE_CELLS - 1
        )
        last = min(max((span_end - start) * PROFILE_CELLS // width, first), PROFILE_CELLS - 1)
        marks = failed if is_error(span) else busy
        marks[first] += 1
        marks[last + 1] -= 1
    cells = bytearray(PROFILE_CELLS)
    running_busy = running_failed = 0
    for cell in range(PROFILE_CELLS):
        running_busy += busy[cell]
        running_failed += failed[cell]
        cells[cell] = FAILED if running_failed else BUSY if running_busy else IDLE
    return bytes(cells)
