"""Take the user guide's screenshots from the real application, on the demo database.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py [--theme light|dark]

It builds the demo database in a temporary folder, opens it in the real `MainWindow` (with
throwaway settings), walks to each view the guide shows and saves `docs/images/<name>.png`.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

IMAGES = Path(__file__).resolve().parent / "images"
SIZE = (1500, 900)


def settle(ms: int = 300) -> None:
    """Let pending background results and repaints arrive."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(condition: Callable[[], bool], timeout_ms: int = 30_000) -> None:
    waited = 0
    while not condition():
        if waited > timeout_ms:
            raise TimeoutError("the window did not get there in time")
        settle(50)
        waited += 50


def newest(db: Path, where: str) -> tuple[str, str]:
    """(experiment id, trace id) of the newest trace matching a WHERE clause."""
    with sqlite3.connect(db) as connection:
        row = connection.execute(
            "SELECT experiment_id, request_id FROM trace_info t WHERE "
            f"{where} ORDER BY timestamp_ms DESC LIMIT 1"
        ).fetchone()
    return str(row[0]), str(row[1])


def shoot(window: object, name: str) -> None:
    settle()
    IMAGES.mkdir(parents=True, exist_ok=True)
    path = IMAGES / f"{name}.png"
    window.grab().save(str(path))  # type: ignore[attr-defined]
    print(f"wrote {path}")


def show_trace(window: object, db: Path, name: str, where: str) -> None:
    experiment_id, trace_id = newest(db, where)
    window.experiment_view.select_experiment(experiment_id)  # type: ignore[attr-defined]
    settle(500)
    window.commands.go_to_trace(trace_id)  # type: ignore[attr-defined]
    wait_for(lambda: window.shown_trace_id == trace_id)  # type: ignore[attr-defined]
    shoot(window, name)


def experiment_id(db: Path, name: str) -> str:
    with sqlite3.connect(db) as connection:
        row = connection.execute(
            "SELECT experiment_id FROM experiments WHERE name = ?", (name,)
        ).fetchone()
    return str(row[0])


def show_evaluations(window: object, db: Path) -> None:
    """The demo's two runs: the baseline's results, then the baseline against the new prompt."""
    page = window.evaluations_page  # type: ignore[attr-defined]
    window.experiment_view.select_experiment(experiment_id(db, "rag-qa"))  # type: ignore[attr-defined]
    window.modes.setCurrentWidget(page)  # type: ignore[attr-defined]
    wait_for(lambda: page.runs_model.rowCount() >= 2)
    runs = [page.runs_model.run(row) for row in range(page.runs_model.rowCount())]
    ids = {run.name: run.run_id for run in runs if run is not None}
    page.runs_view.select_runs([ids["baseline"]])
    wait_for(lambda: page.grid.model.rowCount() > 0)
    settle(800)
    shoot(window, "tab-evaluations")
    shown: list[object] = []
    page.comparison_shown.connect(shown.append)
    page.runs_view.select_runs([ids["baseline"], ids["new prompt"]])
    page.compare(ids["baseline"], ids["new prompt"])
    wait_for(lambda: bool(shown))
    settle(800)
    shoot(window, "evaluations-compare")


def show_prompts(window: object) -> None:
    """`support-triage` with its aliases, then the diff of its last two versions."""
    page = window.prompts_page  # type: ignore[attr-defined]
    window.modes.setCurrentWidget(page)  # type: ignore[attr-defined]
    settle(500)
    page.show_prompt("support-triage")
    wait_for(lambda: not page.versions.history.is_loading)
    settle(800)
    shoot(window, "tab-prompts")
    page.tabs.setCurrentWidget(page.diff)
    page.diff.compare(2, 3)
    settle(500)
    shoot(window, "prompt-diff")
    page.tabs.setCurrentIndex(0)


def walk(window: object, db: Path) -> None:
    tool_spans = "EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.request_id AND s.type='TOOL')"
    show_trace(window, db, "explorer-agent", f"{tool_spans} AND trace_name = 'support_agent'")
    show_trace(window, db, "explorer-rag", "trace_name = 'rag_pipeline' AND status = 'OK'")
    show_trace(window, db, "explorer-error", "status = 'ERROR'")
    show_evaluations(window, db)
    show_prompts(window)
    modes = window.modes  # type: ignore[attr-defined]
    modes.setCurrentWidget(window.agents_page)  # type: ignore[attr-defined]
    settle(800)
    shoot(window, "tab-agents")
    modes.setCurrentIndex(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theme", choices=["light", "dark"], default="light")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName("TraceDeskScreenshots")
    QCoreApplication.setApplicationName("TraceDeskScreenshots")
    with tempfile.TemporaryDirectory() as folder:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
        from app.main_window import MainWindow
        from app.theme import ThemeApplier
        from resources.demo_data import build_demo_database

        db = Path(folder) / "demo" / "mlflow.db"
        db.parent.mkdir()
        build_demo_database(db)
        ThemeApplier(app).apply(args.theme, None)  # type: ignore[arg-type]
        window = MainWindow()
        window.resize(*SIZE)
        window.show()
        window.open_location(db)
        wait_for(lambda: window.trace_model.rowCount() > 0)
        walk(window, db)
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
