"""`DiffPane`: two versions of a prompt side by side, changed words marked (Ctrl+D).

The version on the right is the one selected in the history; "Compare with" picks the other
(by default the version before it). The diff is computed here from versions already read:
prompt templates are small, and `difflib` on a few thousand words takes milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.formatting import local_time, one_line
from app.messages.browser import SafeTextBrowser, is_dark
from app.prompts.diff import DiffStats, side_by_side
from app.prompts.template_html import muted
from app.theme import follow_palette
from core.entities.prompt import PromptVersion


def version_title(version: PromptVersion) -> str:
    when = f" · {local_time(version.creation_time)}" if version.creation_time else ""
    return f"Version {version.version}{when}"


class DiffPane(QWidget):
    """Compare any two versions of the selected prompt."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diffPane")
        follow_palette(self, self.refresh)
        self._versions: dict[int, PromptVersion] = {}
        self.stats = DiffStats()
        self.old = QComboBox(self)
        self.old.setObjectName("compareWith")
        self.old.setToolTip("The version to compare with (left)")
        self.new = QComboBox(self)
        self.new.setObjectName("compareVersion")
        self.summary = QLabel(self)
        self.summary.setObjectName("diffSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.view = SafeTextBrowser(self)
        self.view.setObjectName("diffView")
        self.old.currentIndexChanged.connect(lambda _i: self.refresh())
        self.new.currentIndexChanged.connect(lambda _i: self.refresh())
        top = QHBoxLayout()
        top.setContentsMargins(8, 6, 8, 0)
        top.addWidget(QLabel("Compare", self))
        top.addWidget(self.old)
        top.addWidget(QLabel("with", self))
        top.addWidget(self.new)
        top.addSpacing(12)
        top.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

    def set_versions(self, versions: Sequence[PromptVersion], selected: int | None) -> None:
        """The prompt's versions (any order) and the one selected in the history."""
        self._versions = {v.version: v for v in versions}
        ordered = sorted(self._versions, reverse=True)
        for combo in (self.old, self.new):
            combo.blockSignals(True)
            combo.clear()
            for number in ordered:
                message = one_line(self._versions[number].commit_message, 50)
                combo.addItem(f"v{number}" + (f" — {message}" if message else ""), number)
            combo.blockSignals(False)
        if selected is not None:
            earlier = [n for n in ordered if n < selected]
            later = [n for n in reversed(ordered) if n > selected]
            self.compare((earlier or later or [selected])[0], selected)
        else:
            self.refresh()

    def compare(self, old: int, new: int) -> None:
        """Show version `old` (left) against version `new` (right)."""
        for combo, number in ((self.old, old), (self.new, new)):
            combo.blockSignals(True)
            combo.setCurrentIndex(combo.findData(number))
            combo.blockSignals(False)
        self.refresh()

    def focus_compare(self) -> None:
        self.old.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def refresh(self) -> None:
        """Draw the diff of the two versions chosen."""
        old = self._versions.get(self.old.currentData())
        new = self._versions.get(self.new.currentData())
        if old is None or new is None:
            self.stats = DiffStats()
            self.summary.clear()
            self.view.setHtml(muted("Select a prompt with at least one version."))
            return
        table, self.stats = side_by_side(
            old.template,
            new.template,
            version_title(old),
            version_title(new),
            is_dark(self.palette()),
        )
        notes = [self.stats.summary]
        if old.is_text_prompt != new.is_text_prompt:
            notes.append("One is a text template and the other a chat template.")
        if old.version == new.version:
            notes = ["The same version on both sides."]
        self.summary.setText(" ".join(notes))
        self.view.copy_all = lambda: _plain(old, new)
        self.view.setHtml(table)


def _plain(old: PromptVersion, new: PromptVersion) -> str:
    """What Ctrl+C copies with nothing selected: a unified diff of the two versions."""
    import difflib
    import json

    def lines(version: PromptVersion) -> list[str]:
        text = version.template
        shown = text if isinstance(text, str) else json.dumps(text, indent=2, ensure_ascii=False)
        return shown.splitlines(keepends=True)

    return "".join(
        difflib.unified_diff(lines(old), lines(new), f"v{old.version}", f"v{new.version}")
    )
