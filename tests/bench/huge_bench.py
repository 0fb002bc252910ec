"""The huge-trace part of `make bench`: one trace of 100,000 spans and one of 1,000,000.

    .venv/bin/python -m tests.bench.run --only huge             # this part alone
    .venv/bin/python -m tests.bench.huge_bench --quick          # the same, printed only

* `get_trace` in fresh processes: ours (`tests.bench.probe get-only`) and MLflow 3.18's
  (`tests/bench/mlflow_probe.py get`) in alternation, round by round; a bar is the median of
  the per-round ratios. MLflow gets `MLFLOW_TIMEOUT_S` for the million-span trace and is
  reported as timed out past it.
* the window (`tests.bench.huge_gui`, one child process per run): opening the trace by id
  until its tree has painted, the longest GUI-thread stall while opening, dragging through the
  tree, expanding all, filtering and selecting spans, and the process's memory against the
  trace's span JSON.

The databases are built once by `tests.bench.huge` and cached under bench-data/.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench import report
from tests.bench.huge import HUGE_SIZES, HugeTrace, ensure_huge_trace
from tests.bench.timing import ChildRun, Sample, ours, ratios, run_child

GET_SPEEDUP_BAR = 20.0
TREE_VISIBLE_BAR_S = 1.0
STALL_BAR_MS = 100.0
MLFLOW_TIMEOUT_S = 600.0
WINDOW_TIMEOUT_S = 900.0
BAR_SPANS = 100_000  # the bars are judged on this trace; the million-span one is reported
PHASES = (
    ("open", "opening"),
    ("scroll", "dragging through the tree"),
    ("expand", "expand all"),
    ("scroll_expanded", "dragging through it expanded"),
    ("filter", "typing a filter, clearing it"),
    ("select", "selecting 3 spans"),
)


@dataclass(frozen=True)
class HugeConfig:
    rounds: int  # MLflow and our get_trace, alternating
    window_runs: int
    mlflow_python: Path | None


@dataclass(frozen=True)
class GetFigures:
    """`get_trace` of one huge trace in fresh processes: ours, and MLflow's when it ran."""

    ours: list[ChildRun]
    theirs: list[ChildRun]
    mlflow_note: str = ""  # why MLflow has no figure ("timed out after 600 s", "not run")

    @property
    def ours_call(self) -> Sample:
        return Sample(tuple(float(r.result["call_s"]) for r in self.ours))

    @property
    def theirs_call(self) -> Sample | None:
        if not self.theirs:
            return None
        return Sample(tuple(float(r.result["call_s"]) for r in self.theirs))

    @property
    def speedup(self) -> Sample | None:
        """MLflow's call over ours, per round (the rounds both ran)."""
        if not self.theirs:
            return None
        pairs = list(zip(self.theirs, self.ours, strict=False))
        return ratios(
            [t.result["call_s"] for t, _ in pairs], [o.result["call_s"] for _, o in pairs]
        )

    def sizes_agree(self) -> bool:
        return all(int(r.result["size"]) == int(self.ours[0].result["size"]) for r in self.theirs)


@dataclass(frozen=True)
class WindowFigures:
    """The window's runs with one huge trace (each a `huge_gui` child's JSON)."""

    runs: list[dict[str, Any]]

    def sample(self, key: str) -> Sample:
        return Sample(tuple(float(run[key]) for run in self.runs))

    def stall(self, phase: str) -> float:
        """The longest stall of `phase` over all runs, in ms."""
        return max(float(run[f"{phase}_stall_ms"]) for run in self.runs)

    @property
    def longest_stall(self) -> tuple[float, str]:
        return max((self.stall(phase), label) for phase, label in PHASES)

    @property
    def anon_growth_mb(self) -> float:
        """How much the window's own memory grew with the trace open (median of runs)."""
        return statistics.median(
            float(run["anon_mb"]) - float(run["before_anon_mb"]) for run in self.runs
        )


@dataclass(frozen=True)
class HugeResult:
    trace: HugeTrace
    get: GetFigures
    window: WindowFigures | None

    @property
    def json_mb(self) -> float:
        return self.trace.content_bytes / 1e6


