"""Issue 20's speed bar: every Insights chart's query on the 100,000-trace database in under a
second (SQLite), and its ratio to the 1,000-trace database. Each query is timed warm, all
experiments, over the database's whole time range, with the bucket the tab would pick.

Then the tab itself (`tests.bench.insights_gui`, a child process) on the largest experiment of
the large database: each view drawn in under a second from the pick, and its longest GUI stall.
`measure_store` serves the PostgreSQL bench too (`tests.bench.postgres`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.store import Store
from core.store.insights import bucket_ms_for
from tests.bench.report import Bar, table
from tests.bench.synth import BenchDatabase
from tests.bench.timing import Sample, run_child

CHART_BAR_S = 1.0
REPEATS = 3
GUI_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class InsightFigures:
    n_traces: int
    samples: dict[str, Sample]  # query name -> seconds
    window: dict[str, Any] | None = None  # `tests.bench.insights_gui`'s figures
    experiment: tuple[str, int] | None = None  # the experiment the window showed, its traces


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
        "spans of each type per bucket": lambda: insights.trace_series(
            None, start, end, size, "span.type"
        ),
        "calls of each model per bucket": lambda: insights.trace_series(
            None, start, end, size, "span.model"
        ),
        "most frequent error messages": lambda: insights.error_messages(None, start, end),
        "sessions": lambda: insights.sessions(None),
    }


def measure(db: BenchDatabase, window: bool = False) -> InsightFigures:
    """The queries on `db`; with `window`, the tab drawn on its largest experiment too."""
    return measure_store(str(db.path), int(db.manifest["n_traces"]), window)


def measure_store(location: str, n_traces: int, window: bool = False) -> InsightFigures:
    with Store.open(location) as store:
        samples = {}
        for name, query in _queries(store).items():
            query()  # warm: the pages in the cache, the statements compiled
            values = []
            for _ in range(REPEATS):
                started = time.perf_counter()
                query()
                values.append(time.perf_counter() - started)
            samples[name] = Sample(tuple(values))
        counts = store.reader.trace_counts()
    if not (window and counts):
        return InsightFigures(n_traces, samples)
    experiment = max(counts, key=lambda e: counts[e])
    command = [sys.executable, "-m", "tests.bench.insights_gui", location, experiment]
    drawn = run_child(command, timeout_s=GUI_TIMEOUT_S).result
    return InsightFigures(n_traces, samples, drawn, (experiment, counts[experiment]))


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
    text = table(header, rows)
    if large.window is not None and large.experiment is not None:
        experiment, traces = large.experiment
        steps = [
            [
                step,
                f"{figures['charts_s'] * 1000:.0f}",
                f"{figures['s'] * 1000:.0f}",
                f"{figures['stall_ms']:.0f}",
            ]
            for step, figures in large.window["steps"].items()
        ]
        text += (
            f"\n\nThe Insights tab drawing experiment {experiment} of the {large.n_traces:,}-trace "
            f"database ({traces:,} traces; first row: every chart and table read afresh, then "
            "each breakdown picked in turn, which reads its series only):\n\n"
            + table(["view", "charts drawn ms", "tables too ms", "longest GUI stall ms"], steps)
        )
    return text


def bars(large: InsightFigures) -> list[Bar]:
    slowest = max(large.samples.items(), key=lambda item: item[1].median)
    name = f"insights: every chart's query on {large.n_traces:,} traces < {CHART_BAR_S:g} s"
    measured = f"slowest {slowest[1].median:.2f} s ({slowest[0]})"
    found = [Bar(name, measured, slowest[1].median < CHART_BAR_S)]
    if large.window is not None:
        step, figures = max(large.window["steps"].items(), key=lambda i: i[1]["charts_s"])
        found.append(
            Bar(
                f"insights: the tab draws every chart on {large.n_traces:,} traces < "
                f"{CHART_BAR_S:g} s",
                f"slowest {figures['charts_s']:.2f} s ({step})",
                figures["charts_s"] < CHART_BAR_S,
            )
        )
    return found
