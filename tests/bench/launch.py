"""Launch to first rows: the TraceDesk window against `mlflow server` on the same file.

    .venv/bin/python -m tests.bench.launch DB --mlflow-python .venv-mlflow/bin/python [--rounds 3]

TraceDesk: a fresh `python -m tests.bench.launch --probe DB` child opens the real window
(offscreen, throwaway settings) on the file; the time runs from spawning it to the moment the
first page of the trace list has been painted, which the child reports on stdout.

MLflow: a fresh `mlflow server` on the file (one worker, 127.0.0.1); the time runs from
spawning it to the first answer of its REST API for a page of 100 traces
(`POST /api/3.0/mlflow/traces/search`), which is what its UI waits for. The server is stopped
after each sample. Rounds alternate the two so the machine's load touches both alike.

The bar (issue 17): TraceDesk's launch takes at most a tenth of MLflow's.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.bench.report import Bar, table

ROOT = Path(__file__).resolve().parents[2]
#: The most the window may take of `mlflow server`'s start to its first page.
BAR = 0.1
FIRST_ROWS = "first-rows"
_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class LaunchFigures:
    """Seconds per round for each side, and the median ratio of paired rounds."""

    ours: tuple[float, ...]
    mlflow: tuple[float, ...]

    @property
    def ratio(self) -> float:
        """Our launch as a fraction of MLflow's (median of the paired rounds)."""
        return statistics.median(o / m for o, m in zip(self.ours, self.mlflow, strict=True))

    @property
    def passed(self) -> bool:
        return self.ratio <= BAR


def bars(figures: LaunchFigures) -> list[Bar]:
    name = f"launch → first rows ≤ {BAR:g} of mlflow server start → first page of 100 traces"
    measured = f"{figures.ratio:.3f} ({statistics.median(figures.ours):.2f} s vs "
    measured += f"{statistics.median(figures.mlflow):.2f} s)"
    return [Bar(name, measured, figures.passed)]


def markdown(figures: LaunchFigures, db: Path) -> str:
    """The launch table: each round's two times and their ratio."""
    rows = [
        [str(n + 1), f"{ours:.2f}", f"{theirs:.2f}", f"{ours / theirs:.3f}"]
        for n, (ours, theirs) in enumerate(zip(figures.ours, figures.mlflow, strict=True))
    ]
    header = ["round", "TraceDesk: spawn → first rows painted, s"]
    header += ["mlflow server: spawn → first REST page of 100, s", "ratio"]
    intro = (
        f"On `{db.parent.name}` (each a fresh process; the window offscreen, MLflow's server "
        "with one worker on 127.0.0.1)."
    )
    return intro + "\n\n" + table(header, rows)


def tracedesk_launch_s(db: Path) -> float:
    """Seconds from spawning the window's process to its first painted page of traces."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "-m", "tests.bench.launch", "--probe", str(db)]
    started = time.perf_counter()
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if line.strip() == FIRST_ROWS:
                elapsed = time.perf_counter() - started
                child.wait(timeout=_TIMEOUT_S)
                return elapsed
        raise RuntimeError(f"the window exited ({child.wait()}) before it showed any rows")


def mlflow_first_page_s(mlflow_python: Path, db: Path, experiment_id: str) -> float:
    """Seconds from spawning `mlflow server` on `db` to its first page of 100 traces."""
    port = _free_port()
    server = Path(mlflow_python).with_name("mlflow")
    command = [str(server), "server", "--backend-store-uri", f"sqlite:///{db}"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    body = {
        "locations": [
            {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment_id}}
        ],
        "max_results": 100,
    }
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its workers stop with it
    )
    try:
        while time.perf_counter() - started < _TIMEOUT_S:
            if child.poll() is not None:
                raise RuntimeError(f"mlflow server exited with status {child.returncode}")
            traces = _search(port, body)
            if traces is not None:
                if not traces:
                    raise RuntimeError("mlflow server answered with no traces")
                return time.perf_counter() - started
            time.sleep(0.05)
        raise RuntimeError(f"mlflow server gave no page within {_TIMEOUT_S:.0f} s")
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=30)


def _search(port: int, body: dict[str, object]) -> list[object] | None:
    """The traces of one search request; None while the server is not answering yet."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/3.0/mlflow/traces/search",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return list(json.load(response).get("traces", []))
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measure_launch(
    db: Path, mlflow_python: Path, experiment_id: str, rounds: int = 3
) -> LaunchFigures:
    """Paired rounds, alternating which side goes first."""
    ours: list[float] = []
    theirs: list[float] = []
    for round_ in range(rounds):
        if round_ % 2:
            theirs.append(mlflow_first_page_s(mlflow_python, db, experiment_id))
            ours.append(tracedesk_launch_s(db))
        else:
            ours.append(tracedesk_launch_s(db))
            theirs.append(mlflow_first_page_s(mlflow_python, db, experiment_id))
    return LaunchFigures(tuple(ours), tuple(theirs))


def probe(db: Path) -> int:
    """In the child: open the real window on `db` and say when the first rows are painted."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.smoke import private_settings

    app = QApplication([sys.argv[0]])
    scratch = private_settings()
    from app.main_window import MainWindow

    window = MainWindow()
    window.resize(1280, 780)
    window.show()

    def painted(_rows: int) -> None:
        window.trace_view.viewport().repaint()  # the rows drawn, not only read
        print(FIRST_ROWS, flush=True)
        QTimer.singleShot(0, window.close)

    window.trace_model.page_loaded.connect(painted)
    window.open_location(db)
    code = app.exec()
    scratch.cleanup()
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mlflow-python", type=Path)
    parser.add_argument("--experiment", default="1", help="the experiment MLflow's page reads")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if args.probe:
        return probe(args.db)
    if args.mlflow_python is None:
        parser.error("--mlflow-python is needed")
    figures = measure_launch(args.db, args.mlflow_python, args.experiment, args.rounds)
    print(f"TraceDesk launch → first rows: {[round(s, 2) for s in figures.ours]} s")
    print(f"mlflow server start → first page: {[round(s, 2) for s in figures.mlflow]} s")
    verdict = "PASS" if figures.passed else "FAIL"
    print(f"ratio {figures.ratio:.3f} (bar ≤ {BAR}): {verdict}")
    return 0 if figures.passed else 1


if __name__ == "__main__":
    sys.exit(main())
