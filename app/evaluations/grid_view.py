"""The result grid of a run: a filter bar (which rows, which scorer, a search) above the table.

Header clicks sort (the model reads its index in the database thread); double-click or Enter on
a row asks for its trace (`trace_requested`). The search waits for a pause in typing.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeyEvent, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.evaluations.delegate import ScoreDelegate
from app.evaluations.grid_model import ResultGridModel
from app.evaluations.look import TRACE_ID_ROLE, ColumnFitter
from app.evaluations.rows import INPUTS, NUMBER, OUTPUT, GridQuery, OpenedRun, Show
from app.tasks import TaskRunner
from app.theme import follow_palette
from app.widgets import paint_placeholder, set_up_row_table
from core.store import Store

SEARCH_DELAY_MS = 250
ANY_SCORER = "any scorer"
NUMBER_WIDTH = 52


SELECT_A_RUN = "Select a run above to see its rows (select two to compare them: Alt+C)."


class ResultGridView(QTableView):
    """The table; emits `trace_opened` on double-click or Enter."""

    trace_opened = Signal(str)

    def __init__(self, model: ResultGridModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("evaluationGrid")
        self.setModel(model)
        self.runs_listed = False  # whether the run list above has a run to pick
        follow_palette(self, model.restyle)
        self.setItemDelegate(ScoreDelegate(self))
        set_up_row_table(self)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSortIndicator(NUMBER, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)  # header clicks call the model's sort()
        self.doubleClicked.connect(self._open_index)
        for signal in (model.modelReset, model.page_loaded, model.load_failed):
            signal.connect(self.viewport().update)
        self.fitter = ColumnFitter(self, (INPUTS, OUTPUT), {NUMBER: NUMBER_WIDTH})
        model.opened.connect(self.reset_column_widths)

    def grid_model(self) -> ResultGridModel:
        model = self.model()
        assert isinstance(model, ResultGridModel)
        return model

    def reset_column_widths(self) -> None:
        """Inputs and output share what the value columns leave of the width."""
        self.fitter.fit()

    def selected_trace_id(self) -> str | None:
        rows = self.selectionModel().selectedRows()
        return str(rows[0].data(TRACE_ID_ROLE)) if rows else None

    def _open_index(self, index: QModelIndex) -> None:
        trace_id = index.data(TRACE_ID_ROLE)
        if trace_id:
            self.trace_opened.emit(str(trace_id))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QTableView.keyPressEvent
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected_trace_id():
            self.trace_opened.emit(self.selected_trace_id() or "")
            event.accept()
            return
        super().keyPressEvent(event)

    def placeholder_text(self) -> str:
        model = self.grid_model()
        if model.run_id is None:  # with no run to pick, the run list says so itself
            return SELECT_A_RUN if self.runs_listed else ""
        if model.rowCount() > 0:
            return ""
        if model.is_loading:
            return "Reading the run's rows…"
        if model.total == 0:
            return "This run has no rows."
        if model.matching == 0:
            return "No rows match the filter."
        return ""

    def paintEvent(self, event: QPaintEvent) -> None:  # QTableView.paintEvent
        super().paintEvent(event)
        text = self.placeholder_text()
        if text:
            paint_placeholder(self, text)


class GridFilterBar(QWidget):
    """Which rows to show: all, failing, passing or with errors; for a scorer; a search."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.show_box = QComboBox()
        self.show_box.setObjectName("gridShow")
        for choice in Show:
            self.show_box.addItem(choice.value, choice)
        self.scorer_box = QComboBox()
        self.scorer_box.setObjectName("gridScorer")
        self.scorer_box.setToolTip("Which scorer the failing/passing/errors choice looks at")
        self.search = QLineEdit()
        self.search.setObjectName("gridSearch")
        self.search.setPlaceholderText("Search inputs, outputs, expectations, rationales…")
        self.search.setClearButtonEnabled(True)
        self.count = QLabel()
        self.count.setObjectName("gridCount")
        self._delay = QTimer(self)
        self._delay.setSingleShot(True)
        self._delay.setInterval(SEARCH_DELAY_MS)
        self._delay.timeout.connect(self.changed)
        self._search_waiting = False
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(QLabel("Show"))
        layout.addWidget(self.show_box)
        layout.addWidget(QLabel("for"))
        layout.addWidget(self.scorer_box)
        layout.addWidget(self.search, 1)
        layout.addWidget(self.count)
        self.show_box.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.scorer_box.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.search.textChanged.connect(lambda _t: self._delay.start())
        self.search.returnPressed.connect(self.apply_now)
        self.set_scorers(())

    def set_scorers(self, names: tuple[str, ...]) -> None:
        """The scorers of the run shown; the choice is kept when the new run has it too."""
        kept = self.scorer_box.currentText()
        blocked = self.scorer_box.blockSignals(True)
        self.scorer_box.clear()
        self.scorer_box.addItem(ANY_SCORER, None)
        for number, name in enumerate(names):
            self.scorer_box.addItem(name, number)
        found = self.scorer_box.findText(kept)
        self.scorer_box.setCurrentIndex(max(found, 0))
        self.scorer_box.blockSignals(blocked)

    def apply_now(self) -> None:
        self._delay.stop()
        self.changed.emit()

    def hideEvent(self, event: QHideEvent) -> None:  # QWidget.hideEvent
        # No timer runs while nobody sees the grid; a search typed just before is kept.
        self._search_waiting = self._delay.isActive()
        self._delay.stop()
        super().hideEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # QWidget.showEvent
        super().showEvent(event)
        if self._search_waiting:
            self._search_waiting = False
            self._delay.start()

    def query(self, sorted_by: GridQuery) -> GridQuery:
        """The bar's choices, in the order of `sorted_by`."""
        return replace(
            sorted_by,
            show=self.show_box.currentData(),
            scorer=self.scorer_box.currentData(),
            text=self.search.text(),
        )


class ResultGrid(QWidget):
    """The grid of one run with its filter bar; asks for traces by `trace_requested`."""

    trace_requested = Signal(str)

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ResultGridModel(tasks, self)
        self.view = ResultGridView(self.model)
        self.bar = GridFilterBar()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.bar)
        layout.addWidget(self.view, 1)
        self.bar.changed.connect(self._apply)
        self.view.trace_opened.connect(self.trace_requested)
        self.model.opened.connect(self._on_opened)
        for signal in (self.model.matched, self.model.page_loaded, self.model.modelReset):
            signal.connect(self._show_count)

    def show_run(self, store: Store | None, run_id: str | None) -> None:
        self.model.open(store, run_id)
        self._show_count()

    def _apply(self) -> None:
        self.model.apply(self.bar.query(self.model.query))

    def _on_opened(self, opened: OpenedRun) -> None:
        self.bar.set_scorers(opened.columns.scorers)
        self._apply()
        self._show_count()

    def _show_count(self) -> None:
        model, total = self.model, self.model.total
        if total is None:
            self.bar.count.setText("")
        elif model.matching is not None:
            self.bar.count.setText(f"{model.matching:,} of {total:,} rows")
        else:
            self.bar.count.setText(f"{total:,} rows")
