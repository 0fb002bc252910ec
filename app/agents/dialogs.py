"""The Agents page's dialogs: "Run this code?" before a model's first run, and Set Alias.

Approvals are remembered in QSettings per (model, version, hash of the code file): a changed
file is asked about again. Both dialogs are opened with `open()` and never block the loop.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.agents.data import CodeFacts
from app.agents.session import Prepared
from app.messages.browser import SafeTextBrowser, is_dark
from app.messages.highlight import code_block
from app.theme import follow_palette
from core.store import check_alias

APPROVALS = "agents/approved"


def _approval_setting(key: tuple[str, int, str]) -> str:
    name, version, digest = key
    token = hashlib.sha256(f"{name}\0{version}\0{digest}".encode()).hexdigest()[:40]
    return f"{APPROVALS}/{token}"


def is_approved(key: tuple[str, int, str]) -> bool:
    """Whether the user already agreed to run this code file of this model version."""
    return bool(key[2]) and QSettings().contains(_approval_setting(key))


def approve(key: tuple[str, int, str], path: str) -> None:
    QSettings().setValue(_approval_setting(key), f"{path} · {time.strftime('%Y-%m-%d %H:%M')}")


def _label(text: str, parent: QWidget, name: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)  # paths and names come from the database
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


def code_html(code: CodeFacts, dark: bool) -> str:
    """The code file highlighted (escaped), with a note when it was cut."""
    body = code_block(code.text, "python", dark)
    if code.truncated:
        body += (
            f"<p style='color:gray'>… the file is {code.size:,} bytes; the rest is not shown.</p>"
        )
    return body


def show_highlighted(view: SafeTextBrowser, code: CodeFacts) -> None:
    """Show `code` highlighted in the theme's colours, and again (where the reader was) when
    the theme changes while the window is open."""

    def render() -> None:
        at = view.verticalScrollBar().value()
        view.setHtml(code_html(code, is_dark(view.palette())))
        view.verticalScrollBar().setValue(at)

    render()
    follow_palette(view, render)


class RunCodeDialog(QDialog):
    """Says which file the first run of a model will execute; Run or Cancel."""

    def __init__(self, prepared: Prepared, python: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runCodeDialog")
        self.setWindowTitle("Run This Code?")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.prepared = prepared
        layout = QVBoxLayout(self)
        question = _label("Run this code?", self, "runCodeQuestion")
        question.setStyleSheet("font-size: 13pt; font-weight: 600;")
        layout.addWidget(question)
        title = f"{prepared.name} · version {prepared.version}"
        layout.addWidget(
            _label(f"Loading {title} runs this file in a separate process:", self, "runCodeHeading")
        )
        code = prepared.code
        path = str(code.path) if code is not None else "(no code file: MLflow loads the folder)"
        path_label = _label(path, self, "runCodePath")
        path_label.setStyleSheet("font-family: monospace; font-weight: 600;")
        layout.addWidget(path_label)
        layout.addWidget(_label(self._facts(python), self, "runCodeFacts"))
        self.code_view = self._code_view(code)
        layout.addWidget(self.code_view, 1)
        layout.addWidget(self._buttons())
        self.resize(720, 230)

    def _code_view(self, code: CodeFacts | None) -> SafeTextBrowser:
        """The file's text, hidden until View Code is pressed."""
        view = SafeTextBrowser(self)
        view.setObjectName("runCodeText")
        view.setLineWrapMode(SafeTextBrowser.LineWrapMode.NoWrap)
        if code is not None:
            show_highlighted(view, code)
        view.setVisible(False)
        return view

    def _facts(self, python: str) -> str:
        code = self.prepared.code
        lines = [f"Interpreter: {python}"]
        if code is not None and code.error:
            lines.append(code.error)
        elif code is not None:
            imports = ", ".join(code.imports) or "nothing"
            lines.append(f"It imports {imports}. SHA-256 {code.sha256[:16]}…")
        lines.append(
            "Run it only if you trust where it came from: it can do anything your account can. "
            "You are asked once per version and file content."
        )
        return "\n".join(lines)

    def _buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox(self)
        self.view_button = QPushButton("&View Code", self)
        self.view_button.setObjectName("viewCodeButton")
        self.view_button.setCheckable(True)
        self.view_button.setEnabled(self.prepared.code is not None)
        self.view_button.toggled.connect(self._show_code)
        buttons.addButton(self.view_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.run_button = buttons.addButton("&Run", QDialogButtonBox.ButtonRole.AcceptRole)
        self.run_button.setAutoDefault(False)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)  # Enter does not run code by accident
        cancel.setFocus()
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        return buttons

    def _show_code(self, shown: bool) -> None:
        self.code_view.setVisible(shown)
        self.resize(self.width(), 600 if shown else 230)


class SetAliasDialog(QDialog):
    """Point an alias of a registered model at one of its versions."""

    alias_chosen = Signal(str, int)  # alias, version

    def __init__(
        self, model: str, versions: Sequence[int], current: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("setAliasDialog")
        self.setWindowTitle("Set Alias")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.alias_edit = QLineEdit(self)
        self.alias_edit.setObjectName("aliasEdit")
        self.alias_edit.setPlaceholderText("champion")
        self.version_box = QComboBox(self)
        for number in versions:
            self.version_box.addItem(f"Version {number}", number)
        self.version_box.setCurrentIndex(max(0, self.version_box.findData(current)))
        self.message = _label("", self, "aliasMessage")
        self.message.setStyleSheet("color: #b91c1c;")
        self.message.hide()
        form = QFormLayout()
        form.addRow("Alias:", self.alias_edit)
        form.addRow("Version:", self.version_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._choose)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = f"An alias names a version of {model} in URIs such as models:/{model}@alias."
        layout.addWidget(_label(intro, self))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def _choose(self) -> None:
        alias = self.alias_edit.text().strip()
        try:
            check_alias(alias)
        except ValueError as error:
            self.message.setText(str(error))
            self.message.show()
            return
        self.alias_chosen.emit(alias, int(self.version_box.currentData()))
        self.accept()


def show_code(parent: QWidget, code: CodeFacts) -> QDialog:
    """A non-blocking window with a code file's text (highlighted, never run)."""
    dialog = QDialog(parent)
    dialog.setObjectName("codeDialog")
    dialog.setWindowTitle(code.path.name)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    view = SafeTextBrowser(dialog)
    view.setObjectName("codeText")
    view.setLineWrapMode(SafeTextBrowser.LineWrapMode.NoWrap)
    if code.error and not code.text:
        view.setPlainText(code.error)
    else:
        show_highlighted(view, code)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(_label(str(code.path), dialog, "codePath"))
    layout.addWidget(view, 1)
    layout.addWidget(buttons)
    dialog.resize(760, 560)
    dialog.open()
    return dialog
