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
import socket
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QApplication, QDialog

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
        self.trace_diff()
        self.evaluations()
        self.prompts()
        self.insights()
        self.labels()
        self.export_traces()
        self.receive_otlp()
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
        """Issue 18's walk, against the tests' stand-in Ollama (no model needed), on the demo
        opened for writing (a throwaway copy): a support agent's answering chat call replayed
        with its system prompt's template edited, the edit saved as a new prompt version, run
        over ten traces and compared with the recorded answers in the Evaluations tab; then a
        ResponsesAgent turn replayed in its registered agent."""
        from tests.ollama_server import OllamaStandIn

        window = self.window
        window.enable_editing()
        wait_for(lambda: window.store is not None and not window.store.read_only)
        with OllamaStandIn() as ollama:
            os.environ["TRACEDESK_OLLAMA_URL"] = ollama.url
            dialog = self._replay_dialog()
            self._save_version(dialog)
            self._over_traces(dialog)
            dialog.close()
            del os.environ["TRACEDESK_OLLAMA_URL"]
        self._replay_in_agent()
        window.modes.setCurrentIndex(0)

    def _replay_dialog(self) -> Any:
        from app.replay.launch import open_replay
        from app.replay.request import request_from_span

        window = self.window
        linked_v4 = "SELECT request_id FROM trace_tags WHERE key = 'mlflow.linkedPrompts' "
        linked_v4 += 'AND value LIKE \'%"version": "4"%\''
        where = f"trace_name = 'support_agent' AND status = 'OK' AND request_id IN ({linked_v4})"
        experiment, trace_id = newest(self.db, where)
        window.experiment_view.select_experiment(experiment)
        settle(500)
        window.commands.go_to_trace(trace_id)
        wait_for(lambda: window.shown_trace_id == trace_id)
        explorer = window.explorer
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
        dialog = open_replay(
            window,
            window.tasks,
            window.client,
            loaded.trace,
            chat,
            print,
            lambda: None,
            window.open_evaluation_comparison,
        )
        assert dialog is not None
        dialog.resize(1300, 760)
        wait_for(lambda: dialog.params.model.count() > 0 and dialog.prompt_bar.isVisible())
        system = dialog.messages.rows[0].content
        system.setPlainText(system.toPlainText() + " Always answer in two sentences at most.")
        dialog.offer_tools.setChecked(False)  # a text answer to set beside the recorded one
        dialog.run()
        wait_for(lambda: not dialog.is_running)
        settle(800)
        self.shoot_widget(dialog, "replay")
        return dialog

    def _save_version(self, dialog: Any) -> None:
        """Save as New Version…: the commit dialog (shot), then the alias moved to it."""
        from PySide6.QtWidgets import QApplication

        from app.prompts import dialogs

        def commit() -> None:
            box = QApplication.activeModalWidget()
            if not isinstance(box, dialogs.CommitMessageDialog):
                QTimer.singleShot(50, commit)
                return
            box.message.setText("Answer in two sentences at most.")
            settle(300)
            self.shoot_widget(box, "replay-save-version")
            box.accept()
            QTimer.singleShot(50, move)

        def move() -> None:
            box = QApplication.activeModalWidget()
            if not isinstance(box, dialogs.MoveAliasDialog):
                QTimer.singleShot(50, move)
                return
            box.alias.setCurrentText("production")
            box.accept()

        QTimer.singleShot(0, commit)
        dialog.prompt_bar.save_button.click()
        wait_for(lambda: "points at version" in dialog.status.text())

    def _over_traces(self, dialog: Any) -> None:
        """Run Over Traces… on ten traces of the same prompt version, then their comparison."""
        window = self.window
        batch = dialog.run_over_traces()
        assert batch is not None
        wait_for(lambda: batch.matches is not None)
        batch.limit_spin.setValue(10)
        batch.scorers.length_check.setChecked(True)  # "two sentences" should be short
        batch.scorers.length_spin.setValue(300)
        settle(300)
        batch.run()
        wait_for(lambda: not batch.running, 300_000)
        settle(500)
        self.shoot_widget(batch, "replay-over-traces")
        batch.open_evaluation()
        page = window.evaluations_page
        wait_for(page.comparison.isVisible, 60_000)
        settle(1500)
        batch.close()
        self.shoot("replay-compare")

    def _replay_in_agent(self) -> None:
        """A ResponsesAgent conversation sent again to the registered support-agent."""
        window = self.window
        experiment, trace_id = newest(self.db, "trace_name = 'predict' AND status = 'OK'")
        window.modes.setCurrentIndex(0)
        window.experiment_view.select_experiment(experiment)
        settle(500)
        window.commands.go_to_trace(trace_id)
        wait_for(lambda: window.shown_trace_id == trace_id)
        header = window.explorer.header
        wait_for(lambda: header.agent_replay.isVisible() and header.agent_replay.isEnabled())
        page = window.agents_page
        page.controller.run_dialog_opened.connect(QDialog.accept)  # "Run this code?": yes
        header.agent_replay.trigger()
        chat = page.chat  # the replay starts a conversation of its own: read it each time
        wait_for(lambda: bool(chat.conversation.turns) and chat.conversation.turns[-1].finished)
        settle(1000)
        transcript = chat.transcript  # the new answer mid-view, the recorded one under it
        transcript.moveCursor(QTextCursor.MoveOperation.End)
        transcript.find("Answered in", QTextDocument.FindFlag.FindBackward)
        bar = transcript.verticalScrollBar()
        shown = transcript.cursorRect().top() - transcript.viewport().height() // 2
        cursor = transcript.textCursor()
        cursor.clearSelection()  # found, not highlighted
        transcript.setTextCursor(cursor)
        bar.setValue(bar.value() + shown)
        settle(300)
        self.shoot("replay-in-agent")

    def trace_diff(self) -> None:
        """Issue 19: a fast and a slow run of the support agent on the same topic, compared."""
        window = self.window
        fast, slow = fast_and_slow(self.db)
        compared = window.compare.compare_ids([fast, slow])
        assert compared is not None
        compared.resize(1280, 780)
        wait_for(lambda: compared.comparison is not None)
        summary = compared.comparison.diff.summary()
        if summary.time_movers:  # the span that explains most of the difference
            compared.select_row(summary.time_movers[0])
        settle(800)
        self.shoot_widget(compared, "trace-diff")
        compared.close()

    def shoot_widget(self, widget: Any, name: str) -> None:
        IMAGES.mkdir(parents=True, exist_ok=True)
        path = IMAGES / f"{name}{self.suffix}.png"
        widget.grab().save(str(path))
        print(f"wrote {path}")

    def evaluations(self) -> None:
        """The demo's two runs: the baseline's results, then the baseline against the new prompt."""
        page = self.window.evaluations_page
        self.window.experiment_view.select_experiment(experiment_id(self.db, "rag-qa"))
        self.window.modes.setCurrentWidget(page)

        def names() -> dict[str, str]:
            runs = [page.runs_model.run(row) for row in range(page.runs_model.rowCount())]
            return {run.name: run.run_id for run in runs if run is not None}

        wait_for(lambda: "baseline" in names())  # not the runs of the experiment shown before
        ids = names()
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

    def insights(self) -> None:
        """Issue 20: the support agent's traces over all time by trace name, then by model;
        rag-qa's feedback."""
        window = self.window
        window.experiment_view.select_experiment(experiment_id(self.db, "support-agent"))
        settle(500)
        page = window.insights_page
        window.modes.setCurrentWidget(page)
        wait_for(lambda: page.shown is not None)
        loaded: list[bool] = []
        page.loaded.connect(lambda: loaded.append(True))
        page.range_box.setCurrentIndex(page.range_box.findData("all"))
        page.range_box.activated.emit(page.range_box.currentIndex())
        wait_for(lambda: bool(loaded))
        loaded.clear()
        page.breakdown_box.setCurrentIndex(page.breakdown_box.findData("name"))
        wait_for(lambda: bool(loaded))
        settle(800)
        self.shoot("insights")
        loaded.clear()
        page.breakdown_box.setCurrentIndex(page.breakdown_box.findData("span.model"))
        wait_for(lambda: bool(loaded))
        settle(800)
        self.shoot("insights-models")
        loaded.clear()
        window.experiment_view.select_experiment(experiment_id(self.db, "rag-qa"))
        wait_for(lambda: bool(loaded))
        page.views.setCurrentWidget(page.feedback)
        settle(800)
        self.shoot("insights-feedback")
        page.views.setCurrentIndex(0)
        window.modes.setCurrentIndex(0)

    def labels(self) -> None:
        """Issue 22: a support trace's labels — a scorer's value, a judge's a reviewer
        overrode, an expectation — in the Labels window (the demo is writable since replay)."""
        window = self.window
        experiment, trace_id = newest(self.db, "trace_name = 'support_agent' AND status = 'OK'")
        window.experiment_view.select_experiment(experiment)
        settle(500)
        store = window.store
        assert store is not None
        edits = store.trace_edits
        edits.log_feedback(trace_id, "resolved", True, source_id="resolution_check")
        judged = edits.log_feedback(
            trace_id,
            "helpful",
            0.4,
            source_type="LLM_JUDGE",
            source_id="gpt-4o-mini",
            rationale="Does not say when the refund arrives",
        )
        edits.override_feedback(
            trace_id,
            judged,
            0.9,
            source_type="HUMAN",
            source_id="ann",
            rationale="It does: 5-7 business days",
        )
        edits.log_expectation(
            trace_id,
            "expected_facts",
            ["refund issued", "5-7 business days"],
            source_id="ann",
        )
        window.commands.go_to_trace(trace_id)
        wait_for(lambda: (shown := window.explorer.current_trace()) is not None
                 and shown.info.trace_id == trace_id)  # fmt: skip
        window.explorer.open_labels()
        labels = window.explorer.labels
        assert labels is not None
        labels.resize(760, 300)
        wait_for(lambda: labels.panel.tree.topLevelItemCount() >= 3)
        settle(800)
        self.shoot_widget(labels, "labels")
        labels.close()

    def export_traces(self) -> None:
        """Issue 21: File → Export Traces… over the support agent's traces."""
        window = self.window
        window.experiment_view.select_experiment(experiment_id(self.db, "support-agent"))
        wait_for(lambda: window.trace_model.rowCount() > 0)
        settle(500)
        dialog = window.exports.open_dialog()
        assert dialog is not None
        settle(800)
        self.shoot_widget(dialog, "export-traces")
        dialog.close()

    def receive_otlp(self) -> None:
        """Issue 21: File → Receive OpenTelemetry…, then a TypeScript-like agent's turns sent
        with the official OpenTelemetry SDK (one turn's root not sent yet: in progress)."""
        from tests.core.otlp.sdk import (
            agent_turn,
            exporting_provider,
            otlp_protobuf,
            post,
            recorded_spans,
        )

        window = self.window
        window.otlp.open_dialog()
        wait_for(lambda: window.otlp.dialog is not None)
        dialog = window.otlp.dialog
        assert dialog is not None
        dialog.experiment.setCurrentText("checkout-agent")
        with socket.socket() as probe:  # a free port: 4318 may be taken on this machine
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        dialog.port.setValue(port)
        dialog.start_stop.click()
        wait_for(lambda: window.otlp.receiving.running)
        url = f"http://127.0.0.1:{port}/v1/traces"
        provider = exporting_provider(url)
        tracer = provider.get_tracer("checkout")
        last = ""
        for question in ("Where is my order 42?", "Can I change the delivery address?"):
            last = agent_turn(tracer, question)
        provider.shutdown()
        waiting = recorded_spans(lambda t: agent_turn(t, "Is order 7 insured?"))
        children = [span for span in waiting if span.parent is not None]
        post(url, otlp_protobuf(children), "application/x-protobuf")
        wait_for(lambda: window.otlp.receiving.counts()[0] >= 11)
        dialog.close()
        received = experiment_id(self.db, "checkout-agent")

        def shown() -> bool:  # the list reloads the experiments as spans come: pick it again
            if window.experiment_view.current_experiment_id != received:
                window.experiment_view.select_experiment(received)
            return window.trace_model.rowCount() == 3

        wait_for(shown)
        window.commands.go_to_trace(last)
        wait_for(lambda: window.shown_trace_id == last and window.explorer.loaded is not None)
        loaded = window.explorer.loaded
        assert loaded is not None
        chat = next(s for s in loaded.tree.spans if s.name == "llm.answer")
        window.explorer.spans.view.select_span(chat.span_id)
        settle(1000)
        self.shoot("receive-otlp")
        window.otlp.receiving.stop()
        wait_for(lambda: not window.otlp.receiving.running)

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


def fast_and_slow(db: Path) -> tuple[str, str]:
    """The quickest and the slowest single-turn support_agent answer (by the same model
    client) on the busiest topic."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT t.request_id, g.value FROM trace_info t "
            "JOIN trace_tags g ON g.request_id = t.request_id AND g.key = 'topic' "
            "WHERE t.trace_name = 'support_agent' AND t.status = 'OK' AND NOT EXISTS "
            "(SELECT 1 FROM spans s WHERE s.trace_id = t.request_id AND s.name = 'load_memory') "
            "AND EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.request_id "
            "AND s.name = 'ChatOpenAI') "
            "ORDER BY t.execution_time_ms"
        ).fetchall()
    topics = [topic for _, topic in rows]
    busiest = max(set(topics), key=topics.count)
    ids = [trace_id for trace_id, topic in rows if topic == busiest]
    return str(ids[0]), str(ids[-1])


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