def _mlflow_get(config: HugeConfig, trace: HugeTrace) -> list[str]:
    assert config.mlflow_python is not None
    probe = Path(__file__).with_name("mlflow_probe.py")
    return [str(config.mlflow_python), str(probe), "get", str(trace.path), trace.trace_id]


def measure_get(trace: HugeTrace, config: HugeConfig, log: Callable[[str], None]) -> GetFigures:
    """Ours and MLflow's in alternation; for a million spans MLflow runs once, with a timeout."""
    mine = ours("get-only", str(trace.path), trace.trace_id)
    if config.mlflow_python is None:
        return GetFigures([run_child(mine) for _ in range(config.rounds)], [], "not run")
    rounds = config.rounds if trace.n_spans <= BAR_SPANS else 1
    theirs: list[ChildRun] = []
    mine_runs: list[ChildRun] = []
    for round_number in range(rounds):
        log(f"  get_trace of {trace.n_spans:,} spans: round {round_number + 1} of {rounds}")
        try:
            theirs.append(run_child(_mlflow_get(config, trace), timeout_s=MLFLOW_TIMEOUT_S))
        except subprocess.TimeoutExpired:
            more = [run_child(mine) for _ in range(rounds - round_number)]
            note = f"timed out after {MLFLOW_TIMEOUT_S:.0f} s"
            return GetFigures(mine_runs + more, [], note)
        mine_runs.append(run_child(mine))
    return GetFigures(mine_runs, theirs)


def measure_window(trace: HugeTrace, runs: int, log: Callable[[str], None]) -> WindowFigures:
    command = [
        sys.executable,
        "-m",
        "tests.bench.huge_gui",
        str(trace.path),
        trace.trace_id,
        trace.small_trace_id,
    ]
    found = []
    for number in range(runs):
        log(f"  the window with {trace.n_spans:,} spans: run {number + 1} of {runs}")
        found.append(run_child(command, timeout_s=WINDOW_TIMEOUT_S).result)
    return WindowFigures(found)


def measure(
    sizes: Sequence[int], config: HugeConfig, log: Callable[[str], None] = print
) -> list[HugeResult]:
    results = []
    for size in sizes:
        trace = ensure_huge_trace(size)
        log(f"huge trace: {size:,} spans ({trace.path})")
        get = measure_get(trace, config, log)
        window = measure_window(trace, config.window_runs, log) if config.window_runs else None
        results.append(HugeResult(trace, get, window))
    return results


# -- report ------------------------------------------------------------------------------------


def bars(results: Sequence[HugeResult]) -> list[report.Bar]:
    """The bars, judged on the 100,000-span trace."""
    judged = next((r for r in results if r.trace.n_spans == BAR_SPANS), None)
    if judged is None:
        return []
    n = f"{BAR_SPANS:,} spans"
    out = []
    speedup = judged.get.speedup
    name = f"huge trace ({n}): MLflow get_trace ÷ ours ≥ {GET_SPEEDUP_BAR:g}x (new processes)"
    if speedup is None:
        out.append(report.Bar(name, judged.get.mlflow_note or "not run", None))
    else:
        problem = None if judged.get.sizes_agree() else "MLflow and we read different span counts"
        out.append(report._speedup_bar(name, speedup.median, GET_SPEEDUP_BAR, problem))
    window = judged.window
    if window is None:
        return out
    visible = window.sample("tree_visible_s").median
    out.append(
        report.Bar(
            f"huge trace ({n}): the tree is visible in under {TREE_VISIBLE_BAR_S:g} s",
            f"{visible:.2f} s",
            visible < TREE_VISIBLE_BAR_S,
        )
    )
    stall, where = window.longest_stall
    out.append(
        report.Bar(
            f"huge trace ({n}): no GUI stall over {STALL_BAR_MS:g} ms (open, scroll, expand"
            " all, filter, select)",
            f"longest {stall:.0f} ms ({where})",
            stall <= STALL_BAR_MS,
        )
    )
    growth = window.anon_growth_mb
    out.append(
        report.Bar(
            f"huge trace ({n}): the window's memory grows by less than the trace's span JSON",
            f"+{growth:.0f} MB for {judged.json_mb:.0f} MB of JSON",
            growth < judged.json_mb,
        )
    )
    return out


