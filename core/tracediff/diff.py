"""`diff_traces(left, right)`: two traces compared span by span (no Qt).

The merged tree comes from `align`; each row (`SpanPair`) says whether the span is the same in
both, changed, or only on one side, with both durations, token counts and costs. What changed in
a pair (status, inputs, outputs, attributes, events) is worked out when first asked, so rows a
view never shows never decode their JSON. `TraceDiff.summary()` gives the totals and their
deltas, the spans whose own time (their duration less the time covered by their children)
moved most, and the fork: the first span, in tree order, whose input differs or that only one
trace has.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.entities import Span, Trace
from core.tracediff.align import Aligned, Children, align
from core.tracediff.values import Change, json_changes

SAME, CHANGED, ONLY_LEFT, ONLY_RIGHT = "same", "changed", "only left", "only right"
#: Parts of a span compared by `SpanPair.changes`, in the order they are listed.
PARTS = ("status", "inputs", "outputs", "attributes", "events")
#: Attributes not compared: they name the trace, or are compared as inputs and outputs.
INPUTS_KEY, OUTPUTS_KEY = "mlflow.spanInputs", "mlflow.spanOutputs"
UNCOMPARED = frozenset({"mlflow.traceRequestId", INPUTS_KEY, OUTPUTS_KEY})
TOP_TIME = 5


class SpanPair:
    """One row of the merged tree."""

    __slots__ = (
        "__dict__",
        "depth",
        "left",
        "left_self_ns",
        "moved",
        "parent",
        "right",
        "right_self_ns",
    )

    def __init__(self, row: Aligned, left_self_ns: int | None, right_self_ns: int | None) -> None:
        self.left, self.right = row.left, row.right
        self.depth, self.parent, self.moved = row.depth, row.parent, row.moved
        self.left_self_ns, self.right_self_ns = left_self_ns, right_self_ns

    @property
    def span(self) -> Span:
        """The span the row is named after (the left one when both)."""
        found = self.left or self.right
        assert found is not None
        return found

    @property
    def name(self) -> str:
        return self.span.name

    @property
    def span_type(self) -> str:
        return self.span.span_type or ""

    @functools.cached_property
    def changes(self) -> tuple[str, ...]:
        """The parts (`PARTS`) that differ; () for a one-sided row."""
        left, right = self.left, self.right
        if left is None or right is None:
            return ()
        return tuple(part for part in PARTS if _raw(left, part) != _raw(right, part))

    @property
    def status(self) -> str:
        if self.left is None:
            return ONLY_RIGHT
        if self.right is None:
            return ONLY_LEFT
        return CHANGED if self.changes else SAME

    def part_changes(self, part: str) -> list[Change]:
        """What differs in one part, by JSON structure (strings whole: word-diff them)."""
        if self.left is None or self.right is None:
            return []
        return json_changes(_value(self.left, part), _value(self.right, part))

    def inputs_differ(self) -> bool:
        if self.left is None or self.right is None:
            return True
        return bool(_raw(self.left, "inputs") != _raw(self.right, "inputs"))

    @property
    def duration_ns(self) -> tuple[int | None, int | None]:
        return _duration(self.left), _duration(self.right)

    @property
    def duration_delta_ns(self) -> int:
        """Right's duration less left's (a missing side counts as 0)."""
        left, right = self.duration_ns
        return (right or 0) - (left or 0)

    @property
    def self_delta_ns(self) -> int:
        return (self.right_self_ns or 0) - (self.left_self_ns or 0)

    @property
    def tokens(self) -> tuple[int | None, int | None]:
        return _tokens(self.left), _tokens(self.right)

    @property
    def cost(self) -> tuple[float | None, float | None]:
        return _cost(self.left), _cost(self.right)


@dataclass(frozen=True)
class Totals:
    """One trace's duration, tokens and cost (None where nothing was recorded)."""

    duration_ns: int | None
    tokens: int | None
    cost: float | None
    spans: int
    status: str


@dataclass(frozen=True)
class Summary:
    left: Totals
    right: Totals
    counts: dict[str, int]  # rows by status (same, changed, only left, only right)
    moved: int  # rows paired out of their siblings' order
    time_movers: tuple[int, ...]  # rows whose own time moved most, largest first
    fork: int | None  # the first row whose input differs or that one trace lacks

    @property
    def duration_delta_ns(self) -> int | None:
        left, right = self.left.duration_ns, self.right.duration_ns
        return None if left is None or right is None else right - left

    @property
    def tokens_delta(self) -> int | None:
        left, right = self.left.tokens, self.right.tokens
        return None if left is None or right is None else right - left

    @property
    def cost_delta(self) -> float | None:
        left, right = self.left.cost, self.right.cost
        return None if left is None or right is None else right - left


