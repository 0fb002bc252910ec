"""`AddToDatasetDialog`: the selected traces into a new or existing evaluation dataset (issue 22).

The trace list's row menu offers "Add to Dataset…" for the selected traces (or the row). The
dialog lists the store's datasets (read in the database thread); typing a name that is not
there makes a new one. Add writes in the job pool with a progress bar and Cancel, then says
what happened (added, updated, skipped and why). A database open read-only says so with
Enable Editing instead of writing.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.tasks import Task, TaskRunner
from app.traces.datasets import AddResult, DatasetChoice, add_traces, dataset_choices
from core.store import Store

log = logging.getLogger(__name__)

DIALOG_WIDTH = 500
READ_ONLY_TEXT = "This database is open read-only — Enable Editing to write datasets."


class AddToDatasetDialog(QDialog):
    """Asks which dataset, adds the traces to it, and says what happened."""

    editing_requested = Signal()
    finished_adding = Signal(object)  # AddResult

    def __init__(
        self,
        tasks: TaskRunner,
        store: Store,
        trace_ids: Sequence[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("addToDatasetDialog")
        self.setWindowTitle("Add to Dataset")
        self._tasks = tasks
        self._store = store
        self._trace_ids = list(trace_ids)
        self._choices: list[DatasetChoice] = []
        self._task: Task | None = None
        count = len(self._trace_ids)
        self.intro = QLabel(
            f"Add {count:,} trace{'' if count == 1 else 's'} to an evaluation dataset: each "
            "becomes a record with the root span's inputs and outputs and the trace's "
            "expectations. A trace already in the dataset (same inputs) is updated.",
            self,
        )
        self.intro.setObjectName("datasetIntro")
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.name = QComboBox(self)
        self.name.setObjectName("datasetName")
        self.name.setEditable(True)
        self.name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.name.setMinimumWidth(320)
        line = self.name.lineEdit()
        if line is not None:
            line.setPlaceholderText("A new name, or one of the datasets")
        self.name.currentTextChanged.connect(self._describe_choice)
        self.choice = QLabel(self)
        self.choice.setObjectName("datasetChoice")
        self.choice.setTextFormat(Qt.TextFormat.PlainText)
        self.choice.setStyleSheet("color: palette(placeholder-text);")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("datasetProgress")
        self.progress.setRange(0, max(1, count))
        self.progress.hide()
        self.status = QLabel(self)
        self.status.setObjectName("datasetStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(self)
        self.add = self.buttons.addButton("&Add", QDialogButtonBox.ButtonRole.AcceptRole)
        self.add.setObjectName("datasetAdd")
        self.add.setDefault(True)
        self.enable = QPushButton("E&nable Editing", self)
        self.enable.setObjectName("datasetEnableEditing")
        self.buttons.addButton(self.enable, QDialogButtonBox.ButtonRole.ActionRole)
        self.enable.hide()
        self.enable.clicked.connect(self._enable_editing)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self._cancel_or_close)
        self._lay_out()
        self._read_choices()

    def _lay_out(self) -> None:
        form = QFormLayout()
        label = QLabel("&Dataset:", self)
        label.setBuddy(self.name)
        form.addRow(label, self.name)
        form.addRow("", self.choice)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(DIALOG_WIDTH)
        margins = layout.contentsMargins()
        text_width = DIALOG_WIDTH - margins.left() - margins.right()
        self.intro.setMinimumHeight(self.intro.heightForWidth(text_width))  # all its lines
        self.resize(DIALOG_WIDTH, self.sizeHint().height())

    # -- the datasets offered ------------------------------------------------------------------

    def _read_choices(self) -> None:
        self.status.setText("Reading the datasets…")
        shown, told = weakref.WeakMethod(self._show_choices), weakref.WeakMethod(self._show_status)
        task = self._tasks.submit(dataset_choices, self._store)
        task.on_finished(lambda found: _call(shown, found))
        task.on_failed(lambda error: _call(told, f"Datasets not read: {error}"))

    def _show_choices(self, choices: list[DatasetChoice]) -> None:
        self._choices = choices
        typed = self.name.currentText()
        self.name.blockSignals(True)
        for choice in choices:
            self.name.addItem(choice.name, choice.dataset_id)
        self.name.setCurrentIndex(-1)
        self.name.setCurrentText(typed)
        self.name.blockSignals(False)
        self.status.setText("" if choices else "No datasets yet: type a name for a new one.")
        self._describe_choice(typed)
        self._check_writable()

    def chosen(self) -> tuple[str, str | None]:
        """(name, id of the existing dataset of that name or None for a new one)."""
        name = self.name.currentText().strip()
        found = next((c for c in self._choices if c.name == name), None)
        return name, found.dataset_id if found is not None else None

    def _describe_choice(self, _text: str) -> None:
        name, dataset_id = self.chosen()
        if not name:
            self.choice.setText("")
        elif dataset_id is None:
            self.choice.setText("A new dataset, in the traces' experiments.")
        else:
            records = next(c.records for c in self._choices if c.dataset_id == dataset_id)
            self.choice.setText(f"An existing dataset of {records:,} records.")

    # -- adding -------------------------------------------------------------------------------

    def _check_writable(self) -> bool:
        if not self._store.read_only:
            return True
        if self._store.layout.writable:
            self.status.setText(READ_ONLY_TEXT)
            self.enable.show()
        else:
            self.status.setText(
                f"This is an {self._store.layout.label}; TraceDesk writes only MLflow 3.18's "
                "layout, so no dataset can be written here."
            )
        self.add.setEnabled(False)
        return False

    def start(self) -> None:
        """Add the traces (the Add button, Enter)."""
        if self._task is not None or not self._check_writable():
            return
        name, dataset_id = self.chosen()
        if not name:
            self.status.setText("Type a dataset name, or choose one.")
            self.name.setFocus()
            return
        self.add.setEnabled(False)
        self.name.setEnabled(False)
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText(f"Adding to “{name}”…")
        progress = weakref.WeakMethod(self._show_progress)
        done, failed = weakref.WeakMethod(self._done), weakref.WeakMethod(self._failed)
        task = self._tasks.submit_job(add_traces, self._store, self._trace_ids, name, dataset_id)
        task.on_progress(lambda count, _total, _payload: _call(progress, count))
        task.on_finished(lambda result: _call(done, result))
        task.on_failed(lambda error: _call(failed, error))
        self._task = task

    def _show_progress(self, done: int) -> None:
        self.progress.setValue(done)

    def _done(self, result: AddResult) -> None:
        self._task = None
        self.progress.setValue(self.progress.maximum())
        self.status.setText(result.summary())
        self.close_button.setText("Close")
        self.finished_adding.emit(result)

    def _failed(self, error: BaseException) -> None:
        self._task = None
        log.info("Adding to a dataset failed: %r", error)
        self.progress.hide()
        self.status.setText(f"Nothing more was added: {error}")
        self.add.setEnabled(True)
        self.name.setEnabled(True)

    def _show_status(self, text: str) -> None:
        self.status.setText(text)

    def _cancel_or_close(self) -> None:
        if self._task is not None:
            self._task.token.cancel()  # the job stops between batches and says how far it got
            self.status.setText("Stopping after the current batch…")
            return
        self.reject()

    def _enable_editing(self) -> None:
        self.editing_requested.emit()
        self.reject()


def open_add_to_dataset(
    parent: QWidget,
    tasks: TaskRunner,
    store: Store | None,
    trace_ids: Sequence[str],
    enable_editing: Callable[[], object],
) -> AddToDatasetDialog | None:
    """The trace list's "Add to Dataset…": the dialog for `trace_ids`, open (None: no store)."""
    if store is None or not trace_ids:
        return None
    dialog = AddToDatasetDialog(tasks, store, trace_ids, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.editing_requested.connect(enable_editing)
    dialog.open()
    return dialog


def _call(method: weakref.WeakMethod[Callable[..., Any]], *args: Any) -> None:
    """Call a method of the dialog if it still exists (C++ side included)."""
    bound = method()
    if bound is not None and isValid(getattr(bound, "__self__", None)):
        bound(*args)
