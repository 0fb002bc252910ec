"""The Agents page renders offscreen in each state; with TRACEDESK_SHOTS=dir the images are kept.

TRACEDESK_SHOTS=shots QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest tests/app/agents -k shot
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.agents.dialogs import RunCodeDialog
from app.agents.page import AgentsPage
from app.main_window import MainWindow
from tests.app.agents.agents_code import QUESTION
from tests.app.agents.conftest import AGENT_WAIT_MS, choose, load, open_page, say
from tests.app.helpers import WAIT_MS, Shot


def test_shot_agents_list(
    qtbot: QtBot, shown: MainWindow, agents_db: Path, db318: Path, shot: Shot
) -> None:
    page = open_page(qtbot, shown, agents_db)
    choose(qtbot, page, "simple", 1)
    shot(shown, "agents-list")
    shutil.rmtree(db318.parent / "mlruns" / "2" / "models" / "m-866fdbfcfdf347319958a800541833d7")
    with qtbot.waitSignal(page.version_table.loaded, timeout=WAIT_MS):
        shown.open_location(db318)
    page.bar.load_button.click()
    shot(shown, "agents-missing-folder")


def test_shot_agents_confirmation(
    qtbot: QtBot, shown: MainWindow, agents_db: Path, shot: Shot
) -> None:
    page = open_page(qtbot, shown, agents_db)
    choose(qtbot, page, "tools")
    with qtbot.waitSignal(page.controller.run_dialog_opened, timeout=AGENT_WAIT_MS) as opened:
        page.bar.load_button.click()
    dialog: RunCodeDialog = opened.args[0]
    shot(dialog, "agents-confirm")
    dialog.view_button.click()
    shot(dialog, "agents-confirm-code")
    dialog.reject()


def test_shot_agents_chat(qtbot: QtBot, shown: MainWindow, agents_db: Path, shot: Shot) -> None:
    page = open_page(qtbot, shown, agents_db)
    page.log.set_expanded(True)
    load(qtbot, page, "tools")
    say(qtbot, page, QUESTION)
    say(qtbot, page, "Show me the code you ran, please.")
    shot(shown, "agents-chat")


def test_shot_agents_streaming(
    qtbot: QtBot, shown: MainWindow, agents_db: Path, shot: Shot
) -> None:
    page = open_page(qtbot, shown, agents_db)
    load(qtbot, page, "streaming")
    page.chat.input.setPlainText(QUESTION)
    page.chat.submit()
    turn = page.chat.conversation.turns[-1]
    qtbot.waitUntil(lambda: turn.events >= 2, timeout=AGENT_WAIT_MS)
    page.chat.redraw()
    shot(page, "agents-streaming")
    qtbot.waitUntil(lambda: turn.finished, timeout=AGENT_WAIT_MS)


def test_shot_agents_crash(qtbot: QtBot, shown: MainWindow, agents_db: Path, shot: Shot) -> None:
    page = open_page(qtbot, shown, agents_db)
    load(qtbot, page, "crashing")
    say(qtbot, page, "first")
    say(qtbot, page, "second")
    assert page.bar.problem
    shot(shown, "agents-crash")


def test_shot_agents_needs_mlflow(qtbot: QtBot, shown: MainWindow, db318: Path, shot: Shot) -> None:
    page: AgentsPage = open_page(qtbot, shown, db318)
    page.controller.run_dialog_opened.connect(lambda dialog: dialog.accept())
    with qtbot.waitSignal(page.controller.session.load_failed, timeout=AGENT_WAIT_MS):
        page.bar.load_button.click()
    shot(shown, "agents-needs-mlflow")
