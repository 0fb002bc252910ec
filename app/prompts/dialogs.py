"""The Prompts page's questions: unsaved changes, saving a version, moving an alias.

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
    QWidget,
)

from app.formatting import one_line
from app.messages.browser import SafeTextBrowser, is_dark
from app.prompts.data import NewVersion
from app.prompts.template_html import template_html
from core.entities.prompt import PromptVersion, template_variables

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
    """Says what saving writes (`data.NewVersion`) and asks for its commit message."""

    def __init__(self, new: NewVersion, suggestion: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("commitMessageDialog")
        self.setWindowTitle("Save Prompt Version")
        title = _title(f"Save “{new.name}” as version {new.version}", "commitTitle", self)
        self.template = SafeTextBrowser(self)
        self.template.setObjectName("commitTemplate")
        variables = template_variables(new.template)
        self.template.setHtml(template_html(new.template, variables, is_dark(self.palette())))
        self.template.setMaximumHeight(self.fontMetrics().lineSpacing() * 9)
        facts = _plain_label(template_facts(new), "commitTemplateFacts", self)
        self.message = QLineEdit(suggestion, self)
        self.message.setObjectName("commitMessage")
        self.message.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 60))
        self.message.selectAll()
        hint = _plain_label(
            "Optional, as in MLflow, but a short note of what changed helps whoever reads "
            "the history.",
            "commitHint",
            self,
        )
        self.tags = _plain_label(tags_text(new), "commitTags", self)
        self.aliases = _plain_label(aliases_text(new), "commitAliases", self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = self._form = QFormLayout(self)
        form.addRow(title)
        form.addRow("Template:", facts)
        form.addRow(self.template)
        form.addRow("Commit message:", self.message)
        form.addRow("", hint)
        form.addRow("Tags:", self.tags)
        form.addRow("Aliases:", self.aliases)
        form.addRow(buttons)
        self.message.setFocus()

    def said(self) -> str:
        """What the dialog says will be written, as plain text lines (the template aside)."""
        return form_text(self._form)


def template_facts(new: NewVersion) -> str:
    """ "Text template, edited from version 2" (the preview below shows it and its variables)."""
    kind = "Text template" if isinstance(new.template, str) else "Chat template"
    return f"{kind}, edited from version {new.base.version}:"


def tags_text(new: NewVersion) -> str:
    """The new version's tags; a base version's tags are not copied, and the text says so."""
    if new.tags:
        return ", ".join(f"{k} = {v}" for k, v in sorted(new.tags.items()))
    if new.base.tags:
        keys = ", ".join(sorted(new.base.tags))
        return f"None (version {new.base.version}'s tags are not copied: {keys})."
    return "None."


def aliases_text(new: NewVersion) -> str:
    """Where the aliases stay (a save moves none) and what `@latest` will load."""
    latest = f"prompts:/{new.name}@latest will load version {new.version}"
    if not new.aliases:
        return f"None ({latest})."
    (alias, version), *others = sorted(new.aliases.items())
    stay = f"{alias} stays at version {version}" + "".join(
        f", {a} at version {v}" for a, v in others
    )
    return f"Not moved: {stay} ({latest})."


def ask_commit_message(parent: QWidget, new: NewVersion, suggestion: str) -> str | None:
    """The commit message for `new` ("" for none), or None when cancelled."""
    dialog = CommitMessageDialog(new, suggestion, parent)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    text = dialog.message.text().strip()
    dialog.deleteLater()
    return text if accepted else None


class MoveAliasDialog(QDialog):
    """Choose an alias (existing or new) and the version it should point at; the dialog says
    where the alias is now and what the move changes."""

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
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 60))
        self._aliases = dict(aliases)
        self._messages = {v.version: one_line(v.commit_message, 60) for v in versions}
        name = versions[0].name if versions else ""
        title = _title(f"Point an alias of “{name}” at a version", "moveAliasTitle", self)
        self.alias = _alias_box(aliases, self)
        self.now = _plain_label("", "aliasNow", self)
        self.target = _version_box(versions, version, self)
        self.change = _plain_label("", "aliasChange", self)
        self.problem = _plain_label("", "aliasProblem", self)
        self.problem.setStyleSheet("color: #dc2626;")
        self.problem.hide()
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self._move = self._buttons.button(QDialogButtonBox.StandardButton.Ok)
        self._move.setText("Move")
        self._buttons.accepted.connect(self._accept_if_valid)
        self._buttons.rejected.connect(self.reject)
        form = self._form = QFormLayout(self)
        form.addRow(title)
        form.addRow("Alias:", self.alias)
        form.addRow("Now:", self.now)
        form.addRow("Move to:", self.target)
        form.addRow(self.change)
        form.addRow(self.problem)
        form.addRow(self._buttons)
        self.alias.currentTextChanged.connect(self._describe)
        self.target.currentIndexChanged.connect(self._describe)
        self._describe()

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

    def _describe(self) -> None:
        """Where the chosen alias is now, and what Move would change (nothing: disabled)."""
        alias, target = self.chosen()
        self.problem.hide()
        now = self._aliases.get(alias)
        if not alias:
            self.now.setText("—")
            self.change.setText("")
        elif now is None:
            self.now.setText(f"“{alias}” is not set: a new alias.")
            self.change.setText(f"“{alias}” will be created at version {target}.")
        else:
            message = self._messages.get(now)
            self.now.setText(
                f"“{alias}” is now at version {now}" + (f" — {message}" if message else "")
            )
            self.change.setText(
                f"“{alias}” already points at version {target}: nothing to move."
                if now == target
                else f"“{alias}” will move from version {now} to version {target}."
            )
        self._move.setEnabled(now != target)

    def said(self) -> str:
        """What the dialog shows, as plain text lines."""
        return form_text(self._form)

    def _accept_if_valid(self) -> None:
        problem = self.problem_text()
        if problem:
            self.problem.setText(problem)
            self.problem.show()
            return
        self.accept()


def form_text(form: QFormLayout) -> str:
    """A form's rows as "Label: text" lines: its labels, line edits and combo boxes."""
    lines = []
    for row in range(form.rowCount()):
        texts = []
        for widget in _row_widgets(form, row):
            if isinstance(widget, QLabel | QLineEdit) and not widget.isHidden():
                texts.append(widget.text())
            elif isinstance(widget, QComboBox):
                texts.append(widget.currentText())
        line = " ".join(t for t in texts if t)
        if line:
            lines.append(line)
    return "\n".join(lines)


def _row_widgets(form: QFormLayout, row: int) -> list[QWidget]:
    """The label and field of a form row, or its one spanning widget."""
    found: list[QWidget] = []
    for role in (QFormLayout.ItemRole.LabelRole, QFormLayout.ItemRole.FieldRole):
        item = form.itemAt(row, role)
        widget = item.widget() if item is not None else None
        if widget is not None and widget not in found:
            found.append(widget)
    return found


def _title(text: str, name: str, parent: QWidget) -> QLabel:
    """A dialog's first line, in bold."""
    label = _plain_label(text, name, parent)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def _plain_label(text: str, name: str, parent: QWidget) -> QLabel:
    """A label showing `text` as written (names come from the database), wrapped."""
    label = QLabel(text, parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


def _alias_box(aliases: Mapping[str, int], parent: QWidget) -> QComboBox:
    """The existing aliases to pick from (with where each is now); any new name may be typed."""
    box = QComboBox(parent)
    box.setObjectName("aliasName")
    box.setEditable(True)
    box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    for alias, target in sorted(aliases.items()):
        box.addItem(f"{alias}", target)
        box.setItemData(box.count() - 1, f"now at version {target}", Qt.ItemDataRole.ToolTipRole)
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
