"""Fixtures for the Prompts page: a fresh registry built with `core`, a window with the page,
answers for the page's questions, and no trace writer left running."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

import core
from app.main_window import MainWindow
from app.prompts import dialogs
from app.prompts.data import NewVersion
from app.prompts.page import PromptsPage
from core import tracking
from tests.app.helpers import WAIT_MS, open_and_wait

XSS = "<script>alert('x')</script> & <b>bold</b> {{ question }}"
CHAT = [
    {"role": "system", "content": "You are {{ persona }}. Answer in {{ language }}."},
    {"role": "user", "content": "{{ question }}"},
]


def build_registry(path: Path) -> str:
    """A 3.18 database with several prompts: text and chat, aliases, escaping, a linked trace.

    Returns the id of the trace that loaded `qa` version 1 inside a span.
    """
    core.set_tracking_uri(path)
    try:
        core.register_prompt("qa", "Answer: {{ question }}", commit_message="first")
        core.register_prompt("qa", "Answer briefly: {{ question }}", commit_message="shorter")
        core.register_prompt("qa", "Answer {{ question }} in {{ tone }} words.")
        core.set_prompt_alias("qa", "production", 2)
        core.register_prompt("chat_helper", CHAT, commit_message="chat v1")
        core.register_prompt("unsafe", XSS, commit_message="<i>untrusted</i>")
        core.register_prompt("summary", "Summarise {{ text }}", commit_message="sum")
        with core.start_span("answer question") as span:
            core.load_prompt("prompts:/qa/1")
            trace_id = span.trace_id
        core.flush_trace_async_logging()
    finally:
        tracking.reset()
    return trace_id


@dataclass(frozen=True)
class Registry:
    path: Path
    linked_trace: str


@pytest.fixture(scope="session")
def registry_template(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    path = tmp_path_factory.mktemp("registry") / "mlflow.db"
    return Registry(path, build_registry(path))


@pytest.fixture
def registry_db(registry_template: Registry, tmp_path: Path) -> Registry:
    """A copy of the prompt registry for one test (tests write to it)."""
    target = tmp_path / "registry" / "mlflow.db"
    target.parent.mkdir()
    shutil.copy2(registry_template.path, target)
    return Registry(target, registry_template.linked_trace)


@pytest.fixture(autouse=True)
def no_trace_writer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Stop core's trace writers after each test; no Ollama unless a test starts one."""
    monkeypatch.setenv("TRACEDESK_OLLAMA_URL", "http://127.0.0.1:9")
    yield
    tracking.reset()


@dataclass
class Answers:
    """What the page's questions answer in tests, and what they were asked."""

    unsaved: dialogs.UnsavedChoice = dialogs.UnsavedChoice.DISCARD
    message: str | None = "a commit message"
    move: tuple[str, int] | None = None
    delete: bool = True
    asked: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    """Patch the modal questions (a test may drive a real dialog by undoing one patch)."""
    given = Answers()

    def unsaved(_parent: Any, name: str, can_save: bool) -> dialogs.UnsavedChoice:
        given.asked.append(f"unsaved {name} {'save' if can_save else 'keep'}")
        return given.unsaved

    def message(_parent: Any, new: NewVersion, suggestion: str) -> str | None:
        given.asked.append(f"message {new.name} v{new.version}: {suggestion}")
        return given.message

    def move(_parent: Any, aliases: Any, versions: Any, version: int) -> tuple[str, int] | None:
        given.asked.append(f"move from v{version}")
        return given.move

    def delete(_parent: Any, name: str, alias: str, version: int) -> bool:
        given.asked.append(f"delete {alias}")
        return given.delete

    monkeypatch.setattr(dialogs, "ask_unsaved", unsaved)
    monkeypatch.setattr(dialogs, "ask_commit_message", message)
    monkeypatch.setattr(dialogs, "ask_move_alias", move)
    monkeypatch.setattr(dialogs, "confirm_delete_alias", delete)
    return given


@pytest.fixture
def page_window(window: MainWindow) -> tuple[MainWindow, PromptsPage]:
    window.modes.setCurrentWidget(window.prompts_page)
    return window, window.prompts_page


OpenPrompts = Callable[..., PromptsPage]


@pytest.fixture
def open_prompts(qtbot: QtBot, page_window: tuple[MainWindow, PromptsPage]) -> OpenPrompts:
    """Open a database in the window and wait until the page shows its first prompt."""
    window, page = page_window

    def open_(path: Path, writable: bool = False) -> PromptsPage:
        window.database.read_only = not writable
        with qtbot.waitSignal(page.versions.history.loaded, timeout=WAIT_MS):
            open_and_wait(qtbot, window, path)
        return page

    return open_


def select_prompt(qtbot: QtBot, page: PromptsPage, name: str) -> None:
    """Click prompt `name` in the list and wait for its history."""
    row = page.list_panel.model.row_of(name)
    assert row is not None, f"{name} is not listed"
    if page.list_panel.selected_name() == name:
        return
    with qtbot.waitSignal(page.versions.history.loaded, timeout=WAIT_MS):
        page.list_panel.view.selectRow(row)
    assert page.versions.name.text() == name


def select_version(page: PromptsPage, version: int) -> None:
    row = page.versions.history.row_of(version)
    assert row is not None
    page.versions.view.selectRow(row)
    current = page.versions.current_version()
    assert current is not None and current.version == version


def shot_path(tmp_path: Path, name: str) -> str:
    """Where `prompts_<name>.png` goes: $TRACEDESK_SHOTS when set (kept), else `tmp_path`."""
    folder = Path(os.environ.get("TRACEDESK_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"prompts_{name}.png")
