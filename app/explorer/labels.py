"""`LabelPanel`: the assessments of the shown trace, to add, edit and delete (issue 22).

One row per current assessment (name, value, who made it, on which span, rationale); a feedback
that overrode others has them as its children, newest first: the history MLflow keeps. Add
Feedback (Alt+F), Add Expectation (Alt+X), Edit (Alt+E or Enter) and Delete (Alt+D or Del,
confirmed) write in the database thread, as the human at the keyboard; the panel then shows
what the database holds. A database open read-only refuses with the Enable Editing hint, as the
Prompts page does. `LabelsWindow` holds the panel beside the explorer.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.explorer.assessments import FAIL_COLOR, PASS_COLOR, value_text
from app.explorer.label_dialog import LabelDialog
from app.explorer.label_writes import (
    EXPECTATION,
    FEEDBACK,
    current_user,
    delete_label,
    rows_of,
    source_label,
    write_label,
)
from app.formatting import one_line, rich_tooltip
from app.tasks import TaskRunner
from app.widgets import ReadOnlyBar
from core.entities import Assessment, Span, Trace
from core.errors import ReadOnlyStoreError
from core.store import Store, StoreReader

log = logging.getLogger(__name__)

COLUMNS = ["Name", "Value", "Source", "On", "Rationale"]
ASSESSMENT_ROLE = Qt.ItemDataRole.UserRole + 1
READ_ONLY_TEXT = "This database is open read-only — Enable Editing to add or change labels."
VALUE_CHARS = 60
#: Pass and fail colours, and their lighter versions on a dark background; other values keep
#: the text colour.
DARK_ON_LIGHT = {PASS_COLOR: "#4ade80", FAIL_COLOR: "#f87171"}
HINT = "Enter edits · Del deletes · an overridden feedback's old values are listed under it"


class LabelPanel(QWidget):
    """The editable assessments of one trace."""

    assessments_changed = Signal(str, list)  # (trace id, its assessments as now stored)
    editing_requested = Signal()  # Enable Editing was pressed in the read-only bar

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labelPanel")
        self._tasks = tasks  # writes are never dropped: a label saved is a label stored
        self._store: Store | None = None
        self._trace: Trace | None = None
        self._span: Span | None = None
        self.dialog: LabelDialog | None = None  # the form open now (tests type into it)
        self.confirm: QMessageBox | None = None  # the delete confirmation open now
        self.title = QLabel(self)
        self.title.setObjectName("labelTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setStyleSheet("font-weight:600;")
        self.bar = ReadOnlyBar(READ_ONLY_TEXT, "labelBar", self)
        self.bar_text, self.enable = self.bar.text, self.bar.enable
        self.bar.editing_requested.connect(self.editing_requested)
        self.bar.hide()
        self.tree = LabelTree(self)
        self.tree.edit_requested.connect(self.edit_selected)
        self.tree.delete_requested.connect(self.delete_selected)
        self.on_span = QCheckBox(self)
        self.on_span.setObjectName("labelOnSpan")
        self.add_feedback_button = self._button("Add &Feedback…", "labelAddFeedback")
        self.add_feedback_button.clicked.connect(self.add_feedback)
        self.add_expectation_button = self._button("Add E&xpectation…", "labelAddExpectation")
        self.add_expectation_button.clicked.connect(self.add_expectation)
        self.edit_button = self._button("&Edit…", "labelEdit")
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button = self._button("&Delete…", "labelDelete")
        self.delete_button.clicked.connect(self.delete_selected)
        self.hint = QLabel(HINT, self)
        self.hint.setObjectName("labelHint")
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        self.status = QLabel(self)
        self.status.setObjectName("labelStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self._lay_out()
        self._update_buttons()

    def _button(self, text: str, name: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAutoDefault(False)
        return button

    def _lay_out(self) -> None:
        buttons = QHBoxLayout()
        for button in (
            self.add_feedback_button,
            self.add_expectation_button,
            self.edit_button,
            self.delete_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.bar)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.hint)
        layout.addWidget(self.on_span)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

    # -- what is shown ------------------------------------------------------------------------

    @property
    def trace(self) -> Trace | None:
        return self._trace

    def show_trace(self, store: Store | None, trace: Trace | None, span: Span | None) -> None:
        """Label `trace` (its `span` when the user ticks "on the selected span")."""
        same = (
            trace is not None
            and self._trace is not None
            and trace.info.trace_id == self._trace.info.trace_id
        )
        if not same:
            self.status.clear()
        self._store, self._trace = store, trace
        self.show_span(span)
        name = trace.info.name if trace is not None else ""
        self.title.setText(
            f"Labels of {one_line(name, 60) or trace.info.trace_id}" if trace else "No trace"
        )
        self.show_assessments(list(trace.info.assessments) if trace is not None else [])
        if store is not None and not store.read_only:
            self.bar.hide()

    def show_span(self, span: Span | None) -> None:
        """The span selected in the explorer: new labels may go on it."""
        root = self._trace.data.root_span if self._trace is not None else None
        self._span = span if span is not None and span is not root else None
        self.on_span.setVisible(self._span is not None)
        if self._span is None:
            self.on_span.setChecked(False)
        else:
            self.on_span.setText(f"On the selected &span: {one_line(self._span.name, 50)}")

    def show_assessments(self, assessments: list[Assessment]) -> None:
        """Rows for `assessments` (the selection kept by assessment id)."""
        kept = self.selected()
        keep_id = kept.assessment_id if kept is not None else None
        self.tree.clear()
        for row in rows_of(assessments):
            item = self._item(row.assessment, current=row.assessment.valid is not False)
            self.tree.addTopLevelItem(item)
            for older in row.history:
                item.addChild(self._item(older, current=False))
            if keep_id is not None and row.assessment.assessment_id == keep_id:
                self.tree.setCurrentItem(item)
        first = self.tree.topLevelItem(0)
        if self.tree.currentItem() is None and first is not None:
            self.tree.setCurrentItem(first)
        self._update_buttons()

    def _item(self, assessment: Assessment, *, current: bool) -> QTreeWidgetItem:
        text, color = value_text(assessment.value)
        if assessment.error is not None:
            text = f"Error: {assessment.error.error_message or assessment.error.error_code}"
        texts = [
            one_line(assessment.name, 40),
            one_line(text, VALUE_CHARS) + ("" if current else "  (overridden)"),
            source_label(assessment),
            self._on_text(assessment.span_id),
            one_line(assessment.rationale or "", VALUE_CHARS),
        ]
        item = QTreeWidgetItem(texts)
        item.setData(0, ASSESSMENT_ROLE, assessment)
        tip = rich_tooltip(
            "\n".join(
                [
                    f"{assessment.name} ({assessment.assessment_type})",
                    f"Value: {text}",
                    f"Source: {source_label(assessment)}",
                    *([f"Rationale: {assessment.rationale}"] if assessment.rationale else []),
                    *([] if current else ["Overridden: kept as history."]),
                ]
            )
        )
        for column in range(len(COLUMNS)):
            item.setToolTip(column, tip)
        if current and color in DARK_ON_LIGHT:
            dark = self.palette().color(QPalette.ColorRole.Base).lightness() < 128
            item.setForeground(1, QBrush(QColor(DARK_ON_LIGHT[color] if dark else color)))
        elif not current:
            for column in range(len(COLUMNS)):
                item.setForeground(column, QBrush(QColor("gray")))
        return item

    def _on_text(self, span_id: str | None) -> str:
        if not span_id or self._trace is None:
            return "trace"
        root = self._trace.data.root_span
        if root is not None and root.span_id == span_id:
            return "trace (root span)"
        for span in self._trace.data.spans:
            if span.span_id == span_id:
                return f"span {one_line(span.name, 30)}"
        return f"span {span_id}"

    def selected(self) -> Assessment | None:
        item = self.tree.currentItem()
        found = item.data(0, ASSESSMENT_ROLE) if item is not None else None
        return found if isinstance(found, Assessment) else None

    def _update_buttons(self) -> None:
        chosen = self.selected()
        current = chosen is not None and chosen.valid is not False
        editable = (
            current and chosen is not None and chosen.assessment_type in (FEEDBACK, EXPECTATION)
        )
        has_trace = self._trace is not None
        self.add_feedback_button.setEnabled(has_trace)
        self.add_expectation_button.setEnabled(has_trace)
        self.edit_button.setEnabled(has_trace and editable)
        self.delete_button.setEnabled(has_trace and chosen is not None)

    # -- actions ------------------------------------------------------------------------------

    def add_feedback(self) -> None:
        self._open_form(FEEDBACK, None)

    def add_expectation(self) -> None:
        self._open_form(EXPECTATION, None)

    def edit_selected(self) -> None:
        chosen = self.selected()
        if chosen is None or chosen.valid is False:
            self.status.setText("Select a current label to edit (overridden ones are history).")
            return
        if chosen.assessment_type not in (FEEDBACK, EXPECTATION):
            return
        self._open_form(chosen.assessment_type, chosen)

    def delete_selected(self) -> None:
        chosen = self.selected()
        if chosen is None or self._trace is None or not self._can_write("delete labels"):
            return
        box = QMessageBox(self)
        box.setObjectName("labelDeleteConfirm")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Delete Label")
        box.setText(f"Delete {chosen.assessment_type} “{chosen.name}”?")
        restored = " The value it overrode becomes current again." if chosen.overrides else ""
        box.setInformativeText(f"This removes it from the database.{restored}")
        delete = box.addButton("&Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(delete)
        trace_id = self._trace.info.trace_id
        assessment_id = chosen.assessment_id or ""

        def answered() -> None:
            if box.clickedButton() is delete:
                self._write(trace_id, delete_label, assessment_id, done="Deleted.")
            self.confirm = None
            self.tree.setFocus()

        box.finished.connect(answered)
        self.confirm = box
        box.open()

    def _open_form(self, kind: str, editing: Assessment | None) -> None:
        if self._trace is None or not self._can_write("add or change labels"):
            return
        on_span = self._span if self.on_span.isChecked() and editing is None else None
        target = f"the span {one_line(on_span.name, 40)}" if on_span is not None else "the trace"
        names = sorted({a.name for a in self._trace.info.assessments if a.assessment_type == kind})
        dialog = LabelDialog(
            kind,
            names=names,
            editing=editing,
            span_id=on_span.span_id if on_span is not None else None,
            target=target,
            parent=self,
        )
        trace_id = self._trace.info.trace_id

        def accepted() -> None:
            self._write(trace_id, write_label, dialog.edit(), current_user(), done="Saved.")

        dialog.accepted.connect(accepted)
        dialog.finished.connect(self._form_closed)
        self.dialog = dialog
        dialog.open()

    def _form_closed(self) -> None:
        """The keyboard goes back to the list, on the label just written."""
        self.dialog = None
        self.tree.setFocus()

    def _can_write(self, what: str) -> bool:
        """True when the store takes writes; else the bar says why (never a silent no-op)."""
        store = self._store
        if store is None:
            return False
        if not store.read_only:
            return True
        if store.layout.writable:
            self.bar_text.setText(READ_ONLY_TEXT.replace("add or change labels", what))
            self.enable.show()
        else:
            self.bar_text.setText(
                f"This is an {store.layout.label}; TraceDesk writes only MLflow 3.18's layout, "
                "so labels cannot be saved here."
            )
            self.enable.hide()
        self.bar.show()
        return False

    def _write(self, trace_id: str, work: Any, *args: Any, done: str) -> None:
        store = self._store
        if store is None:
            return
        self.status.setText("Saving…")
        this = weakref.ref(self)
        task = self._tasks.submit(_write_and_read, store, trace_id, work, *args)
        task.on_finished(lambda assessments: _call(this, "_written", trace_id, assessments, done))
        task.on_failed(lambda error: _call(this, "_failed", error))

    def _written(self, trace_id: str, assessments: list[Assessment], done: str) -> None:
        if self._trace is not None and self._trace.info.trace_id == trace_id:
            self._trace.info.assessments = list(assessments)
            self.show_assessments(assessments)
        self.status.setText(done)
        self.assessments_changed.emit(trace_id, assessments)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ReadOnlyStoreError):
            self._can_write("add or change labels")
            self.status.clear()
            return
        log.info("Writing a label failed: %r", error)
        self.status.setText(f"Not saved: {error}")


class LabelTree(QTreeWidget):
    """The assessments; Enter edits the current one, Delete deletes it."""

    edit_requested = Signal()
    delete_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labelTree")
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels(COLUMNS)
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.header()
        header.setStretchLastSection(True)
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.itemDoubleClicked.connect(lambda _item, _column: self.edit_requested.emit())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QTreeWidget.keyPressEvent
        """Enter edits and Delete deletes; both are taken here, so Enter never reaches the
        window (whose default-button search would find an open form's Save)."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.edit_requested.emit()
            return
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_requested.emit()
            return
        super().keyPressEvent(event)


class LabelsWindow(QDialog):
    """The label panel in a window of its own beside the explorer (not modal)."""

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labelsWindow")
        self.setWindowTitle("Labels")
        self.panel = LabelPanel(tasks, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.panel)
        self.resize(720, 380)


def _write_and_read(store: Store, trace_id: str, work: Any, *args: Any) -> list[Assessment]:
    """Database thread: one write, then the trace's assessments as now stored."""
    work(store, trace_id, *args)
    return read_assessments(store.reader, trace_id)


def read_assessments(reader: StoreReader, trace_id: str) -> list[Assessment]:
    return list(reader.assessments([trace_id]).get(trace_id, []))


def _call(ref: weakref.ref[LabelPanel], method: str, *args: Any) -> None:
    widget = ref()
    if widget is not None and isValid(widget):
        getattr(widget, method)(*args)
