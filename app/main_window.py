"""The main window: menus, experiments dock, filter bar, trace list, explorer and status bar.

Opening a database (`OpenDatabase`) runs `Store.open` in the database thread; the open store
is replaced only when the new one opened, so a bad file never costs the user the database
they had open. The features are wired here and work in their own objects: `QueryController`
(filter, sort, per-file state), `TraceCommands` (go to, export, copy), `LiveWatcher` (new
traces while the file is open).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent, QIcon, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import dialogs
from app.actions import WindowActions
from app.dock_width import DockWidthKeeper
from app.experiments.model import ExperimentListModel
from app.experiments.view import ExperimentListView
from app.explorer.agent_model import TraceAgent
from app.explorer.panel import TraceExplorer
from app.file_drops import FileDrops
from app.labeling.launcher import LabelingLauncher
from app.open_database import OpenDatabase
from app.otlp.launch import OtlpLauncher
from app.pages import Page
from app.query.bar import QueryBar
from app.query.controller import QueryController, file_key
from app.query.state import QueryHistory
from app.recent import RecentFiles, RecentMenu
from app.status import StoreStatusBar
from app.tasks import Task, TaskRunner
from app.theme import ThemeApplier
from app.tracediff.launch import CompareLauncher
from app.traces.commands import TraceCommands
from app.traces.dataset_dialog import open_add_to_dataset
from app.traces.exports import TraceExports
from app.traces.imports import TraceImports
from app.traces.live import LiveWatcher
from app.traces.menus import TraceListMenus
from app.traces.model import TraceListModel
from app.traces.terms import add_term
from app.traces.view import TraceListView
from app.welcome import WelcomePage
from app.widgets import NoticeBar
from app.workspace import TraceWorkspace
from core.client import Client
from core.entities import Span, Trace
from core.errors import LoginRefusedError, StoreError, StoreNotFoundError
from core.safe_text import isolated
from core.store import Store
from resources import resource_path

if TYPE_CHECKING:
    from app.agents.page import AgentsPage
    from app.evaluations.page import EvaluationsPage
    from app.insights.page import InsightsPage
    from app.prompts.page import PromptsPage

log = logging.getLogger(__name__)

FILE_FILTER = "MLflow tracking databases (*.db *.sqlite *.sqlite3);;All files (*)"
SETTINGS_LIVE = "live/enabled"
#: The experiments dock: its usual width, its least, and the window width that has room for it.
DOCK_WIDTH, DOCK_MIN_WIDTH, ROOMY_WIDTH = 240, 150, 1100


def app_icon() -> QIcon:
    return QIcon(str(resource_path("icons/tracedesk.svg")))


class MainWindow(QMainWindow):
    """One window over one open store at a time."""

    store_opened = Signal(object)  # the Store now shown
    store_closed = Signal()
    error_reported = Signal(str)  # every error message the user is shown

    def __init__(self, *, read_only: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = TaskRunner(self)
        self.database = OpenDatabase(self.tasks, read_only=read_only)
        self.recent = RecentFiles()
        self.theme: ThemeApplier | None = None  # set by `main` (tests run with Qt's defaults)
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.drops = FileDrops(self)
        self.setStyleSheet(resource_path("style.qss").read_text("utf-8"))
        self._build_panels()
        self.queries = QueryController(self.query_bar, self.trace_view, self.history, self)
        self.commands = TraceCommands(
            self.tasks, self.explorer, self.trace_model, self.trace_view, self.experiment_view, self
        )
        self.live = LiveWatcher(self.tasks, self)
        self.list_menus = TraceListMenus(self.tasks, self.trace_view, self)
        self.menu_actions = WindowActions(
            self, RecentMenu(self.recent, self), self.experiments_dock
        )
        self._connect_menu()
        self.menu_actions.build_menus(self.menuBar())
        self._connect()
        self._connect_list_menus()
        self._connect_compare()  # issue 19
        self._connect_exports()  # issue 21
        self._connect_otlp()  # issue 21: OpenTelemetry in
        self._connect_labeling()  # issue 22: labelling queues
        self._add_feature_pages()
        self._show_no_store()
        self._restore_geometry()
        live = str(QSettings().value(SETTINGS_LIVE, "true")).lower() == "true"
        self.menu_actions.live.setChecked(live)
        self.set_live(live)

    # -- building ---------------------------------------------------------------------------

    def _build_panels(self) -> None:
        self.experiment_model = ExperimentListModel(self.tasks, self)
        self.experiment_view = ExperimentListView(self.experiment_model)
        self.experiments_dock = QDockWidget("Experiments", self)
        self.experiments_dock.setObjectName("experimentsDock")
        self.experiments_dock.setWidget(self.experiment_view)
        self.experiments_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.experiments_dock)
        self.dock_width = DockWidthKeeper(
            self, self.experiments_dock, DOCK_MIN_WIDTH, DOCK_WIDTH, ROOMY_WIDTH
        )
        self._build_workspace()
        self.welcome = WelcomePage(app_icon())
        self.notice_bar = NoticeBar()
        self.modes = QTabWidget()
        self.modes.setObjectName("modes")
        self.modes.setDocumentMode(True)
        self.modes.addTab(self.workspace, "&Traces")
        self.pages: list[Page] = []
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.modes)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.notice_bar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.status = StoreStatusBar(self)
        self.setStatusBar(self.status)

    def _build_workspace(self) -> None:
        """The filter bar and trace list beside the explorer."""
        self.trace_model = TraceListModel(self.tasks, self)
        self.trace_view = TraceListView(self.trace_model)
        self.history = QueryHistory()
        self.query_bar = QueryBar(self.history)
        self.explorer = TraceExplorer(self.tasks)
        self.workspace = TraceWorkspace(self.query_bar, self.trace_view, self.explorer)

    def _connect_menu(self) -> None:
        """Each menu command to what it does."""
        actions, commands = self.menu_actions, self.commands
        for action, slot in (
            (actions.open, self.choose_and_open),
            (actions.open_url, lambda _checked=False: self.open_url_dialog()),
            (actions.export_trace, commands.export_trace),
            (actions.enable_editing, self.enable_editing),
            (actions.close_database, self.close_database),
            (actions.quit, self.close),
            (actions.copy_span, commands.copy_span_json),
            (actions.copy_trace_id, commands.copy_trace_id),
            (actions.find, self.query_bar.focus_query),
            (actions.settings, self.show_settings),
            (actions.go_to_trace, commands.ask_trace_id),
            (actions.search_trace, self.explorer.open_search),
            (actions.refresh, self.refresh),
            (actions.reset_columns, self.list_menus.reset_layout),
            (actions.shortcuts, self.show_shortcuts),
            (actions.about, self.show_about),
        ):
            action.triggered.connect(slot)
        actions.live.toggled.connect(self.set_live)
        actions.explorer_below.toggled.connect(self.workspace.set_explorer_below)

    def _connect(self) -> None:
        self.welcome.open_requested.connect(self.choose_and_open)
        self.drops.file_dropped.connect(self.open_location)
        self.menu_actions.recent_menu.file_chosen.connect(self.open_location)
        self.menu_actions.recent_menu.pruned.connect(self._recent_pruned)
        self.experiment_view.experiment_selected.connect(self._show_experiment)
        self.experiment_view.entered.connect(
            lambda: self.trace_view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        )
        self.tasks.failure.connect(self._show_task_failure)
        self.experiment_model.load_failed.connect(self._show_load_failure)
        self.trace_model.load_failed.connect(self._show_load_failure)
        for signal in (
            self.trace_model.page_loaded,
            self.trace_model.total_changed,
            self.trace_model.modelReset,
            self.trace_model.rows_merged,
            self.trace_model.query_rejected,
            self.trace_model.query_applied,
        ):
            signal.connect(self._update_count)
        self.trace_model.rows_merged.connect(self._announce_new_traces)
        self.trace_view.trace_selected.connect(lambda trace_id: self.show_trace(trace_id or None))
        self.trace_view.trace_opened.connect(lambda _id: self.explorer.focus_tree())
        self.explorer.escaped.connect(
            lambda: self.trace_view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        )
        self.explorer.load_failed.connect(lambda message: self.status.showMessage(message, 8000))
        self.commands.message.connect(lambda text: self.status.showMessage(text, 6000))
        self.commands.export_failed.connect(lambda text: self.report_error("Export Failed", text))
        self.commands.trace_requested.connect(self.show_trace)
        self.explorer.replay_requested.connect(self.open_replay)  # issue 18
        self.explorer.replays_requested.connect(self.filter_by)
        self.explorer.agent_replay_requested.connect(self.open_agent_replay)  # issue 18
        self.explorer.editing_requested.connect(self.enable_editing)  # issue 22: labels
        self.list_menus.add_to_dataset_requested.connect(  # issue 22: Add to Dataset…
            lambda ids: open_add_to_dataset(self, self.tasks, self.store, ids, self.enable_editing)
        )
        self.live.changed.connect(self._store_changed)
        self.live.polling_changed.connect(lambda _polling: self._show_live_state())

    def _restore_geometry(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        if isinstance(geometry, QByteArray) and self.restoreGeometry(geometry):
            if isinstance(state, QByteArray):
                self.restoreState(state)
        else:
            self.resize(1280, 780)
            self.resizeDocks([self.experiments_dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
        self.workspace.restore()
        self.menu_actions.explorer_below.setChecked(self.workspace.explorer_below)

    # -- opening and closing ----------------------------------------------------------------

    @property
    def store(self) -> Store | None:
        """The store shown, None before one opened."""
        return self.database.store

    @property
    def client(self) -> Client | None:
        """The shown store's core client: the pages write traces (reruns, prompt tries) with it."""
        return self.database.client

    def open_location(self, location: str | Path, *, read_only: bool | None = None) -> Task | None:
        """Open a path or URL in the database thread; the current store stays until it works.

        `read_only` defaults to the window's setting (read-only unless started with
        --no-read-only); File → Enable Editing passes False for the open file only. None when
        a page with unsaved work made the user keep the open database.
        """
        where, task = self.database.open(location, read_only=read_only)
        self.status.showMessage(f"Opening {where}…")
        self.welcome.show_opening(where)  # seen only while no other database is shown
        return task.on_finished(self._show_store).on_failed(
            lambda error: self._open_failed(where, error)
        )

    def choose_and_open(self) -> None:
        start = self.store.display_name if self.store and self.store.location.path else ""
        path, _filter = QFileDialog.getOpenFileName(
            self, "Open Tracking Database", start, FILE_FILTER
        )
        if path:
            self.open_location(path)

    def open_url_dialog(self, url: str = "", message: str = "") -> dialogs.OpenUrlDialog:
        """File → Open URL…: ask for a server URL (and password); also shown, filled in, when a
        server refused a login for want of a password. The password stays in memory."""
        dialog = dialogs.OpenUrlDialog(self, url, message)
        dialog.url_requested.connect(
            lambda text, password: self.open_location(self.database.logins.remember(text, password))
        )
        dialog.open()
        return dialog

    def _show_store(self, store: Store) -> None:
        self.status.clearMessage()
        self._release_store()
        client = self.database.adopt(store)
        path = store.location.path
        self.recent.add(str(path) if path is not None else store.display_name)  # no password
        self.status.show_store(store)
        self.notice_bar.show_notices(store.notices)
        self.setWindowTitle(_title(store))
        self.menu_actions.set_store_open(True)
        self.stack.setCurrentWidget(self.modes)
        if self.modes.currentWidget() is self.workspace:  # j/k work at once
            self.trace_view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.menu_actions.enable_editing.setEnabled(store.read_only and store.layout.writable)
        for page in self.pages:
            page.set_client(client)
        self.queries.open_store(store)
        self.commands.set_store(store)
        self.live.watch(store)
        self._show_live_state()
        self.experiment_view.forget_selection(self.queries.saved_experiment_id)
        self.experiment_model.load(store)
        self._mode_changed(self.modes.currentIndex())
        self._offer_drafts(store)
        self.store_opened.emit(store)

    def _open_failed(self, location: str, error: BaseException) -> None:
        self.status.clearMessage()
        self.welcome.show_opening(None)
        if (
            isinstance(error, LoginRefusedError)
            and error.needs_password
            and self.database.asks_for_passwords
        ):
            self.database.logins.forget(location)
            self.open_url_dialog(location, str(error))  # ask, then open again
            return
        if isinstance(error, StoreNotFoundError):
            self.recent.remove(location)
        if not isinstance(error, StoreError):
            log.error("Opening %s failed", location, exc_info=error)
            error = StoreError(f"{location} could not be opened: {error!r}")
        kept = f"{self.store.display_name} is still open." if self.store else ""
        self.report_error("Cannot Open Database", str(error), kept)

    def close_database(self) -> None:
        """Close the open store (the window stays)."""
        if self.store is None or not self.confirm_pages_close():
            return
        self._release_store()
        self._show_no_store()
        self.store_closed.emit()

    def _release_store(self) -> None:
        """Detach every view from the shown store, which closes in the database thread."""
        for page in self.pages:
            page.set_client(None)
        self.live.watch(None)
        self.queries.open_store(None)
        self.commands.set_store(None)
        self.trace_model.clear()
        self.database.release()
        self.show_trace(None)

    def _show_no_store(self) -> None:
        self.experiment_model.load(None)
        self.status.show_store(None)
        self.notice_bar.show_notices([])
        self.setWindowTitle(dialogs.APP_NAME)
        self.menu_actions.set_store_open(False)
        self.stack.setCurrentWidget(self.welcome)

    def refresh(self) -> None:
        """Read the experiments, the trace list, the shown trace and the pages again (F5)."""
        if self.store is not None:
            self.experiment_model.load(self.store)
            self.trace_model.refresh()
            self.show_trace(self.shown_trace_id, reload=True)
            for page in self.pages:
                page.refresh()

    def set_live(self, enabled: bool) -> None:
        """View → Live: poll the open file for new traces (kept for the next session)."""
        QSettings().setValue(SETTINGS_LIVE, enabled)
        self.live.set_enabled(enabled)
        self._show_live_state()

    def show_trace(self, trace_id: str | None, *, reload: bool = False) -> None:
        """Show `trace_id` in the explorer (None clears it); the explorer drops stale loads."""
        if trace_id == self.shown_trace_id and not reload:
            return
        shown = trace_id if self.store is not None else None
        if shown:
            self.trace_model.mark_seen(shown)
        self.explorer.show_trace(self.store, shown)
        self.status.show_trace_id(shown)
        self.workspace.show_explorer(self.explorer.trace_id is not None)

    @property
    def shown_trace_id(self) -> str | None:
        """The trace the explorer shows or loads."""
        return self.explorer.trace_id

    # -- the trace list's menus (columns, rows) and filtering by a value ----------------------

    def _connect_list_menus(self) -> None:
        menus, columns_menu = self.list_menus, self.menu_actions.columns_menu
        columns_menu.aboutToShow.connect(lambda: menus.fill_columns_menu(columns_menu))
        menus.filter_requested.connect(self.filter_by)
        menus.export_requested.connect(self.commands.export_trace_id)
        menus.message.connect(lambda text: self.status.showMessage(text, 6000))
        self.explorer.header.value_clicked.connect(menus.filter_by_value)
        self.store_opened.connect(lambda store: menus.open_store(store, file_key(store)))
        self.store_closed.connect(lambda: menus.open_store(None, None))

    def _connect_exports(self) -> None:
        """Issue 21: Export Traces…, Copy as Markdown, and trace files dropped to import."""
        self.exports = TraceExports(
            self.tasks, self.trace_view, self.explorer, lambda: self.store, self
        )
        self.imports = TraceImports(self.tasks, self.experiment_view, lambda: self.store, self)
        self.menu_actions.export_traces.triggered.connect(
            lambda _checked=False: self.exports.open_dialog()
        )
        self.list_menus.export_traces_requested.connect(self.exports.export_row)
        self.list_menus.markdown_requested.connect(self.exports.copy_trace)
        self.drops.traces_dropped.connect(self.imports.import_dropped)
        for note in (self.exports.message, self.imports.message):
            note.connect(lambda text: self.status.showMessage(text, 8000))
        self.imports.failed.connect(lambda text: self.report_error("Import Failed", text))
        self.imports.imported.connect(lambda _result: self.refresh())

    def _connect_labeling(self) -> None:
        """Issue 22: File → Label Traces… (and the list's menu): a queue, then the review."""
        self.labeling = LabelingLauncher(
            self,
            self.tasks,
            lambda: self.store,
            lambda: self.experiment_view.current_experiment_id,
            lambda: self.queries.filter_text,
        )
        self.menu_actions.label_traces.triggered.connect(
            lambda _checked=False: self.labeling.open_start()
        )
        self.list_menus.label_requested.connect(self.labeling.open_start)
        self.labeling.editing_requested.connect(self.enable_editing)
        self.labeling.message.connect(lambda text: self.status.showMessage(text, 8000))

    def _connect_otlp(self) -> None:
        """Issue 21: File → Receive OpenTelemetry…, its status-bar field, new rows as they come."""
        self.otlp = OtlpLauncher(
            self,
            self.tasks,
            self.status,
            lambda: self.store,
            lambda: self.experiment_view.current_experiment_id,
        )
        self.menu_actions.receive_otlp.triggered.connect(
            lambda _checked=False: self.otlp.open_dialog()
        )
        self.otlp.traces_stored.connect(self._received)
        self.otlp.editing_requested.connect(self.enable_editing)
        self.otlp.message.connect(lambda text: self.status.showMessage(text, 8000))
        self.store_opened.connect(self.otlp.store_changed)
        self.store_closed.connect(lambda: self.otlp.store_changed(None))

    def _received(self, since_ms: int) -> None:
        """Spans came in over OTLP: merge new rows, and rows from `since_ms` on (a trace whose
        root span came moved earlier); recount."""
        if self.store is not None:
            self.trace_model.fetch_newer(since_ms)
            self.experiment_model.load(self.store)

    def _connect_compare(self) -> None:
        """Issue 19: Compare Traces from the list's selection, Compare With… from a trace."""
        actions = (self.menu_actions.compare_traces, self.menu_actions.compare_with)
        compare = CompareLauncher(
            self, self.tasks, self.trace_view, self.explorer, actions, lambda: self.store
        )
        self.compare = compare
        self.list_menus.compare_requested.connect(compare.compare_ids)
        self.list_menus.compare_with_requested.connect(compare.ask_compare_with)
        self.explorer.header.compare_requested.connect(lambda: compare.ask_compare_with(None))
        compare.message.connect(lambda text: self.status.showMessage(text, 6000))
        for signal in (self.store_opened, self.store_closed):
            signal.connect(compare.update_actions)

    def open_replay(self, trace: Trace, span: Span | None) -> None:
        """Issue 18: the replay playground (non-modal) for a chat span, or the trace."""
        from app.replay.launch import open_replay  # its modules load when first used

        explorer = self.explorer
        open_replay(
            self,
            self.tasks,
            self.client,
            trace,
            span,
            self.open_trace,
            explorer.refresh_replays,
            self.open_evaluation_comparison,
        )

    def open_agent_replay(self, trace: Trace, agent: TraceAgent) -> None:
        """Issue 18: the trace's turn sent again to its agent, in the Agents tab."""
        from app.replay.agent import recorded_turn

        try:
            turn = recorded_turn(trace, agent)
        except ValueError as error:
            self.report_error("Cannot Replay in Agent", str(error))
            return
        self.modes.setCurrentWidget(self.agents_page)
        self.agents_page.replay(turn)

    def filter_by(self, term: str) -> None:
        """Narrow the list's filter by `term` ("filter by this value"); the bar shows it."""
        if self.store is None:
            return
        text = add_term(self.queries.filter_text, term)
        self.query_bar.set_text(text)
        self.queries.apply_filter(text)

    def show_filtered(self, text: str) -> None:
        """The Traces tab with the list filtered by `text` (in the bar), from another tab."""
        if self.store is None:
            return
        self.modes.setCurrentWidget(self.workspace)
        self.query_bar.set_text(text)
        self.queries.apply_filter(text)

    def show_shortcuts(self) -> None:
        for key in list(self._page_slots):  # every page's keys are on the sheet
            self._page(key)
        rows = self.menu_actions.shortcut_rows()
        for page in self.pages:
            rows += page.shortcut_rows()
        dialogs.show_shortcuts(self, rows)

    # -- reacting to the panels -------------------------------------------------------------

    def _show_experiment(self, experiment_id: str) -> None:
        chosen = experiment_id if self.store is not None else None
        self.queries.show_experiment(chosen)
        for page in self.pages:
            page.set_experiment(chosen or None)

    # -- pages ------------------------------------------------------------------------------

    def _add_feature_pages(self) -> None:
        """The feature tabs beside Traces, each built the first time it is shown or asked for:
        their modules and widgets are a fifth of the window's start."""
        self._page_slots: dict[str, QWidget] = {}
        self._built_pages: dict[str, Page] = {}
        for key, title in PAGE_TITLES.items():
            slot = QWidget()
            slot.setObjectName(f"{key}PageSlot")
            self._page_slots[key] = slot
            self.modes.addTab(slot, title)
        self.explorer.prompt_requested.connect(self.open_prompt)
        self.modes.currentChanged.connect(self._mode_changed)

    @property
    def evaluations_page(self) -> EvaluationsPage:
        return cast("EvaluationsPage", self._page("evaluations"))

    @property
    def prompts_page(self) -> PromptsPage:
        return cast("PromptsPage", self._page("prompts"))

    @property
    def agents_page(self) -> AgentsPage:
        return cast("AgentsPage", self._page("agents"))

    @property
    def insights_page(self) -> InsightsPage:
        return cast("InsightsPage", self._page("insights"))

    def _page(self, key: str) -> Page:
        """The feature page `key`, built now (in its tab's place) if it was not yet."""
        page = self._built_pages.get(key)
        if page is not None:
            return page
        page = _page_maker(key)(self.tasks)
        self._built_pages[key] = page
        if key == "insights":  # issue 20: its charts and tables open the list, filtered
            insights = cast("InsightsPage", page)
            insights.filter_requested.connect(self.show_filtered)
            insights.trace_requested.connect(self.open_trace)
            self.live.changed.connect(insights.data_changed)
        slot = self._page_slots.pop(key)
        index = self.modes.indexOf(slot)
        current = self.modes.currentIndex() == index
        blocked = self.modes.blockSignals(True)  # the same tab, only its widget is new
        self.modes.removeTab(index)
        self.add_page(page, index)
        if current:
            self.modes.setCurrentIndex(index)
        self.modes.blockSignals(blocked)
        slot.deleteLater()
        page.set_experiment(self.experiment_view.current_experiment_id if self.store else None)
        return page

    def add_page(self, page: Page, index: int = -1) -> None:
        """Add a feature page as a mode tab (at `index`; -1: the last) and listen to what it
        asks of the window."""
        self.pages.append(page)
        self.modes.insertTab(index, page, page.title)
        page.trace_requested.connect(self.open_trace)
        page.status_message.connect(lambda text: self.status.showMessage(text, 8000))
        page.editing_requested.connect(self.enable_editing)
        page.set_client(self.client)

    def _offer_drafts(self, store: Store) -> None:
        """Prompt edits left unsaved in an earlier session (or before a crash) are still here."""
        from app.prompts.data import database_key
        from app.prompts.drafts import unsaved_notice

        notice = unsaved_notice(database_key(store))
        if notice is not None:
            self.notice_bar.add_notice(notice)

    def open_prompt(self, name: str, version: int) -> None:
        """Show a prompt version in the Prompts tab (from a trace header's prompt link)."""
        self.modes.setCurrentWidget(self.prompts_page)
        self.prompts_page.show_prompt(name, version)

    def open_evaluation_comparison(self, run_a: str, run_b: str) -> None:
        """Issue 18: the Evaluations tab comparing run A (the baseline) with run B, both
        selected in their experiment's run list (a replay over many traces opens its runs so).
        The runs' experiment is read first (database thread), then chosen in the sidebar."""
        store = self.store
        if store is None:
            return
        task = self.tasks.submit(store.evaluations.run, run_a)
        task.on_finished(lambda run: self._compare_in(run.experiment_id, run_a, run_b))
        task.on_failed(lambda error: self.status.showMessage(f"Cannot open the runs: {error}"))

    def _compare_in(self, experiment_id: str, run_a: str, run_b: str) -> None:
        page = self.evaluations_page
        self.modes.setCurrentWidget(page)
        self.experiment_view.select_experiment(experiment_id)  # its runs are listed
        page.refresh(select=[run_a, run_b])
        page.compare(run_a, run_b)

    def _mode_changed(self, index: int) -> None:
        slot = self.modes.widget(index)
        for key, waiting in list(self._page_slots.items()):
            if waiting is slot:
                self._page(key)  # first shown: built now, in the same tab
        # Trace commands (Export Trace's Ctrl+E...) act in the Traces tab only: elsewhere a
        # page may use the same keys for its own commands.
        on_traces = self.modes.currentWidget() is self.workspace
        self.menu_actions.set_trace_commands_enabled(on_traces and self.store is not None)

    def open_trace(self, trace_id: str) -> None:
        """Show a trace in the Traces tab (from an evaluation row, a prompt's traces...)."""
        self.modes.setCurrentWidget(self.workspace)
        self.commands.go_to_trace(trace_id)

    def confirm_pages_close(self) -> bool:
        """Ask every page with unsaved work; False if the user chose to keep it."""
        return all(page.confirm_close() for page in self.pages)

    def enable_editing(self) -> None:
        """File → Enable Editing: reopen the database for writing (prompts, evaluation runs)."""
        store = self.store
        if store is None or not store.read_only:
            return
        if not store.layout.writable:
            self.report_error(
                "Cannot Edit This Database",
                f"This is an {store.layout.label}. TraceDesk writes only the MLflow 3.18 "
                "layout, so this database stays read-only.",
            )
            return
        self.open_location(
            store.location.url.render_as_string(hide_password=False), read_only=False
        )

    def _store_changed(self) -> None:
        """Live mode: another program wrote to the file; merge new traces, recount."""
        if self.store is not None:
            self.trace_model.fetch_newer()
            self.experiment_model.load(self.store)  # the counts beside the experiment names

    def _announce_new_traces(self, count: int) -> None:
        self.status.showMessage("1 new trace" if count == 1 else f"{count:,} new traces", 5000)

    def _show_live_state(self) -> None:
        self.status.show_live(None if self.store is None else self.live.enabled)

    def _update_count(self) -> None:
        model = self.trace_model
        self.status.show_count(model.total, model.rowCount(), stale=model.rejected is not None)

    def _show_load_failure(self, message: str) -> None:
        self.notice_bar.add_notice(message)
        self.error_reported.emit(message)

    def _show_task_failure(self, what: str, error: BaseException) -> None:
        """The default failure path: background work whose failure nothing else handled."""
        self._show_load_failure(f"{what} failed: {error}")

    def _recent_pruned(self, missing: list[str]) -> None:
        names = ", ".join(Path(m).name for m in missing)
        self.status.showMessage(
            f"Removed from Open Recent because they no longer exist: {names}", 8000
        )

    def report_error(self, title: str, message: str, detail: str = "") -> None:
        """The one way errors reach the user: `error_reported`, then a non-blocking message box."""
        self.error_reported.emit(message)
        dialogs.show_error(self, title, message, detail)

    def show_settings(self) -> None:
        """Edit → Settings; appearance changes apply at once, the rest when next used."""
        from app.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.tasks, self)
        dialog.applied.connect(self.apply_settings)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def apply_settings(self) -> None:
        """What the Settings dialog saved: appearance at once, and to the pages that show it."""
        from app import settings

        if self.theme is not None:
            self.theme.apply(settings.theme(), settings.font_points())
            # Widgets styled by the window's sheet keep their old palette until re-polished.
            self.setStyleSheet(resource_path("style.qss").read_text("utf-8"))
        for page in self.pages:
            page.settings_changed()

    def show_about(self) -> None:
        dialogs.show_about(self, self.store)

    # -- Qt events --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # QWidget.showEvent
        super().showEvent(event)
        self.live.set_paused(False)

    def hideEvent(self, event: QHideEvent) -> None:  # QWidget.hideEvent
        self.live.set_paused(True)  # nobody sees new rows: no polling
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # QWidget.closeEvent
        if not self.confirm_pages_close():
            event.ignore()
            return
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        self.workspace.save()
        self.list_menus.save_dragged_layout()
        self.live.set_paused(True)
        self.status.clearMessage()  # stops the timer of a message shown for a while
        self.otlp.shutdown()  # its last write lands before the stores close
        self.tasks.shutdown()  # joins the threads: nothing reads a store after this
        self.live.shutdown()  # closes the change detectors the threads did not
        self.database.close_all()  # clients write their last traces before their stores close
        super().closeEvent(event)


#: The feature pages beside Traces, by key, with their tab titles (the pages' own `title`s,
#: known before their modules are imported).
PAGE_TITLES = {
    "evaluations": "Eval&uations",
    "prompts": "&Prompts",
    "agents": "&Agents",
    "insights": "Insi&ghts",
}


def _page_maker(key: str) -> Callable[[TaskRunner], Page]:
    """What makes feature page `key` (its class), imported the first time it is asked for."""
    if key == "evaluations":
        from app.evaluations.page import EvaluationsPage

        return EvaluationsPage
    if key == "prompts":
        from app.prompts.page import PromptsPage

        return PromptsPage
    if key == "insights":
        from app.insights.page import InsightsPage

        return InsightsPage
    from app.agents.page import AgentsPage

    return AgentsPage


def _title(store: Store) -> str:
    path = store.location.path
    name = f"{path.name} — {path.parent.name}" if path is not None else store.display_name
    return f"{isolated(name)} — {dialogs.APP_NAME}"
