"""Unsaved edits are never lost silently: switching, closing, reopening, read-only, drafts."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.prompts import drafts
from app.prompts.dialogs import UnsavedChoice
from app.prompts.page import PromptsPage
from core.store.store import Store
from tests.app.helpers import WAIT_MS, open_and_wait
from tests.app.prompts.conftest import Answers, OpenPrompts, Registry, select_prompt

Window = tuple[MainWindow, PromptsPage]


def start_editing(qtbot: QtBot, page: PromptsPage, name: str, text: str) -> None:
    select_prompt(qtbot, page, name)
    page.edit()
    page.editor.text.setPlainText(text)
    assert page.session.is_dirty


def version_count(path: Path, name: str) -> int:
    with Store.open(path) as store:
        return len(store.prompt_registry.prompt_versions(name))


def test_switching_prompts_asks_and_cancel_keeps_editing(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts, answers: Answers
) -> None:
    page = open_prompts(registry_db.path, writable=True)
    start_editing(qtbot, page, "qa", "Answer {{ question }}!")
    answers.unsaved = UnsavedChoice.CANCEL
    page.list_panel.view.selectRow(page.list_panel.model.row_of("summary") or 0)
    assert answers.asked == ["unsaved qa save"]
    assert page.list_panel.selected_name() == "qa" and page.versions.name.text() == "qa"
    assert page.session.active and page.editor.template() == "Answer {{ question }}!"
    page.versions.view.selectRow(2)  # another version: asked too
    assert len(answers.asked) == 2 and page.session.active
    current = page.versions.current_version()
    assert current is not None and current.version == 3  # the selection went back
    answers.unsaved = UnsavedChoice.DISCARD
    select_prompt(qtbot, page, "summary")
    assert not page.session.active and drafts.load_draft(page._database, "qa") is None


def test_save_from_the_question_writes_then_switches(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts, answers: Answers
) -> None:
    page = open_prompts(registry_db.path, writable=True)
    start_editing(qtbot, page, "qa", "Answer {{ question }} carefully.")
    answers.unsaved = UnsavedChoice.SAVE
    answers.message = "careful"
    assert page.show_prompt("summary") is True  # waits for the write, then goes on
    assert version_count(registry_db.path, "qa") == 4
    qtbot.waitUntil(lambda: page.versions.name.text() == "summary", timeout=WAIT_MS)
    assert not page.session.active


def test_closing_the_database_or_the_window_asks_first(
    qtbot: QtBot,
    registry_db: Registry,
    open_prompts: OpenPrompts,
    page_window: Window,
    answers: Answers,
) -> None:
    window, _ = page_window
    page = open_prompts(registry_db.path, writable=True)
    start_editing(qtbot, page, "summary", "Summarise {{ text }} twice")
    answers.unsaved = UnsavedChoice.CANCEL
    window.close_database()
    assert window.store is not None and page.session.active
    window.show()
    assert window.close() is False and window.isVisible()
    assert answers.asked == ["unsaved summary save", "unsaved summary save"]
    answers.unsaved = UnsavedChoice.SAVE
    with qtbot.waitSignal(window.store_closed, timeout=WAIT_MS):
        window.close_database()
    assert version_count(registry_db.path, "summary") == 2


def test_read_only_edit_bar_enables_editing_and_keeps_the_draft(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts, page_window: Window
) -> None:
    window, _ = page_window
    page = open_prompts(registry_db.path)  # read-only, the default
    start_editing(qtbot, page, "qa", "Answer {{ question }} kindly.")
    bar = page.editor.read_only_bar
    assert bar.text.startswith("This database is open read-only — Enable Editing")
    assert not page.editor.save_button.isEnabled()
    button = bar.button("Enable Editing")
    assert button is not None
    with qtbot.waitSignals([window.store_opened, page.versions.history.loaded], timeout=WAIT_MS):
        button.click()
    assert window.store is not None and not window.store.read_only
    assert page.versions.name.text() == "qa" and page.session.active
    assert page.editor.template() == "Answer {{ question }} kindly."
    assert page.editor.base is not None and page.editor.base.version == 3
    assert not bar.isVisibleTo(page.editor) and page.editor.save_button.isEnabled()
    with qtbot.waitSignal(page.session.saved, timeout=WAIT_MS):
        page.save()
    assert version_count(registry_db.path, "qa") == 4


def test_read_only_close_keeps_the_draft_for_later(
    qtbot: QtBot,
    registry_db: Registry,
    open_prompts: OpenPrompts,
    page_window: Window,
    answers: Answers,
) -> None:
    window, _ = page_window
    page = open_prompts(registry_db.path)
    start_editing(qtbot, page, "summary", "Summarise {{ text }} later")
    answers.unsaved = UnsavedChoice.KEEP
    window.close_database()
    assert answers.asked == ["unsaved summary keep"] and window.store is None
    stored = drafts.load_draft(str(registry_db.path.resolve()), "summary")
    assert stored is not None and stored.template == "Summarise {{ text }} later"


def test_a_stored_draft_is_offered_back_when_the_prompt_is_opened_again(
    qtbot: QtBot,
    registry_db: Registry,
    db318: Path,
    open_prompts: OpenPrompts,
    page_window: Window,
) -> None:
    window, _ = page_window
    page = open_prompts(registry_db.path, writable=True)
    start_editing(qtbot, page, "summary", "Summarise {{ text }} — crash-proof")
    page.session.keeper.flush()  # what typing pauses do
    with qtbot.waitSignal(page.versions.history.loaded, timeout=WAIT_MS):
        open_and_wait(qtbot, window, db318)  # another file: nothing asked, the draft stays
    assert not page.session.active and page.versions.name.text() == "knowledge_prompt"
    with qtbot.waitSignal(page.versions.history.loaded, timeout=WAIT_MS):
        open_and_wait(qtbot, window, registry_db.path)
    select_prompt(qtbot, page, "summary")
    bar = page.versions.bar
    assert "unsaved draft of this prompt from version 1" in bar.text
    restore = bar.button("Restore Draft")
    assert restore is not None
    restore.click()
    assert page.session.active and page.editor.template() == "Summarise {{ text }} — crash-proof"
    assert page.view.is_editing_shown and not bar.isVisibleTo(page.versions)


def test_a_declined_draft_is_removed(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(registry_db.path, writable=True)
    database = str(registry_db.path.resolve())
    drafts.save_draft(database, "qa", 2, "Old draft {{ question }}")
    select_prompt(qtbot, page, "qa")
    discard = page.versions.bar.button("Discard Draft")
    assert discard is not None
    discard.click()
    assert drafts.load_draft(database, "qa") is None and not page.versions.bar.isVisible()


def test_typing_stores_the_draft_and_undoing_removes_it(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(registry_db.path, writable=True)
    start_editing(qtbot, page, "summary", "Draft {{ text }}")
    qtbot.waitUntil(lambda: drafts.load_draft(page._database, "summary") is not None)
    page.editor.text.setPlainText("Summarise {{ text }}")  # back to version 1's text
    assert drafts.load_draft(page._database, "summary") is None and not page.session.is_dirty
