"""`AgentsPage`: registered agents and their versions on the left, the chosen version's facts
below them; the agent process's controls, the chat and the process output on the right.

The page reads the store in the database thread (through its models), and runs the agent
through `AgentController`. Closing the database or the window stops the agent process without
asking: nothing is lost, the conversation's traces are in the database.

`replay` (issue 18) is how the window hands over a recorded agent turn: the page finds the
version that produced it, selects and loads it, and the chat sends the turn again.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHeaderView,
    QLabel,
    QListView,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import dialogs as app_dialogs
from app.agents.chat import ChatPane
from app.agents.controller import AgentController
from app.agents.data import AgentVersion, load_versions, read_code
from app.agents.details import VersionDetails
from app.agents.dialogs import SetAliasDialog, show_code
from app.agents.logpane import AgentLogPane
from app.agents.models import ALIASES_COLUMN, AgentListModel, VersionTableModel
from app.agents.recorded import RecordedTurn
from app.agents.runbar import RunnerBar
from app.chips import ChipDelegate
from app.pages import Page
from app.tasks import TaskRunner
from app.widgets import set_up_row_table
from core.client import Client
from core.store import Store


def _caption(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setStyleSheet("font-weight: 600; padding: 4px 2px 2px 2px;")
    return label


class AgentsPage(Page):
    """Registered agents, load one, chat with it (see the module docstring)."""

    title = "&Agents"

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentsPage")
        self._tasks = tasks
        self.store: Store | None = None
        self._alias_after_editing = False
        self._last_chosen: AgentVersion | None = None
        self._location: str | None = None  # the file shown last (kept while none is open)
        self.model_list = AgentListModel(tasks, self)
        self.version_table = VersionTableModel(tasks, self)
        self.models_view = QListView(self)
        self.versions_view = QTableView(self)
        self.details = VersionDetails(self)
        self.bar = RunnerBar(self)
        self.chat = ChatPane(self)
        self.log = AgentLogPane(self)
        self.controller = AgentController(tasks, self.bar, self.chat, self.log, self)
        self._set_up_views()
        self._lay_out()
        self._connect()

    # -- building -----------------------------------------------------------------------------

    def _set_up_views(self) -> None:
        self.models_view.setObjectName("agentModels")
        self.models_view.setModel(self.model_list)
        self.models_view.setUniformItemSizes(True)
        view = self.versions_view
        view.setObjectName("agentVersions")
        view.setModel(self.version_table)
        view.setItemDelegateForColumn(ALIASES_COLUMN, ChipDelegate(view))
        set_up_row_table(view)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ALIASES_COLUMN, QHeaderView.ResizeMode.Stretch)

    def _lay_out(self) -> None:
        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(8, 6, 8, 4)
        column.addWidget(self.bar)
        column.addWidget(self.chat, 1)
        column.addWidget(self.log)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("agentsSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self._left_column())
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([400, 620])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def _left_column(self) -> QSplitter:
        """Models over versions over the chosen version's details (which scroll)."""
        left = QSplitter(Qt.Orientation.Vertical, self)
        left.setObjectName("agentsLeft")
        for caption, view in (
            ("Registered models", self.models_view),
            ("Versions", self.versions_view),
        ):
            holder = QWidget(left)
            column = QVBoxLayout(holder)
            column.setContentsMargins(6, 0, 0, 0)
            column.addWidget(_caption(caption, holder))
            column.addWidget(view, 1)
            left.addWidget(holder)
        scroll = QScrollArea(left)
        scroll.setObjectName("agentDetailsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.details)
        left.addWidget(scroll)
        left.setSizes([120, 120, 420])
        return left

    def _connect(self) -> None:
        self.models_view.selectionModel().selectionChanged.connect(self._model_chosen)
        self.versions_view.selectionModel().selectionChanged.connect(self._version_chosen)
        self.version_table.loaded.connect(self._versions_loaded)
        for model in (self.model_list, self.version_table):
            model.load_failed.connect(self.status_message)
        self.model_list.loaded.connect(self._models_loaded)
        self.bar.load_requested.connect(self.load_selected)
        self.details.view_code_requested.connect(self.view_code)
        self.details.set_alias_requested.connect(self.set_alias)
        self.controller.trace_requested.connect(self.trace_requested)
        self.controller.status_message.connect(self.status_message)
        for keys, slot in (("Ctrl+N", self.controller.new_conversation), ("Esc", self.stop)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # -- Page ---------------------------------------------------------------------------------

    def settings_changed(self) -> None:
        self.controller.show_settings()

    def set_client(self, client: Client | None) -> None:
        """Show the store's agents; another database stops the agent of the previous one.

        The window passes None before each new store: the same file reopened (for writing)
        keeps the agent, its conversation and the selection."""
        store = self.store = client.store() if client is not None else None
        if store is None:
            return  # the window shows no page now; the next store decides
        same_file = store.location.display == self._location
        self._location = store.location.display
        if not same_file:
            self.controller.discard("Stopped: another database was opened.")
            self.chat.new_conversation()
            self.log.clear()
            self.version_table.load(None, None)
            self.details.show_version(None)
        self.controller.set_store(store)
        self.model_list.load(store)
        if same_file and self._alias_after_editing and not store.read_only:
            self._alias_after_editing = False
            self.set_alias()

    def confirm_close(self) -> bool:
        """Stop the agent process without asking: nothing unsaved is lost."""
        self.controller.shutdown()
        return True

    # -- choosing -----------------------------------------------------------------------------

    @property
    def selected_version(self) -> AgentVersion | None:
        rows = self.versions_view.selectionModel().selectedRows()
        return self.version_table.item(rows[0].row()) if rows else None

    def select_model(self, name: str) -> bool:
        row = self.model_list.row_of(name)
        if row is not None:
            self.models_view.setCurrentIndex(self.model_list.index(row))
        return row is not None

    def select_version(self, version: int) -> bool:
        row = self.version_table.row_of(version)
        if row is not None:
            self.versions_view.selectRow(row)
        return row is not None

    def _models_loaded(self) -> None:
        loaded = self.controller.row  # a replay may have loaded one before the list came
        name = self.version_table.model_name or (loaded.version.name if loaded else None)
        if not (name and self.select_model(name)) and self.model_list.rowCount() > 0:
            self.models_view.setCurrentIndex(self.model_list.index(0))
        if self.model_list.rowCount() == 0:
            self.details.title.setText("This database has no registered models (prompts aside).")

    def _model_chosen(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        item = self.model_list.item(indexes[0].row()) if indexes else None
        if item is not None and item.name != self.version_table.model_name:
            self.version_table.load(self.store, item.name)

    def _versions_loaded(self) -> None:
        """Select the version loaded, else the one chosen before the reload, else the newest."""
        name = self.version_table.model_name
        wanted = [
            row.number
            for row in (self.controller.row, self._last_chosen)
            if row is not None and row.version.name == name
        ]
        found = any(self.select_version(number) for number in wanted)
        if not found and self.version_table.rowCount() > 0:
            self.versions_view.selectRow(0)
        if self.version_table.rowCount() == 0:
            self.details.show_version(None)

    def _version_chosen(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        row = self.selected_version
        self.details.show_version(row)
        self._last_chosen = row or self._last_chosen
        loaded = self.controller.row
        if loaded is not None and row is not None and loaded.version.uri != row.version.uri:
            self.controller.discard(f"Stopped {loaded.version.uri}: another version was chosen.")
            self.chat.new_conversation()
        elif loaded is not None and row is not None:
            self.controller.row = row  # fresher facts (aliases) of the same version

    # -- actions ------------------------------------------------------------------------------

    def load_selected(self) -> None:
        row = self.selected_version
        if self.store is None or row is None:
            self.status_message.emit("Choose a version to load.")
            return
        self.controller.load(self.store, row)

    def stop(self) -> None:
        self.controller.stop()

    def view_code(self) -> None:
        row = self.selected_version
        if row is None or row.code_file is None:
            return
        task = self._tasks.submit(read_code, row.code_file).describe("Reading the agent's code")
        task.on_finished(lambda code: show_code(self, code))

    def set_alias(self) -> None:
        """Set Alias…: needs the database open for writing (asks the window to reopen it)."""
        row, store = self.selected_version, self.store
        if row is None or store is None:
            return
        if store.read_only:
            if not store.layout.writable:
                self.status_message.emit(f"Aliases cannot be set in an {store.layout.label}.")
                return
            self._alias_after_editing = True
            self.status_message.emit("Setting an alias writes to the database: enabling editing…")
            self.editing_requested.emit()
            return
        dialog = SetAliasDialog(row.version.name, self.version_table.versions(), row.number, self)
        dialog.alias_chosen.connect(lambda alias, version: self._write_alias(row, alias, version))
        dialog.open()

    def _write_alias(self, row: AgentVersion, alias: str, version: int) -> None:
        if self.store is None:
            return
        name = row.version.name
        task = self._tasks.submit(self.store.models.set_alias, name, alias, version)
        task.on_finished(lambda _: self._alias_written(name, alias, version))
        task.on_failed(lambda error: app_dialogs.show_error(self, "Cannot Set Alias", str(error)))

    # -- replaying a recorded turn (issue 18) -------------------------------------------------

    def replay(self, recorded: RecordedTurn) -> None:
        """Send `recorded`'s last message again to the version that produced it, after the
        recorded conversation; its versions are read in the database thread first."""
        store = self.store
        if store is None:
            self.status_message.emit("Open the database the trace is in first.")
            return
        task = self._tasks.submit(load_versions, store, recorded.model_name)
        task.describe(f"Reading the versions of {recorded.model_name}")
        task.on_finished(lambda rows: self._replay_version(store, recorded, rows))
        task.on_failed(lambda error: self._replay_failed(store, recorded, f"Not sent: {error}"))

    def _replay_version(
        self, store: Store, recorded: RecordedTurn, rows: list[AgentVersion]
    ) -> None:
        if store is not self.store:
            return  # another database was opened meanwhile
        row = next((r for r in rows if r.number == recorded.version), None)
        if row is None:
            why = f"{recorded.model_name} has no version {recorded.version} in this database."
            self._replay_failed(store, recorded, f"Not sent: {why}")
            return
        self.controller.replay(store, row, recorded)
        if self.version_table.model_name == row.version.name:
            self.select_version(row.number)
        else:  # its versions load, then the one loading is selected (`_versions_loaded`)
            self.select_model(row.version.name)

    def _replay_failed(self, store: Store, recorded: RecordedTurn, message: str) -> None:
        if store is self.store:
            self.controller.replay_failed(recorded, message)

    def _alias_written(self, name: str, alias: str, version: int) -> None:
        self.status_message.emit(f"@{alias} of {name} now points at version {version}.")
        self.version_table.load(self.store, name)
        self.model_list.load(self.store)
