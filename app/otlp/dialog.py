"""File → Receive OpenTelemetry…: pick the experiment and port, start or stop the receiver,
and copy the endpoint an exporter needs. A database open read-only is said so, with the
way to enable editing; nothing is started then."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.otlp.control import OtlpReceiving, ReceivePlan
from core.otlp import DEFAULT_HOST, DEFAULT_PORT
from core.store import Store

DEFAULT_EXPERIMENT = "Default"


class ReceiveOtlpDialog(QDialog):
    """Start/stop the window's receiver on the shown store."""

    editing_requested = Signal()  # File → Enable Editing, asked from here

    def __init__(
        self,
        receiving: OtlpReceiving,
        store: Store,
        experiments: Sequence[str],
        current: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("receiveOtlpDialog")
        self.setWindowTitle("Receive OpenTelemetry")
        self._receiving = receiving
        self._store = store
        self._build_fields(experiments, current)
        self._build_layout()
        receiving.running_changed.connect(self._show_state)
        receiving.counts_changed.connect(self._counts_changed)
        receiving.failed.connect(self._show_failure)
        self.port.valueChanged.connect(lambda _port: self._show_state())
        self._show_state()

    def _build_fields(self, experiments: Sequence[str], current: str | None) -> None:
        self.experiment = QComboBox(self)
        self.experiment.setObjectName("otlpExperiment")
        self.experiment.setEditable(True)
        self.experiment.addItems(list(experiments) or [DEFAULT_EXPERIMENT])
        self.experiment.setCurrentText(current or DEFAULT_EXPERIMENT)
        self.experiment.setToolTip("Spans are stored in this experiment (made if it is new)")
        self.port = QSpinBox(self)
        self.port.setObjectName("otlpPort")
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setToolTip(f"Listens on {DEFAULT_HOST} only: other machines cannot reach it")
        self.endpoint = QLineEdit(self)
        self.endpoint.setObjectName("otlpEndpoint")
        self.endpoint.setReadOnly(True)
        self.endpoint.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy = QPushButton("Copy", self)
        self.copy.setToolTip("Copy the endpoint")
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.endpoint.text()))
        self.state = QLabel(self)
        self.state.setObjectName("otlpState")
        self.state.setWordWrap(True)
        self.state.setTextFormat(Qt.TextFormat.PlainText)
        self.start_stop = QPushButton(self)
        self.start_stop.setObjectName("otlpStartStop")
        self.start_stop.setDefault(True)
        self.start_stop.clicked.connect(self._toggle)
        self.enable = QPushButton("Enable Editing", self)
        self.enable.setObjectName("otlpEnableEditing")
        self.enable.clicked.connect(self._ask_editing)

    def _build_layout(self) -> None:
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.enable, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.start_stop, QDialogButtonBox.ButtonRole.ActionRole)
        form = QFormLayout()
        form.addRow("&Experiment:", self.experiment)
        form.addRow("&Port:", self.port)
        endpoint_row = QHBoxLayout()
        endpoint_row.addWidget(self.endpoint, 1)
        endpoint_row.addWidget(self.copy)
        form.addRow("Endpoint:", endpoint_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.state)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 80))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def _counts_changed(self, _spans: int, _traces: int) -> None:
        self._show_state()

    def _toggle(self) -> None:
        if self._receiving.running:
            self._receiving.stop()
            return
        name = self.experiment.currentText().strip()
        if not name:
            self.state.setText("Name the experiment the spans go to.")
            return
        self._receiving.start(self._store, ReceivePlan(name, self.port.value()))
        self._show_state()

    def _ask_editing(self) -> None:
        self.editing_requested.emit()
        self.accept()

    def _show_failure(self, message: str) -> None:
        self._show_state()
        self.state.setText(message)

    def _show_state(self) -> None:
        receiving = self._receiving
        writable = not self._store.read_only
        running = receiving.running
        self.enable.setVisible(not writable)
        self.start_stop.setText("Stop" if running else "Start")
        self.start_stop.setEnabled(writable and not receiving.busy)
        self.experiment.setEnabled(writable and not running)
        self.port.setEnabled(writable and not running)
        url = receiving.url or f"http://{DEFAULT_HOST}:{self.port.value()}/v1/traces"
        self.endpoint.setText(url)
        self.endpoint.setToolTip(
            f"What an exporter sends to: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT={url}"
        )
        if not writable:
            self.state.setText(
                f"{self._store.display_name} is open read-only. Receiving writes the spans "
                "into it: enable editing first (File → Enable Editing)."
            )
        elif receiving.busy:
            self.state.setText("Starting…")
        elif running:
            spans, traces = receiving.counts()
            self.state.setText(
                f"Receiving OTLP/HTTP (protobuf or JSON) on {receiving.address}: "
                f"{_count(spans, 'span')} in {_count(traces, 'trace')} so far. New traces "
                "appear in the list; "
                "a trace whose root span has not come yet shows as In progress."
            )
        else:
            self.state.setText(
                f"Not receiving. Start listens on {DEFAULT_HOST}:{self.port.value()} and stores "
                "what OpenTelemetry exporters send in the experiment above."
            )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")
