"""The experiments sidebar view: pick the experiment whose traces the list shows."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from app.experiments.delegate import ExperimentDelegate
from app.experiments.model import EXPERIMENT_ID_ROLE, ExperimentListModel
from app.widgets import paint_placeholder


class ExperimentListView(QListView):
    """Emits `experiment_selected` when the current experiment changes ("" when none).

    After the list is read again it keeps the experiment that was current. A database just
    opened shows the experiment used last time with it, else the one with the newest trace,
    else the first (the newest experiment).
    """

    experiment_selected = Signal(str)
    entered = Signal()  # Enter on an experiment: the user goes on to its traces

    def __init__(self, model: ExperimentListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("experimentList")
        self.setModel(model)
        self.setItemDelegate(ExperimentDelegate(self))
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._current_id: str | None = None
        self._preferred_id: str | None = None  # for the first load of a database
        self.selectionModel().currentChanged.connect(self._on_current_changed)
        model.loaded.connect(self._restore_selection)

    def experiment_model(self) -> ExperimentListModel:
        model = self.model()
        assert isinstance(model, ExperimentListModel)
        return model

    @property
    def current_experiment_id(self) -> str | None:
        return self._current_id

    def forget_selection(self, preferred: str | None = None) -> None:
        """Another database was opened: after the next load select `preferred` if it is there,
        else the most recently active experiment."""
        self._current_id = None
        self._preferred_id = preferred

    def name_of(self, experiment_id: str) -> str | None:
        """The name of an experiment in the list, or None when it is not there."""
        model = self.experiment_model()
        row = model.row_of(experiment_id)
        item = model.item(row) if row is not None else None
        return item.name if item is not None else None

    def select_experiment(self, experiment_id: str) -> bool:
        row = self.experiment_model().row_of(experiment_id)
        if row is None:
            return False
        self.setCurrentIndex(self.model().index(row, 0))
        return True

    def _restore_selection(self) -> None:
        wanted, self._preferred_id = self._current_id or self._preferred_id, None
        if wanted is not None and self.select_experiment(wanted):
            return
        if self.model().rowCount() > 0:
            row = self.experiment_model().most_active_row()
            self.setCurrentIndex(self.model().index(row or 0, 0))
        else:
            self._current_id = None
            self.experiment_selected.emit("")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QListView.keyPressEvent
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._current_id:
            self.entered.emit()
            event.accept()
        else:
            super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # QListView.paintEvent
        super().paintEvent(event)
        model = self.experiment_model()
        if model.rowCount() == 0:
            if model.is_loading:
                text = "Reading experiments…"
            else:
                text = "No active experiments" if model.has_store else "No database open"
            paint_placeholder(self, text, side=8, top=12)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return  # the list is being replaced; `_restore_selection` picks again
        self._current_id = str(current.data(EXPERIMENT_ID_ROLE))
        self.experiment_selected.emit(self._current_id)
