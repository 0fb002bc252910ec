"""`CompareLauncher`: the ways into Compare Traces, which the main window wires.

Compare Traces (Ctrl+D, the trace list's row menu) compares the rows selected in the list, two
or more: the earliest on the left, or as the baseline of the others. Compare With…
(Ctrl+Shift+D, the explorer's header, the row menu) asks for a trace id in this database or in
another database file. Each comparison opens its own non-modal `TraceDiffWindow`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from app.explorer.panel import TraceExplorer
from app.tasks import TaskRunner
from app.tracediff.ask import CompareTarget, CompareWithDialog
from app.tracediff.loading import read_oldest_first, read_traces, read_with_other
from app.tracediff.window import TraceDiffWindow
from app.traces.view import TraceListView
from core.entities import Trace
from core.store import Store

#: Compare Traces reads at most this many traces (a baseline against 49 others).
MAX_TRACES = 50


class CompareLauncher(QObject):
    """Opens Compare Traces windows for the list's selection or a trace asked for."""

    message = Signal(str)  # a short note for the status bar
    opened = Signal(object)  # the TraceDiffWindow just shown

    def __init__(
        self,
        owner: QWidget,
        tasks: TaskRunner,
        view: TraceListView,
        explorer: TraceExplorer,
        actions: tuple[QAction, QAction],
        store: Callable[[], Store | None],
    ) -> None:
        super().__init__(owner)
        self._owner, self._tasks, self._view, self._explorer = owner, tasks, view, explorer
        self._store = store
        self.compare_action, self.compare_with_action = actions
        self.windows: list[TraceDiffWindow] = []
        self.last_dialog: CompareWithDialog | None = None
        self.compare_action.triggered.connect(lambda _checked=False: self.compare_selected())
        self.compare_with_action.triggered.connect(lambda _checked=False: self.ask_compare_with())
        view.selectionModel().selectionChanged.connect(self.update_actions)
        view.trace_model().modelReset.connect(self.update_actions)
        self.update_actions()

    def update_actions(self, *_args: object) -> None:
        """Compare Traces needs two selected rows; Compare With…, a trace selected or shown."""
        has_store = self._store() is not None
        self.compare_action.setEnabled(has_store and len(self._view.selected_trace_ids()) >= 2)
        self.compare_with_action.setEnabled(has_store)

    def compare_selected(self) -> TraceDiffWindow | None:
        return self.compare_ids(self._view.selected_trace_ids())

    def compare_ids(self, trace_ids: Sequence[str]) -> TraceDiffWindow | None:
        """Compare traces of the open database: two side by side, more against a baseline;
        the earliest is on the left (the baseline)."""
        store = self._store()
        ids = list(dict.fromkeys(trace_ids))
        if store is None or len(ids) < 2:
            self.message.emit("Select two traces or more to compare them.")
            return None
        if len(ids) > MAX_TRACES:
            self.message.emit(f"Comparing the first {MAX_TRACES} of {len(ids):,} traces.")
            ids = ids[:MAX_TRACES]
        return self._open(partial(read_oldest_first, store.reader, ids), [])

    def ask_compare_with(self, trace_id: str | None = None) -> CompareWithDialog | None:
        """Compare With…: `trace_id` (else the trace shown, else the one selected) on the left,
        a trace asked for on the right."""
        store = self._store()
        left = trace_id or self._explorer.trace_id or self._view.selected_trace_id()
        if store is None or not left:
            self.message.emit("Select a trace first: Compare With… compares it with another.")
            return None
        dialog = CompareWithDialog(left, store.display_name, self._owner)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(lambda target: self.compare_with(left, target))
        self.last_dialog = dialog
        dialog.open()
        return dialog

    def compare_with(self, left_id: str, target: CompareTarget) -> TraceDiffWindow | None:
        store = self._store()
        if store is None:
            return None
        if target.path is None:
            return self._open(partial(read_traces, store.reader, [left_id, target.trace_id]), [])
        read = partial(read_with_other, store.reader, left_id, target.path, target.trace_id)
        return self._open(read, ["", Path(target.path).name])

    def _open(self, read: Callable[[], list[Trace]], wheres: list[str]) -> TraceDiffWindow:
        window = TraceDiffWindow(self._tasks, self._owner)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.destroyed.connect(lambda _obj=None, w=window: self._forget(w))
        self.windows.append(window)
        window.load(read, wheres)
        window.show()
        window.raise_()
        window.activateWindow()
        self.opened.emit(window)
        return window

    def _forget(self, window: TraceDiffWindow) -> None:
        if window in self.windows:
            self.windows.remove(window)
