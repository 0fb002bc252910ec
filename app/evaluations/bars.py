"""The page's two strips: "open for writing?" above the runs, and a rerun's progress below.

`EditingBar` explains why a rerun needs the database opened for writing and offers Enable
Editing (or says that this layout cannot be written). `RerunStrip` shows a running rerun: a
progress bar, rows done, errors, time left, and Cancel; when the rerun ends it says how.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QWidget,
)

from app.evaluations.rerun import RerunProgress, progress_text

BAR_STYLE = (
    "#evaluationEditingBar { background: #fff4ce; border-bottom: 1px solid #e3c55b; }"
    "#evaluationEditingBar QLabel { color: #3b2f00; }"
)


def _close_button(parent: QWidget, tip: str) -> QToolButton:
    button = QToolButton(parent)
    button.setAutoRaise(True)
    button.setText("✕")
    button.setToolTip(tip)
    return button


class EditingBar(QFrame):
    """Asks for the database to be opened for writing (or says it cannot be)."""

    enable_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("evaluationEditingBar")
        self.setStyleSheet(BAR_STYLE)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.button = QPushButton("Enable Editing", self)
        self.button.setObjectName("enableEditingButton")
        self.button.clicked.connect(self.enable_requested)
        close = _close_button(self, "Hide this notice")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        layout.addWidget(close)
        self.hide()

    def ask(self, text: str) -> None:
        """Explain `text` and offer Enable Editing."""
        self.label.setText(text)
        self.button.show()
        self.show()

    def refuse(self, text: str) -> None:
        """Explain why this database cannot be written (no button)."""
        self.label.setText(text)
        self.button.hide()
        self.show()


class RerunStrip(QFrame):
    """Progress of the rerun running now; `cancel_requested` when the user stops it."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rerunStrip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # run and model names are data
        self.bar = QProgressBar(self)
        self.bar.setObjectName("rerunProgress")
        self.bar.setTextVisible(True)
        self.detail = QLabel(self)
        self.detail.setObjectName("rerunDetail")
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.cancel = QPushButton("Cancel", self)
        self.cancel.setObjectName("rerunCancel")
        self.cancel.clicked.connect(self._cancel)
        self.close_button = _close_button(self, "Hide")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.detail, 1)
        layout.addWidget(self.cancel)
        layout.addWidget(self.close_button)
        self.hide()

    def start(self, title: str, total: int) -> None:
        self.title.setText(title)
        self.title.show()
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(0)
        self.bar.show()
        self.detail.setText(progress_text(0, total, 0, 0.0))
        self.cancel.setEnabled(True)
        self.cancel.show()
        self.close_button.hide()
        self.show()

    def show_progress(self, progress: RerunProgress) -> None:
        self.bar.setRange(0, max(progress.total, 1))
        self.bar.setValue(progress.done)
        if self.cancel.isEnabled():
            self.detail.setText(progress.text)

    def _cancel(self) -> None:
        self.cancel.setEnabled(False)
        self.detail.setText("Cancelling… the rows being answered finish first.")
        self.cancel_requested.emit()

    def finish(self, text: str) -> None:
        """The rerun ended: say how; the strip stays until closed."""
        self.title.hide()
        self.bar.hide()
        self.cancel.hide()
        self.detail.setText(text)
        self.close_button.show()
        self.show()
