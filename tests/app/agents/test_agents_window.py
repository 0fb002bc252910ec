"""The Agents page in the main window: a turn's "Open trace" shows it in the Traces tab, and the
3.18 tutorial's agent (whose code imports mlflow) runs under the MLflow interpreter — or the
page says exactly what to install."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from app import settings
from app.agents.conversation import DONE
from app.agents.session import FAILED
from app.main_window import MainWindow
from tests.app.agents.agents_code import ANSWER, QUESTION
from tests.app.agents.conftest import (
    AGENT_WAIT_MS,
    choose,
    load,
    open_page,
    point_experiment_at_copy,
    say,
)
from tests.app.helpers import WAIT_MS


def test_open_trace_shows_the_turn_in_the_traces_tab(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    load(qtbot, page, "simple", 2)
    turn = say(qtbot, page, QUESTION)
    assert turn.trace_id is not None
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS) as loaded:
        page.chat.transcript.anchorClicked.emit(QUrl(f"#trace-{turn.trace_id}"))
    assert window.modes.currentWidget() is window.workspace
    assert window.shown_trace_id == turn.trace_id
    trace = loaded.args[0]
    assert trace.info.request_preview == QUESTION and trace.info.response_preview == ANSWER
    window.refresh()  # what live mode does when the child wrote: the list has it
    qtbot.waitUntil(lambda: window.trace_model.row_of(turn.trace_id) is not None, timeout=WAIT_MS)


def test_the_tutorial_agent_needs_mlflow_and_says_what_to_install(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    page = open_page(qtbot, window, db318)  # the default interpreter: this one, without MLflow
    choose(qtbot, page, "agent", 2)
    session = page.controller.session
    page.controller.run_dialog_opened.connect(lambda dialog: dialog.accept())
    with qtbot.waitSignal(session.load_failed, timeout=AGENT_WAIT_MS):
        page.bar.load_button.click()
    assert session.state == FAILED
    problem = page.bar.problem
    assert "some_code.py imports mlflow, which is not installed for" in problem
    assert "-m pip install mlflow==3.18.0" in problem and settings.agents_python() in problem
    assert "choose an interpreter that has MLflow with Interpreter…" in problem
    assert session.runner is not None and not session.runner.is_running


def test_the_tutorial_agent_runs_under_the_mlflow_interpreter(
    qtbot: QtBot, window: MainWindow, db318: Path, mlflow_interpreter: Path
) -> None:
    point_experiment_at_copy(db318, "2")  # the model's experiment: its traces go there
    settings.set_agents_python(str(mlflow_interpreter))
    page = open_page(qtbot, window, db318)
    asked: list[object] = []
    page.controller.run_dialog_opened.connect(asked.append)
    runner = load(qtbot, page, "agent", 2)
    assert asked and runner.needs_mlflow and runner.pinned_uri == "models:/agent/2"
    assert runner.load_info["runtime"] == "mlflow"
    assert "runs with mlflow 3.18.0" in page.bar.status.text()
    turn = say(qtbot, page, QUESTION)
    assert turn.state == DONE and turn.answer_text() == ANSWER, turn.error
    assert turn.trace_id is not None
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS) as loaded:
        page.chat.transcript.anchorClicked.emit(QUrl(f"#trace-{turn.trace_id}"))
    trace = loaded.args[0]
    assert trace.info.trace_metadata["mlflow.modelId"] == "m-866fdbfcfdf347319958a800541833d7"
    request = trace.data.spans[0].inputs["request"]
    assert request["context"]["conversation_id"] == page.chat.conversation.conversation_id
    window.close()
    assert runner.returncode is not None


def test_an_older_layout_is_not_traced_and_not_upgraded(
    qtbot: QtBot, window: MainWindow, db31: Path, mlflow_interpreter: Path
) -> None:
    settings.set_agents_python(str(mlflow_interpreter))
    page = open_page(qtbot, window, db31)
    note = page.bar.traces.text()
    assert note.startswith("Answers are not traced: this database has the MLflow 3.1 layout")
    runner = load(qtbot, page, "agent")
    assert runner.load_info["traced"] is False
    turn = say(qtbot, page, QUESTION)
    assert turn.state == DONE and turn.answer_text() == ANSWER and turn.trace_id is None
    assert "no trace was written" in page.chat.transcript.toPlainText()
    qtbot.waitUntil(lambda: any("Calls are not traced" in line for line in page.log.lines))
    with sqlite3.connect(db31) as connection:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    connection.close()
    assert revision == "bda7b8c39065"  # MLflow was never pointed at it
