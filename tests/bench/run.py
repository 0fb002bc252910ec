"""`make bench`: TraceDesk's read paths on synthetic MLflow 3.18 databases, against MLflow.

    .venv/bin/python -m tests.bench.run --mlflow-python .venv-mlflow/bin/python
    .venv/bin/python -m tests.bench.run --quick --sizes 1000,10000 --no-mlflow
    .venv/bin/python -m tests.bench.run --only huge        # the huge traces alone
    .venv/bin/python -m tests.bench.run --only launch      # launch against mlflow server
    .venv/bin/python -m tests.bench.run --only diff        # the trace diff (issue 19)
    .venv/bin/python -m tests.bench.run --only insights    # the Insights queries (issue 20)

For each size it measures the first page of 100 trace rows (warm, and in a fresh process), a
deep keyset page, `get_trace` of the 5,000-span trace and the decoding of its attributes, the
peak memory of a fresh process, and MLflow's own `search_traces` / `get_trace` on the same file
in child processes of MLflow's interpreter; then json vs orjson, the launch against `mlflow
server` (`tests.bench.launch`), the huge traces (100,000 and 1,000,000 spans:
`tests.bench.huge_bench`), the trace diff (`tests.bench.diff_bench`), the window, and the query
plans. The
report is printed and written between markers into BENCHMARKS.md (not in --quick mode unless
--write). The exit status is 1 when a bar fails. Databases are cached under bench-data/.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.bench import (
    diff_bench,
    gui,
    huge,
    huge_bench,
    insights_bench,
    launch,
    overhead,
    report,
)
from tests.bench import rerun as rerun_bench
from tests.bench.jsonbench import DecodeFigure, decoder_figures
from tests.bench.measure import Config, Scope, SizeResult, measure_ratios, measure_size
from tests.bench.synth import REPO_ROOT, BenchDatabase, ensure_database
from tests.bench.timing import Sample

BENCHMARKS_MD = REPO_ROOT / "BENCHMARKS.md"
HUGE_TITLE = "Huge traces: 100,000 and 1,000,000 spans"
DIFF_TITLE = "Trace diff: two traces aligned and compared"
INSIGHTS_TITLE = "Insights: the charts' queries"
LAUNCH_TITLE = "Launch to first rows: the window against `mlflow server`"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--mlflow-python",
        type=Path,
        default=REPO_ROOT / ".venv-mlflow/bin/python",
        help="interpreter with MLflow 3.18 installed (default: .venv-mlflow/bin/python)",
    )
    parser.add_argument("--no-mlflow", action="store_true", help="skip the MLflow comparison")
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="comma-separated numbers of traces"
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions; BENCHMARKS.md only with --write"
    )
    parser.add_argument("--write", action="store_true", help="write BENCHMARKS.md with --quick")
    parser.add_argument("--no-write", action="store_true", help="never write BENCHMARKS.md")
    parser.add_argument("--no-gui", action="store_true", help="skip the GUI stall benchmark")
    parser.add_argument("--no-huge", action="store_true", help="skip the huge traces")
    parser.add_argument(
        "--only",
        choices=["huge", "launch", "diff", "insights"],
        help="measure one part alone and replace only its section of BENCHMARKS.md",
    )
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _parser()
    args = parser.parse_args(argv)
    args.sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    # absolute(), not resolve(): a venv's python is a symlink whose target is outside the venv.
    args.mlflow_python = args.mlflow_python.absolute()
    if not args.no_mlflow and not args.mlflow_python.exists():
        parser.error(f"{args.mlflow_python} does not exist: `make mlflow-venv`, or --no-mlflow")
    return args


def config_for(args: argparse.Namespace) -> Config:
    mlflow = None if args.no_mlflow else args.mlflow_python
    if args.quick:
        return Config(repeats=7, children=2, mlflow_runs=1, mlflow_python=mlflow)
    return Config(repeats=25, children=5, mlflow_runs=3, mlflow_python=mlflow)


@dataclass(frozen=True)
class Findings:
    results: list[SizeResult]
    page_ratios: dict[Scope, Sample] | None
    decoders: list[DecodeFigure]
    header: str
    tracing: list[overhead.Overhead]
    gui_findings: gui.GuiFindings | None = None
    rerun_findings: rerun_bench.RerunFindings | None = None
    huge: list[huge_bench.HugeResult] | None = None
    launch: tuple[launch.LaunchFigures, Path] | None = None
    diff: diff_bench.DiffFigures | None = None
    insights: tuple[insights_bench.InsightFigures, insights_bench.InsightFigures] | None = None

    @property
    def bars(self) -> list[report.Bar]:
        found = report.bars(self.results, self.page_ratios)
        found += diff_bench.bars(self.diff) if self.diff else []
        found += insights_bench.bars(self.insights[1]) if self.insights else []
        found += launch.bars(self.launch[0]) if self.launch else []
        found += huge_bench.bars(self.huge) if self.huge else []
        found += gui.bars(self.gui_findings) if self.gui_findings else []
        return found + (rerun_bench.bars(self.rerun_findings) if self.rerun_findings else [])


def compose(findings: Findings) -> str:
    """The generated Markdown: run facts, bars, then every table."""
    results = findings.results
    sections = [
        ("Run", findings.header),
        ("Bars", report.bars_table(findings.bars)),
        ("Databases", report.databases(results)),
        ("Trace list: one page of 100 rows", report.pages(results)),
        ("get_trace of the 5,000-span trace", report.get_traces(results)),
        ("Peak memory of a fresh process (peak RSS, MB)", report.memory(results)),
        ("MLflow on the same files (each call in a fresh process)", report.mlflow_table(results)),
        ("JSON decoding of span contents (best pass)", report.decoders(findings.decoders)),
        (
            "Tracing overhead: what `core` costs the traced code",
            overhead.markdown(findings.tracing),
        ),
    ]
    if findings.launch:
        sections.append((LAUNCH_TITLE, launch.markdown(*findings.launch)))
    if findings.huge:
        sections.append((HUGE_TITLE, huge_bench.markdown(findings.huge)))
    if findings.diff:
        sections.append((DIFF_TITLE, diff_bench.markdown(findings.diff)))
    if findings.insights:
        sections.append((INSIGHTS_TITLE, insights_bench.markdown(*findings.insights)))
    if findings.gui_findings is not None:
        sections.append(("The window: GUI-thread stalls", gui.markdown(findings.gui_findings)))
    if findings.rerun_findings is not None:
        sections.append(
            ("Evaluations: reruns and result grids", rerun_bench.markdown(findings.rerun_findings))
        )
    parts = [f"### {title}\n\n{body}" for title, body in sections]
    parts.append(report.plan_section(results))
    return "\n\n".join(parts) + "\n"


def measure(args: argparse.Namespace, config: Config) -> Findings:
    """Build or reuse the databases, then measure everything."""
    load_before = os.getloadavg()[0]
    databases = [ensure_database(size) for size in args.sizes]
    results = []
    for db in databases:
        print(f"measuring {db.manifest['n_traces']:,} traces ({db.path})", flush=True)
        results.append(measure_size(db, config, log=lambda text: print(text, flush=True)))
    page_ratios = None
    if len(databases) > 1:
        print("first page, smallest vs largest database, interleaved", flush=True)
        page_ratios = measure_ratios(databases[0], databases[-1], 2 * config.repeats)
    print("json vs orjson", flush=True)
    sample = databases[min(1, len(databases) - 1)]
    figures = decoder_figures(sample.path, sample.big_trace_ids["5000"])
    print("tracing overhead", flush=True)
    tracing = overhead.run(rounds=3 if args.quick else overhead.ROUNDS)
    launched = None
    if config.mlflow_python is not None:
        print("launch: the window against mlflow server", flush=True)
        launched = (measure_launch(sample.path, config), sample.path)
    huge_results = None
    if not args.no_huge:
        huge_results = huge_bench.measure(huge.HUGE_SIZES, huge_config(args, config))
    print("trace diff", flush=True)
    diffed = measure_diff(databases, args)
    print("insights", flush=True)
    charts = (
        insights_bench.measure(databases[0]),
        insights_bench.measure(databases[-1], window=not args.no_gui),
    )
    gui_findings = rerun_findings = None
    if not args.no_gui:
        gui_findings = gui.run(args.sizes[-1], 2 if args.quick else 5, ["trace", "list"], True)
        rerun_findings = rerun_bench.run(
            rows=20 if args.quick else 40, repeats=3 if args.quick else 5
        )
    mlflow_version = next((r.mlflow.version for r in results if r.mlflow), None)
    mode = "quick" if args.quick else f"full ({config.repeats} warm repeats, {config.children}"
    mode += "" if args.quick else f" processes, {config.mlflow_runs} MLflow rounds)"
    header = report.machine(mlflow_version, (load_before, os.getloadavg()[0]), mode)
    return Findings(
        results,
        page_ratios,
        figures,
        header,
        tracing,
        gui_findings,
        rerun_findings,
        huge_results,
        launched,
        diffed,
        charts,
    )


def measure_diff(
    databases: Sequence[BenchDatabase], args: argparse.Namespace
) -> diff_bench.DiffFigures:
    """The 2,000-span traces of the smallest and the largest database (one trace twice when
    there is one database); the 100,000-span trace unless --no-huge."""
    whole = None
    if not args.no_huge:
        found = huge.ensure_huge_trace(100_000, quiet=True)
        whole = (str(found.path), found.trace_id)
    return diff_bench.measure(databases[0], databases[-1], whole, 3 if args.quick else 7)


def run_insights_only(args: argparse.Namespace) -> int:
    """`--only insights`: the Insights queries on the smallest and largest databases."""
    small = insights_bench.measure(ensure_database(args.sizes[0]))
    large = insights_bench.measure(ensure_database(args.sizes[-1]), window=not args.no_gui)
    header = report.machine(None, (os.getloadavg()[0], os.getloadavg()[0]), "this part alone")
    body = insights_bench.markdown(small, large)
    text = f"Measured alone (`--only insights`):\n\n{header}\n\n{body}"
    print("\n" + text)
    if not args.no_write and (args.write or not args.quick):
        report.write_section(BENCHMARKS_MD, INSIGHTS_TITLE, text)
        print(f"wrote the section {INSIGHTS_TITLE!r} of {BENCHMARKS_MD}")
    found = insights_bench.bars(large)
    for bar in found:
        print(f"{bar.verdict:7} {bar.name}: {bar.measured}")
    return 1 if any(bar.passed is False for bar in found) else 0


def run_diff_only(args: argparse.Namespace) -> int:
    """`--only diff`: the trace diff alone, its section of BENCHMARKS.md replaced."""
    databases = [ensure_database(size) for size in (args.sizes[0], args.sizes[-1])]
    figures = measure_diff(databases, args)
    header = report.machine(None, (os.getloadavg()[0], os.getloadavg()[0]), "this part alone")
    text = f"Measured alone (`--only diff`):\n\n{header}\n\n{diff_bench.markdown(figures)}"
    print("\n" + text)
    if not args.no_write and (args.write or not args.quick):
        report.write_section(BENCHMARKS_MD, DIFF_TITLE, text)
        print(f"wrote the section {DIFF_TITLE!r} of {BENCHMARKS_MD}")
    found = diff_bench.bars(figures)
    for bar in found:
        print(f"{bar.verdict:7} {bar.name}: {bar.measured}")
    return 1 if any(bar.passed is False for bar in found) else 0


def measure_launch(db: Path, config: Config) -> launch.LaunchFigures:
    assert config.mlflow_python is not None
    rounds = 2 if config.mlflow_runs == 1 else 5
    return launch.measure_launch(db, config.mlflow_python, "1", rounds)


def run_launch_only(args: argparse.Namespace, config: Config) -> int:
    """`--only launch`: the launch part alone, on the second size's database (10,000 traces)."""
    if config.mlflow_python is None:
        print("--only launch needs MLflow (--mlflow-python)")
        return 2
    db = ensure_database(args.sizes[min(1, len(args.sizes) - 1)]).path
    figures = measure_launch(db, config)
    header = report.machine(None, (os.getloadavg()[0], os.getloadavg()[0]), "this part alone")
    text = f"Measured alone (`--only launch`):\n\n{header}\n\n{launch.markdown(figures, db)}"
    print("\n" + text)
    if not args.no_write and (args.write or not args.quick):
        report.write_section(BENCHMARKS_MD, LAUNCH_TITLE, text)
        print(f"wrote the section {LAUNCH_TITLE!r} of {BENCHMARKS_MD}")
    found = launch.bars(figures)
    for bar in found:
        print(f"{bar.verdict:7} {bar.name}: {bar.measured}")
    return 1 if any(bar.passed is False for bar in found) else 0