class TraceDiff:
    """Two traces compared: `pairs` in merged tree order, `summary()` of the whole."""

    def __init__(self, left: Trace, right: Trace) -> None:
        self.left, self.right = left, right
        left_spans, right_spans = left.data.spans, right.data.spans
        left_self, right_self = self_times(left_spans), self_times(right_spans)
        self.pairs: list[SpanPair] = [
            SpanPair(
                row,
                left_self.get(row.left.span_id) if row.left else None,
                right_self.get(row.right.span_id) if row.right else None,
            )
            for row in align(left_spans, right_spans)
        ]

    def path(self, index: int) -> str:
        """Row `index`'s span names from the root: `agent / plan / search_docs`."""
        names = []
        at: int | None = index
        while at is not None:
            pair = self.pairs[at]
            names.append(pair.name)
            at = pair.parent
        return " / ".join(reversed(names))

    def changed_rows(self) -> list[int]:
        """Rows that are not the same (decodes every paired span: run it off the GUI thread)."""
        return [i for i, pair in enumerate(self.pairs) if pair.status != SAME]

    def fork(self) -> int | None:
        """The first row whose input differs or that only one trace has."""
        for index, pair in enumerate(self.pairs):
            if pair.inputs_differ():
                return index
        return None

    def summary(self, top: int = TOP_TIME) -> Summary:
        counts = {SAME: 0, CHANGED: 0, ONLY_LEFT: 0, ONLY_RIGHT: 0}
        for pair in self.pairs:
            counts[pair.status] += 1
        by_time = sorted(
            (i for i, p in enumerate(self.pairs) if p.self_delta_ns),
            key=lambda i: -abs(self.pairs[i].self_delta_ns),
        )
        return Summary(
            left=totals(self.left),
            right=totals(self.right),
            counts=counts,
            moved=sum(1 for p in self.pairs if p.moved),
            time_movers=tuple(by_time[:top]),
            fork=self.fork(),
        )


def diff_traces(left: Trace, right: Trace) -> TraceDiff:
    """Compare two traces span by span (they may come from two databases)."""
    return TraceDiff(left, right)


def totals(trace: Trace) -> Totals:
    spans = trace.data.spans
    usage = trace.info.token_usage
    tokens = usage.total_tokens if usage is not None else _sum([_tokens(s) for s in spans])
    duration = _root_duration(spans)
    if duration is None and trace.info.execution_duration is not None:
        duration = trace.info.execution_duration * 1_000_000  # recorded in ms
    return Totals(
        duration_ns=duration,
        tokens=tokens,
        cost=_sum([_cost(s) for s in spans]),
        spans=len(spans),
        status=trace.info.state.value,
    )


def self_times(spans: Sequence[Span]) -> dict[str, int]:
    """Each span's own time: its duration less the union of its children's time inside it."""
    children = Children(spans)
    out: dict[str, int] = {}
    for span in spans:
        duration = _duration(span)
        if duration is None:
            continue
        covered, reach = 0, span.start_time_ns
        end = span.start_time_ns + duration
        for child in children.of(span):  # in start order: sweep the union of their intervals
            child_end = child.end_time_ns if child.end_time_ns is not None else child.start_time_ns
            start, stop = max(child.start_time_ns, reach), min(child_end, end)
            if stop > start:
                covered += stop - start
                reach = stop
        out[span.span_id] = duration - covered
    return out


def _raw(span: Span, part: str) -> Any:
    """A part as stored (attribute values are JSON text as MLflow wrote them): comparing the
    text decodes no attribute; `_value` decodes the part to list what changed."""
    if part == "status":
        return _value(span, part)
    raw = span.raw_attributes
    if part == "inputs":
        return raw.get(INPUTS_KEY)
    if part == "outputs":
        return raw.get(OUTPUTS_KEY)
    if part == "attributes":
        return {k: v for k, v in raw.items() if k not in UNCOMPARED}
    events = span.content.get("events")
    if not isinstance(events, list):
        return []
    return [(e.get("name"), e.get("attributes")) for e in events if isinstance(e, dict)]


def _value(span: Span, part: str) -> Any:
    if part == "status":
        return (span.status_code, span.status_message if span.status_code == "ERROR" else "")
    if part == "inputs":
        return span.inputs
    if part == "outputs":
        return span.outputs
    if part == "attributes":
        return {k: v for k, v in span.attributes.items() if k not in UNCOMPARED}
    return [{"name": e.name, "attributes": dict(e.attributes)} for e in span.events]


def _duration(span: Span | None) -> int | None:
    return span.duration_ns if span is not None else None


def _tokens(span: Span | None) -> int | None:
    usage = span.token_usage if span is not None else None
    return usage.total_tokens if usage is not None else None


def _cost(span: Span | None) -> float | None:
    cost = span.llm_cost if span is not None else None
    value = cost.get("total_cost") if cost else None
    return float(value) if isinstance(value, int | float) else None


def _sum(values: Sequence[Any]) -> Any:
    found = [v for v in values if v is not None]
    return sum(found) if found else None


def _root_duration(spans: Sequence[Span]) -> int | None:
    roots = Children(spans).roots
    return _duration(roots[0]) if roots else None
