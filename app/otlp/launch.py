"""The window's side of File → Receive OpenTelemetry…: the dialog, the status-bar field, and
stopping the receiver when the store it writes to is no longer the one shown."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStatusBar, QWidget

from app.otlp.control import OtlpReceiving
from app.otlp.dialog import ReceiveOtlpDialog
from app.tasks import TaskRunner
from core.store import Store


def experiment_names(store: Store) -> list[tuple[str, str]]:
    """Database thread: (id, name) of the store's active experiments."""
    return [(e.experiment_id, e.name) for e in store.reader.experiments()]


class OtlpLauncher(QObject):
    """Opens the dialog on the shown store; its receiver stops when that store goes away."""

    traces_stored = Signal(object)  # int: read the list's rows from this time (ms) on
    editing_requested = Signal()  # the dialog asked for File → Enable Editing
    message = Signal(str)

    def __init__(
        self,
        window: QWidget,
        tasks: TaskRunner,
        status: QStatusBar,
        current_store: Callable[[], Store | None],
        current_experiment: Callable[[], str | None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._tasks = tasks
        self._store = current_store
        self._experiment = current_experiment
        self._receiving_store: Store | None = None
        self._reopen_when_writable = False
        self.dialog: ReceiveOtlpDialog | None = None
        self.receiving = OtlpReceiving(tasks, self)
        self.status_field = _status_field(self.receiving.label)
        self.status_field.hide()
        status.addPermanentWidget(self.status_field)
        self.receiving.traces_stored.connect(self.traces_stored)
        self.receiving.failed.connect(self.message)
        self.receiving.running_changed.connect(self._running_changed)

    def open_dialog(self) -> None:
        """File → Receive OpenTelemetry…: read the experiments, then show the dialog."""
        store = self._store()
        if store is None:
            return
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        task = self._tasks.submit(experiment_names, store)
        task.on_finished(lambda names: self._show_dialog(store, names))

    def _show_dialog(self, store: Store, names: list[tuple[str, str]]) -> None:
        if store is not self._store() or self.dialog is not None:
            return
        by_id = dict(names)
        shown = self.receiving.experiment_id or self._experiment()
        dialog = ReceiveOtlpDialog(
            self.receiving,
            self._receiving_store or store,
            [name for _id, name in names],
            by_id.get(shown or ""),
            self._window,
        )
        dialog.editing_requested.connect(self._ask_editing)
        dialog.destroyed.connect(lambda _object=None: self._forget_dialog())
        self.dialog = dialog
        dialog.open()

    def _forget_dialog(self) -> None:
        self.dialog = None

    def _ask_editing(self) -> None:
        self._reopen_when_writable = True
        self.editing_requested.emit()

    def _running_changed(self, running: bool) -> None:
        self._receiving_store = self._store() if running else None
        self.status_field.setVisible(running)
        if running:
            self.message.emit(f"Receiving OpenTelemetry traces on {self.receiving.url}")

    def store_changed(self, store: Store | None) -> None:
        """The window shows another store (or none): stop writing to the previous one."""
        if self._receiving_store is not None and store is not self._receiving_store:
            self.receiving.stop()
            self.message.emit("Stopped receiving OpenTelemetry: the database was closed")
        if self._reopen_when_writable and store is not None and not store.read_only:
            self._reopen_when_writable = False
            self.open_dialog()

    def shutdown(self) -> None:
        """The window closes: stop the receiver here and now (its threads are joined)."""
        self.receiving.stop(wait=True)


def _status_field(label: QLabel) -> QWidget:
    """The status bar's field: a separator, as between its other fields, then `label`."""
    field = QWidget()
    layout = QHBoxLayout(field)
    layout.setContentsMargins(0, 0, 0, 0)
    line = QFrame(field)
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    layout.addWidget(line)
    layout.addWidget(label)
    label.show()
    return field
