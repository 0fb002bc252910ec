"""Issue 20's speed bar: every Insights chart's query on the 100,000-trace database in under a
second (SQLite), and its ratio to the 1,000-trace database. Each query is timed warm, all
experiments, over the database's whole time range, with the bucket the tab would pick.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.store import Store
from core.store.insights import bucket_ms_for
from tests.bench.report import Bar, table
from tests.bench.synth import BenchDatabase
from tests.bench.timing import Sample

CHART_BAR_S = 1.0
REPEATS = 3


@dataclass(frozen=True)
class InsightFigures:
    n_traces: int
    samples: dict[str, Sample]  # query name -> seconds


def _queries(store: Store) -> dict[str, Callable[[], Any]]:
    insights = store.insights
    found = insights.time_range(None)
    assert found is not None
    start, end = found
    size = bucket_ms_for(start, end)
    return {
        "traces, errors, latency, tokens, cost per bucket": lambda: insights.trace_series(
            None, start, end, size
        ),
        "the same by trace name": lambda: insights.trace_series(None, start, end, size, "name"),
        "the same by tag env": lambda: insights.trace_series(None, start, end, size, "tag:env"),
        "feedback per bucket": lambda: insights.assessment_series(None, start, end, size),
        "spans by name (p50/p95)": lambda: insights.span_stats(None, start, end, "name"),
        "spans by model": lambda: insights.span_stats(None, start, end, "model"),
        "sessions": lambda: insights.sessions(None),
    }


def measure(db: BenchDatabase) -> InsightFigures:
    with Store.open(db.path) as store:
        samples = {}
        for name, query in _queries(store).items():
            query()  # warm: the pages in the cache, the statements compiled
            values = []
            for _ in range(REPEATS):
                started = time.perf_counter()
                query()
                values.append(time.perf_counter() - started)
            samples[name] = Sample(tuple(values))
    return InsightFigures(int(db.manifest["n_traces"]), samples)


def markdown(small: InsightFigures, large: InsightFigures) -> str:
    header = ["query", f"{small.n_traces:,} traces ms", f"{large.n_traces:,} traces ms", "ratio"]
    rows = [
        [
            name,
            small.samples[name].ms(),
            sample.ms(),
            f"{sample.median / max(small.samples[name].median, 1e-9):.0f}x",
        ]
        for name, sample in large.samples.items()
    ]
    return table(header, rows)


def bars(large: InsightFigures) -> list[Bar]:
    slowest = max(large.samples.items(), key=lambda item: item[1].median)
    name = f"insights: every chart's query on {large.n_traces:,} traces < {CHART_BAR_S:g} s"
    measured = f"slowest {slowest[1].median:.2f} s ({slowest[0]})"
    return [Bar(name, measured, slowest[1].median < CHART_BAR_S)]
