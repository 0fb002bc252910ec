"""Take the user guide's screenshots from the real application, on the demo database.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py [--theme light|dark]

It builds the demo database in a temporary folder, opens it in the real `MainWindow` (with
throwaway settings), walks to each view the guide shows and saves `docs/images/<name>.png`
(`<name>-dark.png` with `--theme dark`). The big-trace shots open the bench's 100,000-span
trace (`tests/bench/huge.py`, built once under bench-data/), copied into the throwaway home.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from app.main_window import MainWindow
from tests.bench.huge import ensure_huge_trace

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


class Tour:
    """The views the guide shows, one screenshot each, in the real window on the demo."""

    def __init__(self, window: MainWindow, db: Path, suffix: str) -> None:
        self.window, self.db, self.suffix = window, db, suffix

    def shoot(self, name: str) -> None:
        settle()
        IMAGES.mkdir(parents=True, exist_ok=True)
        path = IMAGES / f"{name}{self.suffix}.png"
        self.window.grab().save(str(path))
        print(f"wrote {path}")

    def walk(self) -> None:
        tool_spans = (
            "EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.request_id AND s.type='TOOL')"
        )
        self.trace("explorer-agent", f"{tool_spans} AND trace_name = 'support_agent'")
        self.trace("explorer-rag", "trace_name = 'rag_pipeline' AND status = 'OK'")
        self.trace("explorer-error", "status = 'ERROR'")
        self.replay()
        self.evaluations()
        self.prompts()
        self.window.modes.setCurrentWidget(self.window.agents_page)
        settle(800)
        self.shoot("tab-agents")
        self.window.modes.setCurrentIndex(0)

    def huge(self, db: Path, trace_id: str) -> None:
        """The 100,000-span research agent: folded runs, the flame graph, a search."""
        window = self.window
        window.open_location(db)
        wait_for(lambda: window.store is not None and window.store.location.path == db)
        wait_for(lambda: window.trace_model.row_of(trace_id) is not None)
        window.commands.go_to_trace(trace_id)
        wait_for(lambda: window.explorer.loaded is not None and window.shown_trace_id == trace_id)
        explorer = window.explorer
        window.experiments_dock.hide()  # the trace has the room, as Ctrl+1 gives it
        total = sum(window.workspace.sizes())
        window.workspace.setSizes([total * 36 // 100, total - total * 36 // 100])
        loaded = explorer.loaded
        assert loaded is not None
        tree, spans = loaded.tree, explorer.spans
        root = tree.shape.roots[0]
        step = max(  # the step with the longest run of searches (412 calls)
            tree.shape.children[root],
            key=lambda n: sum(tree.spans[c].name == "search_docs" for c in tree.shape.children[n]),
        )
        spans.view.select_span(tree.spans[step].span_id)
        index = spans.view.currentIndex()
        spans.view.expand(index)  # the step's calls: one folded row
        spans.view.scrollTo(index, spans.view.ScrollHint.PositionAtTop)
        settle(800)
        self.shoot("huge-tree")
        spans.show_critical_path(True)
        explorer.span_views.setCurrentWidget(explorer.span_views.flame)
        flame = explorer.span_views.flame.view
        wait_for(lambda: tree.critical is not None and flame.flame_layout is not None)
        flame.zoom_to_node(step)  # as a double click on the step does
        settle(1500)
        self.shoot("huge-flame")
        spans.show_critical_path(False)
        explorer.open_search()
        spans.search_bar.edit.setText("upstream timed out")
        wait_for(lambda: explorer.search.hits is not None and not explorer.search.pending)
        settle(1500)
        self.shoot("huge-search")
        window.experiments_dock.show()

    def trace(self, name: str, where: str) -> None:
        experiment_id, trace_id = newest(self.db, where)
        self.window.experiment_view.select_experiment(experiment_id)
        settle(500)
        self.window.commands.go_to_trace(trace_id)
        wait_for(lambda: self.window.shown_trace_id == trace_id)
        self.shoot(name)

    def replay(self) -> None:
        """A support agent's answering chat call replayed with an edited system message, against
        the tests' stand-in Ollama (no model needed); the demo is read-only: nothing saved."""
        from app.replay.launch import open_replay
        from app.replay.request import request_from_span
        from tests.ollama_server import OllamaStandIn

        experiment, trace_id = newest(self.db, "trace_name = 'support_agent' AND status = 'OK'")
        self.window.experiment_view.select_experiment(experiment)
        settle(500)
        self.window.commands.go_to_trace(trace_id)
        wait_for(lambda: self.window.shown_trace_id == trace_id)
        explorer = self.window.explorer
        wait_for(lambda: bool(explorer.loaded and explorer.loaded.trace.trace_id == trace_id))
        loaded = explorer.loaded
        assert loaded is not None
        # The chat call that wrote the answer the customer read (not a tool call).
        chats = [s for s in loaded.tree.spans if s.span_type == "CHAT_MODEL"]
        chat = next(
            s
            for s in sorted(chats, key=lambda s: -s.start_time_ns)
            if not request_from_span(s).recorded_output.startswith("→")
        )
        with OllamaStandIn() as ollama:
            os.environ["TRACEDESK_OLLAMA_URL"] = ollama.url
            dialog = open_replay(
                self.window, self.window.tasks, None, loaded.trace, chat, print, lambda: None
            )
            assert dialog is not None
            dialog.resize(1300, 760)
            wait_for(lambda: dialog.params.model.count() > 0)
            first = dialog.messages.rows[0]
            first.content.setPlainText(
                first.content.toPlainText() + "\nAlways answer in English, in two sentences."
            )
            dialog.offer_tools.setChecked(False)  # a text answer to set beside the recorded one
            dialog.run()
            wait_for(lambda: not dialog.is_running)
            settle(800)
            IMAGES.mkdir(parents=True, exist_ok=True)
            path = IMAGES / f"replay{self.suffix}.png"
            dialog.grab().save(str(path))
            print(f"wrote {path}")
            dialog.close()
            del os.environ["TRACEDESK_OLLAMA_URL"]

    def evaluations(self) -> None:
        """The demo's two runs: the baseline's results, then the baseline against the new prompt."""
        page = self.window.evaluations_page
        self.window.experiment_view.select_experiment(experiment_id(self.db, "rag-qa"))
        self.window.modes.setCurrentWidget(page)
        wait_for(lambda: page.runs_model.rowCount() >= 2)
        runs = [page.runs_model.run(row) for row in range(page.runs_model.rowCount())]
        ids = {run.name: run.run_id for run in runs if run is not None}
        page.runs_view.select_runs([ids["baseline"]])
        wait_for(lambda: page.grid.model.rowCount() > 0)
        settle(800)
        self.shoot("tab-evaluations")
        shown: list[object] = []
        page.comparison_shown.connect(shown.append)
        page.runs_view.select_runs([ids["baseline"], ids["new prompt"]])
        page.compare(ids["baseline"], ids["new prompt"])
        wait_for(lambda: bool(shown))
        settle(800)
        self.shoot("evaluations-compare")

    def prompts(self) -> None:
        """`support-triage` with its aliases, then the diff of its last two versions."""
        page = self.window.prompts_page
        self.window.modes.setCurrentWidget(page)
        settle(500)
        page.show_prompt("support-triage")
        wait_for(lambda: not page.versions.history.is_loading)
        settle(800)
        self.shoot("tab-prompts")
        page.tabs.setCurrentWidget(page.diff)
        page.diff.compare(2, 3)
        settle(500)
        self.shoot("prompt-diff")
        page.tabs.setCurrentIndex(0)


