"""Prompts in the replay loop: the messages a linked prompt version rendered are found, shown
as its template, sent rendered with the recorded values, and saved as the prompt's next version
(commit message, then an optional alias move) through the Prompts tab's path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from app.prompts import dialogs
from app.replay.dialog import ReplayDialog
from app.replay.launch import open_replay
from app.replay.prompt_link import LinkedPrompt, find_prompt_use
from app.replay.request import ReplayMessage
from app.tasks import TaskRunner
from core.client import Client
from core.entities import SpanType
from core.entities.prompt import PromptVersion
from core.mlflow_keys import LINKED_PROMPTS_TAG
from core.store import Store
from tests.app.helpers import WAIT_MS
from tests.ollama_server import OllamaStandIn

TEMPLATE = "You are Nora, the assistant of {{ tenant }}. Answer in {{ language }}."
SYSTEM = "You are Nora, the assistant of Northwind Outfitters. Answer in French."
QUESTION = "Where is my parcel?"


def linked(template: str | list[dict[str, str]], version: int = 3) -> LinkedPrompt:
    found = PromptVersion("support-system", version, template)
    return LinkedPrompt(found, (found,), {"production": version})


def messages(*pairs: tuple[str, str]) -> tuple[ReplayMessage, ...]:
    return tuple(ReplayMessage(role, content) for role, content in pairs)


# -- finding the rendered messages -------------------------------------------------------------


def test_a_text_template_is_found_with_its_values() -> None:
    sent = messages(("system", SYSTEM), ("user", QUESTION))
    use = find_prompt_use(sent, [linked(TEMPLATE)])
    assert use is not None and use.rows == (0,)
    assert dict(use.values) == {"tenant": "Northwind Outfitters", "language": "French"}
    assert use.render("Be brief, {{ tenant }}.") == "Be brief, Northwind Outfitters."
    assert use.describe() == (
        "Message 1 from prompt support-system v3 · tenant = Northwind Outfitters, language = French"
    )


def test_a_variable_used_twice_must_have_one_value_and_escapes_stay_literal() -> None:
    template = r"{{ name }} asks \{{ literal }} for {{ name }}"
    assert find_prompt_use(messages(("user", "Ada asks {{ literal }} for Ada")), [linked(template)])
    assert (
        find_prompt_use(messages(("user", "Ada asks {{ literal }} for Bob")), [linked(template)])
        is None
    )


def test_a_chat_template_matches_consecutive_messages_with_its_roles() -> None:
    chat = [
        {"role": "system", "content": "Answer from {{ context }}."},
        {"role": "user", "content": "{{ question }}"},
    ]
    sent = messages(("user", "hi"), ("system", "Answer from the manual."), ("user", "Why?"))
    use = find_prompt_use(sent, [linked(chat)])
    assert use is not None and use.rows == (1, 2)
    assert dict(use.values) == {"context": "the manual", "question": "Why?"}
    assert use.template_with(["A {{ context }}", "{{ question }}"]) == [
        {"role": "system", "content": "A {{ context }}"},
        {"role": "user", "content": "{{ question }}"},
    ]
    swapped = messages(("user", "Answer from the manual."), ("system", "Why?"))
    assert find_prompt_use(swapped, [linked(chat)]) is None


def test_messages_no_linked_version_rendered_find_nothing() -> None:
    sent = messages(("system", "Something else entirely."), ("user", QUESTION))
    assert find_prompt_use(sent, [linked(TEMPLATE)]) is None
    assert find_prompt_use(sent, []) is None


# -- the playground ----------------------------------------------------------------------------


@pytest.fixture
def tasks(qtbot: QtBot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.shutdown()


@pytest.fixture
def ollama(ollama_server: OllamaStandIn, monkeypatch: pytest.MonkeyPatch) -> OllamaStandIn:
    monkeypatch.setenv("TRACEDESK_OLLAMA_URL", ollama_server.url)
    return ollama_server


@pytest.fixture
def client(db318: Path) -> Iterator[Client]:
    """A copy of the 3.18 fixture with prompt `support-system` v1 and a chat trace linking it."""
    client = Client(f"sqlite:///{db318}")
    client.register_prompt("support-system", TEMPLATE, commit_message="First.")
    client.set_prompt_alias("support-system", "production", 1)
    with client.start_span("ChatOllama", SpanType.CHAT_MODEL, experiment_id="0") as span:
        span.set_inputs(
            {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": QUESTION},
                ]
            }
        )
        span.set_outputs({"role": "assistant", "content": "It ships tomorrow."})
        link = json.dumps([{"name": "support-system", "version": "1"}])
        client.set_trace_tag(span.trace_id, LINKED_PROMPTS_TAG, link)
    assert client.flush_traces(30)
    client.trace_id = span.trace_id  # type: ignore[attr-defined]
    yield client
    client.close()


def open_playground(qtbot: QtBot, tasks: TaskRunner, client: Client) -> ReplayDialog:
    trace = client.store().reader.get_trace(client.trace_id)  # type: ignore[attr-defined]
    span = trace.data.spans[0]
    dialog = open_replay(None, tasks, client, trace, span, lambda _id: None, lambda: None)  # type: ignore[arg-type]
    assert dialog is not None
    qtbot.addWidget(dialog)
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(dialog.prompt_bar.isVisible, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: dialog.params.model.count() > 0, timeout=WAIT_MS)
    return dialog


def test_the_template_is_edited_sent_rendered_and_saved_as_a_new_version(
    qtbot: QtBot, tasks: TaskRunner, client: Client, ollama: OllamaStandIn
) -> None:
    dialog = open_playground(qtbot, tasks, client)
    bar = dialog.prompt_bar
    system = dialog.messages.rows[0].content
    assert system.toPlainText() == TEMPLATE  # the template, not the rendered text
    assert (
        "support-system v1" in bar.label.text()
        and "tenant = Northwind Outfitters" in bar.label.text()
    )
    assert not bar.save_button.isEnabled()  # nothing edited yet
    system.setFocus()
    qtbot.keyClick(system, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(system, " Be brief, {{ tenant }} customers are busy.")
    assert bar.save_button.isEnabled()
    qtbot.keyClick(system, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Run
    qtbot.waitUntil(lambda: not dialog.is_running, timeout=WAIT_MS)
    sent = ollama.chat_requests[-1]["messages"][0]["content"]
    assert sent == f"{SYSTEM} Be brief, Northwind Outfitters customers are busy."

    seen: list[str] = []

    def commit() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, dialogs.CommitMessageDialog)
        seen.append(box.said())
        box.message.setText("Ask for brevity.")
        box.accept()
        QTimer.singleShot(0, move_alias)

    def move_alias() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, dialogs.MoveAliasDialog):  # the save is still being written
            QTimer.singleShot(20, move_alias)
            return
        box.alias.setCurrentText("production")
        box.accept()

    QTimer.singleShot(0, commit)
    qtbot.keyClick(bar.save_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "points at version 2" in dialog.status.text(), timeout=WAIT_MS)
    assert "Save “support-system” as version 2" in seen[0]
    with Store.open(client.store().location.path) as store:
        versions = store.prompt_registry.prompt_versions("support-system")
        aliases = store.prompt_registry.aliases("support-system")
    assert [(v.version, v.template, v.commit_message) for v in versions] == [
        (1, TEMPLATE, "First."),
        (2, f"{TEMPLATE} Be brief, {{{{ tenant }}}} customers are busy.", "Ask for brevity."),
    ]
    assert aliases == {"production": 2}
    assert "support-system v2" in bar.label.text()
    assert bar.use is not None and bar.use.version.version == 2  # further edits start here
    # ... but other traces were rendered from v1: Run Over Traces reads their values with it
    assert bar.recorded is not None and bar.recorded.version.version == 1
    assert not bar.save_button.isEnabled()  # the template is now as registered


def test_switching_to_the_rendered_text_keeps_the_edited_template(
    qtbot: QtBot, tasks: TaskRunner, client: Client, ollama: OllamaStandIn
) -> None:
    dialog = open_playground(qtbot, tasks, client)
    bar, system = dialog.prompt_bar, dialog.messages.rows[0].content
    system.setPlainText("Hi from {{ tenant }}.")
    qtbot.keyClick(bar.template_mode, Qt.Key.Key_Space)  # off: the rendered text
    assert system.toPlainText() == "Hi from Northwind Outfitters."
    assert not bar.save_button.isEnabled()
    assert dialog.edited_messages()[0].content == "Hi from Northwind Outfitters."
    qtbot.keyClick(bar.template_mode, Qt.Key.Key_Space)  # on again: the edited template
    assert system.toPlainText() == "Hi from {{ tenant }}."
    assert dialog.edited_messages()[0].content == "Hi from Northwind Outfitters."


def test_a_read_only_store_shows_the_template_but_does_not_save(
    qtbot: QtBot, tasks: TaskRunner, client: Client, ollama: OllamaStandIn
) -> None:
    path = client.store().location.path
    client.close()
    readonly = Client(store=Store.open(path))  # Store.open is read-only unless asked
    readonly.trace_id = client.trace_id  # type: ignore[attr-defined]
    try:
        dialog = open_playground(qtbot, tasks, readonly)
        dialog.messages.rows[0].content.setPlainText("Edited {{ tenant }}")
        assert not dialog.prompt_bar.save_button.isEnabled()
        assert "Enable Editing" in dialog.prompt_bar.save_button.toolTip()
    finally:
        readonly.close()


# -- the same template edit over many traces --------------------------------------------------


def test_a_template_edit_is_filled_with_each_targets_own_values() -> None:
    from app.replay.batch import PromptEdit, with_template

    edit = PromptEdit(linked(TEMPLATE), ("Be brief, {{ tenant }}; answer in {{ language }}.",))
    other = messages(
        ("system", "You are Nora, the assistant of Fjord Bikes. Answer in Norwegian."),
        ("user", "Hvor er pakken min?"),
    )
    sent = with_template(edit, other)
    assert sent is not None
    assert [m.content for m in sent] == [
        "Be brief, Fjord Bikes; answer in Norwegian.",
        "Hvor er pakken min?",
    ]
    unrelated = messages(("system", "A prompt of its own."), ("user", QUESTION))
    assert with_template(edit, unrelated) is None  # not rendered from that version: skipped


def test_run_over_traces_takes_the_template_edit_along(
    qtbot: QtBot, tasks: TaskRunner, client: Client, ollama: OllamaStandIn
) -> None:
    trace = client.store().reader.get_trace(client.trace_id)  # type: ignore[attr-defined]
    opened: list[tuple[str, str]] = []
    dialog = open_replay(
        None,  # type: ignore[arg-type]
        tasks,
        client,
        trace,
        trace.data.spans[0],
        lambda _id: None,
        lambda: None,
        lambda a, b: opened.append((a, b)),
    )
    assert dialog is not None
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.prompt_bar.isVisible, timeout=WAIT_MS)
    dialog.messages.rows[0].content.setPlainText("Short answers for {{ tenant }}.")
    assert dialog.batch_button.isVisible() and dialog.batch_button.isEnabled()
    qtbot.keyClick(dialog.batch_button, Qt.Key.Key_Space)
    batch = dialog.findChild(QDialog, "batchReplayDialog")
    assert batch is not None
    qtbot.waitUntil(lambda: batch.edit is not None, timeout=WAIT_MS)
    assert batch.edit.prompt is not None
    assert batch.edit.prompt.texts == ("Short answers for {{ tenant }}.",)
    assert batch.edit.prompt.linked.version.version == 1
