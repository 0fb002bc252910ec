"""Importing a dropped trace file (MLflow trace JSON, JSON Lines, OTLP JSON) into the open store.

The user is asked first, in a dialog that names the file and the experiment the traces will
join (the one selected in the experiment list); a database open read-only refuses with the
Enable Editing hint. The import is a pool job (it reads the file and writes a batch per
transaction), and the list is read again when it lands.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.tasks import JobToken, Task, TaskRunner
from core.export import ImportResult, import_file
from core.safe_text import isolated
from core.store import Store

READ_ONLY_HINT = (
    "This database is open read-only. Choose File → Enable Editing, then drop the file again."
)


class ExperimentChooser(Protocol):
    """The experiment list, as far as an import needs it."""

    @property
    def current_experiment_id(self) -> str | None: ...

    def name_of(self, experiment_id: str) -> str | None: ...


def import_job(token: JobToken, store: Store, path: Path, experiment_id: str) -> ImportResult:
    """Pool job: the import, a batch per transaction, stopping between batches if cancelled."""
    return import_file(
        store,
        path,
        experiment_id,
        progress=lambda done: token.report(done, 0),
        cancelled=lambda: token.cancelled,
    )


class TraceImports(QObject):
    """Asks, then imports a dropped trace file into the selected experiment."""

    imported = Signal(object)  # the ImportResult: the window reads the list again
    message = Signal(str)  # a short note for the status bar
    failed = Signal(str)  # what went wrong, for an error report

    def __init__(
        self,
        tasks: TaskRunner,
        experiments: ExperimentChooser,
        store: Callable[[], Store | None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._owner = parent
        self._tasks = tasks
        self._experiments = experiments
        self._store = store
        self.question: QMessageBox | None = None
        self.task: Task | None = None

    def import_dropped(self, location: str) -> QMessageBox | None:
        """Ask before importing the traces of `location` (a dropped .json or .jsonl file)."""
        path = Path(location)
        store = self._store()
        if store is None:
            self.failed.emit(f"Open a database first, then drop {path.name} on it to import it.")
            return None
        if store.read_only:
            self.failed.emit(f"{path.name} was not imported. {READ_ONLY_HINT}")
            return None
        experiment_id = self._experiments.current_experiment_id
        name = self._experiments.name_of(experiment_id) if experiment_id else None
        if not experiment_id or name is None:
            self.failed.emit(
                f"Select the experiment to import {path.name} into, then drop it again."
            )
            return None
        box = QMessageBox(self._owner)
        box.setObjectName("importQuestion")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Import Traces")
        box.setTextFormat(Qt.TextFormat.PlainText)  # names from the user's files
        box.setText(
            f"Import the traces of “{isolated(path.name)}” into the experiment "
            f"“{isolated(name)}” (id {experiment_id})?"
        )
        box.setInformativeText(
            "Traces already in this database are left as they are. "
            f"Their original experiment is not kept.\n\nFile: {path}"
        )
        ok = box.addButton("&Import", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(ok)
        box.buttonClicked.connect(
            lambda button: self._start(store, path, experiment_id) if button is ok else None
        )
        box.finished.connect(self._forget_question)
        self.question = box
        box.open()
        return box

    def _forget_question(self) -> None:
        self.question = None

    def _start(self, store: Store, path: Path, experiment_id: str) -> None:
        if store is not self._store():
            return  # another database was opened meanwhile
        task = self._tasks.submit_job(import_job, store, path, experiment_id)
        task.describe(f"Importing {path.name}")
        task.on_progress(lambda done, _total, _payload: self._progress(path, done))
        task.on_finished(self._finished)
        task.on_failed(lambda error: self._failed(path, error))
        self.task = task
        self.message.emit(f"Importing {path.name}…")

    def _progress(self, path: Path, done: int) -> None:
        self.message.emit(f"Importing {path.name}: {done:,} traces read…")

    def _finished(self, result: ImportResult) -> None:
        self.task = None
        self.message.emit(result.summary())
        self.imported.emit(result)

    def _failed(self, path: Path, error: BaseException) -> None:
        self.task = None
        self.failed.emit(f"{path.name} could not be imported: {error}")
