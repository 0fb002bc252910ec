"""The Try It tab: variables, the formatted prompt, and a traced call to (stand-in) Ollama."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.prompts import try_call
from app.prompts.page import PromptsPage
from core.store.store import Store
from tests.app.helpers import WAIT_MS
from tests.app.prompts.conftest import OpenPrompts, Registry, select_prompt
from tests.ollama_server import OllamaStandIn

Window = tuple[MainWindow, PromptsPage]


@pytest.fixture
def ollama(ollama_server: OllamaStandIn, monkeypatch: pytest.MonkeyPatch) -> OllamaStandIn:
    monkeypatch.setenv("TRACEDESK_OLLAMA_URL", ollama_server.url)
    return ollama_server


def fill(page: PromptsPage, **values: str) -> None:
    for name, value in values.items():
        page.try_it.set_value(name, value)


def trace_count(path: Path) -> int:
    with Store.open(path) as store:
        return len(store.reader.trace_page(None, limit=1000).rows)


def test_the_form_names_missing_variables_and_shows_the_prompt(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(registry_db.path)
    select_prompt(qtbot, page, "qa")
    try_it = page.try_it
    assert sorted(try_it._fields) == ["question", "tone"]
    assert try_it.problem.text() == "Prompt prompts:/qa/3 needs a value for: question, tone"
    assert not try_it.send_button.isEnabled()
    fill(page, question="<b>Why?</b>")
    assert try_it.problem.text().endswith("needs a value for: tone")
    fill(page, tone="few")
    assert try_it.problem.isHidden()
    assert try_it.preview.toPlainText() == "Answer <b>Why?</b> in few words."
    assert "<b>Why" not in try_it.preview.toHtml()
    page.versions.view.selectRow(2)  # version 1 keeps the value typed for `question`
    assert try_it.preview.toPlainText() == "Answer: <b>Why?</b>"
    select_prompt(qtbot, page, "chat_helper")
    fill(page, persona="a pirate", language="French", question="Hi")
    text = try_it.preview.toPlainText()
    assert "System" in text and "You are a pirate. Answer in French." in text


def test_a_try_is_traced_and_linked_to_the_prompt_version(
    qtbot: QtBot,
    registry_db: Registry,
    open_prompts: OpenPrompts,
    page_window: Window,
    ollama: OllamaStandIn,
) -> None:
    window, _ = page_window
    page = open_prompts(registry_db.path, writable=True)
    select_prompt(qtbot, page, "qa")
    try_it = page.try_it
    with qtbot.waitSignal(try_it.models_listed, timeout=WAIT_MS) as listed:
        try_it.list_models()
    assert listed.args[0] == ["llama3.2:1b"]
    fill(page, question="Who wrote Romeo and Juliet?", tone="two")
    before = trace_count(registry_db.path)
    with qtbot.waitSignal(try_it.answered, timeout=WAIT_MS) as answered:
        try_it.send_button.click()
    result: try_call.TryResult = answered.args[0]
    assert result.saved and result.trace_id and result.answer
    assert ollama.chat_requests[-1]["messages"][-1]["content"] == (
        "Answer Who wrote Romeo and Juliet? in two words."
    )
    assert result.answer in try_it.answer.toPlainText()
    assert try_it.status.text() == f"Traced as {result.trace_id}."
    assert trace_count(registry_db.path) == before + 1
    with Store.open(registry_db.path) as store:
        trace = store.reader.get_trace(result.trace_id)
        linked = store.reader.trace_page(None, filter_string="prompt = 'qa/3'").rows
    assert json.loads(trace.info.tags["mlflow.linkedPrompts"]) == [{"name": "qa", "version": "3"}]
    assert trace.info.experiment_id == "0"
    kinds = {s.name: s.span_type for s in trace.data.spans}
    assert kinds == {"prompt qa v3": "CHAIN", "ChatOllama": "CHAT_MODEL"}
    assert [r.trace_id for r in linked] == [result.trace_id]
    assert try_it.open_trace.isVisibleTo(try_it)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        try_it.open_trace.click()
    assert window.shown_trace_id == result.trace_id


def test_a_read_only_store_answers_but_saves_nothing(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts, ollama: OllamaStandIn
) -> None:
    page = open_prompts(registry_db.path)
    select_prompt(qtbot, page, "summary")
    fill(page, text="a long story")
    before = trace_count(registry_db.path)
    with qtbot.waitSignal(page.try_it.answered, timeout=WAIT_MS) as answered:
        page.try_it.send()
    assert answered.args[0].answer and not answered.args[0].saved
    assert page.try_it.status.text() == try_call.NOT_SAVED
    assert trace_count(registry_db.path) == before and not page.try_it.open_trace.isVisible()


def test_ollama_down_is_said_clearly(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(registry_db.path)
    with qtbot.waitSignal(page.try_it.models_listed, timeout=WAIT_MS) as listed:
        page.try_it.list_models()
    assert listed.args[0] == []
    assert page.try_it.status.text().startswith("Ollama is not answering at http://127.0.0.1:9")
    select_prompt(qtbot, page, "summary")
    fill(page, text="x")
    page.try_it.send()
    qtbot.waitUntil(lambda: not page.try_it.is_busy, timeout=WAIT_MS)
    assert "Ollama is not answering" in page.try_it.status.text()


def test_an_unknown_model_is_named(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts, ollama: OllamaStandIn
) -> None:
    ollama.configure(strict_models=True)
    page = open_prompts(registry_db.path)
    select_prompt(qtbot, page, "summary")
    fill(page, text="x")
    page.try_it.model.setCurrentText("nope:1b")
    page.try_it.send()
    qtbot.waitUntil(lambda: not page.try_it.is_busy, timeout=WAIT_MS)
    assert "no model 'nope:1b'" in page.try_it.status.text()


def test_a_call_can_be_cancelled(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts, ollama: OllamaStandIn
) -> None:
    ollama.configure(chunk_delay=0.05)
    page = open_prompts(registry_db.path, writable=True)
    select_prompt(qtbot, page, "summary")
    fill(page, text="Hello how are you?")
    page.try_it.send()
    assert page.try_it.cancel_button.isVisibleTo(page.try_it)
    assert ollama.wait_for_requests(1, path="/api/chat")
    page.try_it.cancel()
    assert page.try_it.status.text() == "Cancelled." and page.try_it.send_button.isEnabled()
