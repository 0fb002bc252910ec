"""Reruns from the page against the stand-in Ollama server: the dialog, the job, its outcome.

Covers a finished rerun (new run stored, comparison opened), cancelling (KILLED), a server that
is down (per-row errors, the run FINISHED as core ends it), a read-only database (the Enable
Editing bar, then the rerun goes on), and a custom scorer file (shown, confirmed, run as shown).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QPlainTextEdit
from pytestqt.qtbot import QtBot

from app import settings
from app.evaluations import predictor, rerun, rerun_dialog
from app.evaluations.look import KIND_ROLE
from app.evaluations.page import EvaluationsPage
from app.evaluations.rerun_dialog import RerunDialog
from app.evaluations.rerun_parts import CodeConfirmDialog
from app.evaluations.scorer_files import CodeFile
from app.main_window import MainWindow
from core.client import Client
from core.entities.evaluation import EvaluationResult, EvaluationRun
from core.store.store import Store
from tests.app.evaluations.conftest import (
    FIXTURE_EXPERIMENT,
    SOME_CHECK_RUN,
    SizedDb,
    open_experiment,
)
from tests.app.helpers import WAIT_MS
from tests.ollama_server import OllamaStandIn

RERUN_MS = 60_000


def register_prompt(db: Path, template: str = "{{ question }}", name: str = "qa") -> None:
    with Store.open(db, read_only=False) as store:
        store.prompt_registry.register_version(
            name, template, commit_message="test", experiment_id="2"
        )


@pytest.fixture
def writable(make_window: Callable[..., MainWindow]) -> MainWindow:
    return make_window(read_only=False)


@pytest.fixture
def rerun_page(writable: MainWindow) -> EvaluationsPage:
    writable.modes.setCurrentWidget(writable.evaluations_page)
    return writable.evaluations_page


def open_dialog(qtbot: QtBot, page: EvaluationsPage, run_id: str) -> RerunDialog:
    """Select `run_id`, press Rerun… and wait for the dialog and its model list."""
    assert page.runs_view.select_runs([run_id])
    page.rerun_button.click()
    qtbot.waitUntil(lambda: page.reruns.dialog is not None, timeout=WAIT_MS)
    dialog = page.reruns.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: "Asking" not in dialog.server_status.text(), timeout=WAIT_MS)
    return dialog


def choose_prompt(dialog: RerunDialog, label: str) -> None:
    found = dialog.prompt_box.findText(label)
    assert found >= 0, label
    dialog.prompt_box.setCurrentIndex(found)


def run_dialog(qtbot: QtBot, page: EvaluationsPage, dialog: RerunDialog) -> EvaluationResult:
    with qtbot.waitSignal(page.reruns.finished, timeout=RERUN_MS) as finished:
        dialog.run_button.click()
    result = finished.args[0]
    assert isinstance(result, EvaluationResult)
    return result


def test_rerun_writes_a_new_run_and_opens_the_comparison(
    qtbot: QtBot,
    writable: MainWindow,
    rerun_page: EvaluationsPage,
    db318: Path,
    ollama_server: OllamaStandIn,
) -> None:
    register_prompt(db318)
    settings.set_ollama(ollama_server.url, "llama3.2:1b")
    open_experiment(qtbot, writable, rerun_page, db318, FIXTURE_EXPERIMENT)
    dialog = open_dialog(qtbot, rerun_page, SOME_CHECK_RUN)
    assert dialog.server_status.text() == "The server has 1 model."
    assert "3 rows rebuilt from run sassy-elk-4" in dialog.findChild(QLabel, "rerunIntro").text()
    assert dialog.prompt_box.currentText() == "knowledge_prompt v2 (text)"  # sorted by name
    assert "No variables" in dialog.prompt_note.text()
    choose_prompt(dialog, "qa v1 (text)")
    assert "from the last user message" in dialog.prompt_note.text()
    assert dialog.exact_check.isChecked()  # the rows have expected_response
    dialog.length_check.setChecked(True)
    dialog.length_spin.setValue(10)
    dialog.judge_check.setChecked(True)
    with qtbot.waitSignal(rerun_page.comparison_shown, timeout=RERUN_MS) as shown:
        result = run_dialog(qtbot, rerun_page, dialog)
    assert result.status == "FINISHED"
    assert result.metrics == pytest.approx(
        {"exact_match/mean": 1.0, "max_length/mean": 1 / 3, "judge/mean": 1.0}
    )
    comparison = shown.args[0]
    assert (comparison.run_a.run_id, comparison.run_b.run_id) == (SOME_CHECK_RUN, result.run_id)
    assert comparison.counts["only in A"] == 0 and comparison.counts["only in B"] == 0
    assert rerun_page.tabs.currentWidget() is rerun_page.comparison
    assert "Rerun finished: run" in rerun_page.strip.detail.text()
    assert rerun_page.strip.detail.text().endswith(f"{result.run_name}, 3 rows.")  # the payload
    with Store.open(db318) as store:
        stored = store.evaluations.run(result.run_id)
        assert stored.status == "FINISHED" and stored.row_count == 3
        assert stored.scorer_means["exact_match"] == 1.0
        page = store.evaluations.rows(result.run_id)
        outputs = sorted(row.outputs for row in page.rows)
        assert outputs == ["Unicorn", "William Shakespeare", "Wright Brothers"]
        assert all(row.scores["judge"].rationale for row in page.rows)
    requests = ollama_server.chat_requests
    asked = {r["messages"][-1]["content"] for r in requests if "format" not in r}
    assert "Who wrote Romeo and Juliet?" in asked
    qtbot.waitUntil(lambda: rerun_page.runs_model.rowCount() == 3, timeout=WAIT_MS)


def test_cancel_a_slow_rerun(
    qtbot: QtBot,
    writable: MainWindow,
    rerun_page: EvaluationsPage,
    sized_copy: SizedDb,
    ollama_server: OllamaStandIn,
) -> None:
    register_prompt(sized_copy.path)
    settings.set_ollama(ollama_server.url, "llama3.2:1b")
    ollama_server.configure(chunk_delay=0.15)
    open_experiment(qtbot, writable, rerun_page, sized_copy.path, sized_copy.experiment_id)
    dialog = open_dialog(qtbot, rerun_page, sized_copy.small)
    choose_prompt(dialog, "qa v1 (text)")
    dialog.workers_spin.setValue(1)
    with qtbot.waitSignal(rerun_page.reruns.started, timeout=WAIT_MS) as started:
        dialog.run_button.click()
    task = started.args[0]
    assert rerun_page.strip.isVisible() or not writable.isVisible()
    assert not rerun_page.rerun_button.isEnabled()  # one rerun at a time
    with qtbot.waitSignal(task.progress, timeout=RERUN_MS):
        pass
    with qtbot.waitSignal(rerun_page.reruns.finished, timeout=RERUN_MS) as finished:
        rerun_page.strip.cancel.click()
        assert "Cancelling" in rerun_page.strip.detail.text()
    result = finished.args[0]
    assert result.status == "KILLED"
    text = rerun_page.strip.detail.text()
    assert "Rerun cancelled" in text and "marked Killed" in text
    with Store.open(sized_copy.path) as store:
        stored = store.evaluations.run(result.run_id)
        assert stored.status == "KILLED" and 1 <= stored.row_count < 10 and not stored.metrics
    qtbot.waitUntil(rerun_page.rerun_button.isEnabled, timeout=WAIT_MS)


def test_server_down_gives_per_row_errors(
    qtbot: QtBot,
    writable: MainWindow,
    rerun_page: EvaluationsPage,
    db318: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Core records a failing predict_fn on its row and goes on: the run ends FINISHED, every
    row with the prediction error on its trace, and scorers that need an output fail."""
    with OllamaStandIn() as server:
        url = server.url
    monkeypatch.setattr(predictor, "RETRY_DELAYS_S", (0.01, 0.01))
    register_prompt(db318)
    settings.set_ollama(url, "llama3.2:1b")
    open_experiment(qtbot, writable, rerun_page, db318, FIXTURE_EXPERIMENT)
    dialog = open_dialog(qtbot, rerun_page, SOME_CHECK_RUN)
    choose_prompt(dialog, "qa v1 (text)")
    status = dialog.server_status.text()
    assert f"cannot reach the Ollama server at {url}" in status and "ollama serve" in status
    assert dialog.model_box.currentText() == "llama3.2:1b"  # typed names still work
    dialog.length_check.setChecked(True)
    result = run_dialog(qtbot, rerun_page, dialog)
    assert result.status == "FINISHED"
    assert result.metrics == {"exact_match/mean": 0.0}  # max_length failed on every row
    assert "3 with errors" in rerun_page.strip.detail.text()
    qtbot.waitUntil(lambda: rerun_page.runs_model.rowCount() == 3, timeout=WAIT_MS)
    assert rerun_page.runs_view.select_runs([result.run_id])
    qtbot.waitUntil(lambda: rerun_page.grid.model.rowCount() == 3, timeout=WAIT_MS)
    model = rerun_page.grid.model
    output = model.index(0, 2)
    assert output.data(KIND_ROLE) == "error"
    assert "gave no answer after 3 attempts" in output.data()
    assert f"cannot reach the Ollama server at {url}" in output.data()
    length_column = model.columnCount() - 1
    assert "max_length needs an output" in model.index(0, length_column).data()


