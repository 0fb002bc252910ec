"""`ReviewWindow`: a queue's traces one after another, labelled from the keyboard (issue 22).

The conversation large, the queue's fields below it. Keys: `1`-`9` choose a choice or number
of the current field, `p` / `f` pass or fail, Up/Down (or Tab) the field, Enter types a text
field, `n` saves and goes on, `b` goes back, `s` skips, `a` shows agreement, Esc closes (the
queue resumes at the first trace this person has not labelled). Reads and writes run in the
database thread; a read-only database refuses with the Enable Editing hint.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.formatting import one_line
from app.labeling.agreement import AgreementDialog
from app.labeling.fields import FieldRow
from app.labeling.plan import PASS_FAIL, TEXT
from app.labeling.work import Item, Started, read_item, save
from app.messages.formats import answer_of
from app.messages.view import ChatView
from app.spans.detail_text import conversation_of
from app.tasks import TaskRunner
from app.traces.dataset_dialog import AddToDatasetDialog, open_add_to_dataset
from app.widgets import ReadOnlyBar
from core.entities import Trace
from core.errors import ReadOnlyStoreError
from core.store import Store

log = logging.getLogger(__name__)

KEYS_HINT = (
    "1-9 choose · p pass · f fail · ↑↓ field · n next (saves) · b back · s skip · "
    "a agreement · Esc close"
)
READ_ONLY_TEXT = "This database is open read-only — Enable Editing to save labels."
_DIGITS = {getattr(Qt.Key, f"Key_{i}"): i for i in range(1, 10)}


class ReviewWindow(QDialog):
    """Label a queue's traces one by one."""

    editing_requested = Signal()
    position_changed = Signal(int)  # index of the trace shown
    saved = Signal(str)  # trace id whose labels were written

    def __init__(
        self,
        tasks: TaskRunner,
        store: Callable[[], Store | None],
        started: Started,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reviewWindow")
        self.setWindowTitle(f"Label Traces — {started.queue.name}")
        self._tasks = tasks
        self._store = store
        self.queue = started.queue
        self.user = started.user
        self.labelled: set[str] = set(started.done)
        self.index = -1
        self.item: Item | None = None
        self.resolving = False
        self._loaded_values: dict[str, Any] = {}
        self.current_field = 0
        self.agreement_dialog: AgreementDialog | None = None
        self.dataset_dialog: AddToDatasetDialog | None = None
        self._build()
        self.go_to(self.first_unlabelled())

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.title = QLabel(self)
        self.title.setObjectName("reviewTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setStyleSheet("font-weight: 600;")
        self.progress_text = QLabel(self)
        self.progress_text.setObjectName("reviewProgress")
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, max(1, len(self.queue.trace_ids)))
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(6)
        self._build_bar()
        self.note = QLabel(self)
        self.note.setObjectName("reviewNote")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.hide()
        self.chat = ChatView(self)
        self.chat.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the window keeps the keys
        self.rows = [FieldRow(f, self) for f in self.queue.fields]
        for row in self.rows:
            row.text.returnPressed.connect(self._text_done)
            row.text.installEventFilter(self)
        self.hint = QLabel(KEYS_HINT, self)
        self.hint.setObjectName("reviewHint")
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        self.status = QLabel(self)
        self.status.setObjectName("reviewStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        buttons = self._build_buttons()
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.progress_text)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.bar)
        layout.addWidget(self.note)
        layout.addWidget(self.chat, 1)
        fields = QFrame(self)
        fields.setFrameShape(QFrame.Shape.StyledPanel)
        column = QVBoxLayout(fields)
        column.setContentsMargins(4, 4, 4, 4)
        column.setSpacing(2)
        for row in self.rows:
            column.addWidget(row)
        layout.addWidget(fields)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.resize(980, 760)

    def _build_bar(self) -> None:
        """The read-only notice with its Enable Editing button (hidden until a write)."""
        self.bar = ReadOnlyBar(READ_ONLY_TEXT, "reviewBar", self)
        self.bar_text, self.enable = self.bar.text, self.bar.enable
        self.bar.editing_requested.connect(self.editing_requested)
        self.bar.hide()

    def _build_buttons(self) -> QHBoxLayout:
        self.back_button = self._button("Back (b)", self.back)
        self.skip_button = self._button("Skip (s)", self.skip)
        self.next_button = self._button("Save && Next (n)", self.next)
        self.dataset_button = self._button("Add to Dataset…", self.add_to_dataset)
        self.dataset_button.setObjectName("reviewAddToDataset")
        self.agreement_button = self._button("Agreement… (a)", self.show_agreement)
        buttons = QHBoxLayout()
        for button in (self.back_button, self.skip_button, self.next_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.agreement_button)
        buttons.addWidget(self.dataset_button)
        return buttons

    def _button(self, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.setAutoDefault(False)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # -- where we are -------------------------------------------------------------------------

    def first_unlabelled(self) -> int:
        """Index of the first trace this labeller has not finished (the last when all are)."""
        for index, trace_id in enumerate(self.queue.trace_ids):
            if trace_id not in self.labelled:
                return index
        return max(0, len(self.queue.trace_ids) - 1)

    @property
    def trace_id(self) -> str | None:
        ids = self.queue.trace_ids
        return ids[self.index] if 0 <= self.index < len(ids) else None

    def go_to(self, index: int, *, resolving: bool = False) -> None:
        """Show the queue's trace at `index` (read in the database thread)."""
        ids = self.queue.trace_ids
        if not ids:
            self.title.setText("This queue has no traces.")
            return
        self.index = max(0, min(index, len(ids) - 1))
        self.resolving = resolving
        self.item = None
        self._show_progress()
        store = self._store()
        trace_id = ids[self.index]
        self.title.setText(f"Trace {self.index + 1} of {len(ids)} · {trace_id} · loading…")
        for row in self.rows:
            row.set_value(None)
            row.show_others(None)
        self._loaded_values = {}
        self.select_field(0)
        self.position_changed.emit(self.index)
        if store is None:
            return
        task = self._tasks.submit(read_item, store, self.queue, trace_id, self.user)
        show_item_later = weakref.WeakMethod(self._show_item)
        task.on_finished(lambda item: _call(show_item_later, trace_id, item))
        failed_later = weakref.WeakMethod(self._failed)
        task.on_failed(lambda error: _call(failed_later, error))

    def _show_item(self, trace_id: str, item: Item) -> None:
        if trace_id != self.trace_id:
            return  # the user moved on before it was read
        self.item = item
        trace = item.trace
        name = one_line(trace.info.name or "", 60)
        self.title.setText(
            f"Trace {self.index + 1} of {len(self.queue.trace_ids)} · {name or trace_id}"
            f" · {trace_id}"
        )
        self._show_trace(trace)
        for row in self.rows:
            if row.value is None:  # keys pressed while it was read win
                row.set_value(item.values.get(row.field.name))
            row.show_others(item.others.get(row.field.name) if self.resolving else None)
        self._loaded_values = dict(item.values)
        if self.resolving:
            self.note.setText(
                f"Resolving a disagreement: your label settles it (saved as {self.user}, "
                "marked as a resolution)."
            )
        self.note.setVisible(self.resolving)

    def _show_trace(self, trace: Trace) -> None:
        spans = [trace.data.root_span, *trace.data.spans]
        for span in spans:
            conversation = conversation_of(span) if span is not None else None
            if conversation is not None and (conversation.inputs or conversation.outputs):
                # An agent's output repeats the conversation so far: only its answer is new.
                answer = answer_of(conversation.inputs, conversation.outputs)
                self.chat.show_conversation(replace(conversation, outputs=answer))
                return
        self.chat.show_conversation(None)
        info = trace.info
        self.chat.setPlainText(
            f"Request:\n{info.request_preview or '—'}\n\nResponse:\n{info.response_preview or '—'}"
        )

    def _show_progress(self) -> None:
        total = len(self.queue.trace_ids)
        labelled = len(self.labelled & set(self.queue.trace_ids))
        self.progress_text.setText(f"{labelled} / {total} labelled by {self.user}")
        self.progress_bar.setValue(labelled)

    def select_field(self, index: int) -> None:
        if not self.rows:
            return
        self.current_field = index % len(self.rows)
        for i, row in enumerate(self.rows):
            row.set_current(i == self.current_field)

    # -- keys ---------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QDialog.keyPressEvent
        """The labelling keys; Esc closes as a dialog does."""
        key, text = event.key(), event.text().lower()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if mods not in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
            super().keyPressEvent(event)
            return
        row = self.rows[self.current_field] if self.rows else None
        letters: dict[str, Callable[[], object]] = {
            "p": lambda: self._pass_fail(True),
            "f": lambda: self._pass_fail(False),
            "n": self.next,
            "b": self.back,
            "s": self.skip,
            "a": self.show_agreement,
        }
        if key in _DIGITS and row is not None:
            self._choose(row, _DIGITS[key])
        elif text in letters:
            letters[text]()
        elif key in (Qt.Key.Key_Down, Qt.Key.Key_Tab, Qt.Key.Key_Up, Qt.Key.Key_Backtab):
            down = key in (Qt.Key.Key_Down, Qt.Key.Key_Tab)
            self.select_field(self.current_field + (1 if down else -1))
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if row is not None and row.field.kind == TEXT:
                row.text.setFocus()
        elif key in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp, Qt.Key.Key_Space):
            bar = self.chat.verticalScrollBar()
            step = bar.pageStep() if key != Qt.Key.Key_PageUp else -bar.pageStep()
            bar.setValue(bar.value() + step)
        else:
            super().keyPressEvent(event)

    def focusNextPrevChild(self, _next: bool) -> bool:  # QWidget.focusNextPrevChild
        """Tab moves between fields (handled in keyPressEvent), not between widgets."""
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # QObject.eventFilter
        """Esc in a text field gives the keys back to the window instead of closing it."""
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            self._text_done()
            return True
        return super().eventFilter(watched, event)

    def _text_done(self) -> None:
        self.setFocus()
        self.select_field(self.current_field + 1)

    def _choose(self, row: FieldRow, number: int) -> None:
        if row.choose(number - 1):
            self.select_field(self.current_field + 1)
        else:
            self.status.setText(f"{row.field.name}: no choice {number}.")

    def _pass_fail(self, passed: bool) -> None:
        rows = [self.rows[self.current_field]] if self.rows else []
        if not rows or rows[0].field.kind != PASS_FAIL:
            rows = [r for r in self.rows if r.field.kind == PASS_FAIL]
        if not rows:
            self.status.setText("This queue has no pass/fail field.")
            return
        rows[0].set_value(passed)
        self.select_field(self.rows.index(rows[0]) + 1)

    # -- moving and saving --------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The fields given a value on this trace."""
        return {r.field.name: r.value for r in self.rows if r.value is not None}

    def next(self) -> None:
        """Save what changed on this trace, then show the next one."""
        if self._save():
            self._advance(+1)

    def back(self) -> None:
        if self._save():
            self._advance(-1)

    def skip(self) -> None:
        self._advance(+1)

    def _advance(self, step: int) -> None:
        target = self.index + step
        if target >= len(self.queue.trace_ids):
            left = len(self.queue.trace_ids) - len(self.labelled & set(self.queue.trace_ids))
            self.status.setText(
                "That was the last trace." + (f" {left} not labelled yet." if left else "")
            )
            target = self.first_unlabelled() if left else self.index
            if target == self.index:
                return
        elif target < 0:
            self.status.setText("This is the first trace.")
            return
        self.go_to(target)

    def _save(self) -> bool:
        """Write the changed labels in the database thread; False when it cannot write."""
        values = self.values()
        trace_id = self.trace_id
        changed = values != self._loaded_values or (self.resolving and values)
        if not changed or trace_id is None:
            return True
        store = self._store()
        if store is None or not self._can_write():
            return False
        self.status.setText("Saving…")
        task = self._tasks.submit(
            save, store, self.queue, trace_id, values, self.user, self.resolving
        )
        saved_later = weakref.WeakMethod(self._saved)
        task.on_finished(lambda done: _call(saved_later, trace_id, done))
        failed_later = weakref.WeakMethod(self._failed)
        task.on_failed(lambda error: _call(failed_later, error))
        return True

    def _saved(self, trace_id: str, done: frozenset[str]) -> None:
        self.labelled = set(done)
        self._show_progress()
        total = len(self.queue.trace_ids)
        if len(self.labelled & set(self.queue.trace_ids)) == total:
            self.status.setText(f"Saved. All {total} traces labelled: Add to Dataset…, or Esc.")
        else:
            self.status.setText(f"Saved {trace_id}.")
        self.saved.emit(trace_id)

    def _can_write(self) -> bool:
        store = self._store()
        if store is not None and not store.read_only:
            self.bar.hide()
            return True
        if store is not None and not store.layout.writable:
            self.bar_text.setText(
                f"This is an {store.layout.label}; TraceDesk writes only MLflow 3.18's layout, "
                "so labels cannot be saved here."
            )
            self.enable.hide()
        else:
            self.bar_text.setText(READ_ONLY_TEXT)
            self.enable.show()
        self.bar.show()
        self.status.setText("Not saved: the database is read-only.")
        return False

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ReadOnlyStoreError):
            self._can_write()
            return
        log.info("Labelling failed: %r", error)
        self.status.setText(f"Failed: {error}")

    # -- datasets and agreement ---------------------------------------------------------------

    def labelled_ids(self) -> list[str]:
        """The queue's traces this labeller finished, in queue order."""
        return [t for t in self.queue.trace_ids if t in self.labelled]

    def add_to_dataset(self) -> None:
        ids = self.labelled_ids()
        if not ids:
            self.status.setText("Label some traces first: their traces go to the dataset.")
            return
        self.dataset_dialog = open_add_to_dataset(
            self, self._tasks, self._store(), ids, self.editing_requested.emit
        )

    def show_agreement(self) -> None:
        store = self._store()
        if store is None:
            return
        dialog = AgreementDialog(self._tasks, store, self.queue.queue_id, self)
        dialog.resolve_requested.connect(self.resolve)
        self.agreement_dialog = dialog
        dialog.finished.connect(lambda _code: setattr(self, "agreement_dialog", None))
        dialog.open()

    def resolve(self, trace_id: str) -> None:
        """Show a disagreement's trace with what each labeller said; your label settles it."""
        if trace_id in self.queue.trace_ids:
            self.go_to(self.queue.trace_ids.index(trace_id), resolving=True)
            self.activateWindow()
            self.setFocus()


def _call(method: weakref.WeakMethod[Callable[..., Any]], *args: Any) -> None:
    """Call a method of a widget if it still exists (its C++ side included)."""
    bound = method()
    if bound is not None and isValid(getattr(bound, "__self__", None)):
        bound(*args)