def _get_rows(results: Sequence[HugeResult]) -> list[list[object]]:
    rows: list[list[object]] = []
    for r in results:
        theirs, speedup = r.get.theirs_call, r.get.speedup
        rows.append(
            [
                f"{r.trace.n_spans:,}",
                f"{r.json_mb:,.0f}",
                theirs.s() if theirs is not None else r.get.mlflow_note,
                r.get.ours_call.s(),
                f"{speedup.median:.1f}x" if speedup is not None else "",
                f"{max(float(o.result['peak_mb']) for o in r.get.ours):,.0f}",
            ]
        )
    return rows


def _window_rows(results: Sequence[HugeResult]) -> list[list[object]]:
    rows: list[list[object]] = []
    for r in results:
        w = r.window
        if w is None:
            continue
        stalls = " / ".join(f"{w.stall(phase):.0f}" for phase, _label in PHASES)
        selects = Sample(tuple(s for run in w.runs for s in run["select_s"]))
        rows.append(
            [
                f"{r.trace.n_spans:,}",
                w.sample("loaded_s").s(),
                w.sample("tree_visible_s").s(),
                f"{w.sample('read_s').median:.2f} / {w.sample('index_s').median:.2f}",
                stalls,
                selects.ms(),
                f"{statistics.median(run['rows_expanded'] for run in w.runs):,.0f}",
                f"{statistics.median(run['before_anon_mb'] for run in w.runs):,.0f} → "
                f"{statistics.median(run['anon_mb'] for run in w.runs):,.0f}",
                f"{max(run['peak_mb'] for run in w.runs):,.0f}",
                f"{r.json_mb:,.0f}",
            ]
        )
    return rows


def markdown(results: Sequence[HugeResult]) -> str:
    """The huge-trace section for BENCHMARKS.md: get_trace, the window, then the bars."""
    get = report.table(
        [
            "spans",
            "span JSON MB",
            "MLflow get_trace, new process: call s",
            "ours, new process: call s",
            "speedup (call)",
            "our process's peak RSS MB",
        ],
        _get_rows(results),
    )
    window = report.table(
        [
            "spans",
            "open → explorer has it (s)",
            "open → tree painted (s)",
            "database thread: read / index (s)",
            "longest GUI stall (ms): " + " / ".join(label for _phase, label in PHASES),
            "select → detail rendered (ms)",
            "rows expanded",
            "window's own memory (RssAnon MB): before → with the trace",
            "peak RSS MB (with mapped file pages)",
            "span JSON MB",
        ],
        _window_rows(results),
    )
    return f"{get}\n\n{window}\n\n{report.bars_table(bars(results))}"


def config_for(quick: bool, mlflow_python: Path | None) -> HugeConfig:
    if quick:
        return HugeConfig(rounds=1, window_runs=1, mlflow_python=mlflow_python)
    return HugeConfig(rounds=3, window_runs=3, mlflow_python=mlflow_python)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.huge_bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one round, one window run")
    parser.add_argument("--no-mlflow", action="store_true", help="skip MLflow's get_trace")
    parser.add_argument("--no-gui", action="store_true", help="skip the window")
    parser.add_argument(
        "--spans", default=",".join(map(str, HUGE_SIZES)), help="comma-separated span counts"
    )
    args = parser.parse_args(argv)
    default = Path(__file__).resolve().parents[2] / ".venv-mlflow/bin/python"
    config = config_for(args.quick, None if args.no_mlflow else default.absolute())
    if args.no_gui:
        config = HugeConfig(config.rounds, 0, config.mlflow_python)
    sizes = [int(s.replace("_", "")) for s in args.spans.split(",") if s.strip()]
    results = measure(sizes, config)
    print("\n" + markdown(results))
    return 1 if any(bar.passed is False for bar in bars(results)) else 0


if __name__ == "__main__":
    sys.exit(main())