def test_read_only_database_asks_for_editing_first(
    qtbot: QtBot,
    window: MainWindow,
    page: EvaluationsPage,
    db318: Path,
    ollama_server: OllamaStandIn,
) -> None:
    settings.set_ollama(ollama_server.url, "llama3.2:1b")
    window.show()
    open_experiment(qtbot, window, page, db318, FIXTURE_EXPERIMENT)
    assert window.store is not None and window.store.read_only
    assert page.runs_view.select_runs([SOME_CHECK_RUN])
    page.rerun_button.click()
    assert page.editing_bar.isVisible() and page.editing_bar.button.isVisible()
    assert "open read-only" in page.editing_bar.label.text()
    assert page.reruns.dialog is None
    with qtbot.waitSignal(window.store_opened, timeout=WAIT_MS) as opened:
        page.editing_bar.button.click()
    assert not opened.args[0].read_only
    assert not page.editing_bar.isVisible()
    qtbot.waitUntil(lambda: page.reruns.dialog is not None, timeout=WAIT_MS)  # it goes on
    dialog = page.reruns.dialog
    assert dialog is not None and dialog.run_button.isEnabled()
    dialog.reject()


def test_an_older_layout_cannot_be_rerun(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, db31: Path
) -> None:
    """The older fixtures hold no evaluation run; ask for a rerun of a run entity directly."""
    window.show()
    open_experiment(qtbot, window, page, db31, "2")
    run = EvaluationRun("0" * 32, "old-run", "2", "FINISHED", None, None, row_count=3)
    page.reruns.request(run)
    assert page.editing_bar.isVisible() and not page.editing_bar.button.isVisible()
    assert "MLflow 3.18 layout" in page.editing_bar.label.text()
    assert "MLflow 3.1 layout" in page.editing_bar.label.text()


