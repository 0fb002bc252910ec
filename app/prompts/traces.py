"""The traces that used a prompt version (`prompt = 'name/3'`), of every experiment.

`LinkedTracesModel` reads them in the database thread, newest first, at most
`data.TRACES_SHOWN`; `TracesPane` lists them and asks the window to open the one activated.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.formatting import EMPTY, duration, local_time, one_line, rich_tooltip
from app.prompts import data
from app.row_models import LoadingModel
from app.tasks import TaskRunner
from app.widgets import set_up_row_table
from core.entities import TraceRow
from core.store import Store

TRACE_ID_ROLE = Qt.ItemDataRole.UserRole + 10
_Index = QModelIndex | QPersistentModelIndex


class LinkedTracesModel(LoadingModel):
    """Trace rows: name, started, duration, state, request preview."""

    HEADERS = ("Trace", "Started", "Duration", "State", "Request")
    more = False

    def load(self, store: Store, name: str, version: int) -> None:
        self._load(_rows, store, name, version)

    def _on_loaded(self, items: Any) -> None:
        rows, self.more = items
        super()._on_loaded(rows)

    def row(self, row: int) -> TraceRow | None:
        return self.item(row)  # type: ignore[no-any-return]

    def data(
        self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # QAbstractItemModel.data
        trace = self.row(index.row()) if index.isValid() else None
        if trace is None:
            return None
        if role == TRACE_ID_ROLE:
            return trace.trace_id
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(trace, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == 4:
                return rich_tooltip(trace.request_preview)
            return rich_tooltip(trace.trace_id)
        return None

    @staticmethod
    def _display(trace: TraceRow, column: int) -> str:
        values = (
            trace.name or trace.trace_id,
            local_time(trace.request_time),
            duration(trace.execution_duration),
            trace.state,
            one_line(trace.request_preview, 120) or EMPTY,
        )
        return values[column]


def _rows(store: Store, name: str, version: int) -> tuple[tuple[TraceRow, ...], bool]:
    linked = data.traces_using(store, name, version)
    return linked.rows, linked.more


class TracesPane(QWidget):
    """The list, a line that says what it shows, and activation → `trace_requested`."""

    trace_requested = Signal(str)

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tracesPane")
        self.model = LinkedTracesModel(tasks, self)
        self.note = QLabel(self)
        self.note.setObjectName("tracesNote")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.view = QTableView(self)
        self.view.setObjectName("linkedTraces")
        self.view.setModel(self.model)
        set_up_row_table(self.view)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.activated.connect(self._open)
        self.view.doubleClicked.connect(self._open)
        self.model.loaded.connect(self._show_count)
        self.model.load_failed.connect(self._show_failure)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.note)
        layout.addWidget(self.view, 1)
        self._what = ""

    def load(self, store: Store | None, name: str, version: int | None) -> None:
        if store is None or version is None:
            self.model.clear()
            self.note.setText("")
            self._what = ""
            return
        what = f"{name} version {version}"
        if what != self._what:
            self.model.clear()  # another version's traces are not shown while reading
        self._what = what
        self.note.setText(f"Looking for traces that used {what}…")
        self.model.load(store, name, version)

    def _show_count(self) -> None:
        count = self.model.rowCount()
        if not self._what:
            return
        if count == 0:
            self.note.setText(f"No trace used {self._what}.")
            return
        shown = f"the newest {count}" if self.model.more else f"{count}"
        self.note.setText(
            f"Traces that used {self._what} ({shown}, every experiment). "
            "Double-click one to open it."
        )
        for column in range(self.model.columnCount() - 1):
            self.view.resizeColumnToContents(column)

    def _show_failure(self, message: str) -> None:
        self.note.setText(f"The traces that used {self._what} cannot be listed: {message}")

    def _open(self, index: QModelIndex) -> None:
        trace_id = index.data(TRACE_ID_ROLE)
        if trace_id:
            self.trace_requested.emit(str(trace_id))
