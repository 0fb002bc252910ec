"""`StartDialog`: which queue to label, and for a new one which traces and which fields.

A new queue takes the traces matching the filter (prefilled from the query bar), or a random
sample of them, and the fields typed one per line; an existing queue keeps its own (MLflow locks
a queue's questions once it has traces). The labeller's name defaults to the OS user.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.explorer.label_writes import current_user
from app.labeling.plan import DEFAULT_FIELDS, FIELDS_HELP, QueuePlan, parse_fields
from app.labeling.work import read_queues
from app.tasks import TaskRunner
from app.widgets import ReadOnlyBar
from core.store import QueueSummary, Store

NEW_QUEUE = "New queue"
READ_ONLY_TEXT = (
    "This database is open read-only — Enable Editing to make a queue or save labels "
    "(an existing queue opens to look at)."
)


class StartDialog(QDialog):
    """Asks for a `QueuePlan`; `start_requested` carries it (the dialog stays until started)."""

    start_requested = Signal(object)  # QueuePlan
    editing_requested = Signal()

    def __init__(
        self,
        tasks: TaskRunner,
        store: Store,
        experiment_id: str,
        filter_text: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("labelStartDialog")
        self.setWindowTitle("Label Traces")
        self._store = store
        self._experiment_id = experiment_id
        self._queues: list[QueueSummary] = []
        self.queue = QComboBox(self)
        self.queue.setObjectName("startQueue")
        self.queue.addItem(NEW_QUEUE)
        self.queue.currentIndexChanged.connect(self._queue_chosen)
        self.name = QLineEdit("Review", self)
        self.name.setObjectName("startName")
        self.filter = QLineEdit(filter_text, self)
        self.filter.setObjectName("startFilter")
        self.filter.setPlaceholderText("every trace of the experiment, e.g. trace.status = 'OK'")
        self.sampled = QCheckBox("Only a random &sample of", self)
        self.sampled.setObjectName("startSampled")
        self.sample = QSpinBox(self)
        self.sample.setObjectName("startSample")
        self.sample.setRange(1, 100_000)
        self.sample.setValue(20)
        self.sample.setSuffix(" traces")
        self.fields = QPlainTextEdit(DEFAULT_FIELDS, self)
        self.fields.setObjectName("startFields")
        self.fields.setTabChangesFocus(True)
        self.fields.setFixedHeight(110)
        self.fields_help = QLabel(FIELDS_HELP, self)
        self.fields_help.setWordWrap(True)
        self.fields_help.setStyleSheet("color: palette(placeholder-text);")
        self.user = QLineEdit(current_user(), self)
        self.user.setObjectName("startUser")
        self.status = QLabel(self)
        self.status.setObjectName("startStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self._build_bar()
        self.buttons = QDialogButtonBox(self)
        self.start = self.buttons.addButton("&Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start.setObjectName("startStart")
        self.start.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.request_start)
        self.buttons.rejected.connect(self.reject)
        self._lay_out()
        self.bar.setVisible(store.read_only)
        task = tasks.submit(read_queues, store, experiment_id)
        show_queues_later = weakref.WeakMethod(self.show_queues)
        task.on_finished(lambda queues: _call(show_queues_later, queues))

    def _build_bar(self) -> None:
        self.bar = ReadOnlyBar(READ_ONLY_TEXT, "startBar", self)
        self.enable = self.bar.enable
        self.bar.editing_requested.connect(self._enable_editing)

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("&Queue:", self.queue)
        form.addRow("&Name:", self.name)
        form.addRow("&Traces:", self.filter)
        sample = QHBoxLayout()
        sample.addWidget(self.sampled)
        sample.addWidget(self.sample)
        sample.addStretch(1)
        form.addRow("", sample)
        form.addRow("&Fields:", self.fields)
        form.addRow("", self.fields_help)
        form.addRow("&Labeller:", self.user)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(620)

    def show_queues(self, queues: list[QueueSummary]) -> None:
        """The experiment's queues, to resume one."""
        self._queues = list(queues)
        for queue in queues:
            self.queue.addItem(f"{queue.name} ({queue.items:,} traces)", queue.queue_id)

    def _queue_chosen(self, index: int) -> None:
        new = index <= 0
        for widget in (self.name, self.filter, self.sampled, self.sample, self.fields):
            widget.setEnabled(new)
        if not new:
            self.name.setText(self._queues[index - 1].name)
            self.status.setText("The queue keeps its traces and fields; you resume where you left.")
        else:
            self.status.clear()

    def plan(self) -> QueuePlan:
        """What the dialog says; ValueError with the reason when it is incomplete."""
        user = self.user.text().strip()
        if not user:
            raise ValueError("Say who labels: the labeller's name goes with every label.")
        queue_id = self.queue.currentData()
        if isinstance(queue_id, str):
            return QueuePlan(self._experiment_id, self.name.text().strip(), user, queue_id)
        name = self.name.text().strip()
        if not name or name.lower() == "default":
            raise ValueError("Give the new queue a name (not “default”).")
        return QueuePlan(
            self._experiment_id,
            name,
            user,
            filter_string=self.filter.text().strip(),
            sample=self.sample.value() if self.sampled.isChecked() else None,
            fields=parse_fields(self.fields.toPlainText()),
        )

    def request_start(self) -> None:
        try:
            plan = self.plan()
        except ValueError as why:
            self.status.setText(str(why))
            return
        if plan.queue_id is None and self._store.read_only:
            self.bar.show()
            self.status.setText("Not started: making a queue writes to the database.")
            return
        self.status.setText("Starting…")
        self.start.setEnabled(False)
        self.start_requested.emit(plan)

    def start_failed(self, message: str) -> None:
        self.status.setText(message)
        self.start.setEnabled(True)

    def _enable_editing(self) -> None:
        self.editing_requested.emit()
        self.reject()


def _call(method: weakref.WeakMethod[Callable[..., Any]], *args: Any) -> None:
    """Call a method of a widget if it still exists (its C++ side included)."""
    bound = method()
    if bound is not None and isValid(getattr(bound, "__self__", None)):
        bound(*args)
