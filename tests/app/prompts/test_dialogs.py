"""The page's real dialogs: the unsaved-changes question and the Move Alias dialog."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.prompts import dialogs
from app.prompts.data import NewVersion
from core.entities.prompt import PromptVersion

#: The real functions, captured before the autouse `answers` fixture patches the module.
REAL_ASK_UNSAVED = dialogs.ask_unsaved
REAL_CONFIRM_DELETE = dialogs.confirm_delete_alias

VERSIONS = [
    PromptVersion("qa", 3, "c", None),
    PromptVersion("qa", 2, "b", "shorter", aliases=("production",)),
    PromptVersion("qa", 1, "a", "first"),
]


def answer_box(click: Callable[[QMessageBox], object]) -> list[str]:
    """Click a button of the next message box once it is shown; returns what it said."""
    seen: list[str] = []

    def press() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(f"{box.text()} | {box.informativeText()}")
        seen.extend(b.text() for b in box.buttons())
        click(box).click()  # type: ignore[attr-defined]

    QTimer.singleShot(0, press)
    return seen


def test_the_unsaved_question_offers_save_discard_cancel(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    seen = answer_box(lambda box: box.button(QMessageBox.StandardButton.Discard))
    assert REAL_ASK_UNSAVED(parent, "<b>qa</b>", True) is dialogs.UnsavedChoice.DISCARD
    assert seen[0].startswith("Your edit of the prompt “<b>qa</b>” is not saved")
    assert "&Save…" in seen
    seen = answer_box(lambda box: box.buttons()[0])
    assert REAL_ASK_UNSAVED(parent, "qa", False) is dialogs.UnsavedChoice.KEEP
    assert "open read-only" in seen[0] and "&Keep Draft" in seen
    answer_box(lambda box: box.button(QMessageBox.StandardButton.Cancel))
    assert REAL_ASK_UNSAVED(parent, "qa", True) is dialogs.UnsavedChoice.CANCEL


def test_deleting_an_alias_is_confirmed(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    seen = answer_box(lambda box: box.button(QMessageBox.StandardButton.Yes))
    assert REAL_CONFIRM_DELETE(parent, "qa", "production", 2) is True
    assert "prompts:/qa@production will stop finding it" in seen[0]


def test_the_move_alias_dialog_checks_the_name(qtbot: QtBot) -> None:
    dialog = dialogs.MoveAliasDialog({"production": 2}, VERSIONS, 1)
    qtbot.addWidget(dialog)
    assert dialog.chosen() == ("production", 1)  # an existing alias, the selected version
    assert dialog.target.currentText() == "v1 — first"
    for name, problem in (
        ("", "Type an alias name."),
        ("Latest", "“latest” is reserved"),
        ("prod env", "letters, digits"),
    ):
        dialog.alias.setCurrentText(name)
        dialog._accept_if_valid()
        assert problem in dialog.problem.text() and dialog.result() == 0
    dialog.alias.setCurrentText("staging-2")
    dialog.target.setCurrentIndex(dialog.target.findData(3))
    dialog._accept_if_valid()
    assert dialog.result() == 1 and dialog.chosen() == ("staging-2", 3)


def test_the_save_dialog_says_what_a_chat_version_writes(qtbot: QtBot) -> None:
    base = PromptVersion("helper", 1, [{"role": "user", "content": "{{ q }}"}], tags={"team": "x"})
    chat = [
        {"role": "system", "content": "Be <b>brief</b>."},
        {"role": "user", "content": "{{ q }}"},
    ]
    new = NewVersion("helper", 2, chat, base, aliases={})
    dialog = dialogs.CommitMessageDialog(new, "Edited from version 1", None)
    qtbot.addWidget(dialog)
    assert dialog.said().splitlines() == [
        "Save “helper” as version 2",
        "Template: Chat template, edited from version 1:",
        "Commit message: Edited from version 1",
        "Optional, as in MLflow, but a short note of what changed helps whoever reads the history.",
        "Tags: None (version 1's tags are not copied: team).",
        "Aliases: None (prompts:/helper@latest will load version 2).",
    ]
    assert "Be <b>brief</b>." in dialog.template.toPlainText()  # shown as written, escaped
    several = NewVersion("qa", 4, "x", VERSIONS[0], {"staging": 3, "production": 2})
    assert dialogs.aliases_text(several) == (
        "Not moved: production stays at version 2, staging at version 3 "
        "(prompts:/qa@latest will load version 4)."
    )
