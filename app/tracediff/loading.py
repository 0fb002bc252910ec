"""The work of Compare Traces done off the GUI thread (no Qt).

Reading (`read_traces`, `read_from_file`) runs in the database thread: spans come from the
store with their JSON left in the database, so their payloads are read there too. Comparing
(`compare`, `compare_many`, `pair_detail`) runs on the job pool: working out what changed
decodes span JSON, and a 100,000-span pair takes seconds.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.evaluations.diff import Segment, word_diff
from app.explorer.loading import LARGE_TRACE_SPANS
from app.tasks import JobToken
from core.entities import Trace
from core.store import Store, StoreReader, no_gc_pause
from core.tracediff import (
    BaselineReport,
    Change,
    SpanPair,
    Summary,
    TraceDiff,
    compare_with_baseline,
    diff_traces,
)

#: A JSON value shown whole is cut here (the detail is for reading, the export has it all).
VALUE_CHARS = 4_000


def read_traces(reader: StoreReader, trace_ids: Sequence[str]) -> list[Trace]:
    """Database thread: the traces with every span's JSON read."""
    out = []
    with no_gc_pause():
        for trace_id in trace_ids:
            trace = reader.get_trace(trace_id)
            trace.data.load_payloads()
            out.append(trace)
    return out


def read_oldest_first(reader: StoreReader, trace_ids: Sequence[str]) -> list[Trace]:
    """Database thread: `read_traces`, the earliest request first (the left side, or the
    baseline: "yesterday's run" against today's)."""
    traces = read_traces(reader, trace_ids)
    return sorted(traces, key=lambda trace: trace.info.request_time)


def read_from_file(path: str | Path, trace_id: str) -> Trace:
    """Database thread: one trace of another database file, opened read-only and closed."""
    with Store.open(path, read_only=True) as store, no_gc_pause():
        trace = store.reader.get_trace(trace_id)
        trace.data.load_payloads()
    return trace


@dataclass(frozen=True)
class Comparison:
    """Two traces compared, with what the window shows first worked out."""

    diff: TraceDiff
    summary: Summary
    changed: tuple[int, ...]  # rows that are not the same, in tree order
    paths: dict[int, str]  # the fork's and the time movers' paths from the root
    shape: Shape  # the merged tree for the model


def compare(token: JobToken, left: Trace, right: Trace) -> Comparison:
    """Job pool: align, diff every pair (their `changes` are cached), sum up."""
    with no_gc_pause():
        diff = diff_traces(left, right)
        summary = diff.summary()  # asks each pair's status: every `changes` is worked out
        changed = tuple(diff.changed_rows())
        rows = [*summary.time_movers, *([] if summary.fork is None else [summary.fork])]
        paths = {row: diff.path(row) for row in rows}
        shape = tree_shape(diff.pairs)
        if len(diff.pairs) > LARGE_TRACE_SPANS:
            # Out of the GC's generations before it is back on, as the explorer does with a
            # large trace: else the next collection walked both traces' decoded payloads
            # (0.4 s holding the GIL for two 100,000-span traces: a stall of the window).
            # They hold no reference cycles: reference counting frees them with the window.
            gc.freeze()
    return Comparison(diff, summary, changed, paths, shape)


def compare_many(token: JobToken, baseline: Trace, others: Sequence[Trace]) -> BaselineReport:
    """Job pool: the baseline's spans against the others'."""
    with no_gc_pause():
        report = compare_with_baseline(baseline, others)
        if sum(len(t.data.spans) for t in (baseline, *others)) > 2 * LARGE_TRACE_SPANS:
            gc.freeze()  # as `compare` does
    return report


#: Parent row (-1: the roots) → its shown children; row → its place among its siblings.
Shape = tuple[dict[int, list[int]], dict[int, int]]


def tree_shape(pairs: list[SpanPair], rows: Iterable[int] | None = None) -> Shape:
    """The tree of `rows` (all by default, in order) from each pair's `parent`: the job that
    compares works it out, so the GUI thread does not."""
    kids: dict[int, list[int]] = {-1: []}
    for row in range(len(pairs)) if rows is None else rows:
        parent = pairs[row].parent
        kids.setdefault(-1 if parent is None else parent, []).append(row)
    place = {row: at for rows_ in kids.values() for at, row in enumerate(rows_)}
    return kids, place


@dataclass(frozen=True)
class ChangeView:
    """One difference as the detail shows it: texts of both sides, or their word diff."""

    path: str
    kind: str  # added | removed | changed
    left: str
    right: str
    words: tuple[list[Segment], list[Segment]] | None = None  # two strings that differ


@dataclass(frozen=True)
class PairDetail:
    row: int
    parts: tuple[tuple[str, tuple[ChangeView, ...]], ...]  # (part, its changes)


def pair_detail(token: JobToken, row: int, pair: SpanPair) -> PairDetail:
    """Job pool: each changed part's differences by JSON path, strings word-diffed."""
    parts: list[tuple[str, tuple[ChangeView, ...]]] = []
    if pair.left is None or pair.right is None:  # one side: what the span took and gave
        kind = "added" if pair.left is None else "removed"
        for part, value in (("inputs", pair.span.inputs), ("outputs", pair.span.outputs)):
            if value is not None:
                text = value_text(value)
                sides = ("", text) if kind == "added" else (text, "")
                parts.append((part, (ChangeView("", kind, *sides),)))
        return PairDetail(row, tuple(parts))
    for part in pair.changes:
        if token.cancelled:
            break
        views = tuple(change_view(part, change) for change in pair.part_changes(part))
        parts.append((part, views))
    return PairDetail(row, tuple(parts))


def change_view(part: str, change: Change) -> ChangeView:
    left, right = change.left, change.right
    if part == "status":
        return ChangeView(change.path, change.kind, status_text(left), status_text(right))
    if change.path != "…" and isinstance(left, str) and isinstance(right, str):
        return ChangeView(change.path, change.kind, left, right, word_diff(left, right))
    if change.path == "…":  # json_changes stopped listing: how many more
        return ChangeView("…", "more", "", str(right))
    if change.kind == "added":
        return ChangeView(change.path, change.kind, "", value_text(right))
    if change.kind == "removed":
        return ChangeView(change.path, change.kind, value_text(left), "")
    return ChangeView(change.path, change.kind, value_text(left), value_text(right))


def status_text(value: Any) -> str:
    """A span status as `_value` gives it, (code, message): `ERROR: timed out`."""
    if isinstance(value, tuple) and len(value) == 2:
        code, message = value
        return f"{code}: {message}" if message else str(code)
    return value_text(value)


def value_text(value: Any, limit: int = VALUE_CHARS) -> str:
    """A decoded JSON value as text: strings as they are, the rest as indented JSON."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, float):
        text = f"{value:.6g}"  # 0.00084, not 0.0008399999999999999
    else:
        try:
            text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) > limit:
        return text[:limit] + f" … ({len(text) - limit:,} more characters)"
    return text


def read_with_other(
    reader: StoreReader, trace_id: str, path: str | Path, other_id: str
) -> list[Trace]:
    """Database thread: a trace of the open database, then one of another database file."""
    return [*read_traces(reader, [trace_id]), read_from_file(path, other_id)]