def experiment_id(db: Path, name: str) -> str:
    with sqlite3.connect(db) as connection:
        row = connection.execute(
            "SELECT experiment_id FROM experiments WHERE name = ?", (name,)
        ).fetchone()
    return str(row[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theme", choices=["light", "dark"], default="light")
    args = parser.parse_args(argv)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName("TraceDeskScreenshots")
    QCoreApplication.setApplicationName("TraceDeskScreenshots")
    with tempfile.TemporaryDirectory() as folder:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
        from app import settings
        from app.theme import ThemeApplier
        from core.demo.build import build_demo_database

        # A throwaway home: the window writes paths under it as ~/…, so no shot shows this
        # machine's folders or user name, and the demo sits where `tracedesk --demo` puts it.
        home = Path(folder) / "home"
        os.environ["HOME"] = str(home)
        db = home / ".local" / "share" / "TraceDesk" / "demo" / "mlflow.db"
        db.parent.mkdir(parents=True)
        python = home / "support-agent" / ".venv" / "bin" / "python"
        python.parent.mkdir(parents=True)
        python.symlink_to(sys.executable)
        settings.set_agents_python(str(python))
        build_demo_database(db)
        ThemeApplier(app).apply(args.theme, None)
        window = MainWindow()
        window.resize(*SIZE)
        window.show()
        window.open_location(db)
        wait_for(lambda: window.trace_model.rowCount() > 0)
        tour = Tour(window, db, "" if args.theme == "light" else f"-{args.theme}")
        tour.walk()
        huge = ensure_huge_trace(100_000, quiet=True)  # cached under bench-data/
        agent_db = home / "research-agent" / "mlflow.db"
        agent_db.parent.mkdir()
        shutil.copyfile(huge.path, agent_db)
        tour.huge(agent_db, huge.trace_id)
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
