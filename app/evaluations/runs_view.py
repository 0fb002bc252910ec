"""The list of evaluation runs: pick one to see its rows, two to compare them.

Rows are selected whole; Ctrl/Shift-click adds a second run. `selection_changed` says which
runs are selected (oldest first, so a comparison's A is the older run).
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from app.evaluations.runs_model import FIXED, NAME, STARTED, STATUS, RunListModel
from app.theme import follow_palette
from app.widgets import paint_placeholder, set_up_row_table
from core.entities.evaluation import EvaluationRun

WIDTHS = {NAME: 220, STARTED: 150, STATUS: 80}
VALUE_WIDTH = 110


#: A scorer column grows to its name up to this width; the header's margins and sort arrow.
SCORER_MAX_WIDTH, HEADER_PADDING = 220, 24
#: The runs the list shows at least, whole.
RUNS_SHOWN = 5


class RunListView(QTableView):
    """Shows a `RunListModel`; emits `selection_changed` with the selected runs."""

    selection_changed = Signal(list)  # list[EvaluationRun], oldest first

    def __init__(self, model: RunListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("evaluationRuns")
        self.setModel(model)
        follow_palette(self, model.restyle)
        set_up_row_table(self, QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.horizontalHeader().setHighlightSections(False)
        self.horizontalHeader().setTextElideMode(Qt.TextElideMode.ElideMiddle)
        rows = self.verticalHeader().defaultSectionSize()
        header = self.horizontalHeader().sizeHint().height()  # whole rows, never 3.5 of them:
        self.setMinimumHeight(header + RUNS_SHOWN * rows + 2 * self.frameWidth())
        self.selectionModel().selectionChanged.connect(self._emit_selection)
        model.modelReset.connect(self._fit_columns)
        model.loaded.connect(self.viewport().update)

    def run_model(self) -> RunListModel:
        model = self.model()
        assert isinstance(model, RunListModel)
        return model

    def selected_runs(self) -> list[EvaluationRun]:
        """The selected runs, oldest first."""
        model = self.run_model()
        rows = sorted((i.row() for i in self.selectionModel().selectedRows()), reverse=True)
        return [run for run in (model.run(r) for r in rows) if run is not None]

    def select_runs(self, run_ids: list[str]) -> bool:
        """Select exactly these runs (those still listed); True when all were found."""
        model = self.run_model()
        rows = [model.row_of(run_id) for run_id in run_ids]
        selection = QItemSelection()
        for row in (r for r in rows if r is not None):
            selection.select(model.index(row, 0), model.index(row, model.columnCount() - 1))
        flags = self.selectionModel().SelectionFlag
        self.selectionModel().select(selection, flags.ClearAndSelect | flags.Rows)
        if rows and rows[0] is not None:
            self.selectionModel().setCurrentIndex(model.index(rows[0], 0), flags.NoUpdate)
        return None not in rows

    def _emit_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self.selection_changed.emit(self.selected_runs())

    def _fit_columns(self) -> None:
        """Fixed widths, and a scorer column as wide as its name (up to `SCORER_MAX_WIDTH`;
        a longer name elides in the middle, whole in the tooltip) rather than clipped."""
        header = self.horizontalHeader()
        metrics = header.fontMetrics()
        for column in range(self.model().columnCount()):
            width = WIDTHS.get(column, VALUE_WIDTH if column >= len(FIXED) else 70)
            if column >= len(FIXED):
                title = str(self.model().headerData(column, Qt.Orientation.Horizontal))
                wanted = metrics.horizontalAdvance(title) + HEADER_PADDING
                width = max(width, min(wanted, SCORER_MAX_WIDTH))
            self.setColumnWidth(column, width)

    def paintEvent(self, event: QPaintEvent) -> None:  # QTableView.paintEvent
        super().paintEvent(event)
        model = self.run_model()
        if model.rowCount() > 0:
            return
        text = (
            "Reading evaluation runs…"
            if model.is_loading
            else (
                "No evaluation runs in this experiment. core.evaluate (or mlflow.genai.evaluate) "
                "adds them."
            )
        )
        paint_placeholder(self, text, top=24)
