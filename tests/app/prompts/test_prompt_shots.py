"""Every state of the Prompts page renders offscreen; with TRACEDESK_SHOTS=dir the images are kept.

TRACEDESK_SHOTS=shots QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest tests/app/prompts -k shot
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.prompts.page import PromptsPage
from tests.app.helpers import WAIT_MS, Shot
from tests.app.prompts.conftest import OpenPrompts, Registry, select_prompt, select_version
from tests.ollama_server import OllamaStandIn

Window = tuple[MainWindow, PromptsPage]


@pytest.fixture
def shot(shot: Shot) -> Shot:
    """The app tests' `shot`, with the files named `prompts-<name>.png`."""
    return lambda widget, name: shot(widget, f"prompts-{name}")


@pytest.fixture
def shown(qtbot: QtBot, page_window: Window) -> Window:
    window, page = page_window
    window.resize(1280, 760)
    window.show()
    qtbot.waitExposed(window)
    return window, page


def test_shot_list_history_template(
    qtbot: QtBot, shown: Window, registry_db: Registry, open_prompts: OpenPrompts, shot: Shot
) -> None:
    window, _ = shown
    page = open_prompts(registry_db.path)
    select_prompt(qtbot, page, "qa")
    shot(window, "page")


def test_shot_chat_template(
    qtbot: QtBot, shown: Window, registry_db: Registry, open_prompts: OpenPrompts, shot: Shot
) -> None:
    window, _ = shown
    page = open_prompts(registry_db.path)
    select_prompt(qtbot, page, "chat_helper")
    shot(window, "chat-template")
    select_prompt(qtbot, page, "unsafe")
    shot(page, "untrusted")


def test_shot_editor(
    qtbot: QtBot, shown: Window, registry_db: Registry, open_prompts: OpenPrompts, shot: Shot
) -> None:
    window, _ = shown
    page = open_prompts(registry_db.path)  # read-only: the bar shows
    select_prompt(qtbot, page, "qa")
    page.edit()
    page.editor.text.setPlainText(
        "Answer {{ question }} in {{ tone }} words.\n\nIf you do not know, say so; never "
        "invent a source. Escaped: \\{{ literal }}."
    )
    shot(window, "editor-read-only")
    select_prompt(qtbot, page, "chat_helper")  # the test's answer: discard
    page.edit()
    page.editor.chat.add_message("assistant", "Arr, {{ question }}? Here be the answer.")
    shot(window, "editor-chat")


def test_shot_save_failed(
    qtbot: QtBot, shown: Window, registry_db: Registry, open_prompts: OpenPrompts, shot: Shot
) -> None:
    window, _ = shown
    page = open_prompts(registry_db.path, writable=True)
    select_prompt(qtbot, page, "summary")
    page.edit()
    page.editor.text.setPlainText("Summarise {{ text }} in {{ n }} bullet points.")
    page.editor.show_error(
        f"The new version was not saved: {registry_db.path} is locked by another program that "
        "is writing to it. Try again when it has finished.\nYour draft is kept (also if "
        "TraceDesk closes): save again when the problem is gone."
    )
    shot(window, "editor-save-failed")


def test_shot_diff(
    qtbot: QtBot, shown: Window, registry_db: Registry, open_prompts: OpenPrompts, shot: Shot
) -> None:
    window, _ = shown
    page = open_prompts(registry_db.path)
    select_prompt(qtbot, page, "qa")
    page.compare()
    page.diff.compare(1, 3)
    shot(window, "diff")
    select_prompt(qtbot, page, "chat_helper")
    page.tabs.setCurrentWidget(page.diff)
    shot(page, "diff-chat-same")


def test_shot_try_it(
    qtbot: QtBot,
    shown: Window,
    registry_db: Registry,
    open_prompts: OpenPrompts,
    shot: Shot,
    ollama_server: OllamaStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRACEDESK_OLLAMA_URL", ollama_server.url)
    window, _ = shown
    page = open_prompts(registry_db.path, writable=True)
    select_prompt(qtbot, page, "qa")
    with qtbot.waitSignal(page.try_it.models_listed, timeout=WAIT_MS):
        page.tabs.setCurrentWidget(page.try_it)
    page.try_it.set_value("question", "Who wrote Romeo and Juliet?")
    shot(window, "try-it-missing")
    page.try_it.set_value("tone", "two")
    with qtbot.waitSignal(page.try_it.answered, timeout=WAIT_MS):
        page.try_it.send()
    shot(window, "try-it")


def test_shot_older_layout_and_traces(
    qtbot: QtBot,
    shown: Window,
    registry_db: Registry,
    db31: Path,
    open_prompts: OpenPrompts,
    shot: Shot,
) -> None:
    window, _ = shown
    page = open_prompts(registry_db.path)
    select_prompt(qtbot, page, "qa")
    select_version(page, 1)
    page.tabs.setCurrentWidget(page.traces)
    qtbot.waitUntil(lambda: page.traces.model.rowCount() == 1, timeout=WAIT_MS)
    shot(window, "traces")
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.open_trace(registry_db.linked_trace)
    shot(window, "trace-header-link")
    page = open_prompts(db31)
    window.modes.setCurrentWidget(page)
    shot(window, "older-layout")