def huge_config(args: argparse.Namespace, config: Config) -> huge_bench.HugeConfig:
    chosen = huge_bench.config_for(args.quick, config.mlflow_python)
    return (
        chosen if not args.no_gui else huge_bench.HugeConfig(chosen.rounds, 0, chosen.mlflow_python)
    )


def run_huge_only(args: argparse.Namespace, config: Config) -> int:
    """`--only huge`: the huge traces alone; their section of BENCHMARKS.md is replaced (with
    this run's facts), the rest of the generated block is left as the last full run wrote it."""
    load_before = os.getloadavg()[0]
    results = huge_bench.measure(huge.HUGE_SIZES, huge_config(args, config))
    mode = "quick" if args.quick else "full"
    version = next(
        (str(r.get.theirs[0].result["mlflow_version"]) for r in results if r.get.theirs), None
    )
    header = report.machine(version, (load_before, os.getloadavg()[0]), f"{mode}, this part alone")
    text = f"Measured alone (`--only huge`):\n\n{header}\n\n{huge_bench.markdown(results)}"
    print("\n" + text)
    if not args.no_write and (args.write or not args.quick):
        report.write_section(BENCHMARKS_MD, HUGE_TITLE, text)
        print(f"wrote the section {HUGE_TITLE!r} of {BENCHMARKS_MD}")
    found = huge_bench.bars(results)
    for bar in found:
        print(f"{bar.verdict:7} {bar.name}: {bar.measured}")
    return 1 if any(bar.passed is False for bar in found) else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.only == "huge":
        return run_huge_only(args, config_for(args))
    if args.only == "launch":
        return run_launch_only(args, config_for(args))
    if args.only == "diff":
        return run_diff_only(args)
    if args.only == "insights":
        return run_insights_only(args)
    findings = measure(args, config_for(args))
    text = compose(findings)
    print("\n" + text)
    if not args.no_write and (args.write or not args.quick):
        report.write_benchmarks(BENCHMARKS_MD, text)
        print(f"wrote {BENCHMARKS_MD}")
    for bar in findings.bars:
        print(f"{bar.verdict:7} {bar.name}: {bar.measured}")
    return 1 if any(bar.passed is False for bar in findings.bars) else 0


if __name__ == "__main__":
    sys.exit(main())
