"""Loading and chatting through the Agents page: the question before a first run, a turn with
its trace in the database, streaming, tool calls, conversation ids, and the keyboard."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel
from pytestqt.qtbot import QtBot

from app import settings
from app.agents.conversation import DONE
from app.agents.dialogs import RunCodeDialog
from app.agents.session import READY
from app.main_window import MainWindow
from core.store.store import Store
from tests.app.agents.agents_code import ANSWER, QUESTION
from tests.app.agents.conftest import AGENT_WAIT_MS, choose, load, open_page, say
from tests.app.helpers import WAIT_MS, show_window


def stored_trace(db: Path, trace_id: str) -> object:
    """The trace as `core` reads it from the database the child wrote."""
    with Store.open(db) as store:
        return store.reader.get_trace(trace_id)


def test_declining_the_question_runs_nothing(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    choose(qtbot, page, "simple", 2)
    with qtbot.waitSignal(page.controller.run_dialog_opened, timeout=WAIT_MS) as opened:
        page.bar.load_button.click()
    dialog: RunCodeDialog = opened.args[0]
    assert dialog.prepared.code is not None
    assert dialog.prepared.code.path.name == "simple_agent.py"
    assert dialog.prepared.code.path.is_relative_to(agents_db.parent)  # the copy in the folder
    path_label = dialog.findChild(QLabel, "runCodePath")
    assert path_label is not None and path_label.text() == str(dialog.prepared.code.path)
    dialog.view_button.click()
    assert "class SimpleAgent(core.ResponsesAgent):" in dialog.code_view.toPlainText()
    dialog.reject()
    assert page.controller.session.runner is None
    assert page.controller.session._started == []  # no child was ever started
    assert "you chose not to run its code" in page.bar.status.text()


def test_accepting_runs_and_is_remembered(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    asked: list[QDialog] = []
    page.controller.run_dialog_opened.connect(asked.append)
    runner = load(qtbot, page, "simple", 2)
    assert len(asked) == 1 and runner.pinned_uri == "models:/simple/2"
    page.stop()
    qtbot.waitSignal(page.controller.session.stopped, timeout=AGENT_WAIT_MS).wait()
    load(qtbot, page, "simple", 2)  # the same version and file: no second question
    assert len(asked) == 1
    load(qtbot, page, "simple", 1)  # another version: asked again (same file content)
    assert len(asked) == 2


def test_a_turn_is_answered_and_its_trace_is_in_the_database(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    settings.set_agents_user_id("tester")
    page = open_page(qtbot, window, agents_db)
    runner = load(qtbot, page, "simple", 2)
    assert page.controller.session.state == READY
    assert "Ready · process" in page.bar.status.text() and "core" in page.bar.status.text()
    note = page.bar.traces.text()
    assert note.startswith("Traces of this agent's answers are written to this database")
    turn = say(qtbot, page, QUESTION)
    assert turn.state == DONE and turn.answer_text() == ANSWER
    assert turn.trace_id is not None and turn.trace_id.startswith("tr-")
    html = page.chat.transcript.toHtml()
    assert ANSWER in page.chat.transcript.toPlainText() and "Open trace" in html
    assert f"#trace-{turn.trace_id}" in html
    trace = stored_trace(agents_db, turn.trace_id)
    request = trace.data.spans[0].inputs["request"]  # type: ignore[attr-defined]
    assert request["input"][-1]["content"] == QUESTION
    conversation_id = page.chat.conversation.conversation_id
    assert request["context"] == {"conversation_id": conversation_id, "user_id": "tester"}
    qtbot.waitUntil(lambda: any("thinking about" in line for line in page.log.lines))
    second = say(qtbot, page, "and 5*5?")
    trace = stored_trace(agents_db, str(second.trace_id))
    sent = trace.data.spans[0].inputs["request"]["input"]  # type: ignore[attr-defined]
    assert sent == [
        {"status": None, "content": QUESTION, "role": "user", "type": "message"},
        {"status": None, "content": ANSWER, "role": "assistant", "type": "message"},
        {"status": None, "content": "and 5*5?", "role": "user", "type": "message"},
    ]
    assert runner.is_running


def test_streamed_deltas_show_as_they_come(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    load(qtbot, page, "streaming")
    assert page.controller.session.current.code.streams  # type: ignore[union-attr]
    seen: list[str] = []
    page.controller.session.event_received.connect(
        lambda _event: seen.append(page.chat.conversation.turns[-1].answer_text())
    )
    turn = say(qtbot, page, QUESTION)
    assert seen[:4] == [
        "The result",
        "The result of 4 * 3",
        "The result of 4 * 3 in Python",
        ANSWER,
    ]
    assert turn.state == DONE and turn.events == 5 and turn.answer_text() == ANSWER
    trace = stored_trace(agents_db, str(turn.trace_id))
    assert trace.data.spans[0].name == "predict_stream"  # type: ignore[attr-defined]


def test_tool_calls_render_as_in_the_explorer(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    load(qtbot, page, "tools")
    turn = say(qtbot, page, "<b>what</b> is 4*3?")
    assert turn.state == DONE and [i["type"] for i in turn.items] == [
        "function_call",
        "function_call_output",
        "message",
    ]
    text = page.chat.transcript.toPlainText()
    assert "Tool call python" in text and '"code": "print(4 * 3)"' in text
    assert "result of call call_1" in text
    assert "<b>what</b> is 4*3?" in text  # the user's text, escaped, not bold
    second = say(qtbot, page, "again")
    trace = stored_trace(agents_db, str(second.trace_id))
    sent = trace.data.spans[0].inputs["request"]["input"]  # type: ignore[attr-defined]
    assert [item.get("type") for item in sent] == [
        "message",
        "function_call",
        "function_call_output",
        "message",
        "message",
    ]


def test_keyboard_sends_and_starts_a_new_conversation(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    load(qtbot, page, "simple", 2)
    show_window(qtbot, window)  # shortcuts fire in the active window (the question was one)
    first_id = page.chat.conversation.conversation_id
    page.chat.input.setFocus()
    qtbot.keyClicks(page.chat.input, QUESTION)
    qtbot.keyClick(page.chat.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    turn = page.chat.conversation.turns[-1]
    qtbot.waitUntil(lambda: turn.finished, timeout=AGENT_WAIT_MS)
    assert turn.answer_text() == ANSWER and page.chat.input.toPlainText() == ""
    qtbot.keyClick(page.chat.input, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert page.chat.conversation.conversation_id != first_id
    assert page.chat.conversation.turns == []
    assert first_id not in page.chat.conversation_label.text()


def test_tracing_can_be_turned_off_for_the_session(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    page.bar.tracing.setChecked(False)
    load(qtbot, page, "simple", 2)
    assert page.controller.load_info is not None and page.controller.load_info["traced"] is False
    assert page.bar.traces.text() == "Answers of this session are not traced."
    turn = say(qtbot, page, QUESTION)
    assert turn.answer_text() == ANSWER and turn.trace_id is None
