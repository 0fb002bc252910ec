"""`RunnerBar`: Load, the agent process's state, the interpreter and timeout it runs with, where
its traces go, and a banner for what went wrong (a crash, a hang, a failed load) with Restart."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.formatting import home_path
from app.widgets import ElidedLabel

BANNER_STYLE = (
    "QFrame#agentBanner { background: #fde8e8; border: 1px solid #f5b5b5; border-radius: 4px; }"
    " QFrame#agentBanner QLabel { color: #7f1d1d; }"
)
TRACES_WRITTEN = (
    "Traces of this agent's answers are written to this database by the agent process "
    "(TraceDesk itself only reads it)."
)


def _plain_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)  # messages quote paths and process output
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class RunnerBar(QWidget):
    """The controls of the agent process above the chat."""

    load_requested = Signal()
    restart_requested = Signal()
    interpreter_requested = Signal()
    timeout_changed = Signal(float)
    tracing_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentRunnerBar")
        self.load_button = QPushButton("&Load", self)
        self.load_button.setObjectName("agentLoad")
        self.load_button.setToolTip("Start the selected version in its own process")
        self.load_button.clicked.connect(self.load_requested)
        self.status = _plain_label(self, "agentStatus")
        self.python_label = ElidedLabel("", Qt.TextElideMode.ElideLeft, self)
        self.python_label.setObjectName("agentPython")
        self.python_button = QPushButton("&Interpreter…", self)
        self.python_button.setObjectName("agentInterpreter")
        self.python_button.setToolTip("Choose the Python that runs agents (e.g. a virtualenv's)")
        self.python_button.clicked.connect(self.interpreter_requested)
        self.timeout = self._timeout_box()
        self.traces = _plain_label(self, "agentTracesNote")
        self.traces.setStyleSheet("color: palette(placeholder-text);")
        self.tracing = QCheckBox("Write traces", self)
        self.tracing.setObjectName("agentTracing")
        self.tracing.setChecked(True)
        self.tracing.setToolTip("Uncheck to run this session's answers without writing traces")
        self.tracing.toggled.connect(self.tracing_toggled)
        self.banner = QFrame(self)
        self.banner.setObjectName("agentBanner")
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner_text = _plain_label(self.banner, "agentBannerText")
        self.restart_button = QPushButton("&Restart", self.banner)
        self.restart_button.setObjectName("agentRestart")
        self.restart_button.clicked.connect(self.restart_requested)
        self._lay_out()
        self.hide_problem()

    def _timeout_box(self) -> QDoubleSpinBox:
        box = QDoubleSpinBox(self)
        box.setObjectName("agentTimeout")
        box.setRange(0.5, 3600.0)
        box.setDecimals(1)
        box.setSuffix(" s")
        box.setToolTip("An agent that answers nothing for this long is stopped")
        box.valueChanged.connect(self.timeout_changed)
        return box

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.load_button)
        top.addWidget(self.status, 1)
        python = QHBoxLayout()
        python.addWidget(QLabel("Interpreter:", self))
        python.addWidget(self.python_label, 1)
        python.addWidget(self.python_button)
        python.addSpacing(12)
        python.addWidget(QLabel("Timeout:", self))
        python.addWidget(self.timeout)
        traces = QHBoxLayout()
        traces.addWidget(self.traces, 1)
        traces.addWidget(self.tracing)
        banner = QHBoxLayout(self.banner)
        banner.setContentsMargins(10, 6, 6, 6)
        banner.addWidget(self.banner_text, 1)
        banner.addWidget(self.restart_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(python)
        layout.addLayout(traces)
        layout.addWidget(self.banner)

    def set_python(self, python: str) -> None:
        self.python_label.setText(home_path(python))
        self.python_label.setToolTip(python)

    def set_timeout(self, seconds: float) -> None:
        self.timeout.blockSignals(True)  # a value from the settings is not a change
        self.timeout.setValue(seconds)
        self.timeout.blockSignals(False)

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def set_traces_note(self, text: str) -> None:
        self.traces.setText(text)

    def show_problem(self, text: str, can_restart: bool = True) -> None:
        """Say what went wrong, with Restart when starting again may help."""
        self.banner_text.setText(text)
        self.restart_button.setVisible(can_restart)
        self.banner.show()

    def hide_problem(self) -> None:
        self.banner.hide()
        self.banner_text.clear()

    @property
    def problem(self) -> str:
        """The banner's message ('' when none is shown)."""
        return self.banner_text.text() if not self.banner.isHidden() else ""
