""" "Run Over Traces…" driven like a user (keys): the filter prefilled and counted off the GUI
thread, Run, progress and Esc to cancel, the runs written and read back, the refusal of a
read-only store, "Open in Evaluations" in a real window; screenshots in both themes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.evaluations import rerun_dialog
from app.evaluations.scorer_files import CodeFile
from app.main_window import MainWindow
from app.replay import batch
from app.replay.batch_dialog import READ_ONLY, BatchReplayDialog
from app.replay.batch_launch import open_batch_replay
from app.replay.request import ReplayMessage, ReplayRequest, request_from_span
from app.replay.run import ReplayRun
from app.tasks import TaskRunner
from app.theme import ThemeApplier
from core.client import Client
from core.entities.evaluation import FINISHED, KILLED
from core.store import Store
from tests.app.helpers import WAIT_MS, open_and_wait, select_experiment, show_window
from tests.app.replay.test_batch_run import (
    EXPERIMENT,
    NEW_SYSTEM,
    QUESTIONS,
    SPAN_NAME,
    ChatDb,
    all_rows,
    build_chat_db,
    recorded_answer,
)
from tests.ollama_server import DEFAULT_MODEL, TUTORIAL_ANSWERS, OllamaStandIn

DEFAULT_FILTER = "trace.name = 'support' AND span.name = 'ChatOllama'"
OWNERS: list[QWidget] = []


@pytest.fixture(autouse=True)
def owners() -> Iterator[None]:
    yield
    for owner in OWNERS:
        owner.close()
    OWNERS.clear()


@pytest.fixture
def chat_db(db318: Path) -> ChatDb:
    return build_chat_db(db318)


@pytest.fixture
def tasks(qtbot: QtBot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.shutdown()


@pytest.fixture
def client_of(chat_db: ChatDb) -> Iterator[Any]:
    """`client_of(read_only)`: a client on the chat database, closed after the test."""
    opened: list[tuple[Client, Store]] = []

    def make(read_only: bool = False) -> Client:
        store = Store.open(chat_db.path, read_only=read_only)
        client = Client(store=store)
        opened.append((client, store))
        return client

    yield make
    for client, store in opened:
        client.close()
        store.close()


@pytest.fixture
def count_threads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each count of a filter ran on the GUI thread (it never should)."""
    seen: list[bool] = []
    count = batch.count_matches

    def recording(*args: Any) -> int:
        seen.append(threading.current_thread() is threading.main_thread())
        return count(*args)

    monkeypatch.setattr(batch, "count_matches", recording)
    return seen


def source_of(client: Client, chat_db: ChatDb, url: str) -> tuple[ReplayRequest, ReplayRun]:
    """The playground's request (the first support trace's chat span) and its edited run."""
    trace = client.store().reader.get_trace(chat_db.chats[0])
    span = next(s for s in trace.data.spans if s.name == SPAN_NAME)
    request = request_from_span(span, EXPERIMENT)
    edited = ReplayRun(
        url=url,
        model=DEFAULT_MODEL,
        messages=(ReplayMessage("system", NEW_SYSTEM), *request.messages[1:]),
        source_trace_id=request.source_trace_id,
        source_span_id=request.source_span_id,
        source_name=request.source_name,
        temperature=0.0,
    )
    return request, edited


def open_dialog(
    qtbot: QtBot, tasks: TaskRunner, client: Client, chat_db: ChatDb, url: str
) -> tuple[BatchReplayDialog, list[tuple[str, str]]]:
    """The dialog as the playground opens it, shown, its first count in."""
    owner = QWidget()
    qtbot.addWidget(owner)
    OWNERS.append(owner)  # the dialog's parent lives as long as the test
    opened: list[tuple[str, str]] = []
    request, edited = source_of(client, chat_db, url)
    dialog = open_batch_replay(
        owner, tasks, client, request, edited, lambda a, b: opened.append((a, b))
    )
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitActive(dialog)
    qtbot.waitUntil(lambda: dialog.matches is not None, timeout=WAIT_MS)
    return dialog, opened


def alt(qtbot: QtBot, dialog: QWidget, key: Qt.Key) -> None:
    """Alt+key where the focus is, as a user presses a mnemonic."""
    focused = QApplication.focusWidget()
    assert focused is not None and dialog.isAncestorOf(focused)
    qtbot.keyClick(focused, key, Qt.KeyboardModifier.AltModifier)


