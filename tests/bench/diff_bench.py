"""Issue 19's speed bar: two 2,000-span traces (from two databases) aligned and diffed — every
span's changes and the summary — in under 200 ms; and the 100,000-span trace against a second
reading of itself, as the window computes it off the GUI thread (reported, no bar).

Each repeat reads the traces again first (untimed), so no span arrives with its JSON already
parsed by an earlier repeat.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from core.entities import Trace
from core.store import Store
from core.tracediff import TraceDiff, diff_traces
from tests.bench.report import Bar, table
from tests.bench.synth import BenchDatabase
from tests.bench.timing import Sample

DIFF_BAR_S = 0.2


@dataclass(frozen=True)
class DiffCase:
    label: str
    rows: int
    counts: dict[str, int]
    align: Sample  # diff_traces: alignment and own times
    full: Sample  # diff_traces, every row's changes, the summary


@dataclass(frozen=True)
class DiffFigures:
    cases: list[DiffCase]


def _case(label: str, read: Callable[[], tuple[Trace, Trace]], repeats: int) -> DiffCase:
    aligned, full = [], []
    diff: TraceDiff | None = None
    for _ in range(repeats):
        left, right = read()
        started = time.perf_counter()
        diff = diff_traces(left, right)
        aligned.append(time.perf_counter() - started)
        left, right = read()
        started = time.perf_counter()
        diff = diff_traces(left, right)
        diff.changed_rows()
        summary = diff.summary()
        full.append(time.perf_counter() - started)
    assert diff is not None
    return DiffCase(
        label, len(diff.pairs), summary.counts, Sample(tuple(aligned)), Sample(tuple(full))
    )


def measure(
    left_db: BenchDatabase, right_db: BenchDatabase, huge: tuple[str, str] | None, repeats: int
) -> DiffFigures:
    """The 2,000-span traces of two databases; `huge` (path, trace id) against itself."""
    with Store.open(left_db.path) as left_store, Store.open(right_db.path) as right_store:
        left_id, right_id = left_db.big_trace_ids["2000"], right_db.big_trace_ids["2000"]

        def two() -> tuple[Trace, Trace]:
            return left_store.reader.get_trace(left_id), right_store.reader.get_trace(right_id)

        cases = [_case("two 2,000-span traces, two databases", two, repeats)]
    if huge is not None:
        path, trace_id = huge
        with Store.open(path) as store:

            def itself() -> tuple[Trace, Trace]:
                return store.reader.get_trace(trace_id), store.reader.get_trace(trace_id)

            cases.append(_case("the 100,000-span trace against itself", itself, 1))
    return DiffFigures(cases)


def markdown(figures: DiffFigures) -> str:
    header = ["case", "rows", "same / changed / only left / only right", "align ms", "diff ms"]
    rows = [
        [
            case.label,
            f"{case.rows:,}",
            " / ".join(f"{v:,}" for v in case.counts.values()),
            case.align.ms(),
            case.full.ms(),
        ]
        for case in figures.cases
    ]
    return table(header, rows)


def bars(figures: DiffFigures) -> list[Bar]:
    case = figures.cases[0]
    name = f"trace diff: {case.label} aligned and diffed < {DIFF_BAR_S * 1000:.0f} ms"
    return [Bar(name, f"{case.full.median * 1000:.0f} ms", case.full.median < DIFF_BAR_S)]
