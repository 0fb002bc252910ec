"""What agents do wrong, seen through the page: a crash (then Restart), a hang (timeout), junk
on stdout, Stop and Esc, and no child process left behind by closing or switching."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app import settings
from app.agents.conversation import DONE, FAILED, STOPPED
from app.agents.logpane import MAX_LINES
from app.agents.session import CRASHED, READY, STARTING
from app.main_window import MainWindow
from tests.app.agents.agents_code import ANSWER, QUESTION, junk_interpreter
from tests.app.agents.conftest import AGENT_WAIT_MS, child_gone, choose, load, open_page, say
from tests.app.helpers import show_window


def test_a_crash_is_said_and_restart_brings_it_back(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    runner = load(qtbot, page, "crashing")
    assert say(qtbot, page, "first").state == DONE
    turn = say(qtbot, page, "second")
    assert turn.state == FAILED and page.controller.session.state == CRASHED
    assert turn.error is not None and "exited with code 3 while answering" in turn.error
    problem = page.bar.problem
    assert "exited with code 3 while answering (predict)" in problem
    assert "about to crash on call 2" in problem  # the last lines of its stderr
    assert not page.bar.restart_button.isHidden()
    assert child_gone(runner) and runner.returncode == 3
    with qtbot.waitSignal(page.controller.session.loaded, timeout=AGENT_WAIT_MS):
        page.bar.restart_button.click()
    assert page.bar.problem == "" and runner.is_running
    third = say(qtbot, page, "third")  # a new process: its first call
    assert third.state == DONE and third.answer_text() == "Still here."
    assert len(page.chat.conversation.turns) == 3  # the conversation was kept


def test_a_hanging_agent_is_stopped_after_the_timeout(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    settings.set_agents_timeout_s(1.5)
    window.apply_settings()  # as the Settings dialog does when it is saved
    page = open_page(qtbot, window, agents_db)
    assert page.bar.timeout.value() == 1.5
    runner = load(qtbot, page, "hanging")
    turn = say(qtbot, page, QUESTION)
    assert turn.state == FAILED and turn.error is not None
    assert "did not answer within 1.5 s while answering (predict)" in turn.error
    assert "did not answer within 1.5 s" in page.bar.problem
    assert "entered predict" in page.bar.problem
    assert child_gone(runner)  # killed, not left hanging


def test_junk_on_stdout_goes_to_the_log_and_the_chat_goes_on(
    qtbot: QtBot, window: MainWindow, agents_db: Path, tmp_path: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    page.controller.set_interpreter(str(junk_interpreter(tmp_path)))
    assert page.bar.python_label.text().endswith("python-with-junk")
    load(qtbot, page, "junk")
    first = say(qtbot, page, QUESTION)
    second = say(qtbot, page, "again")
    assert first.answer_text() == second.answer_text() == ANSWER

    def logged(text: str) -> bool:
        return any(text in line for line in page.log.lines)

    qtbot.waitUntil(lambda: logged("{not json at all") and logged("[1, 2, 3]"))
    assert logged("⚠ Ignored output that is not protocol: junk before start")
    assert logged("junk printed at import")
    page.log.set_expanded(True)
    assert page.log.text.isVisibleTo(page) and "lines" in page.log.toggle.text()


def test_the_log_keeps_the_last_lines_only(qtbot: QtBot, window: MainWindow, db318: Path) -> None:
    page = open_page(qtbot, window, db318)
    for number in range(MAX_LINES + 50):
        page.log.add_line(f"line {number}")
    assert len(page.log.lines) == MAX_LINES and page.log.lines[0] == "line 50"
    assert f"last {MAX_LINES:,} kept" in page.log.toggle.text()


def test_esc_stops_the_generation(qtbot: QtBot, window: MainWindow, agents_db: Path) -> None:
    page = open_page(qtbot, window, agents_db)
    runner = load(qtbot, page, "hanging")
    show_window(qtbot, window)
    page.chat.input.setPlainText(QUESTION)
    page.chat.submit()
    qtbot.waitUntil(lambda: any("entered predict" in line for line in page.log.lines))
    page.chat.input.setFocus()
    with qtbot.waitSignal(page.controller.session.stopped, timeout=AGENT_WAIT_MS):
        qtbot.keyClick(page.chat.input, Qt.Key.Key_Escape)
    turn = page.chat.conversation.turns[-1]
    qtbot.waitUntil(lambda: turn.finished, timeout=AGENT_WAIT_MS)
    assert turn.state == STOPPED and page.bar.problem == ""
    assert "Stopped (exit code" in page.bar.status.text()
    assert child_gone(runner)
    assert "Stopped." in page.chat.transcript.toPlainText()


def test_an_agent_error_is_shown_and_the_agent_keeps_serving(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    load(qtbot, page, "simple", 2)
    conversation = page.chat.conversation
    conversation.ask("bad request")
    request = conversation.request("me")
    request["input"] = [{"role": "nobody", "content": 3}]  # not a valid Responses request
    assert page.controller.session.send(request, stream=False)
    turn = conversation.turns[-1]
    qtbot.waitUntil(lambda: turn.finished, timeout=AGENT_WAIT_MS)
    assert turn.state == FAILED and turn.error is not None
    assert turn.error.startswith("The agent raised an error: ValueError")
    assert "Traceback" in turn.detail and page.bar.problem == ""
    assert page.controller.session.state == READY
    assert say(qtbot, page, QUESTION).answer_text() == ANSWER


def test_closing_the_window_leaves_no_child(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    idle = load(qtbot, page, "simple", 2)
    busy = load(qtbot, page, "hanging")  # choosing another version stops the first one
    qtbot.waitUntil(lambda: child_gone(idle), timeout=AGENT_WAIT_MS)
    page.chat.input.setPlainText(QUESTION)
    page.chat.submit()
    qtbot.waitUntil(lambda: any("entered predict" in line for line in page.log.lines))
    window.close()  # no question: the child is stopped, the answering job ends
    assert child_gone(busy)
    assert window.tasks.is_shut_down


def test_closing_the_database_stops_the_agent(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    runner = load(qtbot, page, "simple", 2)
    window.close_database()
    assert window.store is None and child_gone(runner)
    assert page.controller.session.runner is None


def test_opening_another_database_stops_the_agent(
    qtbot: QtBot, window: MainWindow, agents_db: Path, db318: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    runner = load(qtbot, page, "simple", 2)
    with qtbot.waitSignal(page.model_list.loaded, timeout=AGENT_WAIT_MS):
        window.open_location(db318)
    qtbot.waitUntil(lambda: child_gone(runner), timeout=AGENT_WAIT_MS)
    assert page.model_list.item(0).name == "agent"  # type: ignore[union-attr]
    assert page.chat.conversation.turns == []


def test_closing_while_the_agent_loads_leaves_no_child(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    choose(qtbot, page, "simple", 2)
    session = page.controller.session
    page.controller.run_dialog_opened.connect(lambda dialog: dialog.accept())
    with qtbot.waitSignal(session.state_changed, check_params_cb=lambda s: s == STARTING):
        page.bar.load_button.click()
    runner = session.runner
    assert runner is not None
    window.close()  # the start job is joined; whatever it launched is stopped
    assert not runner.is_running
