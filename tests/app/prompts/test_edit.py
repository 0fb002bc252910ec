"""Editing prompts in the window: save with a message, chat rows, aliases, failures, keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import core
from app.main_window import MainWindow
from app.prompts import dialogs, drafts
from app.prompts.page import PromptsPage
from core import tracking
from core.store.store import Store
from core.store.writer import StoreWriter
from tests.app.helpers import WAIT_MS, lock_exclusively, show_window
from tests.app.prompts.conftest import (
    Answers,
    OpenPrompts,
    Registry,
    select_prompt,
    select_version,
    shot_path,
)

REAL_COMMIT_DIALOG = dialogs.ask_commit_message


def read_versions(path: Path, name: str) -> list[tuple[int, object, str | None]]:
    """(version, template, commit message) of every version, read back through core."""
    with Store.open(path) as store:
        return [
            (v.version, v.template, v.commit_message)
            for v in store.prompt_registry.prompt_versions(name)
        ]


def type_into_editor(qtbot: QtBot, page: PromptsPage, text: str) -> None:
    editor = page.editor.text
    editor.selectAll()
    qtbot.keyClicks(editor, text)


def save_and_wait(qtbot: QtBot, page: PromptsPage) -> None:
    with qtbot.waitSignals([page.session.saved, page.versions.history.loaded], timeout=WAIT_MS):
        page.save()


def test_edit_and_save_a_new_version(
    qtbot: QtBot,
    registry_db: Registry,
    open_prompts: OpenPrompts,
    page_window: tuple[MainWindow, PromptsPage],
    answers: Answers,
) -> None:
    page = open_prompts(registry_db.path, writable=True)
    assert page._experiment_id == "0"  # the only experiment, selected by the window
    select_prompt(qtbot, page, "qa")
    page.versions.view.selectRow(1)  # version 2: edit starts from it
    page.edit()
    assert page.view.is_editing_shown and page.editor.base is not None
    assert page.editor.base.version == 2 and page.editor.save_button.isEnabled()
    type_into_editor(qtbot, page, "Answer {{ question }} for {{ audience }}.")
    assert "{{ audience }}" in page.editor.variables.text()
    answers.message = "for an audience"
    with qtbot.waitSignal(page.status_message, timeout=WAIT_MS) as status:
        save_and_wait(qtbot, page)
    assert status.args == ["Saved “qa” version 4."]
    assert answers.asked[-1] == "message qa v4: Edited from version 2; adds {{ audience }}"
    assert not page.session.active and not page.view.is_editing_shown
    current = page.versions.current_version()
    assert current is not None and current.version == 4
    assert read_versions(registry_db.path, "qa")[-1] == (
        4,
        "Answer {{ question }} for {{ audience }}.",
        "for an audience",
    )
    with Store.open(registry_db.path) as store:
        assert store.prompt_registry.prompts("qa")[0].tags["_mlflow_experiment_ids"] == ",0,"
    model = page.list_panel.model
    qtbot.waitUntil(lambda: model.index(model.row_of("qa") or 0, 1).data() == "v4")
    assert drafts.load_draft(page._database, "qa") is None


def test_the_commit_message_dialog_suggests_and_may_be_emptied(
    qtbot: QtBot,
    registry_db: Registry,
    open_prompts: OpenPrompts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dialogs, "ask_commit_message", REAL_COMMIT_DIALOG)
    page = open_prompts(registry_db.path, writable=True)
    select_prompt(qtbot, page, "summary")
    page.edit()
    type_into_editor(qtbot, page, "Summarise {{ text }} in one line")
    seen: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, dialogs.CommitMessageDialog)
        seen.append(dialog.message.text())
        dialog.message.clear()  # MLflow allows no message
        dialog.accept()

    QTimer.singleShot(0, answer)
    save_and_wait(qtbot, page)
    assert seen == ["Edited from version 1"]
    assert read_versions(registry_db.path, "summary")[-1] == (
        2,
        "Summarise {{ text }} in one line",
        None,
    )


def prompt_state(path: Path, name: str) -> tuple[dict[str, str], dict[str, int]]:
    """The prompt's own tags and its aliases, read back through core."""
    with Store.open(path) as store:
        registry = store.prompt_registry
        return dict(registry.prompts(name)[0].tags), registry.aliases(name)


