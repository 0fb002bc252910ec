"""The replay playground driven like a user (keys and clicks) against the stand-in Ollama
server with the real `langchain-ollama` client; the GUI thread never talks to Ollama."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.replay.dialog import ReplayDialog
from app.replay.request import ReplayRequest, request_from_span
from app.tasks import TaskRunner
from app.theme import ThemeApplier
from core import query
from core.store import Store
from tests.app.helpers import WAIT_MS, open_and_wait, select_experiment, show_window
from tests.ollama_server import TUTORIAL_ANSWERS, OllamaStandIn

CHAT_TRACE = "tr-6a0851c5009984c0295519cd96b86728"  # the 3.18 fixture's ChatOllama call
CHAT_SPAN = "f2a30e8e75852e4f"
QUESTION = "Hello how are you?"


@pytest.fixture
def ollama(ollama_server: OllamaStandIn, monkeypatch: pytest.MonkeyPatch) -> OllamaStandIn:
    monkeypatch.setenv("TRACEDESK_OLLAMA_URL", ollama_server.url)
    return ollama_server


@pytest.fixture
def gui_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every HTTP request the clients send, by the thread that sent it ("gui" or "worker")."""
    calls: list[str] = []
    send = httpx.Client.send

    def recording(client: httpx.Client, request: httpx.Request, **kwargs: Any) -> Any:
        gui = threading.current_thread() is threading.main_thread()
        calls.append("gui" if gui else "worker")
        return send(client, request, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", recording)
    return calls


@pytest.fixture
def tasks(qtbot: QtBot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.shutdown()


@pytest.fixture
def request_318(db318: Path) -> ReplayRequest:
    with Store.open(db318) as store:
        trace = store.reader.get_trace(CHAT_TRACE)
    span = next(s for s in trace.data.spans if s.span_id == CHAT_SPAN)
    return request_from_span(span, trace.info.experiment_id)


def open_dialog(qtbot: QtBot, tasks: TaskRunner, request: ReplayRequest) -> ReplayDialog:
    dialog = ReplayDialog(tasks, request, None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.params.model.count() > 0, timeout=WAIT_MS)  # listed
    return dialog


def run_by_keys(qtbot: QtBot, dialog: ReplayDialog) -> None:
    """Ctrl+Enter from the message being edited; wait for the answer."""
    qtbot.keyClick(
        dialog.messages.rows[0].content, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )
    assert dialog.is_running
    qtbot.waitUntil(lambda: not dialog.is_running, timeout=WAIT_MS)


def test_a_replay_runs_from_the_keyboard_and_is_diffed(
    qtbot: QtBot,
    tasks: TaskRunner,
    request_318: ReplayRequest,
    ollama: OllamaStandIn,
    gui_calls: list[str],
) -> None:
    dialog = open_dialog(qtbot, tasks, request_318)
    assert dialog.params.model.currentText() == "llama3.2:1b"  # the recorded model, listed
    assert dialog.recorded.toPlainText() == request_318.recorded_output
    content = dialog.messages.rows[0].content
    assert content.toPlainText() == QUESTION
    content.setFocus()
    qtbot.keyClick(content, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(content, " Be brief.")
    run_by_keys(qtbot, dialog)
    assert ollama.chat_requests[-1]["messages"][-1]["content"] == f"{QUESTION} Be brief."
    answer = f"You said: {QUESTION} Be brief."
    assert dialog.new_output.toPlainText() == answer
    assert "in /" in dialog.new_caption.text() and "out tokens" in dialog.new_caption.text()
    assert "35 in / 25 out tokens" in dialog.recorded_caption.text()
    assert (
        "#bbf7d0" in dialog.new_output.toHtml().lower()
        or "#14532d" in dialog.new_output.toHtml().lower()
    )
    assert "read-only" in dialog.status.text()
    assert dialog.open_button.isHidden()
    assert gui_calls and "gui" not in gui_calls  # the model list and the chat: off the GUI thread


def test_esc_stops_a_streaming_replay_then_closes(
    qtbot: QtBot, tasks: TaskRunner, request_318: ReplayRequest, ollama: OllamaStandIn
) -> None:
    dialog = open_dialog(qtbot, tasks, request_318)
    ollama.configure(chunk_delay=0.15)
    qtbot.keyClick(
        dialog.messages.rows[0].content, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )
    qtbot.waitUntil(lambda: dialog.new_output.toPlainText() != "", timeout=WAIT_MS)
    qtbot.keyClick(dialog.messages.rows[0].content, Qt.Key.Key_Escape)
    assert not dialog.is_running
    assert dialog.isVisible()  # the first Esc only stopped the answer
    assert dialog.status.text().startswith("Stopped.")
    shown = dialog.new_output.toPlainText()
    assert shown and TUTORIAL_ANSWERS[QUESTION].startswith(shown.strip())
    assert len(shown) < len(TUTORIAL_ANSWERS[QUESTION])
    qtbot.keyClick(dialog.messages.rows[0].content, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_an_ollama_error_and_a_broken_stream_are_said(
    qtbot: QtBot, tasks: TaskRunner, request_318: ReplayRequest, ollama: OllamaStandIn
) -> None:
    dialog = open_dialog(qtbot, tasks, request_318)
    ollama.configure(fail_status=500, fail_times=1)
    run_by_keys(qtbot, dialog)
    assert "answered with an error (500)" in dialog.status.text()
    ollama.configure(drop_after_chunks=3)
    run_by_keys(qtbot, dialog)
    assert "stopped in the middle of the answer, after 3 chunk(s)" in dialog.status.text()
    assert TUTORIAL_ANSWERS[QUESTION].startswith(dialog.new_output.toPlainText())
    assert dialog.new_output.toPlainText()


def test_messages_are_added_removed_and_their_roles_changed(
    qtbot: QtBot, tasks: TaskRunner, request_318: ReplayRequest, ollama: OllamaStandIn
) -> None:
    dialog = open_dialog(qtbot, tasks, request_318)
    qtbot.mouseClick(dialog.messages.add_button, Qt.MouseButton.LeftButton)
    added = dialog.messages.rows[-1]
    qtbot.keyClicks(added.content, "Who wrote Romeo and Juliet?")
    first = dialog.messages.rows[0]
    first.role.setFocus()
    first.role.setCurrentText("system")
    run_by_keys(qtbot, dialog)
    sent = ollama.chat_requests[-1]["messages"]
    assert [(m["role"], m["content"]) for m in sent] == [
        ("system", QUESTION),
        ("user", "Who wrote Romeo and Juliet?"),
    ]
    assert dialog.new_output.toPlainText() == "William Shakespeare"
    dialog.messages.remove_message(first)
    assert [m.role for m in dialog.edited_messages()] == ["user"]


def test_parameters_go_to_ollama(
    qtbot: QtBot, tasks: TaskRunner, request_318: ReplayRequest, ollama: OllamaStandIn
) -> None:
    dialog = open_dialog(qtbot, tasks, request_318)
    params = dialog.params
    assert params.chosen_temperature() == 0.0  # recorded (ls_temperature)
    for field, text in ((params.temperature, "0.7"), (params.max_tokens, "4"), (params.seed, "42")):
        field.setFocus()
        field.selectAll()
        qtbot.keyClicks(field, text)
    run_by_keys(qtbot, dialog)
    assert ollama.chat_requests[-1]["options"] == {"temperature": 0.7, "num_predict": 4, "seed": 42}
    assert dialog.new_output.toPlainText() == "Hello! I'm just a "


def test_a_model_the_server_lacks_is_replaced_and_said(
    qtbot: QtBot, tasks: TaskRunner, request_318: ReplayRequest, ollama: OllamaStandIn
) -> None:
    from dataclasses import replace

    dialog = open_dialog(qtbot, tasks, replace(request_318, model="gpt-4o"))
    assert dialog.params.model.currentText() == "llama3.2:1b"
    assert "no model 'gpt-4o'" in dialog.status.text()


# -- from the window: the span menu, Ctrl+R, the saved replay, Replays (n) --------------------


def test_a_replay_from_the_window_is_saved_listed_and_opened(
    qtbot: QtBot, make_window: Any, db318: Path, ollama: OllamaStandIn, gui_calls: list[str]
) -> None:
    window: MainWindow = make_window(read_only=False)
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, "0")
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.commands.go_to_trace(CHAT_TRACE)
    header = window.explorer.header
    assert header.replay.isVisibleTo(window) and header.replays.isHidden()
    view = window.explorer.spans.view
    index = view.span_model().index_of(CHAT_SPAN)
    menu = view.replay_menu(index, None)
    assert isinstance(menu, QMenu)
    assert [a.objectName() for a in menu.actions()] == ["replayAction"]
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(ReplayDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.request.source_span_id == CHAT_SPAN
    qtbot.waitUntil(lambda: dialog.params.model.count() > 0, timeout=WAIT_MS)
    assert dialog.status.text() == "Each run is saved as a trace of this database."
    run_by_keys(qtbot, dialog)
    assert dialog.status.text().startswith("Traced as tr-")
    assert query.REPLAY_OF_TRACE_TAG in dialog.status.text()
    qtbot.waitUntil(lambda: header.replays.isVisibleTo(window), timeout=WAIT_MS)
    assert header.replays.text() == "Replays (1)"
    assert header.grab().save("/tmp/h/replay-header-light.png")
    replay_id = dialog.status.text().split()[2]
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS) as loaded:
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert loaded.args[0].info.trace_id == replay_id
    assert loaded.args[0].info.tags[query.REPLAY_OF_SPAN_TAG] == CHAT_SPAN
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.commands.go_to_trace(CHAT_TRACE)
    qtbot.waitUntil(lambda: header.replays.isVisibleTo(window), timeout=WAIT_MS)
    with qtbot.waitSignal(window.trace_model.page_loaded, timeout=WAIT_MS):
        qtbot.mouseClick(header.replays, Qt.MouseButton.LeftButton)
    assert f"trace.replay_of = '{CHAT_TRACE}'" in window.queries.filter_text
    qtbot.waitUntil(lambda: window.trace_model.rowCount() == 1, timeout=WAIT_MS)
    assert "gui" not in gui_calls
    dialog.close()


def test_the_trace_button_replays_the_root_input(
    qtbot: QtBot, make_window: Any, db318: Path, ollama: OllamaStandIn
) -> None:
    window: MainWindow = make_window()
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, "0")
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.commands.go_to_trace(CHAT_TRACE)
    qtbot.mouseClick(window.explorer.header.replay, Qt.MouseButton.LeftButton)
    dialog = window.findChild(ReplayDialog)
    assert dialog is not None
    assert dialog.request.source_trace_id == CHAT_TRACE
    assert "File → Enable Editing" in dialog.status.text()  # read-only: said, not saved
    dialog.close()


# -- screenshots -------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_replay_screenshot(
    qtbot: QtBot,
    qapp: QApplication,
    tasks: TaskRunner,
    request_318: ReplayRequest,
    ollama: OllamaStandIn,
    theme: str,
) -> None:
    look = ThemeApplier(qapp)
    look.apply(theme, None)
    try:
        dialog = open_dialog(qtbot, tasks, request_318)
        content = dialog.messages.rows[0].content
        qtbot.keyClick(content, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(content, " Answer in one line.")
        run_by_keys(qtbot, dialog)
        folder = Path("/tmp/h")
        folder.mkdir(exist_ok=True)
        assert dialog.grab().save(str(folder / f"replay-{theme}.png"))
    finally:
        look.apply("system", None)


def test_an_assistant_tool_call_says_it_is_sent_as_recorded(
    qtbot: QtBot, tasks: TaskRunner, request_318: ReplayRequest, ollama: OllamaStandIn
) -> None:
    from dataclasses import replace

    from app.messages.formats import ToolCall
    from app.replay.request import ReplayMessage

    call = ToolCall("lookup_order", '{"order_id": "NW-1"}', "call_1", True)
    messages = (
        ReplayMessage("user", "Where is NW-1?"),
        ReplayMessage("assistant", "", (call,)),
        ReplayMessage("tool", '{"status": "shipped"}', tool_call_id="call_1"),
    )
    dialog = open_dialog(qtbot, tasks, replace(request_318, messages=messages))
    row = dialog.messages.rows[1]
    assert row.content.toPlainText() == ""
    assert row.content.placeholderText() == (
        'Calls lookup_order({"order_id": "NW-1"}) (kept as recorded)'
    )
    assert dialog.edited_messages()[1].tool_calls == (call,)
