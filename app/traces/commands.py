"""Commands on the shown trace: go to a trace by id, export it as JSON, copy ids and spans.

Everything that reads the store runs in the database thread; the file is written there too.
The JSON is `Trace.to_json(pretty=True)`, the same document MLflow's `Trace.to_json()` gives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QWidget

from app.dialogs import GoToTraceDialog
from app.explorer.panel import TraceExplorer
from app.tasks import TaskRunner
from app.traces.model import TraceListModel
from app.traces.view import TraceListView
from core.errors import NotFoundError
from core.safe_text import isolated
from core.store import Store, StoreReader

JSON_FILTER = "Trace JSON (*.json);;All files (*)"


def write_trace_json(reader: StoreReader, trace_id: str, path: Path) -> Path:
    """Database thread: write `trace_id` as MLflow's trace JSON to `path`."""
    text = reader.get_trace(trace_id).to_json(pretty=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def trace_experiment(reader: StoreReader, trace_id: str) -> tuple[str, str]:
    """Database thread: `trace_id` and its experiment's id (raises NotFoundError if absent)."""
    info = reader.trace_info(trace_id)
    return info.trace_id, info.experiment_id


class ExperimentChooser(Protocol):
    """The experiment list, as Go to Trace uses it (it sits above the trace list)."""

    @property
    def current_experiment_id(self) -> str | None: ...

    def name_of(self, experiment_id: str) -> str | None: ...

    def select_experiment(self, experiment_id: str) -> bool: ...


class TraceCommands(QObject):
    """The Edit and File commands about one trace: the trace the explorer shows, or one by id.

    They work on the trace list (its model and view), the experiment list and the explorer
    they are given, and say what happened with signals; the window shows `message` in the
    status bar, reports `export_failed`, and shows a `trace_requested` that is not in the list.
    Going to a trace of another experiment switches the experiment list to it.
    """

    exported = Signal(str)  # the path a trace was written to
    export_failed = Signal(str)  # what went wrong, for an error report
    message = Signal(str)  # a short note for the status bar
    trace_requested = Signal(str)  # a trace found by its id but not in the list: show it

    def __init__(
        self,
        tasks: TaskRunner,
        explorer: TraceExplorer,
        model: TraceListModel,
        view: TraceListView,
        experiments: ExperimentChooser,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._owner = parent  # the dialogs' parent
        self._tasks = tasks
        self._explorer = explorer
        self._model = model
        self._view = view
        self._experiments = experiments
        self._store: Store | None = None
        self.goto_dialog: GoToTraceDialog | None = None

    def set_store(self, store: Store | None) -> None:
        """The open store (None when none is open)."""
        self._store = store

    # -- copying ----------------------------------------------------------------------------

    def copy_span_json(self) -> bool:
        """Put the span selected in the explorer on the clipboard as MLflow span JSON."""
        copied = self._explorer.copy_selected_span_json()
        self._say("Copied the span as JSON." if copied else "Select a span to copy it.")
        return copied

    def copy_trace_id(self) -> bool:
        trace_id = self._explorer.trace_id
        if trace_id:
            QGuiApplication.clipboard().setText(trace_id)
        self._say(f"Copied {trace_id}." if trace_id else "Select a trace to copy its id.")
        return bool(trace_id)

    # -- export -----------------------------------------------------------------------------

    def ask_export_path(self, suggested: str) -> str:
        """The file to write (a save dialog; tests replace this method)."""
        path, _filter = QFileDialog.getSaveFileName(
            self._owner, "Export Trace", suggested, JSON_FILTER
        )
        return path

    def export_trace(self) -> None:
        """Save the shown trace as JSON where the user says; the writing is in the DB thread."""
        self.export_trace_id(self._explorer.trace_id)

    def export_trace_id(self, trace_id: str | None) -> None:
        """Save trace `trace_id` (a row's, from its menu) as JSON where the user says."""
        store = self._store
        if store is None or not trace_id:
            self._say("Select a trace to export it.")
            return
        folder = store.location.path.parent if store.location.path else Path.home()
        chosen = self.ask_export_path(str(folder / f"{trace_id}.json"))
        if not chosen:
            return
        task = self._tasks.submit(write_trace_json, store.reader, trace_id, Path(chosen))
        task.on_finished(self._on_exported)
        task.on_failed(lambda error: self._on_export_failed(Path(chosen), error))

    def _on_exported(self, path: Path) -> None:
        self._say(f"Exported the trace to {path}.")
        self.exported.emit(str(path))

    def _on_export_failed(self, path: Path, error: BaseException) -> None:
        self.export_failed.emit(f"The trace could not be written to {path}: {error}")

    # -- go to trace ------------------------------------------------------------------------

    def ask_trace_id(self) -> GoToTraceDialog | None:
        """Ctrl+L: a small dialog that asks for an id and stays open until it is found."""
        if self._store is None:
            return None
        if self.goto_dialog is None:
            self.goto_dialog = GoToTraceDialog(self._owner)
            self.goto_dialog.trace_requested.connect(self.go_to_trace)
            self.goto_dialog.destroyed.connect(self._forget_dialog)
        self.goto_dialog.open()
        self.goto_dialog.id_edit.setFocus()
        return self.goto_dialog

    def _forget_dialog(self) -> None:
        self.goto_dialog = None

    def go_to_trace(self, trace_id: str) -> None:
        """Select `trace_id` in the list when it is loaded, else look it up and show it."""
        row = self._model.row_of(trace_id)
        if row is not None:
            self._view.select_row(row)
            self._view.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self._close_dialog()
            return
        if self._store is None:
            return
        task = self._tasks.submit(trace_experiment, self._store.reader, trace_id)
        task.on_finished(lambda found: self._show_found(*found))
        task.on_failed(lambda error: self._not_found(trace_id, error))

    def _show_found(self, trace_id: str, experiment_id: str) -> None:
        """Show a trace that is not among the rows loaded: in its own experiment's list when
        that is another one (selected there once its first page is read), else further down."""
        elsewhere = experiment_id != self._experiments.current_experiment_id
        name = self._experiments.name_of(experiment_id) if elsewhere else None
        if name is not None:
            self._view.select_when_loaded(trace_id)
            self._experiments.select_experiment(experiment_id)
            self._say(f"Switched to the experiment “{isolated(name)}”.")
        else:
            self._view.clearSelection()
            self._say("The trace is further down the list; it is open in the explorer.")
        self.trace_requested.emit(trace_id)
        self._explorer.focus_tree()
        self._close_dialog()

    def _not_found(self, trace_id: str, error: BaseException) -> None:
        if isinstance(error, NotFoundError):
            message = f"No trace with the id {trace_id} in this database."
        else:
            message = f"The trace could not be looked up: {error}"
        if self.goto_dialog is not None:
            self.goto_dialog.show_message(message)
        else:
            self._say(message)

    def _close_dialog(self) -> None:
        if self.goto_dialog is not None:
            self.goto_dialog.accept()

    def _say(self, text: str) -> None:
        self.message.emit(text)
