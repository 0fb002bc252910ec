"""The status bar: the open file, its layout and mode, live mode, the selected trace, the count."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QStatusBar, QWidget

from app.formatting import home_path
from app.widgets import ElidedLabel
from core.store import Store


def _separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


class StoreStatusBar(QStatusBar):
    """Permanent fields on the right; the open file on the left, elided in the middle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.file_label = ElidedLabel()
        self.notice_label = ElidedLabel(mode=Qt.TextElideMode.ElideRight)
        self.notice_label.setObjectName("statusNotice")
        self.notice_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.notice_label.setMaximumWidth(380)
        self.layout_label = QLabel()
        self.mode_label = QLabel()
        self.mode_label.setObjectName("statusMode")
        self.count_label = QLabel()
        self.trace_label = QLabel()
        self.trace_label.setObjectName("statusTrace")
        self.trace_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.trace_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.live_label = QLabel()
        self.live_label.setObjectName("statusLive")
        self.addWidget(self.file_label, 1)
        self._separators: dict[QWidget, QFrame] = {}
        self._add_fields()
        self.show_store(None)

    def _add_fields(self) -> None:
        """The permanent fields, left to right, each after a separator."""
        fields = (
            self.notice_label,
            self.trace_label,
            self.layout_label,
            self.mode_label,
            self.live_label,
            self.count_label,
        )
        for widget in fields:
            self._separators[widget] = _separator()
            self.addPermanentWidget(self._separators[widget])
            self.addPermanentWidget(widget)

    def show_store(self, store: Store | None) -> None:
        """Describe `store`, or say that nothing is open."""
        if store is None:
            self.file_label.setText("No database open")
            self.file_label.setToolTip("")
            self.layout_label.setText("")
            self.mode_label.setText("")
            self.show_notices([])
            self.show_count(None, 0)
            self.show_trace_id(None)
            self.show_live(None)
            self._separators_visible(False)
            return
        self._separators_visible(True)
        self.file_label.setText(home_path(store.display_name))  # a URL never shows a password
        self.file_label.setToolTip(
            store.display_name
            if store.location.is_sqlite
            else f"{store.display_name}\nA database server: live mode asks it for changes "
            "every few seconds, less often while nothing changes."
        )
        self.layout_label.setText(store.layout.label)
        self.mode_label.setText("Read-only" if store.read_only else "Read-write")
        self.mode_label.setToolTip(
            "TraceDesk will not change this database."
            if store.read_only
            else "TraceDesk may add prompts, evaluation runs and traces to this database."
        )
        self.show_notices(store.notices)

    def show_notices(self, notices: list[str]) -> None:
        count = len(notices)
        summary = f"⚠ {notices[0]}" if count == 1 else f"⚠ {count} notices"
        self.notice_label.setText(summary if count else "")
        self.notice_label.setToolTip("\n".join(notices))
        self.notice_label.setVisible(bool(count))
        self._separators[self.notice_label].setVisible(bool(count))

    def show_count(self, total: int | None, loaded: int, *, stale: bool = False) -> None:
        """`total` matching traces (None while counting) of which `loaded` are in the list;
        `stale` when they match the previous filter (the one asked for last has an error)."""
        if total is None:
            text = ""
        elif loaded < total:
            text = f"{total:,} traces · {loaded:,} loaded"
        else:
            text = "1 trace" if total == 1 else f"{total:,} traces"
        self.count_label.setText(f"{text} (previous filter)" if text and stale else text)

    def show_trace_id(self, trace_id: str | None) -> None:
        """The trace the explorer shows (selectable, to copy it by hand)."""
        self.trace_label.setText(trace_id or "")
        self.trace_label.setToolTip("The trace shown in the explorer" if trace_id else "")
        self.trace_label.setVisible(bool(trace_id))
        self._separators[self.trace_label].setVisible(bool(trace_id))

    def show_live(self, polling: bool | None) -> None:
        """Live mode: polling (True), off or paused (False), or no store (None)."""
        if polling is None:
            self.live_label.setText("")
        elif polling:
            self.live_label.setText("● Live")
            self.live_label.setStyleSheet("color: #2e7d32;")
            self.live_label.setToolTip(
                "New traces appear as they are written (View → Live, Ctrl+Shift+L)"
            )
        else:
            self.live_label.setText("Live off")
            self.live_label.setStyleSheet("")
            self.live_label.setToolTip("Turn on with View → Live (Ctrl+Shift+L)")
        self.live_label.setVisible(polling is not None)
        self._separators[self.live_label].setVisible(polling is not None)

    def _separators_visible(self, visible: bool) -> None:
        optional = (self.notice_label, self.trace_label, self.live_label)
        for widget, separator in self._separators.items():
            shown = widget not in optional or not widget.isHidden()
            separator.setVisible(visible and shown)
