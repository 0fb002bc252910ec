"""Export Traces… (File menu, the list's row menu) and Copy as Markdown (a trace, a span).

The export runs as a pool job that reads the store a page at a time (`core.export`), so the
list keeps reading while a large export streams to its file; its progress and Cancel live in
the export dialog. Markdown summaries are made in the database thread and put on the
clipboard when they land.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from app.explorer.panel import TraceExplorer
from app.tasks import JobToken, Task, TaskRunner
from app.traces.export_dialog import ExportDialog, ExportPlan
from app.traces.model import TraceListModel
from app.traces.rows import Column, ExtraColumn
from app.traces.view import TraceListView
from core.export import (
    ExportResult,
    TraceSelection,
    available_formats,
    export_traces,
    span_markdown,
    trace_markdown,
)
from core.store import Store, StoreReader

#: The trace list's columns as `core.export.csv_rows` names them.
CSV_KEYS = {
    Column.TRACE_ID: "trace_id",
    Column.NAME: "name",
    Column.STATE: "state",
    Column.REQUEST_TIME: "request_time",
    Column.DURATION: "duration",
    Column.TOKENS: "tokens",
    Column.REQUEST: "request",
    Column.RESPONSE: "response",
    Column.SESSION: "session",
    Column.USER: "user",
    Column.COST: "cost",
}


def csv_columns(view: TraceListView) -> list[str]:
    """The columns the list shows, left to right as the user arranged them (CSV's columns)."""
    header = view.horizontalHeader()
    extras: tuple[ExtraColumn, ...] = view.trace_model().extra_columns
    out = []
    for visual in range(header.count()):
        section = header.logicalIndex(visual)
        if view.isColumnHidden(section):
            continue
        if section < len(Column):
            out.append(CSV_KEYS[Column(section)])
        elif section - len(Column) < len(extras):
            extra = extras[section - len(Column)]
            out.append(f"{extra.kind}:{extra.key}")
    return out


def export_job(
    token: JobToken,
    reader: StoreReader,
    selection: TraceSelection,
    plan: ExportPlan,
    columns: list[str],
) -> ExportResult:
    """Pool job: the export, reporting each page and stopping when the token is cancelled."""
    return export_traces(
        reader,
        selection,
        plan.format_name,
        plan.path,
        columns=columns,
        progress=token.report,
        cancelled=lambda: token.cancelled,
    )


def trace_summary(reader: StoreReader, trace_id: str) -> str:
    """Database thread: the trace as Markdown."""
    return trace_markdown(reader.get_trace(trace_id))


def span_summary(reader: StoreReader, trace_id: str, span_id: str) -> str:
    """Database thread: one span of the trace as Markdown."""
    trace = reader.get_trace(trace_id)
    span = next((s for s in trace.data.spans if s.span_id == span_id), None)
    if span is None:
        raise LookupError(f"The span {span_id} is not in the trace {trace_id}.")
    return span_markdown(trace, span)


class TraceExports(QObject):
    """Export Traces… and Copy as Markdown, over the list, the explorer and the open store."""

    message = Signal(str)  # a short note for the status bar
    exported = Signal(str)  # the path an export was written to

    def __init__(
        self,
        tasks: TaskRunner,
        view: TraceListView,
        explorer: TraceExplorer,
        store: Callable[[], Store | None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._owner = parent
        self._tasks = tasks
        self._view = view
        self._model: TraceListModel = view.trace_model()
        self._explorer = explorer
        self._store = store
        self._task: Task | None = None
        self.dialog: ExportDialog | None = None
        self.copy_trace_action = QAction("Copy Trace as &Markdown", self)
        self.copy_trace_action.setObjectName("copyTraceMarkdown")
        self.copy_trace_action.setToolTip("A summary to paste into an issue or a chat")
        self.copy_trace_action.triggered.connect(lambda: self.copy_trace(explorer.trace_id))
        self.copy_span_action = QAction("Copy &Span as Markdown", self)
        self.copy_span_action.setObjectName("copySpanMarkdown")
        self.copy_span_action.triggered.connect(self.copy_selected_span)
        explorer.header.more.menu().addAction(self.copy_trace_action)
        explorer.spans.view.trace_actions += [self.copy_span_action, self.copy_trace_action]

    # -- Export Traces… ---------------------------------------------------------------------

    def open_dialog(self, selected: list[str] | None = None) -> ExportDialog | None:
        """The export dialog over the list's selection (or `selected`) and its filter."""
        store = self._store()
        if store is None or self._model.query is None:
            self.message.emit("Open a database to export its traces.")
            return None
        if self.dialog is not None and isValid(self.dialog):
            self.dialog.raise_()
            self.dialog.activateWindow()
            return self.dialog
        chosen = selected if selected is not None else self._view.selected_trace_ids()
        folder = store.location.path.parent if store.location.path else Path.home()
        dialog = ExportDialog(available_formats(), chosen, self._model.total, folder, self._owner)
        dialog.export_requested.connect(self._start)
        dialog.cancel_requested.connect(self._cancel)
        dialog.finished.connect(self._forget_dialog)
        self.dialog = dialog
        dialog.open()
        return dialog

    def export_row(self, trace_id: str) -> ExportDialog | None:
        """The row menu's Export…: the selected rows when the row is one of them, else it."""
        selected = self._view.selected_trace_ids()
        return self.open_dialog(selected if trace_id in selected else [trace_id])

    def _start(self, plan: ExportPlan) -> None:
        store, query, dialog = self._store(), self._model.query, self.dialog
        if store is None or query is None or dialog is None:
            return
        if plan.trace_ids is not None:
            selection = TraceSelection.of_ids(plan.trace_ids)
            total: int | None = len(plan.trace_ids)
        else:
            selection = TraceSelection(query.experiment_ids, query.filter_string, query.order_by)
            total = self._model.total
        task = self._tasks.submit_job(
            export_job, store.reader, selection, plan, csv_columns(self._view)
        )
        task.describe(f"Exporting traces to {plan.path}")
        task.on_progress(lambda done, total, _payload: self._progress(done, total))
        task.on_finished(self._finished)
        task.on_failed(lambda error: self._failed(plan, error))
        self._task = task
        dialog.show_started(total)

    def _progress(self, done: int, total: int) -> None:
        if self.dialog is not None:
            self.dialog.show_progress(done, total)

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.token.cancel()  # the job stops between pages and says how far it got

    def _finished(self, result: ExportResult) -> None:
        self._task = None
        if self.dialog is not None:
            self.dialog.show_finished(result)
        if result.cancelled:
            self.message.emit("Export cancelled; no file was written.")
            return
        self.message.emit(f"Exported {result.written:,} trace(s) to {result.path}.")
        self.exported.emit(str(result.path))

    def _failed(self, plan: ExportPlan, error: BaseException) -> None:
        self._task = None
        text = f"The traces could not be written to {plan.path}: {error}"
        if self.dialog is not None:
            self.dialog.show_failed(text)
        else:
            self._tasks.report_failure("Exporting traces", error)

    def _forget_dialog(self) -> None:
        if self._task is not None:  # closed while running (the window closes): stop it
            self._task.token.cancel()
        self.dialog = None

    # -- Copy as Markdown -------------------------------------------------------------------

    def copy_trace(self, trace_id: str | None) -> Task | None:
        """Put a Markdown summary of `trace_id` on the clipboard (made in the database thread)."""
        store = self._store()
        if store is None or not trace_id:
            self.message.emit("Select a trace to copy it as Markdown.")
            return None
        task = self._tasks.submit(trace_summary, store.reader, trace_id)
        task.describe("Summarising the trace as Markdown")
        task.on_finished(lambda text: self._copied(text, "the trace"))
        return task

    def copy_selected_span(self) -> Task | None:
        """Put a Markdown summary of the span selected in the explorer on the clipboard."""
        store, span, trace_id = (
            self._store(),
            self._explorer.selected_span(),
            self._explorer.trace_id,
        )
        if store is None or span is None or not trace_id:
            self.message.emit("Select a span to copy it as Markdown.")
            return None
        task = self._tasks.submit(span_summary, store.reader, trace_id, span.span_id)
        task.describe("Summarising the span as Markdown")
        task.on_finished(lambda text: self._copied(text, "the span"))
        return task

    def _copied(self, text: str, what: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.message.emit(f"Copied {what} as Markdown.")
