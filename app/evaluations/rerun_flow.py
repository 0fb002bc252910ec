"""A rerun from the button to the comparison: writable check, dataset, dialog, job, outcome.

`request(run)` checks that the database can be written (else the Enable Editing bar it was
given), rebuilds the run's dataset and lists the prompt versions in the database thread, opens
the Rerun dialog, whose `plan` is what `start` runs in the job pool. Progress (the job's
`RerunProgress`) goes to the strip it was given; the end is said there and with `message`,
`runs_changed` asks for the runs to be read again, and a finished rerun asks for its comparison
with the original run (`compare_requested`). One rerun runs at a time (the strip shows one);
reruns of other windows, or of other stores, run beside it: each writes through its own
store's client.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from app.evaluations import rerun
from app.evaluations.bars import EditingBar, RerunStrip
from app.evaluations.rerun_dialog import RerunDialog
from app.ollama import OllamaUnavailable
from app.tasks import Task, TaskRunner
from core.client import Client
from core.entities.evaluation import FINISHED, KILLED, EvaluationResult, EvaluationRun
from core.entities.prompt import PromptVersion
from core.store import Store

READ_ONLY = (
    "This database is open read-only. A rerun writes a new evaluation run into it: "
    "enable editing to reopen it for writing, then the rerun goes on."
)
NOT_WRITABLE = (
    "This is an {label}. TraceDesk writes evaluation runs only in the MLflow 3.18 layout, so "
    "runs in this database can be looked at and compared, not rerun."
)


class RerunFlow(QObject):
    """The reruns of one page: one at a time, shown in its strip."""

    started = Signal(object)  # the Task of the job
    finished = Signal(object)  # the EvaluationResult (FINISHED, or KILLED when cancelled)
    failed = Signal(str)  # what went wrong, as shown
    message = Signal(str)  # a short note for the status bar
    runs_changed = Signal(object)  # runs were written: the run ids to select (None: as they are)
    compare_requested = Signal(str, str)  # a rerun finished: the original (A) and the new run

    def __init__(
        self, tasks: TaskRunner, strip: RerunStrip, editing_bar: EditingBar, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self._owner = parent  # the dialog's parent
        self._tasks = tasks
        self._strip = strip
        self._editing_bar = editing_bar
        self._client: Client | None = None
        self._store: Store | None = None
        self.task: Task | None = None
        self.plan: rerun.RerunPlan | None = None
        self.dialog: RerunDialog | None = None
        self._progress = rerun.RerunProgress(0, 0, 0, 0.0)  # the last the job reported
        # What waits for the file to be writable: a run to rerun, or (dataset, experiment).
        self._pending: EvaluationRun | tuple[rerun.DatasetChoice, str] | None = None
        self._pending_location = ""
        self._preparing: Task | None = None
        self._cancel_asked = False
        self._warming: Task | None = None
        self._warmed = False
        strip.cancel_requested.connect(self.cancel)

    @property
    def running(self) -> bool:
        return self.task is not None

    def request(self, run: EvaluationRun) -> None:
        """The user asked to rerun `run`."""
        store = self._store
        if store is None or self.running:
            return
        if store.read_only:
            if store.layout.writable:
                self._pending, self._pending_location = run, store.location.display
                self._editing_bar.ask(READ_ONLY)
            else:
                self._editing_bar.refuse(NOT_WRITABLE.format(label=store.layout.label))
            return
        self._prepare(store, run)

    def request_dataset(self, dataset: rerun.DatasetChoice, experiment_id: str) -> None:
        """The user asked to evaluate a managed dataset into `experiment_id`."""
        store = self._store
        if store is None or self.running:
            return
        if store.read_only:
            if store.layout.writable:
                self._pending = (dataset, experiment_id)
                self._pending_location = store.location.display
                self._editing_bar.ask(READ_ONLY)
            else:
                self._editing_bar.refuse(NOT_WRITABLE.format(label=store.layout.label))
            return
        self._prepare_dataset(store, dataset, experiment_id)

    def _prepare_dataset(
        self, store: Store, dataset: rerun.DatasetChoice, experiment_id: str
    ) -> None:
        self._warm_up()
        self.message.emit(f"Reading the records of {dataset.name}…")
        task = self._tasks.submit(rerun.prepare_dataset, store, dataset.dataset_id)
        task.on_finished(
            lambda found: self._open_dialog(store, dataset, found[0], found[1], experiment_id)
        )
        task.on_failed(lambda error: self._report(f"The evaluation could not start: {error}"))
        self._preparing = task

    def set_client(self, client: Client | None) -> None:
        """Another store's client (None when none is open): a rerun waiting for editing goes
        on if the same file came back writable."""
        self._client = client
        store = self._store = client.store() if client is not None else None
        if self._preparing is not None:
            self._preparing.cancel()
            self._preparing = None
        if store is None or self._pending is None:
            return  # the window lets go of the old store before it shows the reopened one
        pending, self._pending = self._pending, None
        same_file = store.location.display == self._pending_location
        if not same_file or store.read_only:
            return
        if isinstance(pending, EvaluationRun):
            self._prepare(store, pending)
        else:
            self._prepare_dataset(store, *pending)

    @property
    def warming(self) -> bool:
        """The LangChain and Ollama clients are being imported (see `rerun.warm_up`)."""
        return self._warming is not None

    def _warm_up(self) -> None:
        if self._warmed or self._warming is not None or self._tasks.is_shut_down:
            return
        task = self._tasks.submit_job(rerun.warm_up)
        task.on_finished(self._warm)
        task.on_failed(self._warm)  # the rerun imports them again and says what fails
        self._warming = task

    def _warm(self, _result: object) -> None:
        self._warming, self._warmed = None, True

    def _prepare(self, store: Store, run: EvaluationRun) -> None:
        self._warm_up()
        self.message.emit(f"Rebuilding the dataset of {run.name or run.run_id}…")
        task = self._tasks.submit(rerun.prepare, store, run.run_id)
        task.on_finished(lambda found: self._open_dialog(store, run, *found))
        task.on_failed(lambda error: self._report(f"The rerun could not start: {error}"))
        self._preparing = task

    def _open_dialog(
        self,
        store: Store,
        source: EvaluationRun | rerun.DatasetChoice,
        dataset: rerun.Dataset,
        prompts: list[PromptVersion],
        experiment_id: str | None = None,
    ) -> None:
        self._preparing = None
        if not dataset.items:
            self._report(
                "This run cannot be rerun: none of its traces recorded its inputs."
                if isinstance(source, EvaluationRun)
                else f"Dataset {source.name} holds no record with a dict of inputs."
            )
            return
        dialog = RerunDialog(self._tasks, source, dataset, prompts, self._owner, experiment_id)
        dialog.accepted.connect(lambda: self._start_from(store, dialog))
        dialog.finished.connect(dialog.deleteLater)
        dialog.finished.connect(lambda _code: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def _start_from(self, store: Store, dialog: RerunDialog) -> None:
        client = self._client
        if client is None or store is not self._store:
            return  # the database changed while the dialog was open
        try:
            plan = dialog.plan(client)
        except OllamaUnavailable as error:
            self._report(str(error))
            return
        if plan is not None:
            self.start(plan)

    def start(self, plan: rerun.RerunPlan) -> Task:
        """Run `plan` in the job pool, its progress in the strip."""
        self._progress = rerun.RerunProgress(0, len(plan.dataset.items), 0, 0.0)
        task = self._tasks.submit_job(rerun.run_rerun, plan)
        task.on_progress(self._show_progress)
        task.on_finished(lambda result: self._finished(plan, result))
        task.on_failed(self._failed)
        self.task, self.plan = task, plan
        self._cancel_asked = False
        doing = "Rerunning" if plan.source is not None else "Evaluating"
        title = f"{doing} {plan.subject}: {plan.model}, {plan.prompt.name} v{plan.prompt.version}"
        self._strip.start(title, len(plan.dataset.items))
        self.started.emit(task)
        return task

    def _show_progress(self, _done: int, _total: int, progress: rerun.RerunProgress) -> None:
        self._progress = progress
        self._strip.show_progress(progress)

    def cancel(self) -> None:
        """Ask the job to stop; the rows being answered finish, the run ends KILLED."""
        if self.task is not None:
            self._cancel_asked = True
            self.task.token.cancel()  # not Task.cancel(): the outcome must still arrive

    def _finished(self, plan: rerun.RerunPlan, result: EvaluationResult) -> None:
        self.task = None
        done, total, errors = self._progress.done, self._progress.total, self._progress.errors
        name = result.run_name or result.run_id
        what = "Rerun" if plan.source is not None else "Evaluation"
        if result.status == KILLED:
            text = (
                f"{what} cancelled: run {name} is marked Killed ({done:,} of {total:,} rows done)."
            )
        else:
            problems = f", {errors:,} with errors" if errors else ""
            late = " (every row had started before the cancel)" if self._cancel_asked else ""
            text = f"{what} finished{late}: run {name}, {total:,} rows{problems}."
        self._strip.finish(text)
        self.message.emit(text)
        client = self._client
        if client is not None and client.tracking_uri == plan.client.tracking_uri:
            if plan.source is None:  # a dataset's first run: nothing to compare it with yet
                self.runs_changed.emit([result.run_id])
            else:
                self.runs_changed.emit([plan.source.run_id, result.run_id])
                if result.status == FINISHED:
                    self.compare_requested.emit(plan.source.run_id, result.run_id)
        self.finished.emit(result)

    def _failed(self, error: BaseException) -> None:
        self.task = None
        self._report(f"Rerun failed: {error}")
        self.runs_changed.emit(None)  # a failed rerun leaves its run marked FAILED

    def _report(self, text: str) -> None:
        self._preparing = None
        self._strip.finish(text)
        self.message.emit(text)
        self.failed.emit(text)
