"""Trace diff: two traces compared span by span, and a baseline against many (no Qt).

* `diff_traces(left, right)` → `TraceDiff`: the merged tree (`pairs`, each a `SpanPair`:
  same / changed / only left / only right, durations, tokens, cost, what changed by JSON path)
  and `summary()` (totals and deltas, where the time went, where the runs forked).
* `compare_with_baseline(baseline, others)` → `BaselineReport`: per-span duration spreads and
  the spans that moved.
* `diff_markdown(diff)` and `diff_json(diff)`: exports.

The traces may come from two databases: only their spans are compared.
"""

from core.tracediff.align import Aligned, align
from core.tracediff.baseline import BaselineReport, SpanSpread, compare_with_baseline
from core.tracediff.diff import (
    CHANGED,
    ONLY_LEFT,
    ONLY_RIGHT,
    PARTS,
    SAME,
    SpanPair,
    Summary,
    Totals,
    TraceDiff,
    diff_traces,
)
from core.tracediff.export import diff_json, diff_markdown, duration_text
from core.tracediff.values import Change, json_changes

__all__ = [
    "CHANGED",
    "ONLY_LEFT",
    "ONLY_RIGHT",
    "PARTS",
    "SAME",
    "Aligned",
    "BaselineReport",
    "Change",
    "SpanPair",
    "SpanSpread",
    "Summary",
    "Totals",
    "TraceDiff",
    "align",
    "compare_with_baseline",
    "diff_json",
    "diff_markdown",
    "diff_traces",
    "duration_text",
    "json_changes",
]
