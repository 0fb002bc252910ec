"""Replay in Agent (issue 18): a trace an agent produced (`mlflow.modelId`) is sent again to that
agent in the Agents tab, after the conversation recorded before it, with the recorded answer
beside the new one; the request is read from the trace as recorded (no Qt for that part)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

import core
from app.agents.conversation import DONE, FAILED
from app.agents.page import AgentsPage
from app.agents.recorded import same_answer
from app.agents.session import BUSY
from app.explorer.agent_model import TraceAgent, find_trace_agent
from app.main_window import MainWindow
from app.replay.agent import recorded_turn, request_items
from app.theme import ThemeApplier
from core import tracking
from core.entities import Trace
from core.store.store import Store
from tests.app.agents.agents_code import ANSWER, log_agents
from tests.app.agents.conftest import AGENT_WAIT_MS
from tests.app.helpers import WAIT_MS, open_and_wait, show_window

HISTORY = [
    {"type": "message", "role": "system", "content": "You answer arithmetic questions."},
    {"type": "message", "role": "user", "content": "what is 2+2"},
    {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "It is 4.", "annotations": []}],
    },
]
QUESTION = "and what is 4*3 in python?"
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
RECORDED = "4 * 3 is 12, as the recorded agent said it."


def model_id(db: Path, name: str, version: int) -> str:
    with Store.open(db) as store:
        found = store.models.version(name, version).model_id
    assert found is not None
    return found


@pytest.fixture
def agents_db(tmp_path: Path) -> Path:
    """The Agents tests' agents, logged for this test alone: deleting a model's files leaves
    no other copy for the page to find."""
    folder = tmp_path / "agents"
    log_agents(folder / "mlflow.db", folder / "code")
    return folder / "mlflow.db"


def write_trace(db: Path, inputs: Any, outputs: Any, metadata: dict[str, str]) -> str:
    """A `predict` trace as an agent served by a logged model writes it; its id."""
    core.set_tracking_uri(db)
    try:
        core.set_experiment("served")
        with core.start_span("predict", "AGENT") as span:
            span.set_inputs(inputs)
            core.update_current_trace(metadata=metadata)
            span.set_outputs(outputs)
            trace_id = span.trace_id
        assert core.flush_trace_async_logging(timeout_s=30.0)
    finally:
        tracking.reset()
    return trace_id


def responses_inputs(question: str = QUESTION) -> dict[str, Any]:
    items = [*HISTORY, {"type": "message", "role": "user", "content": question}]
    return {"request": {"input": items, "context": {"conversation_id": "c-1", "user_id": "u"}}}


def responses_outputs(text: str = RECORDED) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text}]
    item = {"type": "message", "id": "m1", "role": "assistant", "content": content}
    return {"object": "response", "output": [item]}


@pytest.fixture
def served(agents_db: Path) -> dict[str, str]:
    """Traces in the agents database: one served by `streaming` v1, one naming no model, one
    naming a model the database does not have, one served by `simple` v1 (its files deleted)."""
    ids = {
        "streaming": write_trace(
            agents_db,
            responses_inputs(),
            responses_outputs(),
            {"mlflow.modelId": model_id(agents_db, "streaming", 1)},
        ),
        "plain": write_trace(agents_db, responses_inputs(), responses_outputs(), {}),
        "unknown": write_trace(
            agents_db, responses_inputs(), responses_outputs(), {"mlflow.modelId": "m-" + "0" * 32}
        ),
    }
    simple = model_id(agents_db, "simple", 1)
    ids["missing"] = write_trace(
        agents_db, responses_inputs(), responses_outputs(), {"mlflow.modelId": simple}
    )
    with Store.open(agents_db) as store:
        folder = store.models.version("simple", 1).folder.artifact_dir
    assert folder is not None
    shutil.rmtree(folder)
    return ids


def show(qtbot: QtBot, window: MainWindow, trace_id: str) -> Trace:
    """Go to `trace_id` as Ctrl+L does, and wait until the explorer knows its agent."""
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS) as loaded:
        window.commands.go_to_trace(trace_id)
    explorer = window.explorer
    qtbot.waitUntil(
        lambda: (
            explorer.trace_agent.model_id is None
            or explorer.trace_agent.available
            or explorer.trace_agent.problem is not None
        ),
        timeout=WAIT_MS,
    )
    trace: Trace = loaded.args[0]
    return trace


def accept_first_run(page: AgentsPage) -> None:
    page.controller.run_dialog_opened.connect(QDialog.accept)


def replayed(qtbot: QtBot, page: AgentsPage) -> Any:
    """The replayed turn, once it has finished (answered, failed or not sent)."""
    qtbot.waitUntil(lambda: bool(page.chat.conversation.turns), timeout=WAIT_MS)
    turn = page.chat.conversation.turns[-1]
    qtbot.waitUntil(lambda: turn.finished, timeout=AGENT_WAIT_MS)
    return turn


@pytest.fixture
def active(qtbot: QtBot, window: MainWindow, agents_db: Path, served: dict[str, str]) -> MainWindow:
    show_window(qtbot, window)
    open_and_wait(qtbot, window, agents_db)
    return window


# -- the request, read from the trace ------------------------------------------------------


def test_a_responses_turn_is_its_history_and_last_user_message(
    agents_db: Path, served: dict[str, str]
) -> None:
    with Store.open(agents_db) as store:
        trace = store.reader.get_trace(served["streaming"])
        agent = find_trace_agent(store, model_id(agents_db, "streaming", 1))
    assert agent == TraceAgent(agent.model_id, "streaming", 1)
    turn = recorded_turn(trace, agent)
    assert (turn.model_name, turn.version, turn.question) == ("streaming", 1, QUESTION)
    assert [dict(item) for item in turn.history] == HISTORY  # as recorded, not rewritten
    assert turn.recorded_text == RECORDED and turn.recorded_error is None
    assert turn.trace_id == served["streaming"]


def test_a_chat_request_becomes_responses_items_with_tool_calls() -> None:
    inputs = {
        "messages": [
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
            {"role": "assistant", "content": "It is sunny."},
            {"role": "user", "content": "and tomorrow?"},
        ]
    }
    items = request_items(inputs)
    assert items[0] == {"role": "user", "content": "weather?"}
    assert items[1]["type"] == "function_call" and items[1]["call_id"] == "c1"
    assert items[2] == {"type": "function_call_output", "call_id": "c1", "output": "sunny"}
    assert items[-1] == {"role": "user", "content": "and tomorrow?"}


def test_what_cannot_be_replayed_says_why(agents_db: Path, served: dict[str, str]) -> None:
    with Store.open(agents_db) as store:
        trace = store.reader.get_trace(served["streaming"])
        unknown = find_trace_agent(store, "m-" + "0" * 32)
    assert trace.info.trace_id == served["streaming"]
    assert not unknown.available and "not a registered model version" in (unknown.problem or "")
    with pytest.raises(ValueError, match="not a registered model version"):
        recorded_turn(trace, unknown)
    only_answers = {"input": [{"role": "assistant", "content": "hi"}]}
    assert request_items(only_answers) == [{"role": "assistant", "content": "hi"}]
    answers_only = write_trace(agents_db, only_answers, responses_outputs(), {})
    with Store.open(agents_db) as store:
        no_question = store.reader.get_trace(answers_only)
    with pytest.raises(ValueError, match="has no user message to send again"):
        recorded_turn(no_question, TraceAgent("m-1", "streaming", 1))


def test_answers_compare_by_their_words() -> None:
    assert same_answer("It is  12.\n", "It is 12.")
    assert not same_answer("It is 12.", "It is 13.")


# -- the window ----------------------------------------------------------------------------


def test_replay_in_agent_loads_the_agent_and_streams_the_new_answer(
    qtbot: QtBot, active: MainWindow, agents_db: Path, served: dict[str, str]
) -> None:
    trace = show(qtbot, active, served["streaming"])
    button = active.explorer.header.agent_replay
    assert button.isVisible() and button.isEnabled()
    assert "streaming v1" in button.toolTip()
    asked: list[bool] = []

    def built(_index: int) -> None:  # the Agents tab is built when the replay shows it
        if not asked:
            asked.append(True)
            accept_first_run(active.agents_page)

    active.modes.currentChanged.connect(built)
    button.trigger()  # the header's ⋯ menu entry
    page = active.agents_page
    assert asked and active.modes.currentWidget() is page
    turn = replayed(qtbot, page)
    assert turn.state == DONE, turn.error
    assert turn.answer_text() == ANSWER and turn.events >= 4  # streamed, like any chat
    assert turn.replay_of is not None and turn.replay_of.trace_id == trace.info.trace_id
    assert page.selected_version is not None and page.selected_version.version.uri == (
        "models:/streaming/1"
    )
    shown = page.chat.transcript.toPlainText()
    for text in ("Replay of trace", "You answer arithmetic questions.", "what is 2+2", "It is 4."):
        assert text in shown
    assert QUESTION in shown and ANSWER in shown
    assert "Recorded answer" in shown and RECORDED in shown
    assert "differs from the new answer" in shown
    # What the agent got: the recorded conversation, then the question, in a new conversation.
    assert turn.trace_id is not None
    with Store.open(agents_db) as store:
        sent = store.reader.get_trace(turn.trace_id)
    root = sent.data.root_span
    assert root is not None
    request = dict(root.inputs)["request"]
    assert [i["content"] for i in request["input"]][:2] == [h["content"] for h in HISTORY[:2]]
    assert request["input"][-1]["content"] == QUESTION and len(request["input"]) == 4
    assert request["context"]["conversation_id"] == page.chat.conversation.conversation_id


def test_the_keyboard_replays_again_in_the_running_agent(
    qtbot: QtBot, active: MainWindow, served: dict[str, str]
) -> None:
    show(qtbot, active, served["streaming"])
    page = active.agents_page
    accept_first_run(page)
    qtbot.keyClick(active, Qt.Key.Key_R, CTRL_SHIFT)
    first = replayed(qtbot, page)
    assert first.state == DONE
    runner = page.controller.session.runner
    active.modes.setCurrentWidget(active.workspace)
    show_window(qtbot, active)  # active again once "Run this code?" has closed
    qtbot.keyClick(active, Qt.Key.Key_R, CTRL_SHIFT)  # again
    qtbot.waitUntil(lambda: page.chat.conversation.turns[-1] is not first, timeout=WAIT_MS)
    second = replayed(qtbot, page)
    assert second.state == DONE and second.answer_text() == ANSWER
    assert page.controller.session.runner is runner  # the same child: not loaded again
    keys = [keys for keys, _what in active.menu_actions.shortcut_rows()]
    assert "Ctrl+Shift+R" in keys  # on the shortcuts sheet (F1)


def test_a_replay_waits_for_the_answer_still_coming(
    qtbot: QtBot, active: MainWindow, agents_db: Path, served: dict[str, str]
) -> None:
    show(qtbot, active, served["streaming"])
    page = active.agents_page
    accept_first_run(page)
    active.explorer.agent_replay_action.trigger()
    assert replayed(qtbot, page).state == DONE
    page.chat.input.setPlainText("an earlier question")
    page.chat.submit()  # the streaming agent takes a moment to answer it
    assert page.controller.session.state == BUSY
    earlier = page.chat.conversation
    active.modes.setCurrentWidget(active.workspace)
    active.explorer.agent_replay_action.trigger()
    qtbot.waitUntil(lambda: page.chat.conversation is not earlier, timeout=WAIT_MS)
    turn = replayed(qtbot, page)
    assert turn.state == DONE and turn.answer_text() == ANSWER
    assert len(page.chat.conversation.turns) == 1  # the earlier answer went nowhere
    assert turn.trace_id is not None
    with Store.open(agents_db) as store:
        root = store.reader.get_trace(turn.trace_id).data.root_span
    assert root is not None and dict(root.inputs)["request"]["input"][-1]["content"] == QUESTION


def test_the_action_is_disabled_without_a_model_the_database_has(
    qtbot: QtBot, active: MainWindow, served: dict[str, str]
) -> None:
    explorer = active.explorer
    action = explorer.agent_replay_action
    show(qtbot, active, served["plain"])
    assert not explorer.header.agent_replay.isVisible()
    assert not action.isEnabled() and "no mlflow.modelId" in action.toolTip()
    menu = explorer.spans.view.trace_menu(None)  # the span tree's right-click menu
    assert menu is not None and action in menu.actions() and menu.toolTipsVisible()
    qtbot.keyClick(active, Qt.Key.Key_R, CTRL_SHIFT)
    assert active.modes.currentWidget() is active.workspace  # nothing happened
    show(qtbot, active, served["unknown"])
    button = explorer.header.agent_replay
    assert button.isVisible() and not button.isEnabled()
    assert "not a registered model version" in button.toolTip()
    assert not action.isEnabled()
    show(qtbot, active, served["streaming"])
    assert action.isEnabled() and button.isEnabled()


def test_an_agent_that_cannot_load_says_so_and_sends_nothing(
    qtbot: QtBot, active: MainWindow, served: dict[str, str]
) -> None:
    show(qtbot, active, served["missing"])  # simple v1: registered, its files deleted
    assert active.explorer.agent_replay_action.isEnabled()
    page = active.agents_page
    active.explorer.agent_replay_action.trigger()
    turn = replayed(qtbot, page)
    assert turn.state == FAILED and turn.error is not None
    assert turn.error.startswith("Not sent: version 1 cannot be loaded.")
    assert "missing" in page.bar.problem
    assert page.controller.session.runner is None  # nothing was started
    assert "Recorded answer" in page.chat.transcript.toPlainText()


def test_declining_to_run_the_code_sends_nothing(
    qtbot: QtBot, active: MainWindow, served: dict[str, str]
) -> None:
    show(qtbot, active, served["streaming"])
    page = active.agents_page
    page.controller.run_dialog_opened.connect(QDialog.reject)
    active.explorer.agent_replay_action.trigger()
    turn = replayed(qtbot, page)
    assert turn.state == FAILED and turn.error == "Not sent: you chose not to run the agent's code."
    assert page.controller.session.runner is None


# -- screenshots ---------------------------------------------------------------------------


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_shot_agent_replay(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    agents_db: Path,
    served: dict[str, str],
    qapp: QApplication,
    theme: str,
) -> None:
    look = ThemeApplier(qapp)
    look.apply(theme, None)  # before the window, as `tracedesk` does
    try:
        window = show_window(qtbot, make_window())
        open_and_wait(qtbot, window, agents_db)
        show(qtbot, window, served["streaming"])
        page = window.agents_page
        accept_first_run(page)
        window.explorer.agent_replay_action.trigger()
        assert replayed(qtbot, page).state == DONE
        folder = Path("/tmp/h")
        folder.mkdir(exist_ok=True)
        for tab, name in ((page, "agent-replay"), (window.workspace, "agent-replay-header")):
            window.modes.setCurrentWidget(tab)
            qtbot.wait(150)
            assert window.grab().save(str(folder / f"{name}-{theme}.png"))
    finally:
        look.apply("system", None)
        qtbot.wait(100)  # the re-render it causes ends before the window closes
