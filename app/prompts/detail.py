"""`VersionPanel`: the selected prompt's header (name, facts, alias chips, commands), a bar for
what the user should know (read-only, old layout, a stored draft) and its version history."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.chips import ChipDelegate
from app.explorer.flow import FlowLayout
from app.formatting import local_time
from app.prompts.bars import ActionBar
from app.prompts.models import VERSION_ROLE, VersionHistoryModel, alias_chips
from app.spans.filter_bar import no_mnemonic
from app.tasks import TaskRunner
from app.widgets import set_up_row_table
from core.entities.prompt import PromptVersion


class VersionPanel(QWidget):
    """Header, commands and history of one prompt; the page decides what the commands do."""

    version_selected = Signal(int)
    edit_clicked = Signal()
    compare_clicked = Signal()
    move_alias_clicked = Signal()
    delete_alias_clicked = Signal(str)

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("versionPanel")
        self.history = VersionHistoryModel(tasks, self)
        self.name = QLabel(self)
        self.name.setObjectName("promptName")
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts = QLabel(self)
        self.facts.setObjectName("promptFacts")
        self.facts.setTextFormat(Qt.TextFormat.PlainText)
        self._chips_widget = QWidget(self)
        self.chips = FlowLayout(self._chips_widget)
        self.bar = ActionBar("promptBar", self)
        self.view = self._history_view()
        self._buttons()
        self._lay_out()

    def _history_view(self) -> QTableView:
        view = QTableView(self)
        view.setObjectName("versionHistory")
        view.setModel(self.history)
        view.setItemDelegateForColumn(VersionHistoryModel.ALIASES, ChipDelegate(view))
        set_up_row_table(view)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(VersionHistoryModel.MESSAGE, QHeaderView.ResizeMode.Stretch)
        view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.history.modelReset.connect(self._fit_columns)
        return view

    def _buttons(self) -> None:
        self.edit_button = QPushButton("E&dit", self)
        self.edit_button.setObjectName("editPrompt")
        self.edit_button.setToolTip("Edit a new version starting from this one (Ctrl+E)")
        self.compare_button = QPushButton("Compare…", self)
        self.compare_button.setToolTip("Compare this version with another (Ctrl+D)")
        self.move_button = QPushButton("Move Alias…", self)
        self.move_button.setObjectName("moveAlias")
        self.delete_button = QPushButton("Delete Alias", self)
        self.delete_button.setObjectName("deleteAlias")
        self.delete_menu = QMenu(self.delete_button)
        self.delete_button.setMenu(self.delete_menu)
        self.edit_button.clicked.connect(self.edit_clicked)
        self.compare_button.clicked.connect(self.compare_clicked)
        self.move_button.clicked.connect(self.move_alias_clicked)

    def _lay_out(self) -> None:
        commands = QHBoxLayout()
        commands.setSpacing(6)
        commands.addWidget(self.name)
        commands.addStretch(1)
        for button in (self.edit_button, self.compare_button, self.move_button):
            commands.addWidget(button)
        commands.addWidget(self.delete_button)
        header = QWidget(self)
        header.setObjectName("promptHeader")
        column = QVBoxLayout(header)
        column.setContentsMargins(10, 8, 10, 6)
        column.setSpacing(4)
        column.addLayout(commands)
        column.addWidget(self.facts)
        column.addWidget(self._chips_widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(self.bar)
        layout.addWidget(self.view, 1)

    # -- showing a prompt -----------------------------------------------------------------------

    def show_header(self, name: str, versions: list[PromptVersion]) -> None:
        """Name, facts and alias chips of the prompt whose `versions` (newest first) are shown."""
        self.name.setText(name)
        if not versions:
            self.facts.setText("No versions.")
            self._show_chips({})
            self._enable(False)
            return
        latest = versions[0]
        kind = "text" if latest.is_text_prompt else "chat"
        when = f" · last version {local_time(latest.creation_time)}" if latest.creation_time else ""
        count = f"{len(versions)} version{'s' if len(versions) != 1 else ''}"
        self.facts.setText(f"Latest v{latest.version} · {count} · {kind} template{when}")
        aliases = {a: v.version for v in versions for a in v.aliases}
        self._show_chips(aliases)
        self._enable(True)

    def _show_chips(self, aliases: Mapping[str, int]) -> None:
        self.chips.clear()
        for text in alias_chips(aliases):
            chip = QLabel(text, self._chips_widget)
            chip.setObjectName("aliasChip")
            chip.setTextFormat(Qt.TextFormat.PlainText)
            self.chips.addWidget(chip)
        self._chips_widget.setVisible(bool(aliases))
        self.delete_menu.clear()
        for alias, version in sorted(aliases.items()):
            action = self.delete_menu.addAction(no_mnemonic(f"{alias} (v{version})"))
            action.triggered.connect(lambda _c=False, a=alias: self.delete_alias_clicked.emit(a))
        self.delete_button.setEnabled(bool(aliases))

    def _enable(self, enabled: bool) -> None:
        for button in (self.edit_button, self.compare_button, self.move_button):
            button.setEnabled(enabled)

    def clear(self) -> None:
        self.history.clear()
        self.name.clear()
        self.facts.clear()
        self._show_chips({})
        self.bar.hide_bar()

    # -- the selected version ------------------------------------------------------------------

    def select_version(self, version: int | None) -> bool:
        """Select `version` (the newest when None) without emitting `version_selected`."""
        row = 0 if version is None else self.history.row_of(version)
        if row is None or row >= self.history.rowCount():
            return False
        self.view.blockSignals(True)
        self.view.selectionModel().blockSignals(True)
        self.view.selectRow(row)
        self.view.selectionModel().blockSignals(False)
        self.view.blockSignals(False)
        self.view.viewport().update()
        return True

    def current_version(self) -> PromptVersion | None:
        rows = self.view.selectionModel().selectedRows()
        return self.history.version(rows[0].row()) if rows else None

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes:
            self.version_selected.emit(int(indexes[0].data(VERSION_ROLE)))

    def _fit_columns(self) -> None:
        for column in (VersionHistoryModel.VERSION, VersionHistoryModel.CREATED):
            self.view.resizeColumnToContents(column)
        self.view.setColumnWidth(VersionHistoryModel.ALIASES, 180)
