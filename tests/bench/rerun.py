"""Evaluations benchmark: the GUI thread during a rerun; a 1,000-row result grid vs a 50-row one.

    .venv/bin/python -m tests.bench.rerun
    .venv/bin/python -m tests.bench.rerun --quick --rows 20 --chunk-delay 0.02

Both phases run the real `MainWindow` with the `EvaluationsPage` (offscreen unless
QT_QPA_PLATFORM says otherwise) on a fresh database built with `core.evaluate`:

* rerun: first "Rerun…" is pressed, until the dialog lists the stand-in's models and the
  LangChain/Ollama clients are imported (their first import holds the GIL for long stretches;
  the page pays it while the dialog opens); then a run of `--rows` questions is rerun against
  the stand-in Ollama server (tests/ollama_server.py; `--chunk-delay` seconds before each
  streamed word, as a slow model) with exact match, a length limit and the LLM judge,
  `--workers` rows at once; that clock runs from the start of the job to the comparison with
  the original run on screen;
* grid: selecting a 50-row run, then a 1,000-row run, until the first page of the grid is there
  (the model pages lazily), repeated. Both first pages hold the same 50 rows
  (`app.evaluations.rows.FIRST_PAGE`), so the difference is what grows with the run.

A QTimer beats every 5 ms on the GUI thread during each phase; the longest gap between two beats
is the GUI's longest stall. Bars: no stall over 100 ms during the rerun; the 1,000-row grid
opens in the same time class as the 50-row one (at most 2x its median, plus 10 ms).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

import core
from app import settings
from app.evaluations import rerun
from app.evaluations.page import EvaluationsPage
from app.evaluations.rows import FIRST_PAGE
from app.main_window import MainWindow
from core import tracking
from core.scorers import ExactMatch, MaxLength
from core.store.store import Store
from tests.bench import report
from tests.bench.gui import STALL_BAR_MS, StallProbe, wait_signal, wait_until
from tests.bench.timing import Sample
from tests.ollama_server import OllamaStandIn

GRID_RATIO_BAR = 2.0
GRID_SLACK_S = 0.010
MODEL = "llama3.2:1b"
JUDGE = "Does the output answer the question in the inputs?"


@dataclass(frozen=True)
class BenchDb:
    path: Path
    experiment_id: str
    source: str  # the run to rerun
    big: str  # 1,000 rows
    small: str  # one first page of rows (50)


def _evaluate(count: int, name: str, experiment_id: str) -> str:
    data = [
        {
            "inputs": {"question": f"What is {i} + {i}?"},
            "expectations": {"expected_response": str(2 * i)},
        }
        for i in range(count)
    ]

    def predict(question: str) -> str:
        number = int(question.split()[2])
        return str(2 * number) if number % 4 else "I do not know."

    scorers = [ExactMatch(), MaxLength(5)]
    return core.evaluate(data, scorers, predict, experiment_id=experiment_id, run_name=name).run_id


def build_database(folder: Path, rows: int) -> BenchDb:
    """Three runs (the rerun's source, 1,000 rows, 10 rows) and a prompt `{{ question }}`."""
    path = folder / "mlflow.db"
    core.set_tracking_uri(f"sqlite:///{path}")
    try:
        experiment = core.set_experiment("bench-evaluations").experiment_id
        big = _evaluate(1000, "thousand", experiment)
        small = _evaluate(FIRST_PAGE, "one page", experiment)
        source = _evaluate(rows, "to-rerun", experiment)
    finally:
        tracking.reset()
    with Store.open(path, read_only=False) as store:
        store.prompt_registry.register_version("qa", "{{ question }}", experiment_id=experiment)
    return BenchDb(path, experiment, source, big, small)


def open_window(db: BenchDb) -> tuple[MainWindow, EvaluationsPage]:
    """A shown, writable window on `db` with the Evaluations page showing its runs."""
    window = MainWindow(read_only=False)
    page = EvaluationsPage(window.tasks)
    window.add_page(page)
    window.resize(1400, 860)
    window.show()
    window.modes.setCurrentWidget(page)
    wait_signal(window.experiment_model.loaded, lambda: window.open_location(db.path))
    window.experiment_view.select_experiment(db.experiment_id)
    wait_until(lambda: page.experiment_id == db.experiment_id and page.runs_model.rowCount() >= 3)
    return window, page


# -- phase 1: a rerun ------------------------------------------------------------------------


@dataclass
class RerunFigures:
    rows: int
    workers: int
    chunk_delay_s: float
    total_s: float  # job started -> comparison on screen
    stall_ms: float
    status: str
    slowest_gaps: list[float] = field(default_factory=list)
    dialog_s: float = 0.0  # Rerun… pressed -> dialog with models, clients imported
    dialog_stall_ms: float = 0.0


def _plan(page: EvaluationsPage, db: BenchDb, url: str, workers: int) -> rerun.RerunPlan:
    store, client = page.store, page.client
    assert store is not None and client is not None
    source = store.evaluations.run(db.source)
    dataset, prompts = rerun.prepare(store, db.source)  # outside the timed part
    prompt = next(p for p in prompts if p.name == "qa")
    return rerun.RerunPlan(
        client=client,
        experiment_id=db.experiment_id,
        source=source,
        dataset=dataset,
        ollama_url=url,
        model=MODEL,
        prompt=prompt,
        scorers=rerun.ScorerChoice(exact_match=True, max_length=20, judge_instructions=JUDGE),
        max_workers=workers,
    )


def _open_dialog(page: EvaluationsPage, db: BenchDb, probe: StallProbe) -> tuple[float, float]:
    """Press Rerun… on the source run; time until the dialog is ready and the clients are in."""
    wait_signal(page.grid.model.page_loaded, lambda: page.runs_view.select_runs([db.source]))
    probe.start()
    started = time.perf_counter()
    page.rerun_button.click()
    flow = page.reruns

    def ready() -> bool:
        dialog = flow.dialog
        asked = dialog is not None and "Asking" not in dialog.server_status.text()
        return asked and not flow.warming

    wait_until(ready)
    took, stall = time.perf_counter() - started, probe.stop()
    assert flow.dialog is not None
    flow.dialog.reject()
    return took, stall


def measure_rerun(db: BenchDb, workers: int, chunk_delay: float) -> RerunFigures:
    window, page = open_window(db)
    probe = StallProbe()
    try:
        with OllamaStandIn() as server:
            settings.set_ollama(server.url, MODEL)
            dialog_s, dialog_stall = _open_dialog(page, db, probe)
            server.configure(chunk_delay=chunk_delay)
            plan = _plan(page, db, server.url, workers)
            results: list[object] = []
            page.reruns.finished.connect(results.append)
            probe.start()
            started = time.perf_counter()
            wait_signal(page.comparison_shown, lambda: page.reruns.start(plan))
            total = time.perf_counter() - started
            stall = probe.stop()
        status = getattr(results[0], "status", "?") if results else "?"
    finally:
        window.close()
    slowest = sorted(probe.gaps, reverse=True)[:5]
    rows = len(plan.dataset.items)
    return RerunFigures(
        rows, workers, chunk_delay, total, stall, str(status), slowest, dialog_s, dialog_stall
    )


# -- phase 2: opening grids ------------------------------------------------------------------


@dataclass
class GridFigures:
    small: Sample  # select the 50-row run -> its first page in the grid
    big: Sample  # select the 1,000-row run -> its first page in the grid
    big_rows_shown: int
    stall_ms: float

    @property
    def same_class(self) -> bool:
        return self.big.median <= GRID_RATIO_BAR * self.small.median + GRID_SLACK_S


def _open_run(page: EvaluationsPage, run_id: str) -> float:
    started = time.perf_counter()
    wait_signal(page.grid.model.page_loaded, lambda: page.runs_view.select_runs([run_id]))
    QApplication.processEvents()  # the rows are laid out and painted
    return time.perf_counter() - started


def measure_grid(db: BenchDb, repeats: int) -> GridFigures:
    window, page = open_window(db)
    probe = StallProbe()
    small, big = [], []
    try:
        _open_run(page, db.small)  # warm-up: first queries, first paint
        probe.start()
        for _ in range(repeats):
            big.append(_open_run(page, db.big))
            small.append(_open_run(page, db.small))
        big.append(_open_run(page, db.big))
        stall = probe.stop()
        shown = page.grid.model.rowCount()
    finally:
        window.close()
    return GridFigures(Sample(tuple(small)), Sample(tuple(big[:-1] or big)), shown, stall)


# -- report ----------------------------------------------------------------------------------


@dataclass
class RerunFindings:
    rerun: RerunFigures | None
    grid: GridFigures | None


def bars(findings: RerunFindings) -> list[report.Bar]:
    out = []
    if (r := findings.rerun) is not None:
        out.append(
            report.Bar(
                "GUI: a rerun against the stand-in Ollama never stalls the GUI over 100 ms",
                f"longest stall {r.stall_ms:.0f} ms ({r.rows} rows, {r.status.lower()})",
                r.stall_ms <= STALL_BAR_MS and r.status == "FINISHED",
            )
        )
    if (g := findings.grid) is not None:
        out.append(
            report.Bar(
                f"Evaluations: a 1,000-row grid opens in the time class of a {FIRST_PAGE}-row one",
                f"{g.big.median * 1e3:.1f} ms vs {g.small.median * 1e3:.1f} ms",
                g.same_class,
            )
        )
    return out


def markdown(findings: RerunFindings) -> str:
    """The Evaluations section for BENCHMARKS.md: both phases, then the bars."""
    rows: list[list[object]] = []
    if (r := findings.rerun) is not None:
        rows.append(
            [
                "first Rerun…: dialog with models, LangChain/Ollama imported (ms)",
                f"{r.dialog_s * 1e3:.0f}",
                f"{r.dialog_stall_ms:.0f}",
            ]
        )
        what = f"rerun {r.rows} rows, {r.workers} at once, {r.chunk_delay_s * 1e3:.0f} ms/word"
        rows.append(
            [f"{what}: start → comparison shown (s)", f"{r.total_s:.2f}", f"{r.stall_ms:.0f}"]
        )
        gaps = ", ".join(f"{gap:.0f}" for gap in r.slowest_gaps)
        rows.append(["… the five longest GUI gaps (ms)", gaps, ""])
    if (g := findings.grid) is not None:
        rows.append([f"open the {FIRST_PAGE}-row grid: first page shown (ms)", g.small.ms(), ""])
        rows.append(
            [
                f"open the 1,000-row grid: first page ({g.big_rows_shown} rows) shown (ms)",
                g.big.ms(),
                f"{g.stall_ms:.0f}",
            ]
        )
    body = report.table(["measure", "median (min-max)", "longest GUI stall (ms)"], rows)
    return body + "\n\n" + report.bars_table(bars(findings))


def run(
    rows: int = 40,
    workers: int = rerun.DEFAULT_WORKERS,
    chunk_delay: float = 0.01,
    repeats: int = 5,
    phases: Sequence[str] = ("rerun", "grid"),
) -> RerunFindings:
    """Measure the asked phases on a fresh database, with throwaway settings."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("TraceDeskBench")
    app.setApplicationName("TraceDeskBench")
    with tempfile.TemporaryDirectory() as settings, tempfile.TemporaryDirectory() as data:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings)
        print(f"building the evaluation database ({rows} rows to rerun)", flush=True)
        db = build_database(Path(data), rows)
        rerun_figures = grid = None
        if "rerun" in phases:
            print(f"rerunning {rows} rows against the stand-in Ollama", flush=True)
            rerun_figures = measure_rerun(db, workers, chunk_delay)
        if "grid" in phases:
            print(f"opening the {FIRST_PAGE}-row and 1,000-row grids", flush=True)
            grid = measure_grid(db, repeats)
    return RerunFindings(rerun_figures, grid)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.rerun", description=__doc__)
    parser.add_argument("--rows", type=int, default=40, help="rows of the run to rerun")
    parser.add_argument("--workers", type=int, default=rerun.DEFAULT_WORKERS)
    parser.add_argument("--chunk-delay", type=float, default=0.01, help="seconds per word")
    parser.add_argument("--repeats", type=int, default=5, help="openings of each grid")
    parser.add_argument("--quick", action="store_true", help="20 rows, 3 openings")
    parser.add_argument("--only", choices=["rerun", "grid"], help="measure one phase only")
    args = parser.parse_args(argv)
    rows, repeats = (20, 3) if args.quick else (args.rows, args.repeats)
    phases = [args.only] if args.only else ["rerun", "grid"]
    findings = run(rows, args.workers, args.chunk_delay, repeats, phases)
    print("\n" + markdown(findings))
    return 1 if any(bar.passed is False for bar in bars(findings)) else 0


if __name__ == "__main__":
    sys.exit(main())
