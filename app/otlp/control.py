"""`OtlpReceiving`: starts and stops the window's OTLP receiver and reports what it stores.

Starting (making the experiment, binding the port) runs in the database thread and stopping
(which waits for a write in flight) in the job pool: the GUI thread never waits on either.
The receiver's own threads store the spans; each stored batch comes back as a queued signal,
and the trace list is asked to look for new rows at most every `REFRESH_MS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from app.tasks import TaskRunner
from core.otlp import OtlpReceiver, Stored
from core.store import Store

#: How often, at most, stored batches make the trace list look for new rows.
REFRESH_MS = 400


@dataclass(frozen=True)
class ReceivePlan:
    """What the dialog asks for: an experiment (by name; made when missing) and a port."""

    experiment: str
    port: int


def start_receiver(store: Store, plan: ReceivePlan) -> OtlpReceiver:
    """Database thread: the experiment's id (made if new), then a running receiver."""
    writer = store.writer
    existing = store.reader.experiment_by_name(plan.experiment)
    if existing is not None:
        experiment_id = existing.experiment_id
    else:
        experiment_id = writer.create_experiment(plan.experiment)
    return OtlpReceiver(store, experiment_id, port=plan.port).start()


class OtlpReceiving(QObject):
    """The window's receiver: at most one, on the store shown."""

    running_changed = Signal(bool)
    counts_changed = Signal(int, int)  # spans, traces stored since the start
    traces_stored = Signal(object)  # int: rows to read from this time on (ms; coalesced)
    failed = Signal(str)
    _batch_stored = Signal(object)  # from the receiver's writer thread (queued)

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._receiver: OtlpReceiver | None = None
        self._starting = False
        self.label = QLabel()
        self.label.setObjectName("statusOtlp")
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self._emit_stored)
        self._since_ms: int | None = None
        self._batch_stored.connect(self._on_batch)

    @property
    def running(self) -> bool:
        return self._receiver is not None

    @property
    def busy(self) -> bool:
        """Starting: the port is being opened."""
        return self._starting

    @property
    def address(self) -> str:
        if self._receiver is None:
            return ""
        host, port = self._receiver.address
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        return self._receiver.url if self._receiver is not None else ""

    @property
    def experiment_id(self) -> str | None:
        return self._receiver.experiment_id if self._receiver is not None else None

    def counts(self) -> tuple[int, int]:
        return self._receiver.counts() if self._receiver is not None else (0, 0)

    def start(self, store: Store, plan: ReceivePlan) -> None:
        if self._receiver is not None or self._starting:
            return
        self._starting = True
        task = self._tasks.submit(start_receiver, store, plan)
        task.on_finished(self._started).on_failed(self._start_failed)

    def _started(self, receiver: OtlpReceiver) -> None:
        self._starting = False
        receiver.on_stored = self._batch_stored.emit
        self._receiver = receiver
        self._show_counts()
        self.running_changed.emit(True)

    def _start_failed(self, error: BaseException) -> None:
        self._starting = False
        self.failed.emit(f"The receiver could not start: {error}")
        self.running_changed.emit(False)

    def stop(self, *, wait: bool = False) -> None:
        """Stop receiving (in the job pool; `wait` stops here, for closing the window)."""
        receiver, self._receiver = self._receiver, None
        if receiver is None:
            return
        receiver.on_stored = None
        if wait:
            receiver.stop()
        else:
            self._tasks.submit_job(_stop, receiver)
        self._refresh.stop()
        self.running_changed.emit(False)

    def _on_batch(self, stored: Stored) -> None:
        if self._receiver is None:
            return
        if stored.start_ms is not None:
            since = self._since_ms
            self._since_ms = stored.start_ms if since is None else min(since, stored.start_ms)
        self._show_counts()
        if not self._refresh.isActive():
            self._refresh.start()

    def _emit_stored(self) -> None:
        since, self._since_ms = self._since_ms, None
        if since is not None:
            self.traces_stored.emit(since)

    def _show_counts(self) -> None:
        spans, traces = self.counts()
        noun = "span" if spans == 1 else "spans"
        self.label.setText(f"Receiving OTLP on {self.address} · {spans:,} {noun}")
        self.label.setToolTip(
            f"{self.url}\n{spans:,} {noun} in {traces:,} "
            f"trace{'' if traces == 1 else 's'} received since the start"
        )
        self.counts_changed.emit(spans, traces)


def _stop(_token: object, receiver: OtlpReceiver) -> None:
    """Job pool: close the port once the writes in flight are answered."""
    receiver.stop()
