"""Pieces of the Rerun dialog: the "run this code?" confirmation and prompt descriptions.

`CodeConfirmDialog` shows a scorer file's path and its full text (plain text, read-only) and
runs nothing itself: the rerun runs the confirmed text later, in the job thread.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.evaluations.scorer_files import CodeFile
from core.entities.prompt import PromptVersion


def prompt_label(version: PromptVersion, full: bool = False) -> str:
    """`qa v2 (chat)` in the list; the template itself when `full`."""
    if not full:
        return f"{version.name} v{version.version} ({version.prompt_type})"
    if isinstance(version.template, str):
        return version.template
    return "\n".join(f"[{m.get('role', '?')}] {m.get('content', '')}" for m in version.template)


def prompt_note(version: PromptVersion, input_keys: Sequence[str]) -> str:
    """How the rows' inputs fill the prompt's variables, or why they will not."""
    variables = version.variables
    sent = "sent as one user message" if version.is_text_prompt else "sent as chat messages"
    if not variables:
        return f"No variables: every row gets the same prompt, {sent}."
    missing = [v for v in variables if v not in input_keys]
    named = ", ".join("{{ " + v + " }}" for v in variables)
    if not missing:
        return f"Fills {named} from the rows' inputs, {sent}."
    if len(missing) == 1 and (input_keys == ("messages",) or len(input_keys) == 1):
        source = "the last user message" if "messages" in input_keys else json.dumps(input_keys[0])
        return f"Fills {{{{ {missing[0]} }}}} from {source} of each row's inputs, {sent}."
    return (
        f"The rows' inputs have no {', '.join(missing)}: those rows will fail with a message "
        "saying so. Pick a prompt whose variables match the inputs."
    )


class CodeConfirmDialog(QDialog):
    """ "This will run code from <file>": the path, the text, and Run / Cancel."""

    def __init__(self, code: CodeFile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codeConfirmDialog")
        self.setWindowTitle("Run Code From a File?")
        self.code = code
        warning = QLabel(
            f"This will run code from {code.path}\n\nIt runs inside TraceDesk with your "
            "permissions. Read it, and run it only if you trust it."
        )
        warning.setObjectName("codeWarning")
        warning.setTextFormat(Qt.TextFormat.PlainText)
        warning.setWordWrap(True)
        text = QPlainTextEdit(code.text)
        text.setObjectName("codeText")
        text.setReadOnly(True)
        text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.run_button = buttons.addButton("Run This Code", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(warning)
        layout.addWidget(text, 1)
        layout.addWidget(buttons)
        self.resize(640, 480)
