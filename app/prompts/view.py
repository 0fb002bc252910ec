"""`PromptsView`: the widgets of the Prompts page and how they sit — the list on the left; on the
right the selected prompt's header and history above its tabs (Template, Diff, Try It, Traces)
or, while editing, the editor. The page (`app/prompts/page.py`) decides what they show.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.messages.browser import SafeTextBrowser, is_dark
from app.prompts.detail import VersionPanel
from app.prompts.diff_view import DiffPane
from app.prompts.editor import PromptEditor
from app.prompts.list_panel import PromptListPanel
from app.prompts.template_html import template_html
from app.prompts.traces import TracesPane
from app.prompts.try_pane import TryItPane
from app.tasks import TaskRunner
from app.theme import follow_palette
from core.entities.prompt import PromptVersion
from core.store import Store


class PromptsView(QWidget):
    """Every widget of the page, laid out; `show_*` switch what the right side shows."""

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list_panel = PromptListPanel(tasks, self)
        self.versions = VersionPanel(tasks, self)
        self.template_view = SafeTextBrowser(self)
        self.template_view.setObjectName("templateView")
        self._shown: PromptVersion | None = None
        follow_palette(self.template_view, self._show_template)
        self.diff = DiffPane(self)
        self.try_it = TryItPane(tasks, self)
        self.traces = TracesPane(tasks, self)
        self.tabs = self._tabs()
        self.editor = PromptEditor(self)
        self.lower_stack = QStackedWidget(self)
        self.lower_stack.addWidget(self.tabs)
        self.lower_stack.addWidget(self.editor)
        self.placeholder = QLabel(self)
        self.placeholder.setObjectName("promptPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.content = QStackedWidget(self)
        self.content.addWidget(self.placeholder)
        self.content.addWidget(self._right_side())
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("promptsSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.list_panel)
        self.splitter.addWidget(self.content)
        self.splitter.setStretchFactor(1, 1)
        # scaled to the first width: 45 % for the list, room for a prompt's alias chips
        self.splitter.setSizes([450, 550])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def _tabs(self) -> QTabWidget:
        tabs = QTabWidget(self)
        tabs.setObjectName("promptTabs")
        tabs.setDocumentMode(True)
        tabs.addTab(self.template_view, "Template")
        tabs.addTab(self.diff, "Diff")
        tabs.addTab(self.try_it, "Try It")
        tabs.addTab(self.traces, "Traces")
        return tabs

    def _right_side(self) -> QSplitter:
        right = QSplitter(Qt.Orientation.Vertical, self)
        right.setObjectName("promptDetailSplitter")
        right.setChildrenCollapsible(False)
        right.addWidget(self.versions)
        right.addWidget(self.lower_stack)
        right.setStretchFactor(1, 2)
        return right

    @property
    def is_editing_shown(self) -> bool:
        return self.lower_stack.currentWidget() is self.editor

    def show_placeholder(self, text: str) -> None:
        self.placeholder.setText(text)
        self.content.setCurrentWidget(self.placeholder)

    def show_content(self) -> None:
        self.content.setCurrentIndex(1)

    def show_editor(self) -> None:
        self.show_content()
        self.lower_stack.setCurrentWidget(self.editor)
        self.editor.focus_editor()

    def show_tabs(self) -> None:
        self.lower_stack.setCurrentWidget(self.tabs)

    def show_version(
        self,
        version: PromptVersion | None,
        versions: Sequence[PromptVersion],
        store: Store | None,
        name: str,
    ) -> None:
        """Render one version in every tab (template, diff against it, try-it form, traces)."""
        self._shown = version
        self._show_template()
        selected = version.version if version is not None else None
        self.diff.set_versions(versions, selected)
        self.try_it.set_version(version)
        self.traces.load(store, name, selected)

    def _show_template(self) -> None:
        """The shown version's template, in the theme's colours (drawn again when it changes)."""
        version = self._shown
        if version is None:
            self.template_view.clear()
            return
        html = template_html(version.template, version.variables, is_dark(self.palette()))
        self.template_view.setHtml(html)
        self.template_view.copy_all = lambda: raw_template(version)


def raw_template(version: PromptVersion) -> str:
    """The template as stored: the text, or the chat messages as JSON."""
    template = version.template
    return template if isinstance(template, str) else json.dumps(template, indent=2)
