"""The Prompts page's questions: unsaved changes, the commit message, moving an alias.

Each `ask_*` function shows a modal dialog and returns the answer (None when cancelled); the
page calls them through this module, so tests can answer in their place.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.formatting import one_line
from core.entities.prompt import PromptVersion

ALIAS = re.compile(r"^[A-Za-z0-9_-]+$")


class UnsavedChoice(enum.Enum):
    SAVE = "save"  # write the draft as a new version first
    KEEP = "keep"  # read-only store: leave the draft stored, to be offered back later
    DISCARD = "discard"
    CANCEL = "cancel"


def ask_unsaved(parent: QWidget, name: str, can_save: bool) -> UnsavedChoice:
    """Save / Discard / Cancel for the unsaved draft of prompt `name`."""
    box = QMessageBox(QMessageBox.Icon.Question, "Unsaved Prompt", "", parent=parent)
    box.setObjectName("unsavedPromptBox")
    box.setTextFormat(Qt.TextFormat.PlainText)  # the name comes from the database
    box.setText(f"Your edit of the prompt “{name}” is not saved as a version yet.")
    if can_save:
        box.setInformativeText("Save it as a new version before going on?")
        save = box.addButton("&Save…", QMessageBox.ButtonRole.AcceptRole)
    else:
        box.setInformativeText(
            "The database is open read-only. Keep the draft to save it when you open the "
            "prompt again with editing enabled, or discard it."
        )
        save = box.addButton("&Keep Draft", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton(QMessageBox.StandardButton.Discard)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(save)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    if clicked is save:
        return UnsavedChoice.SAVE if can_save else UnsavedChoice.KEEP
    return UnsavedChoice.DISCARD if clicked is discard else UnsavedChoice.CANCEL


class CommitMessageDialog(QDialog):
    """Asks for the commit message of a new version, starting from a suggestion."""

    def __init__(self, name: str, version: int, suggestion: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("commitMessageDialog")
        self.setWindowTitle("Save Prompt Version")
        title = QLabel(f"Save “{name}” as version {version}", self)
        title.setTextFormat(Qt.TextFormat.PlainText)
        title.setObjectName("commitTitle")
        self.message = QLineEdit(suggestion, self)
        self.message.setObjectName("commitMessage")
        self.message.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 60))
        self.message.selectAll()
        hint = QLabel(
            "Commit message — optional, as in MLflow, but a short note of what changed helps "
            "whoever reads the history.",
            self,
        )
        hint.setWordWrap(True)
        hint.setObjectName("commitHint")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.message)
        layout.addWidget(hint)
        layout.addWidget(buttons)


def ask_commit_message(parent: QWidget, name: str, version: int, suggestion: str) -> str | None:
    """The commit message for version `version` ("" for none), or None when cancelled."""
    dialog = CommitMessageDialog(name, version, suggestion, parent)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    text = dialog.message.text().strip()
    dialog.deleteLater()
    return text if accepted else None


class MoveAliasDialog(QDialog):
    """Choose an alias (existing or new) and the version it should point at."""

    def __init__(
        self,
        aliases: Mapping[str, int],
        versions: Sequence[PromptVersion],
        version: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("moveAliasDialog")
        self.setWindowTitle("Move Alias")
        self.alias = _alias_box(aliases, self)
        self.target = _version_box(versions, version, self)
        self.problem = QLabel(self)
        self.problem.setObjectName("aliasProblem")
        self.problem.setStyleSheet("color: #dc2626;")
        self.problem.hide()
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Move")
        self._buttons.accepted.connect(self._accept_if_valid)
        self._buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Alias:", self.alias)
        form.addRow("Points at:", self.target)
        form.addRow(self.problem)
        form.addRow(self._buttons)

    def chosen(self) -> tuple[str, int]:
        return self.alias.currentText().strip(), int(self.target.currentData())

    def problem_text(self) -> str | None:
        alias = self.chosen()[0]
        if not alias:
            return "Type an alias name."
        if alias.lower() == "latest":
            return "“latest” is reserved: it always means the newest version."
        if not ALIAS.match(alias):
            return "An alias uses letters, digits, “-” and “_” only."
        return None

    def _accept_if_valid(self) -> None:
        problem = self.problem_text()
        if problem:
            self.problem.setText(problem)
            self.problem.show()
            return
        self.accept()


def _alias_box(aliases: Mapping[str, int], parent: QWidget) -> QComboBox:
    """The existing aliases to pick from; any new name may be typed."""
    box = QComboBox(parent)
    box.setObjectName("aliasName")
    box.setEditable(True)
    box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    for alias, target in sorted(aliases.items()):
        box.addItem(f"{alias}", target)
        box.setItemData(box.count() - 1, f"now at v{target}", Qt.ItemDataRole.ToolTipRole)
    box.setCurrentText(next(iter(sorted(aliases)), "production"))
    edit = box.lineEdit()
    if edit is not None:
        edit.setPlaceholderText("production")
    return box


def _version_box(versions: Sequence[PromptVersion], version: int, parent: QWidget) -> QComboBox:
    """The versions an alias may point at, with their commit messages; `version` chosen."""
    box = QComboBox(parent)
    box.setObjectName("aliasTarget")
    for item in versions:
        message = one_line(item.commit_message, 60)
        box.addItem(f"v{item.version}" + (f" — {message}" if message else ""), item.version)
    box.setCurrentIndex(max(box.findData(version), 0))
    return box


def ask_move_alias(
    parent: QWidget, aliases: Mapping[str, int], versions: Sequence[PromptVersion], version: int
) -> tuple[str, int] | None:
    """(alias, version) to point it at, or None when cancelled."""
    dialog = MoveAliasDialog(aliases, versions, version, parent)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    chosen = dialog.chosen()
    dialog.deleteLater()
    return chosen if accepted else None


def confirm_delete_alias(parent: QWidget, name: str, alias: str, version: int) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, "Delete Alias", "", parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(f"Delete the alias “{alias}” of “{name}” (now at version {version})?")
    box.setInformativeText(f"Code that loads prompts:/{name}@{alias} will stop finding it.")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box.exec() == QMessageBox.StandardButton.Yes
