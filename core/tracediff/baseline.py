"""A baseline trace against N others (a regression run, yesterday's traces): for each span of
the baseline, the durations the aligned spans had in the others, and whether it moved (no Qt).

Each other trace is aligned with the baseline (`align`); a baseline span that repeats in a loop
is matched once per trace, so a loop that ran longer shows as spans only the others have
(`extra`). A span moved when the others' median is further from the baseline than
`MOVE_SHARE` of it and `MOVE_FLOOR_NS`, or when more than half of the others lack it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.entities import Span, Trace
from core.tracediff.align import Key, align, key

MOVE_SHARE = 0.25
MOVE_FLOOR_NS = 5_000_000  # 5 ms


@dataclass(frozen=True)
class SpanSpread:
    """One baseline span and the durations of its counterparts in the other traces."""

    span: Span
    depth: int
    baseline_ns: int | None
    others_ns: tuple[int, ...]  # sorted
    missing: int  # other traces that have no counterpart

    @property
    def p50_ns(self) -> int | None:
        return percentile(self.others_ns, 0.5)

    @property
    def p90_ns(self) -> int | None:
        return percentile(self.others_ns, 0.9)

    @property
    def moved(self) -> bool:
        if self.missing * 2 > self.missing + len(self.others_ns):
            return True
        median, base = self.p50_ns, self.baseline_ns
        if median is None or base is None:
            return False
        return abs(median - base) > max(MOVE_SHARE * base, MOVE_FLOOR_NS)


@dataclass(frozen=True)
class BaselineReport:
    baseline: Trace
    others: int
    spans: list[SpanSpread]  # the baseline's spans in tree order
    extra: dict[Key, int] = field(default_factory=dict)  # (name, type) only others had: count

    @property
    def moved(self) -> list[SpanSpread]:
        return [s for s in self.spans if s.moved]


def compare_with_baseline(baseline: Trace, others: Sequence[Trace]) -> BaselineReport:
    """Per-span duration spreads of `others` against `baseline`."""
    own = [row for row in align(baseline.data.spans, []) if row.left is not None]
    durations: dict[str, list[int]] = {row.left.span_id: [] for row in own if row.left}
    extra: Counter[Key] = Counter()
    for other in others:
        seen: set[Key] = set()
        for row in align(baseline.data.spans, other.data.spans):
            if row.left is None and row.right is not None:
                seen.add(key(row.right))
            elif row.left is not None and row.right is not None:
                durations[row.left.span_id].append(row.right.duration_ns or 0)
        extra.update(seen)
    spreads = [
        SpanSpread(
            span,
            row.depth,
            span.duration_ns,
            tuple(sorted(durations[span.span_id])),
            len(others) - len(durations[span.span_id]),
        )
        for row in own
        if (span := row.left) is not None
    ]
    return BaselineReport(baseline, len(others), spreads, dict(extra))


def percentile(values: Sequence[int], share: float) -> int | None:
    """Nearest-rank percentile of sorted `values`."""
    if not values:
        return None
    rank = max(1, -(-len(values) * share // 1))  # ceil
    return values[int(rank) - 1]
