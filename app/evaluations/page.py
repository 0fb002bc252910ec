"""The Evaluations page: the experiment's runs, a run's result grid, two runs compared, reruns.

Select a run to see its rows; select two and press Compare. "Rerun…" rebuilds the selected run's
dataset, asks what to run (`RerunDialog`) and evaluates it again in the job pool into a new run,
with its progress in `RerunStrip`; when it finishes, the comparison with the original run opens.
"Evaluate Dataset…" does the same with a managed dataset's records (labelled traces added to a
dataset, say): its first run, which later runs are compared with. A rerun writes to the
database: a read-only one shows the Enable Editing bar first (`editing_requested`), and the
rerun the user asked for opens once the window reopened the file for writing. One rerun runs at
a time.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.evaluations.bars import EditingBar, RerunStrip
from app.evaluations.compare import Comparison, compare_runs
from app.evaluations.compare_view import ComparePanel
from app.evaluations.grid_view import ResultGrid
from app.evaluations.rerun import DatasetChoice, datasets_of
from app.evaluations.rerun_flow import RerunFlow
from app.evaluations.runs_model import RunListModel
from app.evaluations.runs_view import RunListView
from app.pages import Page
from app.tasks import Task, TaskRunner
from core.client import Client
from core.entities.evaluation import EvaluationRun
from core.store import Store


def ask_to_cancel_rerun(parent: QWidget) -> bool:
    """Ask (modally: the window waits for the answer) whether to cancel the running rerun."""
    answer = QMessageBox.question(
        parent,
        "Cancel the Rerun?",
        "A rerun is still running. Cancel it? Its run is kept, marked Killed.",
    )
    return answer == QMessageBox.StandardButton.Yes


class EvaluationsPage(Page):
    """Runs, result grid, comparison and reruns of the experiment chosen in the sidebar."""

    title = "Eval&uations"  # Alt+U: E, V and L are taken by menus and buttons

    comparison_shown = Signal(object)  # the Comparison now on screen

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("evaluationsPage")
        self.tasks = tasks
        self.client: Client | None = None
        self.store: Store | None = None
        self.experiment_id: str | None = None
        self._compare_task: Task | None = None
        self._wanted: list[str] | None = None  # runs to select once the list is read
        self.runs_model = RunListModel(tasks, self)
        self.runs_view = RunListView(self.runs_model)
        self.grid = ResultGrid(tasks)
        self.comparison = ComparePanel(tasks)
        self.editing_bar = EditingBar()
        self.strip = RerunStrip()
        self.reruns = RerunFlow(tasks, self.strip, self.editing_bar, self)
        self._build()
        self._connect()

    def _build(self) -> None:
        self.heading = QLabel("Evaluation runs")
        self.heading.setObjectName("evaluationsHeading")
        self.refresh_button = QPushButton("Refresh")
        self.compare_button = QPushButton("&Compare")
        self.compare_button.setToolTip("Compare the two selected runs (Ctrl+click a second run)")
        self.rerun_button = QPushButton("&Rerun…")
        self.rerun_button.setToolTip("Run the selected run's dataset again with an Ollama model")
        self.dataset_button = QPushButton("Evaluate &Dataset…")
        self.dataset_button.setToolTip(
            "Evaluate one of the experiment's datasets (e.g. labelled traces) with an Ollama model"
        )
        tools = QHBoxLayout()
        tools.setContentsMargins(6, 6, 6, 2)
        tools.addWidget(self.heading, 1)
        buttons = (self.refresh_button, self.compare_button, self.rerun_button, self.dataset_button)
        for button in buttons:
            tools.addWidget(button)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("evaluationTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.grid, "Results")
        self.tabs.addTab(self.comparison, "Comparison")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.runs_view)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.editing_bar)
        layout.addLayout(tools)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.strip)
        self._update_buttons([])

    def _connect(self) -> None:
        self.runs_view.selection_changed.connect(self._on_runs_selected)
        self.runs_model.loaded.connect(self._after_runs_loaded)
        self.runs_model.load_failed.connect(self.status_message)
        self.grid.model.load_failed.connect(self.status_message)
        self.grid.trace_requested.connect(self.trace_requested)
        self.comparison.trace_requested.connect(self.trace_requested)
        self.refresh_button.clicked.connect(self.reload)
        self.compare_button.clicked.connect(self.compare_selected)
        self.rerun_button.clicked.connect(self.rerun_selected)
        self.dataset_button.clicked.connect(self.evaluate_dataset)
        self.editing_bar.enable_requested.connect(self.editing_requested)
        self._connect_reruns()

    def _connect_reruns(self) -> None:
        reruns = self.reruns
        reruns.message.connect(self.status_message)
        reruns.runs_changed.connect(lambda run_ids: self.refresh(select=run_ids))
        reruns.compare_requested.connect(self.compare)
        for signal in (reruns.started, reruns.finished, reruns.failed):
            signal.connect(self.update_buttons)

    # -- Page -------------------------------------------------------------------------------

    def set_client(self, client: Client | None) -> None:
        """Another store (or the same file reopened for writing): read the runs again."""
        self.client = client
        store = self.store = client.store() if client is not None else None
        if store is None or not store.read_only:
            self.editing_bar.hide()
        self.grid.show_run(None, None)
        self.comparison.show_loading("Select two runs and press Compare.")
        self.refresh()
        self.reruns.set_client(client)

    def set_experiment(self, experiment_id: str | None) -> None:
        if experiment_id != self.experiment_id:
            self.experiment_id = experiment_id
            self._wanted = None  # run ids of another experiment
            self.grid.show_run(None, None)
            self.comparison.show_loading("Select two runs and press Compare.")
        self.refresh()

    def confirm_close(self) -> bool:
        """A running rerun is cancelled (its run ends KILLED) if the user agrees."""
        if not self.reruns.running:
            return True
        if not ask_to_cancel_rerun(self):
            return False
        self.reruns.cancel()
        return True

    # -- runs -------------------------------------------------------------------------------

    def refresh(self, select: list[str] | None = None) -> None:
        """Read the experiment's runs again, keeping the selection (or selecting `select`)."""
        if select is not None:
            self._wanted = list(select)
        elif self._wanted is None:
            self._wanted = [run.run_id for run in self.runs_view.selected_runs()]
        self.runs_model.load(self.store, self.experiment_id)

    def reload(self) -> None:
        """The Refresh button: read the runs, and the grid shown, again."""
        self.refresh()
        self.grid.model.refresh()

    def _after_runs_loaded(self) -> None:
        wanted, self._wanted = self._wanted, None
        if wanted:
            self.runs_view.select_runs(wanted)
        self.heading.setText(f"Evaluation runs ({self.runs_model.rowCount()})")
        self.grid.view.runs_listed = self.runs_model.rowCount() > 0
        self.grid.view.viewport().update()

    def _on_runs_selected(self, runs: list[EvaluationRun]) -> None:
        self._update_buttons(runs)
        if len(runs) == 1 and runs[0].run_id != self.grid.model.run_id:
            self.grid.show_run(self.store, runs[0].run_id)
            self.tabs.setCurrentWidget(self.grid)

    def _update_buttons(self, runs: list[EvaluationRun]) -> None:
        self.compare_button.setEnabled(len(runs) == 2)
        self.rerun_button.setEnabled(len(runs) == 1 and not self.reruns.running)
        self.dataset_button.setEnabled(not self.reruns.running)

    def update_buttons(self) -> None:
        self._update_buttons(self.runs_view.selected_runs())

    # -- comparing --------------------------------------------------------------------------

    def compare_selected(self) -> None:
        runs = self.runs_view.selected_runs()
        if len(runs) == 2:
            self.compare(runs[0].run_id, runs[1].run_id)

    def compare(self, run_a: str, run_b: str) -> None:
        """Compare two runs of the open store (A is the baseline) on the Comparison tab."""
        if self.store is None:
            return
        if self._compare_task is not None:
            self._compare_task.cancel()
        self.tabs.setCurrentWidget(self.comparison)
        self.comparison.show_loading("Comparing the two runs…")
        task = self.tasks.submit(compare_runs, self.store.evaluations, run_a, run_b)
        task.on_finished(self._show_comparison)
        task.on_failed(self._comparison_failed)
        self._compare_task = task

    def _show_comparison(self, comparison: Comparison) -> None:
        self._compare_task = None
        self.comparison.show_comparison(comparison)
        self.comparison_shown.emit(comparison)

    def _comparison_failed(self, error: BaseException) -> None:
        self._compare_task = None
        message = f"The runs could not be compared: {error}"
        self.comparison.show_loading(message)
        self.status_message.emit(message)

    # -- rerunning --------------------------------------------------------------------------

    def evaluate_dataset(self) -> None:
        """Evaluate Dataset…: the experiment's datasets are read (database thread), one is
        chosen, then the same dialog as a rerun asks what to run."""
        store, experiment_id = self.store, self.experiment_id
        if store is None or not experiment_id:
            return
        task = self.tasks.submit(datasets_of, store, experiment_id)
        task.on_finished(lambda found: self._dataset_chosen(found, experiment_id))
        task.on_failed(lambda error: self.status_message.emit(f"Datasets unread: {error}"))

    def _dataset_chosen(self, found: list[DatasetChoice], experiment_id: str) -> None:
        if experiment_id != self.experiment_id:
            return
        if not found:
            self.status_message.emit(
                "This experiment has no evaluation dataset: add traces to one first "
                "(Add to Dataset… in the trace list or a labelling queue)."
            )
            return
        chosen = self.choose_dataset(found)
        if chosen is not None:
            self.reruns.request_dataset(chosen, experiment_id)

    def choose_dataset(self, found: list[DatasetChoice]) -> DatasetChoice | None:
        """Which dataset to evaluate (a list to pick from; tests replace this method)."""
        names = [choice.name for choice in found]
        name, ok = QInputDialog.getItem(
            self, "Evaluate Dataset", "&Dataset:", names, 0, editable=False
        )
        return found[names.index(name)] if ok and name in names else None

    def rerun_selected(self) -> None:
        runs = self.runs_view.selected_runs()
        if len(runs) == 1:
            self.reruns.request(runs[0])
