"""The rows of `trace_series` laid out for drawing: one slot per bucket of the range, totals
per bucket, and the values of each group of a breakdown, biggest group first (no Qt)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from core.store import SPAN_BREAKDOWNS, TraceBucket

#: Groups drawn one by one; the rest are counted in the note under the charts.
MAX_GROUPS = 8
_N = TypeVar("_N", int, float)


@dataclass
class Slot:
    """One bucket: its totals over every group, and each group's row."""

    start_ms: int
    traces: int = 0
    errors: int = 0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: float | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    groups: dict[str | None, TraceBucket] = field(default_factory=dict)


@dataclass
class Layout:
    """The slots of a range, and the groups drawn (None stands for "no value")."""

    bucket_ms: int
    slots: list[Slot]
    groups: list[str | None]
    hidden_groups: int = 0
    sample_every: int = 1  # >1: a span breakdown read 1 in that many traces

    def slot_at(self, at_ms: float) -> int | None:
        """The index of the slot holding time `at_ms`, or None outside the range."""
        if not self.slots:
            return None
        index = int((at_ms - self.slots[0].start_ms) // self.bucket_ms)
        return index if 0 <= index < len(self.slots) else None

    @property
    def has_cost(self) -> bool:
        return any(slot.cost is not None for slot in self.slots)


def lay_out(
    rows: Sequence[TraceBucket], start_ms: int, end_ms: int, bucket_ms: int, broken_down: bool
) -> Layout:
    """A slot per bucket from the one holding `start_ms` to the one holding `end_ms`."""
    origin = start_ms - start_ms % bucket_ms
    count = max(1, (end_ms - origin) // bucket_ms + 1)
    slots = [Slot(origin + n * bucket_ms) for n in range(count)]
    sizes: dict[str | None, int] = defaultdict(int)
    for row in rows:
        index = (row.start_ms - origin) // bucket_ms
        if not 0 <= index < count:
            continue
        slot = slots[index]
        slot.traces += row.traces
        slot.errors += row.errors
        slot.input_tokens = _add(slot.input_tokens, row.input_tokens)
        slot.output_tokens = _add(slot.output_tokens, row.output_tokens)
        slot.cost = _add(slot.cost, row.cost)
        slot.groups[row.group] = row
        sizes[row.group] += row.traces
        if not broken_down:
            slot.p50_ms, slot.p90_ms, slot.p99_ms = row.p50_ms, row.p90_ms, row.p99_ms
    ranked = sorted(sizes, key=lambda group: (-sizes[group], group or ""))
    groups = ranked[:MAX_GROUPS] if broken_down else []
    hidden = max(0, len(ranked) - MAX_GROUPS) if broken_down else 0
    every = max((row.sample_every for row in rows), default=1)
    return Layout(bucket_ms, slots, groups, hidden, every)


def _add(total: _N | None, value: _N | None) -> _N | None:
    if value is None:
        return total
    return value if total is None else total + value


def counted(by: str | None) -> str:
    """What the series counts: spans when broken down by a span field, else traces."""
    return "spans" if by in SPAN_BREAKDOWNS else "traces"


def bucket_label(bucket_ms: int) -> str:
    """A bucket size as people say it: `5 min`, `6 h`, `1 day`."""
    minutes = bucket_ms // 60_000
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        return f"{minutes // 60} h"
    days = minutes // (24 * 60)
    return "1 day" if days == 1 else f"{days} days"
