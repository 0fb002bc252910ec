"""`AgreementDialog`: per field, how often labellers agree, and the disagreements to resolve.

A table of the queue's fields (traces labelled by two people or more, how many agree, the
percentage, how many were resolved) over the list of open disagreements: trace, field, who said
what. Enter (or a double click) on a disagreement asks the review window to show that trace, to
settle it with a label of one's own.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.labeling.plan import value_text
from app.labeling.work import read_agreement
from app.tasks import TaskRunner
from core.store import FieldAgreement, ReviewQueue, Store

FIELD_COLUMNS = ["Field", "Labelled by ≥ 2", "Agree", "Agreement", "Resolved", "Open"]
DISAGREEMENT_COLUMNS = ["Trace", "Field", "Who said what"]
TRACE_ROLE = Qt.ItemDataRole.UserRole + 1


class AgreementDialog(QDialog):
    """How the queue's labellers agree, read in the database thread."""

    resolve_requested = Signal(str)  # trace id

    def __init__(
        self, tasks: TaskRunner, store: Store, queue_id: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("agreementDialog")
        self.setWindowTitle("Agreement")
        self.summary = QLabel("Reading the labels…", self)
        self.summary.setObjectName("agreementSummary")
        self.summary.setWordWrap(True)
        self.fields = QTreeWidget(self)
        self.fields.setObjectName("agreementFields")
        self.fields.setRootIsDecorated(False)
        self.fields.setHeaderLabels(FIELD_COLUMNS)
        self.fields.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list = DisagreementList(self)
        self.list.resolve_requested.connect(self._resolve)
        hint = QLabel("Enter on a disagreement opens its trace to resolve it", self)
        hint.setStyleSheet("color: palette(placeholder-text);")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.fields)
        layout.addWidget(QLabel("Disagreements to resolve:", self))
        layout.addWidget(self.list, 1)
        layout.addWidget(hint)
        self.resize(820, 520)
        task = tasks.submit(read_agreement, store, queue_id)
        show_agreement_later = weakref.WeakMethod(self.show_agreement)
        task.on_finished(lambda result: _call(show_agreement_later, *result))
        failed_later = weakref.WeakMethod(self._failed)
        task.on_failed(lambda error: _call(failed_later, error))

    def show_agreement(self, queue: ReviewQueue, results: list[FieldAgreement]) -> None:
        by_name = {f.name: f for f in queue.fields}
        self.fields.clear()
        self.list.clear()
        for result in results:
            percent = f"{result.percent:.0f}%" if result.percent is not None else "—"
            texts = [
                result.name,
                str(result.shared),
                str(result.agreed),
                percent,
                str(result.resolved),
                str(len(result.disagreements)),
            ]
            self.fields.addTopLevelItem(QTreeWidgetItem(texts))
            for trace_id, votes in result.disagreements:
                said = " · ".join(
                    f"{who}: {value_text(by_name[result.name], v)}" for who, v in votes.items()
                )
                item = QTreeWidgetItem([trace_id, result.name, said])
                item.setData(0, TRACE_ROLE, trace_id)
                self.list.addTopLevelItem(item)
        rows = max(1, len(results))
        self.fields.setFixedHeight(self.fields.header().sizeHint().height() + 22 * rows + 8)
        for view in (self.fields, self.list):
            view.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        shared = max((r.shared for r in results), default=0)
        open_count = self.list.topLevelItemCount()
        self.summary.setText(
            f"Queue “{queue.name}”: {len(queue.users)} labeller(s), {shared} trace(s) labelled "
            f"by two or more; {open_count} disagreement(s) open."
            if shared
            else f"Queue “{queue.name}”: no trace has two labellers yet."
        )
        first = self.list.topLevelItem(0)
        if first is not None:
            self.list.setCurrentItem(first)
        self.list.setFocus()

    def _failed(self, error: BaseException) -> None:
        self.summary.setText(f"Could not read the labels: {error}")

    def _resolve(self, trace_id: str) -> None:
        self.resolve_requested.emit(trace_id)
        self.accept()


class DisagreementList(QTreeWidget):
    """The open disagreements; Enter asks to resolve the current one."""

    resolve_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agreementDisagreements")
        self.setRootIsDecorated(False)
        self.setHeaderLabels(DISAGREEMENT_COLUMNS)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.itemDoubleClicked.connect(lambda _item, _column: self._request())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QTreeWidget.keyPressEvent
        """Enter resolves (taken here so the dialog does not close on it)."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._request()
            return
        super().keyPressEvent(event)

    def _request(self) -> None:
        item = self.currentItem()
        trace_id = item.data(0, TRACE_ROLE) if item is not None else None
        if isinstance(trace_id, str):
            self.resolve_requested.emit(trace_id)


def _call(method: weakref.WeakMethod[Callable[..., Any]], *args: Any) -> None:
    """Call a method of a widget if it still exists (its C++ side included)."""
    bound = method()
    if bound is not None and isValid(getattr(bound, "__self__", None)):
        bound(*args)
