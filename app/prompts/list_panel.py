"""`PromptListPanel`: the search box and the prompt list (name, latest, aliases, last change).

Typing searches in SQL (`registry.prompts(name_contains)`) in the database thread, a moment
after the last key (`SEARCH_DELAY_MS`); Enter searches at once. Selecting a row emits
`prompt_selected`; the page may refuse the change (unsaved edits) and put the selection back
with `select(name)`, which emits nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.chips import ChipDelegate
from app.prompts.models import NAME_ROLE, PromptListModel
from app.tasks import TaskRunner
from app.widgets import set_up_row_table
from core.store import Store

SEARCH_DELAY_MS = 250
#: The widest the name column starts, as a share of the list's width (the aliases get the rest).
NAME_SHARE = 0.4


class PromptListPanel(QWidget):
    """Search + list of the prompts of the open store."""

    prompt_selected = Signal(str)

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptListPanel")
        self._store: Store | None = None
        self.model = PromptListModel(tasks, self)
        self.search = QLineEdit(self)
        self.search.setObjectName("promptSearch")
        self.search.setPlaceholderText("Search prompts by name (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self._timer = QTimer(self)
        self._timer.setObjectName("promptSearchTimer")
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run_search)
        self.search.textEdited.connect(lambda _text: self._timer.start())
        self.search.returnPressed.connect(self.run_search)
        self.view = self._list_view()
        self.count = QLabel(self)
        self.count.setObjectName("promptsCount")
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        self.model.loaded.connect(self._show_count)
        self.model.load_failed.connect(lambda m: self.count.setText(f"Cannot list prompts: {m}"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 6)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count)

    def _list_view(self) -> QTableView:
        view = QTableView(self)
        view.setObjectName("promptList")
        view.setModel(self.model)
        view.setItemDelegateForColumn(PromptListModel.ALIASES, ChipDelegate(view))
        set_up_row_table(view)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(PromptListModel.ALIASES, QHeaderView.ResizeMode.Stretch)
        view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._fit_columns)
        return view

    # -- searching ------------------------------------------------------------------------------

    def set_store(self, store: Store | None) -> None:
        self._store = store
        self._timer.stop()
        if store is None:
            self.model.clear()
            self.count.clear()
        else:
            self.run_search()

    def run_search(self) -> None:
        """Read the prompts matching the search text now (Enter, or the typing pause)."""
        self._timer.stop()
        if self._store is not None:
            self.model.load(self._store, self.search.text())

    def flush(self) -> None:
        """A search still waiting for the typing pause runs now (the page is being hidden)."""
        if self._timer.isActive():
            self.run_search()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _show_count(self) -> None:
        count = self.model.rowCount()
        text = self.search.text().strip()
        if count == 0 and text:
            self.count.setText(f"No prompt name contains “{text}”.")
        elif count == 0:
            self.count.setText("This database has no prompts.")
        else:
            self.count.setText(f"{count} prompt{'s' if count != 1 else ''}")

    # -- selection ------------------------------------------------------------------------------

    def selected_name(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        return str(rows[0].data(NAME_ROLE)) if rows else None

    def select(self, name: str | None) -> bool:
        """Select prompt `name` (None clears the selection) without emitting anything."""
        selection = self.view.selectionModel()
        selection.blockSignals(True)
        row = self.model.row_of(name) if name is not None else None
        if row is None:
            selection.clearSelection()
        else:
            self.view.selectRow(row)
            self.view.scrollTo(self.model.index(row, 0))
        selection.blockSignals(False)
        self.view.viewport().update()
        return row is not None

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes:
            self.prompt_selected.emit(str(indexes[0].data(NAME_ROLE)))

    def showEvent(self, event: QShowEvent) -> None:  # QWidget.showEvent
        super().showEvent(event)
        self._fit_columns()  # read while the page was hidden, the names were not measured

    def resizeEvent(self, event: QResizeEvent) -> None:  # QWidget.resizeEvent
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Names take their width (capped); the aliases get what the other columns leave, so
        as many chips as fit are shown (the rest as "+N", listed in the cell's tooltip)."""
        for column in (PromptListModel.NAME, PromptListModel.LATEST, PromptListModel.CHANGED):
            self.view.resizeColumnToContents(column)
        widest = int(self.view.viewport().width() * NAME_SHARE)
        name = self.view.columnWidth(PromptListModel.NAME)
        self.view.setColumnWidth(PromptListModel.NAME, max(min(name, widest), 80))