SCORER_FILE = '''"""Custom scorers for the rerun test."""
import core
from core.scorers import exact_match  # core's own instance: not collected


@core.scorer
def short(outputs: str) -> bool:
    return len(outputs) < 10
'''


def test_custom_scorer_file_is_shown_confirmed_and_run_as_shown(
    qtbot: QtBot,
    writable: MainWindow,
    rerun_page: EvaluationsPage,
    db318: Path,
    tmp_path: Path,
    ollama_server: OllamaStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "my_scorers.py"
    path.write_text(SCORER_FILE, "utf-8")
    monkeypatch.setattr(rerun_dialog, "choose_code_file", lambda _parent: str(path))
    register_prompt(db318)
    settings.set_ollama(ollama_server.url, "llama3.2:1b")
    open_experiment(qtbot, writable, rerun_page, db318, FIXTURE_EXPERIMENT)
    dialog = open_dialog(qtbot, rerun_page, SOME_CHECK_RUN)
    choose_prompt(dialog, "qa v1 (text)")
    dialog.exact_check.setChecked(False)
    assert not dialog.run_button.isEnabled()  # no scorer chosen yet
    dialog.file_button.click()
    confirm = dialog.findChild(CodeConfirmDialog)
    assert isinstance(confirm, CodeConfirmDialog) and confirm.isVisible()
    assert f"This will run code from {path}" in confirm.findChild(QLabel, "codeWarning").text()
    assert confirm.findChild(QPlainTextEdit, "codeText").toPlainText() == SCORER_FILE
    confirm.reject()
    assert dialog.code is None and not dialog.run_button.isEnabled()
    dialog.file_button.click()
    confirm = next(d for d in dialog.findChildren(CodeConfirmDialog) if d.isVisible())
    confirm.accept()
    assert dialog.code == CodeFile(path, SCORER_FILE) and dialog.run_button.isEnabled()
    path.write_text("raise SystemExit('edited after it was confirmed')\n", "utf-8")
    result = run_dialog(qtbot, rerun_page, dialog)
    assert result.status == "FINISHED" and result.metrics == {"short/mean": pytest.approx(1 / 3)}


def test_the_scorer_confirmation_can_be_patched(
    qtbot: QtBot,
    writable: MainWindow,
    rerun_page: EvaluationsPage,
    db318: Path,
    tmp_path: Path,
    ollama_server: OllamaStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "broken.py"
    path.write_text("x = 1\n", "utf-8")  # defines no scorer
    asked: list[CodeFile] = []

    def confirm(_parent: object, code: CodeFile, on_yes: Callable[[], None]) -> None:
        asked.append(code)
        on_yes()

    monkeypatch.setattr(rerun_dialog, "choose_code_file", lambda _parent: str(path))
    monkeypatch.setattr(rerun_dialog, "confirm_code", confirm)
    register_prompt(db318)
    settings.set_ollama(ollama_server.url, "llama3.2:1b")
    open_experiment(qtbot, writable, rerun_page, db318, FIXTURE_EXPERIMENT)
    dialog = open_dialog(qtbot, rerun_page, SOME_CHECK_RUN)
    choose_prompt(dialog, "qa v1 (text)")
    dialog.file_button.click()
    assert [c.path for c in asked] == [path]
    with qtbot.waitSignal(rerun_page.reruns.failed, timeout=RERUN_MS) as failed:
        dialog.run_button.click()
    assert "defines no scorer" in failed.args[0] and str(path) in failed.args[0]
    with Store.open(db318) as store:
        assert len(store.evaluations.runs(FIXTURE_EXPERIMENT)) == 2  # nothing was written


def test_closing_the_database_cancels_a_running_rerun(
    qtbot: QtBot,
    writable: MainWindow,
    rerun_page: EvaluationsPage,
    sized_copy: SizedDb,
    ollama_server: OllamaStandIn,
    cancel_reruns_on_close: list[bool],
) -> None:
    register_prompt(sized_copy.path)
    settings.set_ollama(ollama_server.url, "llama3.2:1b")
    ollama_server.configure(chunk_delay=0.15)
    open_experiment(qtbot, writable, rerun_page, sized_copy.path, sized_copy.experiment_id)
    dialog = open_dialog(qtbot, rerun_page, sized_copy.small)
    choose_prompt(dialog, "qa v1 (text)")
    dialog.workers_spin.setValue(1)
    with qtbot.waitSignal(rerun_page.reruns.started, timeout=WAIT_MS) as started:
        dialog.run_button.click()
    with qtbot.waitSignal(started.args[0].progress, timeout=RERUN_MS):
        pass
    with qtbot.waitSignal(rerun_page.reruns.finished, timeout=RERUN_MS) as finished:
        writable.close_database()
    assert cancel_reruns_on_close == [True] and writable.store is None
    assert finished.args[0].status == "KILLED"
    assert "Rerun cancelled" in rerun_page.strip.detail.text()
    with Store.open(sized_copy.path) as store:
        assert store.evaluations.run(finished.args[0].run_id).status == "KILLED"


class _Token:
    """What the job pool hands a job: progress reports and a cancel flag."""

    cancelled = False

    def __init__(self) -> None:
        self.reports: list[tuple[int, int, object]] = []

    def report(self, done: int, total: int, payload: object = None) -> None:
        self.reports.append((done, total, payload))


def test_reruns_of_two_stores_and_of_one_store_run_at_once(
    db318: Path, tmp_path: Path, ollama_server: OllamaStandIn
) -> None:
    """Each rerun writes through its store's client: nothing is shared, nothing waits."""
    other = tmp_path / "other" / "mlflow.db"
    shutil.copytree(db318.parent, other.parent)
    ollama_server.configure(chunk_delay=0.05)
    plans: list[rerun.RerunPlan] = []
    stores = [Store.open(db, read_only=False) for db in (db318, other)]
    clients = [Client(store=store) for store in stores]
    for db, store, client, copies in zip((db318, other), stores, clients, (2, 1), strict=True):
        register_prompt(db)
        source = store.evaluations.run(SOME_CHECK_RUN)
        dataset, prompts = rerun.prepare(store, SOME_CHECK_RUN)
        prompt = next(p for p in prompts if p.name == "qa")
        plans += [
            rerun.RerunPlan(
                client=client,
                experiment_id=FIXTURE_EXPERIMENT,
                source=source,
                dataset=dataset,
                ollama_url=ollama_server.url,
                model="llama3.2:1b",
                prompt=prompt,
                scorers=rerun.ScorerChoice(exact_match=True),
                max_workers=1,
                run_name=f"side-by-side-{len(plans) + n}",
            )
            for n in range(copies)
        ]
    spans: dict[str, tuple[float, float]] = {}

    def job(plan: rerun.RerunPlan) -> EvaluationResult:
        started = time.monotonic()
        token = _Token()
        result = rerun.run_rerun(token, plan)
        spans[plan.run_name or ""] = (started, time.monotonic())
        done, total, progress = token.reports[-1]
        assert isinstance(progress, rerun.RerunProgress)  # the job's payload, as it made it
        assert (progress.done, progress.total, progress.errors) == (done, total, 0) == (3, 3, 0)
        return result

    try:
        with ThreadPoolExecutor(len(plans)) as pool:
            results = list(pool.map(job, plans))
        assert [r.status for r in results] == ["FINISHED"] * 3
        assert max(start for start, _ in spans.values()) < min(end for _, end in spans.values())
        for store, mine in ((stores[0], results[:2]), (stores[1], results[2:])):
            names = {run.name for run in store.evaluations.runs(FIXTURE_EXPERIMENT)}
            assert {r.run_name for r in mine} <= names
            assert not {r.run_name for r in results if r not in mine} & names
            for result in mine:
                rows = store.evaluations.rows(result.run_id).rows
                assert sorted(row.outputs for row in rows) == [
                    "Unicorn",
                    "William Shakespeare",
                    "Wright Brothers",
                ]
    finally:
        for client, store in zip(clients, stores, strict=True):
            client.close()
            store.close()
