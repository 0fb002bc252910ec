"""`LabelingLauncher`: Label Traces… from the window: the start dialog, then the review window.

The window gives it getters (the open store, the experiment shown, the query bar's filter) and
connects `editing_requested` to Enable Editing; nothing here knows the window.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from app.labeling.plan import QueuePlan
from app.labeling.review import ReviewWindow
from app.labeling.start_dialog import StartDialog
from app.labeling.work import Started, start
from app.tasks import TaskRunner
from core.store import Store


class LabelingLauncher(QObject):
    """Opens the start dialog and, once the queue is ready, the review window."""

    editing_requested = Signal()
    message = Signal(str)

    def __init__(
        self,
        parent: QWidget,
        tasks: TaskRunner,
        store: Callable[[], Store | None],
        experiment_id: Callable[[], str | None],
        filter_text: Callable[[], str],
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._tasks = tasks
        self._store = store
        self._experiment_id = experiment_id
        self._filter_text = filter_text
        self.dialog: StartDialog | None = None
        self.review: ReviewWindow | None = None

    def open_start(self) -> StartDialog | None:
        """Label Traces…: the start dialog for the experiment shown (None: nothing to label)."""
        store, experiment_id = self._store(), self._experiment_id()
        if store is None or experiment_id is None:
            self.message.emit("Choose an experiment first: a queue takes its traces.")
            return None
        dialog = StartDialog(self._tasks, store, experiment_id, self._filter_text(), self._parent)
        dialog.start_requested.connect(self._start)
        dialog.editing_requested.connect(self.editing_requested)
        dialog.finished.connect(lambda _code: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _start(self, plan: QueuePlan) -> None:
        store = self._store()
        if store is None:
            return
        this = weakref.ref(self)
        task = self._tasks.submit(start, store, plan)
        task.on_finished(lambda started: _call(this, "_started", started))
        task.on_failed(lambda error: _call(this, "_failed", error))

    def _started(self, started: Started) -> None:
        if self.dialog is not None and isValid(self.dialog):
            self.dialog.accept()
        self.open_review(started)

    def open_review(self, started: Started) -> ReviewWindow:
        """The review window on a started queue (one at a time: a new one replaces it)."""
        if self.review is not None and isValid(self.review):
            self.review.close()
        review = ReviewWindow(self._tasks, self._store, started, self._parent)
        review.editing_requested.connect(self.editing_requested)
        review.finished.connect(lambda _code: self._review_closed(review))
        self.review = review
        review.show()
        review.activateWindow()
        review.setFocus()
        return review

    def _review_closed(self, review: ReviewWindow) -> None:
        if self.review is review:
            self.review = None

    def _failed(self, error: BaseException) -> None:
        if self.dialog is not None and isValid(self.dialog):
            self.dialog.start_failed(f"Not started: {error}")
        else:
            self.message.emit(f"Label Traces failed: {error}")


def _call(ref: weakref.ref[LabelingLauncher], method: str, *args: Any) -> None:
    launcher = ref()
    if launcher is not None:
        getattr(launcher, method)(*args)
