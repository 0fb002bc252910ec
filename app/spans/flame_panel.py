"""`FlamePanel`: the flame view of a trace under a small bar — the critical path toggle,
Fit (the whole trace), the zoom, and how to move around."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from app.spans.filter_bar import CRITICAL_PATH_KEYS
from app.spans.flame import HINT, FlameView
from app.widgets import ElidedLabel

TIMES = "\N{MULTIPLICATION SIGN}"


class FlamePanel(QWidget):
    """A bar over a `FlameView`; `critical_toggled` when the user flips the highlight."""

    critical_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("flamePanel")
        self.view = FlameView(self)
        bar = QWidget(self)
        bar.setObjectName("flameBar")
        keys = QKeySequence(CRITICAL_PATH_KEYS)
        self.critical_button = self._button(
            bar,
            "Critical path",
            "Outline the chain of spans that determined how long the trace took; fade the"
            f" others ({keys.toString(QKeySequence.SequenceFormat.NativeText)})",
        )
        self.critical_button.setCheckable(True)
        self.critical_button.toggled.connect(self.critical_toggled)
        # The span tree's bar has the same key: only the panel on screen (its tab) reacts.
        QShortcut(keys, self, self.critical_button.click)
        self.set_critical_available(False)
        self.fit_button = self._button(bar, "Fit", "Show the whole trace (0)")
        self.fit_button.clicked.connect(self.view.reset_zoom)
        self.zoom_label = QLabel(bar)
        self.zoom_label.setObjectName("flameZoom")
        self.hint = ElidedLabel(HINT.split(" · Arrows")[0], Qt.TextElideMode.ElideRight, bar)
        self.hint.setObjectName("flameHint")
        self.hint.setToolTip(HINT)
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        row = QHBoxLayout(bar)
        row.setContentsMargins(6, 4, 6, 4)
        row.setSpacing(4)
        for widget in (self.critical_button, self.fit_button, self.zoom_label):
            row.addWidget(widget)
        row.addSpacing(8)
        row.addWidget(self.hint, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self.view, 1)
        self.view.view_changed.connect(self._show_zoom)
        self._show_zoom()

    def _button(self, bar: QWidget, text: str, tip: str) -> QToolButton:
        button = QToolButton(bar)
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        return button

    def set_critical_available(self, available: bool) -> None:
        """Enable the toggle when the trace has spans."""
        self.critical_button.setEnabled(available)

    def set_critical_checked(self, checked: bool) -> None:
        """Follow the highlight switched elsewhere (the span tree's bar), without a signal."""
        self.critical_button.blockSignals(True)
        self.critical_button.setChecked(checked)
        self.critical_button.blockSignals(False)

    def _show_zoom(self) -> None:
        zoom = self.view.zoom
        if self.view.flame_layout is None:
            self.zoom_label.setText("")
        elif zoom < 1.005:
            self.zoom_label.setText("Whole trace")
        else:
            digits = 1 if zoom < 100 else 0
            self.zoom_label.setText(f"Zoom {TIMES}{zoom:,.{digits}f}")
        self.fit_button.setEnabled(zoom >= 1.005)
