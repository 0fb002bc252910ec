"""Fixtures of the Agents page tests: a database of small agents, the page in a real window,
and helpers that load an agent and chat with it through the page's own controls."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from app.agents.conversation import Turn
from app.agents.dialogs import RunCodeDialog
from app.agents.page import AgentsPage
from app.main_window import MainWindow
from core.agents.runner import AgentRunner
from tests.app.agents.agents_code import log_agents
from tests.app.helpers import WAIT_MS, open_and_wait
from tests.interop.conftest import mlflow_python

#: A child imports core (pandas, SQLAlchemy) before it answers: generous, never slept.
AGENT_WAIT_MS = 60_000


@pytest.fixture(scope="session")
def agents_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The agents logged once per session; each test copies the folder (the child writes)."""
    folder = tmp_path_factory.mktemp("agents-source")
    log_agents(folder / "mlflow.db", folder / "code")
    return folder


@pytest.fixture
def agents_db(agents_source: Path, tmp_path: Path) -> Path:
    """A copy of the agents database (moved: its artifact folders are re-based)."""
    target = tmp_path / "agents"
    shutil.copytree(agents_source, target)
    return target / "mlflow.db"


@pytest.fixture
def mlflow_interpreter() -> Path:
    python = mlflow_python()
    if python is None:
        pytest.skip(
            "the MLflow 3.18 interpreter (.venv-mlflow/bin/python, or $TRACEDESK_MLFLOW_PYTHON) "
            "is missing: run `make mlflow-venv`"
        )
    return python


def point_experiment_at_copy(db: Path, experiment_id: str) -> None:
    """MLflow writes under the experiment's recorded folder (/home/user/... in the fixtures):
    point one experiment inside the copy. The others keep their recorded folders, from which
    the copy's artifact folders are still re-based."""
    with sqlite3.connect(db) as connection:
        connection.execute(
            "UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?",
            (str(db.parent / "mlruns" / experiment_id), int(experiment_id)),
        )
    connection.close()


def open_page(qtbot: QtBot, window: MainWindow, db: Path) -> AgentsPage:
    """Show the Agents page of `window`, open `db` and wait for the models and versions."""
    page = window.agents_page
    window.modes.setCurrentWidget(page)
    with qtbot.waitSignals([page.model_list.loaded, page.version_table.loaded], timeout=WAIT_MS):
        open_and_wait(qtbot, window, db)
    return page


def choose(qtbot: QtBot, page: AgentsPage, name: str, version: int | None = None) -> None:
    """Select model `name` (and `version`, else its newest) and wait for its versions."""
    if page.version_table.model_name != name:
        with qtbot.waitSignal(page.version_table.loaded, timeout=WAIT_MS):
            assert page.select_model(name)
    if version is not None:
        assert page.select_version(version)
    assert page.selected_version is not None


def load(
    qtbot: QtBot,
    page: AgentsPage,
    name: str,
    version: int | None = None,
    answer: Callable[[RunCodeDialog], None] = QDialog.accept,
) -> AgentRunner:
    """Load `name` with the Load button, answering "Run this code?" if it is asked."""
    choose(qtbot, page, name, version)
    session = page.controller.session
    asked: list[RunCodeDialog] = []
    page.controller.run_dialog_opened.connect(asked.append)
    page.controller.run_dialog_opened.connect(answer)
    outcome: list[object] = []
    session.loaded.connect(outcome.append)
    session.load_failed.connect(outcome.append)
    session.prepare_failed.connect(outcome.append)
    page.bar.load_button.click()
    qtbot.waitUntil(lambda: bool(outcome or page.bar.problem), timeout=AGENT_WAIT_MS)
    page.controller.run_dialog_opened.disconnect(answer)
    assert outcome and isinstance(outcome[0], dict), f"{page.bar.problem}\n" + "\n".join(
        page.log.lines
    )
    assert session.runner is not None and session.runner.is_running
    return session.runner


def say(qtbot: QtBot, page: AgentsPage, text: str) -> Turn:
    """Type `text`, send it, and wait until its turn has finished (answered, failed, stopped)."""
    page.chat.input.setPlainText(text)
    page.chat.submit()
    turn = page.chat.conversation.turns[-1]
    assert turn.user_text == text
    qtbot.waitUntil(lambda: turn.finished, timeout=AGENT_WAIT_MS)
    return turn


def child_gone(runner: AgentRunner) -> bool:
    """Whether the runner's child process has exited (its Popen was reaped)."""
    return runner.returncode is not None and not runner.is_running
