"""`SpanFilterBar`: name search, a checkable menu of the span types present, errors only, the
critical path's highlight, Expand all / Collapse all, and how many spans match."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPixmap, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from app.spans.colors import type_color
from app.spans.tree import SpanFilter, SpanTree

#: Above this many spans, typing waits a moment before filtering (each pass rebuilds the view).
DEBOUNCE_SPANS = 2000
DEBOUNCE_MS = 150
#: Narrower than this, the bar uses short texts.
COMPACT_WIDTH = 620
#: Shows or hides the critical path (Ctrl+Shift+C is Copy Trace ID).
CRITICAL_PATH_KEYS = "Ctrl+Shift+P"


def color_icon(color: str, size: int = 10) -> QIcon:
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


def no_mnemonic(text: str) -> str:
    """Menu and button text from data: `&` is a literal ampersand, not a shortcut marker."""
    return text.replace("&", "&&")


class SpanFilterBar(QWidget):
    """Emits `filter_changed` with a `SpanFilter` whenever the user changes a criterion."""

    filter_changed = Signal(object)  # SpanFilter
    expand_all_requested = Signal()
    collapse_all_requested = Signal()
    critical_path_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spanFilterBar")
        # The texts shorten when the bar is narrow (`_update_texts`): their long forms must not
        # keep the panel from getting that narrow.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._tree: SpanTree | None = None
        self._type_actions: dict[str, QAction] = {}
        self._counts = (0, 0, False)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._emit)
        self.search = QLineEdit(self)
        self.search.setObjectName("spanSearch")
        self.search.setPlaceholderText("Filter spans by name…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._text_changed)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("spanCount")
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self._build_buttons()

    def _build_buttons(self) -> None:
        self.types_button = self._tool_button("Types", "Show only some span types")
        self.types_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.types_menu = QMenu(self.types_button)
        self.types_button.setMenu(self.types_menu)
        self.errors_button = self._tool_button("Errors only", "Show only spans that failed")
        self.errors_button.setCheckable(True)
        self.errors_button.toggled.connect(self._emit)
        keys = QKeySequence(CRITICAL_PATH_KEYS)
        self.critical_button = critical = self._tool_button(
            "Critical path",
            "Mark the critical path: the chain of spans that determined how long the trace"
            f" took ({keys.toString(QKeySequence.SequenceFormat.NativeText)})",
        )
        critical.setObjectName("criticalPathButton")
        critical.setCheckable(True)
        critical.toggled.connect(self.critical_path_toggled)
        # A shortcut of its own: a button's text change (the compact texts) resets its shortcut.
        QShortcut(keys, self, critical.click)  # click: nothing while the button is disabled
        self.expand_button = expand = self._tool_button("Expand all", "Expand every span")
        expand.clicked.connect(self.expand_all_requested)
        self.collapse_button = collapse = self._tool_button(
            "Collapse all", "Collapse to the top-level spans"
        )
        collapse.clicked.connect(self.collapse_all_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search, 1)
        for widget in (self.types_button, self.errors_button, self.critical_button):
            layout.addWidget(widget)
        for widget in (expand, collapse):
            layout.addWidget(widget)
        layout.addWidget(self.count_label)

    def _tool_button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        return button

    # -- state ------------------------------------------------------------------------------

    def set_tree(self, tree: SpanTree | None) -> None:
        """A new trace: offer its types, forget the previous criteria (without emitting)."""
        self.blockSignals(True)
        self.search.clear()
        self.errors_button.setChecked(False)
        self.blockSignals(False)
        self._timer.stop()
        self._tree = tree
        self.types_menu.clear()
        self._type_actions = {}
        counts = tree.type_counts if tree is not None else {}
        for kind, number in counts.items():
            action = self.types_menu.addAction(
                color_icon(type_color(kind)), f"{no_mnemonic(kind)}  ({number:,})"
            )
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(self._emit)
            self._type_actions[kind] = action
        if counts:
            self.types_menu.addSeparator()
            self.types_menu.addAction("Show all types", self.show_all_types)
        errors = tree.error_count if tree is not None else 0
        self.errors_button.setEnabled(errors > 0)
        self.critical_button.setEnabled(tree is not None and bool(tree.spans))  # stays checked
        self._update_texts()
        self.types_button.setEnabled(len(counts) > 1)
        self._update_types_text()

    def current_filter(self) -> SpanFilter:
        checked = frozenset(k for k, a in self._type_actions.items() if a.isChecked())
        every = not self._type_actions or len(checked) == len(self._type_actions)
        return SpanFilter(
            text=self.search.text(),
            types=None if every else checked,
            errors_only=self.errors_button.isChecked(),
        )

    def set_type_checked(self, span_type: str, checked: bool) -> None:
        self._type_actions[span_type].setChecked(checked)

    def show_all_types(self) -> None:
        for action in self._type_actions.values():
            action.blockSignals(True)
            action.setChecked(True)
            action.blockSignals(False)
        self._emit()

    def show_counts(self, matched: int, total: int, active: bool) -> None:
        self._counts = (matched, total, active)
        self._update_texts()

    def _update_texts(self) -> None:
        """Button and count texts, shorter when the bar is narrow (the tooltips say it all)."""
        compact = self.width() < COMPACT_WIDTH
        errors = self._tree.error_count if self._tree is not None else 0
        label = "Errors" if compact else "Errors only"
        self.errors_button.setText(f"{label} ({errors})" if errors else label)
        self.critical_button.setText("Critical" if compact else "Critical path")
        self.expand_button.setText("Expand" if compact else "Expand all")
        self.collapse_button.setText("Collapse" if compact else "Collapse all")
        matched, total, active = self._counts
        noun = "span" if total == 1 else "spans"
        if not active:
            self.count_label.setText(f"{total:,} {noun}")
        else:
            self.count_label.setText(f"{matched:,} of {total:,}" + ("" if compact else f" {noun}"))

    def resizeEvent(self, event: QResizeEvent) -> None:  # QWidget.resizeEvent
        super().resizeEvent(event)
        self._update_texts()

    # -- reacting ---------------------------------------------------------------------------

    def _text_changed(self, _text: str) -> None:
        if self._tree is not None and len(self._tree.spans) > DEBOUNCE_SPANS:
            self._timer.start()
        else:
            self._emit()

    def _emit(self) -> None:
        self._timer.stop()
        self._update_types_text()
        self.filter_changed.emit(self.current_filter())

    def _update_types_text(self) -> None:
        chosen = self.current_filter().types
        self.types_button.setText("Types" if chosen is None else f"Types ({len(chosen)})")