def test_the_edit_runs_over_the_traces_from_the_keyboard(
    qtbot: QtBot,
    tasks: TaskRunner,
    client_of: Any,
    chat_db: ChatDb,
    ollama_server: OllamaStandIn,
    count_threads: list[bool],
) -> None:
    client = client_of()
    dialog, opened = open_dialog(qtbot, tasks, client, chat_db, ollama_server.url)
    assert dialog.filter_edit.text() == DEFAULT_FILTER
    assert dialog.matches_label.text() == "4 traces in experiment 0 match: all are replayed."
    assert "You are a kind support agent." in dialog.intro.text()
    assert dialog.status.text() == ""  # writable: nothing to say yet
    alt(qtbot, dialog, Qt.Key.Key_X)  # the exact-match scorer (a mnemonic clicks animated)
    qtbot.waitUntil(dialog.scorers.exact_check.isChecked, timeout=WAIT_MS)
    alt(qtbot, dialog, Qt.Key.Key_L)  # the limit
    assert dialog.limit_spin.hasFocus()
    dialog.limit_spin.selectAll()
    qtbot.keyClicks(dialog.limit_spin, "3")
    assert dialog.matches_label.text().endswith("the newest 3 are replayed.")
    qtbot.keyClick(dialog.limit_spin, Qt.Key.Key_Return)  # Enter: Run
    assert dialog.running and not dialog.run_button.isEnabled()
    assert not dialog.filter_edit.isEnabled()
    qtbot.waitUntil(lambda: not dialog.running, timeout=WAIT_MS)
    outcome = dialog.outcome
    assert outcome is not None and outcome.complete and outcome.edited is not None
    assert (outcome.rows, outcome.skipped) == (3, 0)
    assert dialog.status.text().startswith("Done: 3 traces replayed into “replay of ChatOllama")
    assert dialog.cancel_button.text() == "Close"
    assert dialog.open_button.isVisible() and dialog.open_button.hasFocus()
    qtbot.keyClick(dialog.open_button, Qt.Key.Key_Return)
    assert opened == [(outcome.baseline.run_id, outcome.edited.run_id)]

    store = client.store()
    baseline_rows = all_rows(store, outcome.baseline.run_id)
    edited_rows = all_rows(store, outcome.edited.run_id)
    assert len(baseline_rows) == len(edited_rows) == outcome.rows
    answers = {TUTORIAL_ANSWERS[q]: recorded_answer(i) for i, q in enumerate(QUESTIONS)}
    for row in edited_rows:
        assert row.inputs["messages"][0] == {"role": "system", "content": NEW_SYSTEM}
        assert row.expectations == {"expected_response": answers[row.outputs]}
        assert row.scores["exact_match"].value is False
    assert {r.outputs for r in baseline_rows} <= set(answers.values())
    assert all(r.scores["exact_match"].value is True for r in baseline_rows)
    assert count_threads and not any(count_threads)
    qtbot.keyClick(dialog.open_button, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_the_count_follows_the_filter_and_a_bad_filter_disables_run(
    qtbot: QtBot, tasks: TaskRunner, client_of: Any, chat_db: ChatDb, ollama_server: OllamaStandIn
) -> None:
    dialog, _opened = open_dialog(qtbot, tasks, client_of(), chat_db, ollama_server.url)
    alt(qtbot, dialog, Qt.Key.Key_F)
    assert dialog.filter_edit.hasFocus()
    qtbot.keyClick(dialog.filter_edit, Qt.Key.Key_Tab)  # the tab order follows the form
    assert dialog.limit_spin.hasFocus()
    qtbot.keyClick(dialog.limit_spin, Qt.Key.Key_Tab)
    assert dialog.scorers.exact_check.hasFocus()
    alt(qtbot, dialog, Qt.Key.Key_F)
    dialog.filter_edit.selectAll()
    qtbot.keyClicks(dialog.filter_edit, "trace.name = 'other'")
    qtbot.waitUntil(lambda: dialog.matches == 1, timeout=WAIT_MS)
    assert dialog.matches_label.text() == "1 trace in experiment 0 match: all are replayed."
    assert dialog.run_button.isEnabled()
    dialog.filter_edit.selectAll()
    qtbot.keyClicks(dialog.filter_edit, "trace.nme = 'other'")
    qtbot.waitUntil(lambda: "trace.name" in dialog.matches_label.text(), timeout=WAIT_MS)
    assert dialog.matches is None and not dialog.run_button.isEnabled()
    dialog.filter_edit.selectAll()
    qtbot.keyClicks(dialog.filter_edit, "trace.name = 'nobody'")
    qtbot.waitUntil(lambda: dialog.matches == 0, timeout=WAIT_MS)
    assert dialog.matches_label.text() == "No trace in experiment 0 matches."
    assert not dialog.run_button.isEnabled()
    qtbot.keyClick(dialog.filter_edit, Qt.Key.Key_Escape)  # idle: Esc closes
    assert not dialog.isVisible()


def test_targets_without_the_span_are_skipped_and_said(
    qtbot: QtBot, tasks: TaskRunner, client_of: Any, chat_db: ChatDb, ollama_server: OllamaStandIn
) -> None:
    dialog, _opened = open_dialog(qtbot, tasks, client_of(), chat_db, ollama_server.url)
    dialog.filter_edit.setFocus()
    dialog.filter_edit.selectAll()
    qtbot.keyClicks(dialog.filter_edit, "trace.name = 'support'")  # also the one with no chat
    qtbot.waitUntil(lambda: dialog.matches == 5, timeout=WAIT_MS)
    qtbot.keyClick(dialog.filter_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.running, timeout=WAIT_MS)
    outcome = dialog.outcome
    assert outcome is not None and (outcome.rows, outcome.skipped) == (4, 1)
    assert dialog.status.text().endswith("1 selected trace was skipped: no span to replay.")
    dialog.close()


def test_esc_cancels_midway_and_the_edited_run_ends_killed(
    qtbot: QtBot, tasks: TaskRunner, client_of: Any, chat_db: ChatDb, ollama_server: OllamaStandIn
) -> None:
    client = client_of()
    dialog, _opened = open_dialog(qtbot, tasks, client, chat_db, ollama_server.url)
    ollama_server.configure(chunk_delay=0.05)
    dialog.filter_edit.setFocus()
    qtbot.keyClick(dialog.filter_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("New answers"), timeout=WAIT_MS)
    assert dialog.progress.isVisible()
    qtbot.keyClick(dialog.filter_edit, Qt.Key.Key_Escape)  # running: Esc cancels, stays open
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=WAIT_MS)
    outcome = dialog.outcome
    assert outcome is not None and outcome.edited is not None
    assert (outcome.baseline.status, outcome.edited.status) == (FINISHED, KILLED)
    assert dialog.status.text().startswith("Cancelled: run “replay of ChatOllama")
    store = client.store()
    assert store.evaluations.run(outcome.edited.run_id).status == KILLED
    assert len(all_rows(store, outcome.edited.run_id)) < outcome.rows
    assert len(all_rows(store, outcome.baseline.run_id)) == outcome.rows
    assert dialog.progress.isHidden()
    qtbot.keyClick(dialog.filter_edit, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_a_read_only_store_is_refused_and_said(
    qtbot: QtBot, tasks: TaskRunner, client_of: Any, chat_db: ChatDb, ollama_server: OllamaStandIn
) -> None:
    client = client_of(read_only=True)
    dialog, _opened = open_dialog(qtbot, tasks, client, chat_db, ollama_server.url)
    assert dialog.status.text() == READ_ONLY
    assert dialog.matches == 4  # counted all the same: the user sees what would run
    assert not dialog.run_button.isEnabled()
    qtbot.keyClick(dialog.filter_edit, Qt.Key.Key_Return)
    assert not dialog.running and dialog.outcome is None
    assert ollama_server.chat_requests == []
    dialog.close()


def test_open_in_evaluations_compares_the_two_runs_in_the_window(
    qtbot: QtBot, make_window: Any, chat_db: ChatDb, ollama_server: OllamaStandIn
) -> None:
    window: MainWindow = make_window(read_only=False)
    show_window(qtbot, window)
    open_and_wait(qtbot, window, chat_db.path)
    select_experiment(qtbot, window, EXPERIMENT)
    client = window.client
    assert client is not None
    request, edited = source_of(client, chat_db, ollama_server.url)
    dialog = open_batch_replay(
        window, window.tasks, client, request, edited, window.open_evaluation_comparison
    )
    qtbot.waitUntil(lambda: dialog.matches == 4, timeout=WAIT_MS)
    dialog.filter_edit.setFocus()
    qtbot.keyClick(dialog.filter_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.open_button.isVisible, timeout=WAIT_MS)
    select_experiment(qtbot, window, "2")  # the user looked elsewhere meanwhile
    page = window.evaluations_page
    with qtbot.waitSignal(page.comparison_shown, timeout=WAIT_MS) as shown:
        qtbot.keyClick(dialog.open_button, Qt.Key.Key_Return)
    comparison = shown.args[0]
    assert window.modes.currentWidget() is page
    assert comparison.run_a.name.endswith("· recorded")
    assert comparison.run_b.name.endswith("· edited")
    assert len(comparison.pairs) == 4
    assert all(p.a is not None and p.b is not None for p in comparison.pairs)
    assert page.experiment_id == EXPERIMENT  # the runs' experiment, chosen in the sidebar
    qtbot.waitUntil(lambda: len(page.runs_view.selected_runs()) == 2, timeout=WAIT_MS)
    selected = {r.run_id for r in page.runs_view.selected_runs()}
    assert selected == {comparison.run_a.run_id, comparison.run_b.run_id}
    dialog.close()


SCORER_FILE = '''"""A custom scorer for the replay over traces."""
import core


@core.scorer
def short(outputs: str) -> bool:
    return len(outputs) < 25
'''


def test_a_confirmed_scorer_file_scores_both_runs(
    qtbot: QtBot,
    tasks: TaskRunner,
    client_of: Any,
    chat_db: ChatDb,
    ollama_server: OllamaStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "my_scorers.py"
    path.write_text(SCORER_FILE, "utf-8")
    asked: list[Path] = []

    def confirm(_parent: object, code: CodeFile, on_yes: Callable[[], None]) -> None:
        asked.append(code.path)
        on_yes()

    monkeypatch.setattr(rerun_dialog, "choose_code_file", lambda _parent: str(path))
    monkeypatch.setattr(rerun_dialog, "confirm_code", confirm)
    client = client_of()
    dialog, _opened = open_dialog(qtbot, tasks, client, chat_db, ollama_server.url)
    alt(qtbot, dialog, Qt.Key.Key_S)  # Add Scorers From File…
    qtbot.waitUntil(lambda: dialog.scorers.code is not None, timeout=WAIT_MS)
    assert asked == [path] and str(path) in dialog.scorers.file_label.text()
    dialog.filter_edit.setFocus()
    qtbot.keyClick(dialog.filter_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.running, timeout=WAIT_MS)
    outcome = dialog.outcome
    assert outcome is not None and outcome.complete and outcome.edited is not None
    store = client.store()
    recorded = [r.scores["short"].value for r in all_rows(store, outcome.baseline.run_id)]
    edited = {r.outputs: r.scores["short"].value for r in all_rows(store, outcome.edited.run_id)}
    assert recorded == [True] * 4  # "Recorded answer i." is short
    assert edited == {TUTORIAL_ANSWERS[q]: len(TUTORIAL_ANSWERS[q]) < 25 for q in QUESTIONS}
    dialog.close()


# -- screenshots -------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_batch_screenshot(
    qtbot: QtBot,
    qapp: QApplication,
    tasks: TaskRunner,
    client_of: Any,
    chat_db: ChatDb,
    ollama_server: OllamaStandIn,
    theme: str,
) -> None:
    look = ThemeApplier(qapp)
    look.apply(theme, None)
    try:
        dialog, _opened = open_dialog(qtbot, tasks, client_of(), chat_db, ollama_server.url)
        dialog.scorers.exact_check.setChecked(True)
        dialog.scorers.judge_check.setChecked(True)
        folder = Path("/tmp/h")
        folder.mkdir(exist_ok=True)
        qtbot.wait(50)
        assert dialog.grab().save(str(folder / f"batch-{theme}.png"))
        ollama_server.configure(chunk_delay=0.01)
        dialog.filter_edit.setFocus()
        qtbot.keyClick(dialog.filter_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.progress.value() >= 1, timeout=WAIT_MS)
        assert dialog.grab().save(str(folder / f"batch-running-{theme}.png"))
        qtbot.waitUntil(lambda: not dialog.running, timeout=WAIT_MS)
        qtbot.wait(50)
        assert dialog.grab().save(str(folder / f"batch-done-{theme}.png"))
        dialog.close()
    finally:
        look.apply("system", None)
