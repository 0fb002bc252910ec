"""`BatchReplayDialog`: "Run Over Traces…" from the replay playground — the same edit sent again
for the traces a filter selects, written as two evaluation runs (the recorded answers and the
new ones) that the Evaluations tab compares.

The filter is the trace list's language, prefilled with traces like the source (its prompt
version, else its name); how many traces it selects is counted in the database thread as it is
typed. The targets are read there too, then the runs are written in the job pool
(`batch_run.run_batch`), with a progress bar; Cancel (or Esc) stops the job as a rerun stops,
and the runs written so far stay, the unfinished one marked Killed. Nothing is written unless
the store is writable: the dialog says why not and Run stays disabled.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.evaluations.rerun import progress_text
from app.replay import batch
from app.replay.batch_run import RECORDED, BatchPlan, BatchProgress, BatchResult, run_batch
from app.replay.batch_scorers import BatchScorers
from app.replay.request import ReplayRequest
from app.replay.run import ReplayRun
from app.tasks import Task, TaskGroup, TaskRunner
from core.client import Client
from core.store import Store

#: Milliseconds of typing pause before the filter's matches are counted.
COUNT_DELAY_MS = 300
NO_STORE = "No database is open."
READ_ONLY = (
    "This database is open read-only. Running the edit over traces writes two evaluation runs "
    "into it: File → Enable Editing reopens it for writing, then open this dialog again."
)
NOT_WRITABLE = (
    "This is an {label}. TraceDesk writes evaluation runs only in the MLflow 3.18 layout, so "
    "the edit cannot be run over the traces of this database."
)


def batch_target(client: Client | None) -> tuple[Store | None, str]:
    """The store to read the traces from, and why the runs cannot be written ("" when they
    can)."""
    if client is None:
        return None, NO_STORE
    store = client.store()
    if not store.layout.writable:
        return store, NOT_WRITABLE.format(label=store.layout.label)
    if store.read_only:
        return store, READ_ONLY
    return store, ""


class BatchReplayDialog(QDialog):
    """Choose the traces and the scorers; Run writes the recorded and the edited run."""

    runs_written = Signal(str, str)  # the baseline (recorded) run, the edited run
    open_requested = Signal(str, str)  # "Open in Evaluations": compare A (recorded) with B

    def __init__(
        self,
        tasks: TaskRunner,
        client: Client | None,
        request: ReplayRequest,
        edited: ReplayRun,
        parent: QWidget | None = None,
        prompt: batch.PromptEdit | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("batchReplayDialog")
        self.setWindowTitle(f"Run Over Traces — {request.source_name}")
        self._tasks = tasks
        self._client = client
        self.request, self.edited, self.prompt = request, edited, prompt
        self.store, self._refusal = batch_target(client)
        self.experiment_id = request.experiment_id or edited.experiment_id
        self.edit: batch.BatchEdit | None = None  # known once the source trace was read
        self.matches: int | None = None
        self.outcome: BatchResult | None = None
        self._counting: TaskGroup = tasks.group()
        self._reading: Task | None = None  # the targets, in the database thread
        self.job: Task | None = None
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(COUNT_DELAY_MS)
        self._count_timer.timeout.connect(self.count)
        self._build()
        self._read_source()
        self._update_buttons()

    # -- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.intro = _plain_label(self, "batchIntro", self._intro_text())
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("batchFilter")
        self.filter_edit.setPlaceholderText("trace.name = 'support'  (empty: every trace)")
        self.filter_edit.setToolTip("The trace list's filter language (Traces tab, Ctrl+F)")
        self.filter_edit.textEdited.connect(lambda _text: self._filter_changed())
        self.limit_spin = QSpinBox(self)
        self.limit_spin.setObjectName("batchLimit")
        self.limit_spin.setRange(1, batch.MAX_LIMIT)
        self.limit_spin.setValue(batch.DEFAULT_LIMIT)
        self.limit_spin.setSuffix(" traces")
        self.limit_spin.setToolTip("The newest traces the filter selects, at most this many")
        self.limit_spin.valueChanged.connect(lambda _value: self._show_matches())
        self.matches_label = _plain_label(self, "batchMatches", "Reading the source trace…")
        form = QFormLayout()
        form.addRow(_buddy("&Filter", self.filter_edit, self), self.filter_edit)
        form.addRow(_buddy("&Limit", self.limit_spin, self), _left(self.limit_spin))
        form.addRow("", self.matches_label)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("batchProgress")
        self.progress.hide()
        self.status = _plain_label(self, "batchStatus", self._refusal)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        self.scorers = BatchScorers(self)
        layout.addWidget(self.scorers)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addLayout(self._buttons())
        self.resize(720, self.sizeHint().height())

    def _intro_text(self) -> str:
        edited, request, prompt = self.edited, self.request, self.prompt
        system = [m.content for m in edited.messages if m.role == "system"]
        said = f"system message “{_clip(system[0])}”" if system else "no system message"
        said += f" and {len(system) - 1} more" if len(system) > 1 else ""
        if prompt is not None:
            said = f"the template of {_version(prompt)}, edited"
        params = [f"model {edited.model or '—'}"]
        for name, value in (
            ("temperature", edited.temperature),
            ("max tokens", edited.max_tokens),
            ("seed", edited.seed),
        ):
            if value is not None:
                params.append(f"{name} {value}")
        if request.tools:
            params.append("tools offered" if edited.tools else "tools not offered")
        sent = (
            f"the edited template filled with that trace's own values; a trace without one "
            f"rendered from {_version(prompt)} is skipped"
            if prompt is not None
            else "the edited system message; a trace without one is skipped"
        )
        return (
            f"The edit: {said}; {', '.join(params)}.\n"
            f"Each selected trace's “{request.source_name}” span is sent again with its own "
            f"messages and {sent}. Two evaluation runs are written, the recorded answers and "
            "the new ones, to compare in the Evaluations tab."
        )

    def _buttons(self) -> QHBoxLayout:
        self.open_button = QPushButton("Open in &Evaluations", self)
        self.open_button.setObjectName("batchOpen")
        self.open_button.clicked.connect(self.open_evaluation)
        self.open_button.hide()
        self.run_button = QPushButton("&Run", self)
        self.run_button.setObjectName("batchRun")
        self.run_button.setDefault(True)  # Enter in the filter runs
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("batchCancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setToolTip("Stop the runs (Esc); while idle, close")
        self.cancel_button.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in (self.open_button, self.run_button, self.cancel_button):
            row.addWidget(button)
        return row

    # -- the source and the filter --------------------------------------------------------------

    def _read_source(self) -> None:
        store = self.store
        if store is None:
            self.matches_label.setText("")
            return
        task = self._tasks.submit(batch.source_facts, store, self.request)
        task.on_finished(self._source_read)
        task.on_failed(lambda error: self.matches_label.setText(f"{error}"))
        self._reading = task

    def _source_read(self, facts: batch.SourceFacts) -> None:
        self._reading = None
        self.edit = batch.edit_from(self.request, self.edited, facts, self.prompt)
        if not self.filter_edit.text():
            self.filter_edit.setText(batch.default_filter(facts, self.request.source_name))
            self.filter_edit.setCursorPosition(0)  # a long filter shows its start
        self.count()

    def _filter_changed(self) -> None:
        self.matches = None
        self.matches_label.setText("Counting…")
        self._update_buttons()
        self._count_timer.start()

    def count(self) -> None:
        """Count what the filter selects (database thread); a newer count drops an older one."""
        self._count_timer.stop()
        store = self.store
        if store is None:
            return
        self._counting.drop()
        self.matches = None
        self.matches_label.setText("Counting…")
        task = self._counting.submit(
            batch.count_matches, store, self.experiment_id, self.filter_edit.text()
        )
        task.on_finished(self._counted)
        task.on_failed(self._count_failed)
        self._update_buttons()

    def _counted(self, matches: int) -> None:
        self.matches = matches
        self._show_matches()
        self._update_buttons()

    def _count_failed(self, error: BaseException) -> None:
        self.matches = None
        self.matches_label.setText(str(error))
        self._update_buttons()

    def _show_matches(self) -> None:
        matches = self.matches
        if matches is None:
            return
        limit = self.limit_spin.value()
        where = f"in experiment {self.experiment_id}"
        if matches == 0:
            text = f"No trace {where} matches."
        elif matches <= limit:
            text = (
                f"{matches:,} trace{'s' if matches != 1 else ''} {where} match: all are replayed."
            )
        else:
            text = f"{matches:,} traces {where} match: the newest {limit:,} are replayed."
        self.matches_label.setText(text)

    # -- running --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._reading is not None or self.job is not None

    def run(self) -> None:
        """Read the targets (database thread), then write the two runs (job pool)."""
        if not self.run_button.isEnabled() or self.running:
            return
        store, edit = self.store, self.edit
        assert store is not None and edit is not None  # Run is disabled until both are known
        self.outcome = None
        self.open_button.hide()
        self.status.setText("Reading the traces…")
        self.progress.setRange(0, 0)  # busy until the rows are known
        self.progress.show()
        task = self._tasks.submit(
            batch.find_targets, store, edit, self.filter_edit.text(), self.limit_spin.value()
        )
        task.on_finished(lambda targets: self._start(edit, targets))
        task.on_failed(self._failed)
        self._reading = task
        self._update_buttons()

    def _start(self, edit: batch.BatchEdit, targets: batch.Targets) -> None:
        self._reading = None
        client = self._client
        if not targets.rows:
            self._stop_progress()
            rendered = f" rendered from {_version(edit.prompt)}" if edit.prompt else ""
            self.status.setText(
                f"None of the selected traces has a “{edit.span_name}” span{rendered} to "
                f"replay ({len(targets.skipped):,} skipped)."
            )
            self._update_buttons()
            return
        assert client is not None
        plan = BatchPlan(client, edit, targets, self.scorers.choice())
        self.progress.setRange(0, 2 * len(targets.rows))
        self.progress.setValue(0)
        self.status.setText(f"Writing the recorded answers of {len(targets.rows):,} traces…")
        task = self._tasks.submit_job(run_batch, plan)
        task.on_progress(lambda _done, _total, payload: self._show_progress(payload))
        task.on_finished(self._finished)
        task.on_failed(self._failed)
        self.job = task
        self._update_buttons()

    def _show_progress(self, progress: BatchProgress) -> None:
        """One bar over both runs: the recorded rows, then the edited ones."""
        total = max(progress.total, 1)
        first = progress.phase == RECORDED
        self.progress.setRange(0, 2 * total)
        self.progress.setValue(progress.done if first else total + progress.done)
        what = (
            "Recorded answers (run 1 of 2)"
            if first
            else f"New answers from {self.edited.model} (run 2 of 2)"
        )
        counts = progress_text(progress.done, progress.total, progress.errors, progress.elapsed_s)
        cancelling = " · cancelling…" if self.job is not None and self.job.token.cancelled else ""
        self.status.setText(f"{what}: {counts}{cancelling}")

    def cancel_run(self) -> None:
        """Stop: the rows being answered finish, the run being written ends Killed."""
        if self._reading is not None:
            self._reading.cancel()
            self._reading = None
            self._stop_progress()
            self.status.setText("Cancelled before any run was written.")
        elif self.job is not None:
            self.job.token.cancel()  # not Task.cancel(): the outcome must still arrive
            self.status.setText("Cancelling: the rows being answered finish first…")
        self._update_buttons()

    def _finished(self, result: BatchResult) -> None:
        self.job = None
        self.outcome = result
        self._stop_progress()
        self.status.setText(outcome_text(result, self.prompt))
        self._update_buttons()
        if result.edited is not None:
            self.open_button.show()
            self.open_button.setDefault(True)
            self.open_button.setFocus()
            self.runs_written.emit(result.baseline.run_id, result.edited.run_id)

    def _failed(self, error: BaseException) -> None:
        self._reading = self.job = None
        self._stop_progress()
        self.status.setText(f"The edit could not be run over the traces: {error}")
        self._update_buttons()

    def _stop_progress(self) -> None:
        self.progress.setRange(0, 1)
        self.progress.hide()

    def open_evaluation(self) -> None:
        """Show the recorded run (A) compared with the edited run (B)."""
        result = self.outcome
        if result is not None and result.edited is not None:
            self.open_requested.emit(result.baseline.run_id, result.edited.run_id)

    def _update_buttons(self) -> None:
        running = self.running
        ready = not self._refusal and self.edit is not None and bool(self.edited.model.strip())
        self.run_button.setEnabled(ready and not running and bool(self.matches))
        self.cancel_button.setText("Cancel" if running or self.outcome is None else "Close")
        for field in (self.filter_edit, self.limit_spin, self.scorers):
            field.setEnabled(not running)  # what runs was read when Run was pressed

    # -- Qt events ------------------------------------------------------------------------------

    def reject(self) -> None:  # QDialog.reject: Esc and Cancel stop a running job, else close
        if self.running:
            self.cancel_run()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # QWidget.closeEvent
        self._count_timer.stop()
        self._counting.drop()
        for task in (self._reading, self.job):
            if task is not None:
                task.cancel()  # the job stops as a cancel stops it; its outcome is not shown
        self._reading = self.job = None
        super().closeEvent(event)


def _version(prompt: batch.PromptEdit) -> str:
    version = prompt.linked.version
    return f"prompt {version.name} v{version.version}"


def outcome_text(result: BatchResult, prompt: batch.PromptEdit | None = None) -> str:
    """What was written, said at the end."""
    why = f" rendered from {_version(prompt)}" if prompt is not None else ""
    skipped = (
        f" {result.skipped:,} selected trace{'s were' if result.skipped != 1 else ' was'} "
        f"skipped: no span{why} to replay."
        if result.skipped
        else ""
    )
    baseline, edited = result.baseline, result.edited
    if edited is None:
        return f"Cancelled: run “{baseline.run_name}” is marked Killed; nothing was replayed."
    if not result.complete:
        return (
            f"Cancelled: run “{edited.run_name}” is marked Killed (the rows answered are kept); "
            f"“{baseline.run_name}” holds the recorded answers.{skipped}"
        )
    return (
        f"Done: {result.rows:,} traces replayed into “{edited.run_name}”, beside "
        f"“{baseline.run_name}”.{skipped}"
    )


def _clip(text: str, length: int = 70) -> str:
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1] + "…"


def _plain_label(parent: QWidget, name: str, text: str = "") -> QLabel:
    """A wrapping label for text that quotes names and errors: never rich text."""
    label = QLabel(text, parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


def _buddy(text: str, field: QWidget, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setBuddy(field)
    return label


def _left(field: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(field)
    row.addStretch(1)
    return row
