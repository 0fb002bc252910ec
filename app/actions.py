"""The window's menus and keyboard shortcuts: File, Edit, View and Help.

Every command is a QAction here, so the menus, the shortcuts and Help → Keyboard Shortcuts
read from one place; keys that belong to a widget (j/k in the list, Up/Down in the filter bar)
are listed in `WIDGET_KEYS`. The actions only say that they were triggered: the window
connects each to what it does.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QMenuBar, QWidget

from app.recent import RecentMenu

#: Keys handled by the widget that has the focus, for the shortcut list.
WIDGET_KEYS = [
    ("J / ↓", "Next trace (in the trace list)"),
    ("K / ↑", "Previous trace (in the trace list)"),
    ("Enter", "Open the selected trace in the explorer"),
    ("Enter", "Go on to the experiment's traces (in the experiments list)"),
    ("Enter", "Apply the filter (in the filter bar)"),
    ("Home / Ctrl+End", "First trace / last trace (Ctrl+End reads every page)"),
    ("Esc", "Clear the filter; again: back to the list"),
    ("Esc", "Back to the trace list (in the explorer)"),
    ("Esc", "Close the trace: the list takes the whole width (in the trace list)"),
    ("Alt+1 … Alt+6", "Span detail: Chat, Inputs, Outputs, Attributes, Events, Raw JSON"),
    ("Ctrl+F", "Find in the span's inputs, outputs, attributes or raw JSON (Esc closes)"),
    ("Enter / F3, Shift+Enter / Shift+F3", "Next / previous span found (Esc clears the search)"),
    ("Ctrl+Shift+G", "Span tree / flame graph (in the explorer)"),
    ("Ctrl+Shift+P", "Mark the critical path: the spans that determined the trace's duration"),
    ("→ / Enter", "Unfold a run of repeated spans folded into one row (in the span tree)"),
    ("Wheel, + / - / 0", "Flame graph: zoom around the pointer, in, out, the whole trace"),
    ("Drag, Shift+wheel, Shift+← / →", "Flame graph: move through time"),
    ("← / → / ↑ / ↓", "Flame graph: previous / next sibling, parent, first child"),
    ("Ctrl+Shift+F", "Search the trace's spans: name, type, status, text in their payloads"),
    ("Ctrl+R", "Replay the selected chat span (or the trace) against an Ollama model, edited"),
    ("Ctrl+Enter / Esc", "Run / stop the replay (in the replay window)"),
    (
        "Ctrl+Shift+R",
        "Replay the trace's turn in its agent, in the Agents tab (also in ⋯ above the trace)",
    ),
    (
        "Ctrl+Shift+A",
        "Label the trace: add, edit (Enter), delete (Del) feedback and expectations",
    ),
    (
        "Alt+T / Alt+U / Alt+P / Alt+A / Alt+G",
        "The Traces, Evaluations, Prompts, Agents and Insights tabs",
    ),
    ("Alt+underlined letter", "The button with that letter on the tab shown (Alt+C: Compare)"),
    ("Shift+↓ / Ctrl+click", "Select several traces in the list (Ctrl+D compares them)"),
    ("F8 / Shift+F8, N / P", "Next / previous change (in Compare Traces; Esc closes it)"),
    ("Ctrl+Tab / Ctrl+Shift+Tab", "Next / previous tab (of the tabs that have the focus)"),
    ("↑ / ↓", "Earlier filters (in the filter bar)"),
    ("Ctrl+Space", "Complete a field name (in the filter bar)"),
    ("Menu key", "The trace's menu: open, copy, export, filter by a value (in the trace list)"),
    ("Tab, Enter", "A tag or metadata chip of the trace's header: filter the list by its value"),
]


def _action(window: QWidget, text: str, shortcut: str | QKeySequence.StandardKey = "") -> QAction:
    action = QAction(text, window)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    return action


class WindowActions:
    """Every QAction of the main window, created once and put into the menu bar.

    `window` owns the actions (their shortcuts work wherever it has the focus); the dock's
    own toggle action is Experiments Panel.
    """

    def __init__(self, window: QWidget, recent_menu: RecentMenu, dock: QDockWidget) -> None:
        self.recent_menu = recent_menu
        self._file_actions(window)
        self._edit_actions(window)
        self._view_actions(window, dock)
        self.shortcuts = _action(window, "&Keyboard Shortcuts", "F1")
        # "?" too, as in most keyboard-driven tools (text fields keep their own "?").
        self.shortcuts.setShortcuts([QKeySequence("F1"), QKeySequence("?")])
        self.about = _action(window, "&About TraceDesk")
        self.about.setMenuRole(QAction.MenuRole.AboutRole)
        self.set_store_open(False)

    def _file_actions(self, window: QWidget) -> None:
        self.open = _action(window, "&Open…", "Ctrl+O")
        self.open.setStatusTip("Open an MLflow tracking database (mlflow.db)")
        self.open_url = _action(window, "Open &URL…", "Ctrl+Shift+O")
        self.open_url.setStatusTip("Open an MLflow tracking database on a server (postgresql://…)")
        self.export_trace = _action(window, "&Export Trace…", "Ctrl+E")
        self.export_trace.setStatusTip("Save the trace shown in the explorer as MLflow JSON")
        self.export_traces = _action(window, "Export &Traces…", "Ctrl+Shift+E")  # issue 21
        self.export_traces.setStatusTip(
            "Save the selected traces, or all the filter matches, as JSON, CSV, OTLP or Markdown"
        )
        self.receive_otlp = _action(window, "Receive O&penTelemetry…")  # issue 21
        self.receive_otlp.setStatusTip(
            "Receive traces from OpenTelemetry exporters (OTLP/HTTP) into this database"
        )
        self.label_traces = _action(window, "&Label Traces…", "Ctrl+Shift+B")  # issue 22
        self.label_traces.setStatusTip(
            "Label the filter's traces one by one from the keyboard, in a queue others can share"
        )
        self.enable_editing = _action(window, "Enable E&diting")
        self.enable_editing.setStatusTip(
            "Reopen the database for writing (new prompt versions, evaluation runs)"
        )
        self.close_database = _action(window, "&Close Database", "Ctrl+W")
        self.quit = _action(window, "&Quit", "Ctrl+Q")
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)

    def _edit_actions(self, window: QWidget) -> None:
        # The span tree owns Ctrl+C (elsewhere Ctrl+C copies text): the menu only names the key,
        # since a second Ctrl+C shortcut would make both ambiguous and neither would fire.
        self.copy_span = _action(window, f"Copy &Span JSON\t{_copy_keys()}")
        self.copy_trace_id = _action(window, "Copy &Trace ID", "Ctrl+Shift+C")
        self.find = _action(window, "&Filter Traces", "/")
        self.find.setStatusTip("Go to the filter bar")
        self.settings = _action(window, "Se&ttings…", QKeySequence.StandardKey.Preferences)
        if self.settings.shortcut().isEmpty():
            self.settings.setShortcut(QKeySequence("Ctrl+,"))
        self.settings.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.go_to_trace = _action(window, "&Go to Trace…", "Ctrl+L")
        self.go_to_trace.setStatusTip("Open a trace by its id")
        self.compare_traces = _action(window, "Compa&re Traces", "Ctrl+D")  # issue 19
        self.compare_traces.setStatusTip("Compare the traces selected in the list, span by span")
        self.compare_with = _action(window, "Compare &With…", "Ctrl+Shift+D")
        self.compare_with.setStatusTip("Compare the trace with another (here or in another file)")
        # The explorer owns Ctrl+Shift+F (it works wherever the focus is while the trace is
        # shown): the menu only names the key, as for Copy Span JSON.
        self.search_trace = _action(window, "Searc&h in Trace\tCtrl+Shift+F")
        self.search_trace.setStatusTip(
            "Find the open trace's spans by name, type, status or text in their payloads"
        )

    def _view_actions(self, window: QWidget, dock: QDockWidget) -> None:
        self.refresh = _action(window, "&Refresh", "F5")
        self.refresh.setStatusTip("Read the experiments and traces again")
        self.live = _action(window, "&Live", "Ctrl+Shift+L")
        self.live.setCheckable(True)
        self.live.setStatusTip("Show new traces as other programs write them")
        self.show_experiments = dock.toggleViewAction()
        self.show_experiments.setText("&Experiments Panel")
        self.show_experiments.setShortcut(QKeySequence("Ctrl+1"))
        self.explorer_below = _action(window, "Explorer &Below the List")
        self.explorer_below.setCheckable(True)
        self.reset_columns = _action(window, "Reset Column &Layout")
        # Filled by the trace list each time it opens (`TraceListMenus.fill_columns_menu`).
        self.columns_menu = QMenu("&Columns", window)
        self.columns_menu.setObjectName("columnsMenu")

    def build_menus(self, menubar: QMenuBar) -> None:
        file_menu = menubar.addMenu("&File")
        file_menu.addAction(self.open)
        file_menu.addAction(self.open_url)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.export_trace)
        file_menu.addAction(self.export_traces)
        file_menu.addAction(self.receive_otlp)
        file_menu.addAction(self.label_traces)  # issue 22
        file_menu.addSeparator()
        file_menu.addAction(self.enable_editing)
        file_menu.addAction(self.close_database)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        edit_menu = menubar.addMenu("&Edit")
        for action in (
            self.copy_span,
            self.copy_trace_id,
            None,
            self.find,
            self.search_trace,
            self.go_to_trace,
            self.compare_traces,
            self.compare_with,
            None,
            self.settings,
        ):
            if action is None:
                edit_menu.addSeparator()
            else:
                edit_menu.addAction(action)
        view_menu = menubar.addMenu("&View")
        view_menu.addAction(self.refresh)
        view_menu.addAction(self.live)
        view_menu.addSeparator()
        view_menu.addAction(self.show_experiments)
        view_menu.addAction(self.explorer_below)
        view_menu.addMenu(self.columns_menu)
        view_menu.addAction(self.reset_columns)
        help_menu = menubar.addMenu("&Help")
        help_menu.addAction(self.shortcuts)
        help_menu.addSeparator()
        help_menu.addAction(self.about)

    def set_store_open(self, is_open: bool) -> None:
        """Enable what needs an open database."""
        self.enable_editing.setEnabled(False)  # the window enables it for a read-only store
        for action in (
            self.close_database,
            self.refresh,
            self.export_trace,
            self.export_traces,
            self.receive_otlp,
            self.copy_span,
            self.copy_trace_id,
            self.find,
            self.go_to_trace,
        ):
            action.setEnabled(is_open)
        self.label_traces.setEnabled(is_open)  # issue 22

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) for Help → Keyboard Shortcuts, read from the actions."""
        actions = [
            self.open, self.open_url, self.export_trace, self.close_database, self.quit,
            self.label_traces,  # issue 22
            self.copy_span,
            self.copy_trace_id, self.find, self.go_to_trace, self.compare_traces, self.compare_with,
            self.refresh, self.live,
            self.show_experiments, self.shortcuts,
        ]  # fmt: skip
        return [(_keys(a), self._describe(a)) for a in actions] + WIDGET_KEYS

    def set_trace_commands_enabled(self, enabled: bool) -> None:
        """Export Trace, Copy Span/Trace ID, Go to Trace, Search in Trace: only in the Traces
        tab."""
        trace_commands = (self.export_trace, self.copy_span, self.copy_trace_id, self.go_to_trace)
        for action in (*trace_commands, self.export_traces, self.search_trace):  # issue 21
            action.setEnabled(enabled)
        self.label_traces.setEnabled(enabled)  # issue 22

    def _describe(self, action: QAction) -> str:
        if action is self.copy_span:
            return "Copy the selected span as JSON (in the span tree)"
        text = action.text().split("\t")[0]
        return action.statusTip() or text.replace("&", "").removesuffix("…")


def _copy_keys() -> str:
    """The platform's Copy key (Ctrl+C, ⌘C), as the span tree binds it."""
    keys = QKeySequence(QKeySequence.StandardKey.Copy)
    return keys.toString(QKeySequence.SequenceFormat.NativeText) or "Ctrl+C"


def _keys(action: QAction) -> str:
    if "\t" in action.text():
        return action.text().split("\t")[1]
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