def test_saving_writes_only_the_new_version_whatever_experiment_is_selected(
    qtbot: QtBot,
    registry_db: Registry,
    open_prompts: OpenPrompts,
    page_window: tuple[MainWindow, PromptsPage],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Issue 16 #11: a save linked the prompt to the selected experiment; the dialog now says
    what is written, and that is all that changes."""
    core.set_tracking_uri(registry_db.path)
    other = core.create_experiment("unrelated")
    tracking.reset()
    before = prompt_state(registry_db.path, "qa")
    assert before == (
        {"mlflow.prompt.is_prompt": "true", "_mlflow_experiment_ids": ",0,"},
        {"production": 2},
    )
    window, _ = page_window
    page = open_prompts(registry_db.path, writable=True)
    assert window.experiment_view.select_experiment(other)  # in the sidebar, as a user does
    assert page._experiment_id == other
    select_prompt(qtbot, page, "qa")
    select_version(page, 2)
    page.edit()
    type_into_editor(qtbot, page, "Answer {{ question }} for {{ audience }}.")
    monkeypatch.setattr(dialogs, "ask_commit_message", REAL_COMMIT_DIALOG)
    said: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, dialogs.CommitMessageDialog)
        said.append(dialog.said())
        said.append(dialog.template.toPlainText())
        dialog.message.setText("for an audience")
        dialog.grab().save(shot_path(tmp_path, "save_dialog"))
        dialog.accept()

    QTimer.singleShot(0, answer)
    save_and_wait(qtbot, page)
    written, template = said
    assert written.splitlines() == [
        "Save “qa” as version 4",
        "Template: Text template, edited from version 2:",
        "Commit message: Edited from version 2; adds {{ audience }}",
        "Optional, as in MLflow, but a short note of what changed helps whoever reads the history.",
        "Tags: None.",
        "Aliases: Not moved: production stays at version 2 "
        "(prompts:/qa@latest will load version 4).",
    ]
    assert template.splitlines() == [
        "Variables: {{ question }} {{ audience }}",
        "Answer {{ question }} for {{ audience }}.",
    ]
    assert prompt_state(registry_db.path, "qa") == before  # no experiment linked, no alias moved
    with Store.open(registry_db.path) as store:
        new = store.prompt_registry.prompt_version("qa", 4)
    assert (new.template, new.commit_message, dict(new.tags), new.aliases) == (
        "Answer {{ question }} for {{ audience }}.",
        "for an audience",
        {},
        (),
    )


def test_a_chat_template_is_edited_as_rows(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(registry_db.path, writable=True)
    select_prompt(qtbot, page, "chat_helper")
    page.edit()
    chat = page.editor.chat
    assert page.editor.is_chat and [r.role.currentText() for r in chat.rows] == ["system", "user"]
    row = chat.add_message("assistant", "Example answer about {{ topic }}")
    chat.move_message(row, -1)
    assert [r.role.currentText() for r in chat.rows] == ["system", "assistant", "user"]
    chat.remove_message(chat.rows[0])
    assert page.session.is_dirty and "{{ topic }}" in page.editor.variables.text()
    save_and_wait(qtbot, page)
    assert read_versions(registry_db.path, "chat_helper")[-1][1] == [
        {"role": "assistant", "content": "Example answer about {{ topic }}"},
        {"role": "user", "content": "{{ question }}"},
    ]
    assert "Assistant" in page.template_view.toPlainText()


def test_nothing_changed_nothing_saved(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts, answers: Answers
) -> None:
    page = open_prompts(registry_db.path, writable=True)
    page.edit()
    with qtbot.waitSignal(page.status_message) as status:
        page.save()
    assert "Nothing to save" in status.args[0] and answers.asked == []
    page.cancel_edit()
    assert not page.session.active and answers.asked == []  # no question: nothing to lose


def test_moving_and_deleting_aliases(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts, answers: Answers
) -> None:
    page = open_prompts(registry_db.path, writable=True)
    select_prompt(qtbot, page, "qa")
    history = page.versions.history
    answers.move = ("production", 3)
    with qtbot.waitSignal(history.loaded, timeout=WAIT_MS):
        page.versions.move_button.click()
    assert answers.asked == ["move from v3"]
    with Store.open(registry_db.path) as store:
        assert store.prompt_registry.aliases("qa") == {"production": 3}
    assert history.index(0, 3).data() == "production"
    answers.move = ("staging", 1)
    with qtbot.waitSignal(history.loaded, timeout=WAIT_MS):
        page.move_alias()
    with qtbot.waitSignal(history.loaded, timeout=WAIT_MS):
        page.versions.delete_menu.actions()[0].trigger()  # "production (v3)"
    with Store.open(registry_db.path) as store:
        assert store.prompt_registry.aliases("qa") == {"staging": 1}
    assert [a.text() for a in page.versions.delete_menu.actions()] == ["staging (v1)"]


def test_a_locked_file_keeps_the_draft_and_says_why(
    qtbot: QtBot,
    registry_db: Registry,
    open_prompts: OpenPrompts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(StoreWriter.transaction, "__defaults__", (0.5,))  # give up in 0.5 s
    page = open_prompts(registry_db.path, writable=True)
    select_prompt(qtbot, page, "summary")
    page.edit()
    type_into_editor(qtbot, page, "Summarise {{ text }} for a child")
    lock = lock_exclusively(registry_db.path)
    try:
        with qtbot.waitSignal(page.session.save_failed, timeout=WAIT_MS) as failed:
            page.save()
    finally:
        lock.rollback()
        lock.close()
    assert "locked by another program" in failed.args[0] and "draft is kept" in failed.args[0]
    assert page.editor.error_bar.isVisibleTo(page.editor)
    assert page.session.active and page.editor.template() == "Summarise {{ text }} for a child"
    stored = drafts.load_draft(page._database, "summary")
    assert stored is not None and stored.template == "Summarise {{ text }} for a child"
    save_and_wait(qtbot, page)  # the lock is gone: the same draft saves
    assert read_versions(registry_db.path, "summary")[-1][1] == "Summarise {{ text }} for a child"


def test_a_failed_write_for_any_reason_keeps_the_draft(
    qtbot: QtBot,
    registry_db: Registry,
    open_prompts: OpenPrompts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.errors import StoreError
    from core.store.prompt_registry import PromptRegistry

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise StoreError("mlflow.db: database or disk is full")

    monkeypatch.setattr(PromptRegistry, "register_version", disk_full)
    page = open_prompts(registry_db.path, writable=True)
    page.edit()
    page.editor.chat.rows[1].content.setPlainText("{{ question }}?")
    with qtbot.waitSignal(page.session.save_failed, timeout=WAIT_MS):
        page.save()
    assert "disk is full" in page.editor.error_bar.text and page.session.is_dirty


def test_page_keys_win_over_the_windows_while_the_page_has_focus(
    qtbot: QtBot,
    registry_db: Registry,
    open_prompts: OpenPrompts,
    page_window: tuple[MainWindow, PromptsPage],
    answers: Answers,
) -> None:
    window, _ = page_window
    page = open_prompts(registry_db.path, writable=True)
    show_window(qtbot, window)
    select_prompt(qtbot, page, "summary")
    exported: list[bool] = []
    window.menu_actions.export_trace.triggered.connect(lambda: exported.append(True))
    page.versions.view.setFocus()
    qtbot.keyClick(page.versions.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert page.session.active and not exported  # Ctrl+E: edit, not Export Trace
    editor = page.editor.text
    qtbot.waitUntil(editor.hasFocus, timeout=WAIT_MS)
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor, " now")
    with qtbot.waitSignal(page.session.saved, timeout=WAIT_MS):
        qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert read_versions(registry_db.path, "summary")[-1][1] == "Summarise {{ text }} now"
    qtbot.keyClick(page.versions.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.list_panel.search.hasFocus()
    qtbot.keyClick(page.list_panel.search, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert page.tabs.currentWidget() is page.diff and page.diff.old.hasFocus()
    page.versions.view.setFocus()
    qtbot.keyClick(page.versions.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert page.session.active
    qtbot.keyClick(page.editor.text, Qt.Key.Key_Escape)
    assert not page.session.active and not page.view.is_editing_shown
