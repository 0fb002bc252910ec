"""What tracing costs the traced code: `core`'s spans against the same loop untraced.

    .venv/bin/python -m tests.bench.overhead

Each loop does a little real work per iteration (building and hashing a small payload) so the
figure reads as "how much slower does my pipeline get", not as the cost of an empty statement.
The traced loops write into a fresh SQLite file through core's background writer; the time to
flush what is left after the loop is reported separately (it is not paid by the traced code).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import core
from core import tracking

ITERATIONS = 2_000
ROUNDS = 5


def work(i: int) -> str:
    payload = json.dumps({"question": f"item {i}", "context": ["a" * 40] * 4})
    return hashlib.sha256(payload.encode()).hexdigest()


def untraced(n: int) -> None:
    for i in range(n):
        work(i)


@core.trace(span_type=core.SpanType.TOOL)
def traced_work(i: int) -> str:
    return work(i)


def one_span_each(n: int) -> None:
    for i in range(n):
        traced_work(i)


def three_spans_each(n: int) -> None:
    for i in range(n):
        with core.start_span("request", span_type=core.SpanType.CHAIN) as span:
            span.set_inputs({"i": i})
            traced_work(i)
            with core.start_span("parse", span_type=core.SpanType.PARSER) as parse:
                parse.set_outputs(work(i + 1))


@dataclass(frozen=True)
class Overhead:
    case: str
    spans_per_iteration: int
    loop_us: float  # per iteration, median of rounds
    flush_ms: float  # writing what was still queued after the loop

    def per_span_us(self, baseline_us: float) -> float:
        if not self.spans_per_iteration:
            return 0.0
        return (self.loop_us - baseline_us) / self.spans_per_iteration


def _timed_round(loop: Callable[[int], None], n: int) -> tuple[float, float]:
    started = time.perf_counter()
    loop(n)
    looped = time.perf_counter() - started
    started = time.perf_counter()
    core.flush_trace_async_logging()
    return looped / n * 1e6, (time.perf_counter() - started) * 1e3


def measure(case: str, loop: Callable[[int], None], spans: int, n: int, rounds: int) -> Overhead:
    with tempfile.TemporaryDirectory() as folder:
        core.set_tracking_uri(Path(folder) / "overhead.db")
        try:
            _timed_round(loop, min(n, 200))  # warm-up: creates the database and the writer
            samples = [_timed_round(loop, n) for _ in range(rounds)]
        finally:
            tracking.reset()
    loop_us = statistics.median(s[0] for s in samples)
    flush_ms = statistics.median(s[1] for s in samples)
    return Overhead(case, spans, loop_us, flush_ms)


def run(n: int = ITERATIONS, rounds: int = ROUNDS) -> list[Overhead]:
    return [
        measure("untraced loop", untraced, 0, n, rounds),
        measure("@trace on the work function", one_span_each, 1, n, rounds),
        measure("3 nested spans per iteration", three_spans_each, 3, n, rounds),
    ]


def markdown(figures: Sequence[Overhead]) -> str:
    baseline = figures[0].loop_us
    lines = [
        "| case | spans per iteration | µs per iteration | overhead per span (µs) | "
        "flush after the loop (ms) |",
        "|---|---|---|---|---|",
    ]
    for figure in figures:
        per_span = f"{figure.per_span_us(baseline):.1f}" if figure.spans_per_iteration else "-"
        lines.append(
            f"| {figure.case} | {figure.spans_per_iteration} | {figure.loop_us:.1f} | "
            f"{per_span} | {figure.flush_ms:.0f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.overhead", description=__doc__)
    parser.add_argument("--iterations", type=int, default=ITERATIONS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args(argv)
    print(markdown(run(args.iterations, args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
