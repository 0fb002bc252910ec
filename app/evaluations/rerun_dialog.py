"""The Rerun dialog: which Ollama model and prompt version answer the rows, which scorers judge.

The model list comes from the server (`/api/tags`, in the job pool); the URL is editable and a
server that is down is said in the dialog (a model name can still be typed). Prompt versions
come from the registry. Scorers: exact match, contains, a length limit, an LLM judge with its
instructions, and `@scorer` functions from a Python file, whose path and text are shown and
confirmed before the rerun may run them (`confirm_code`). What the user chose comes back as a
plain `RerunPlan` (`plan`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import settings
from app.evaluations.rerun import (
    DEFAULT_WORKERS,
    MAX_WORKERS,
    Dataset,
    DatasetChoice,
    RerunPlan,
    ScorerChoice,
)
from app.evaluations.rerun_parts import CodeConfirmDialog, prompt_label, prompt_note
from app.evaluations.scorer_files import CodeFile, ScorerFileError, read_code
from app.ollama import fetch_models, normalized_url
from app.tasks import Task, TaskRunner
from core.client import Client
from core.entities.evaluation import EvaluationRun
from core.entities.prompt import PromptVersion

DEFAULT_MAX_LENGTH = 100
DEFAULT_JUDGE = "Does the output answer the question in the inputs correctly?"
PYTHON_FILES = "Python files (*.py);;All files (*)"


def choose_code_file(parent: QWidget) -> str:
    """Ask for a Python file (a blocking native dialog; tests replace this function)."""
    path, _filter = QFileDialog.getOpenFileName(parent, "Scorers From File", "", PYTHON_FILES)
    return path


def confirm_code(parent: QWidget, code: CodeFile, on_yes: Callable[[], None]) -> QDialog:
    """Show `code` and ask before it may run; `on_yes` when the user agrees."""
    dialog = CodeConfirmDialog(code, parent)
    dialog.accepted.connect(on_yes)
    dialog.open()
    return dialog


class RerunDialog(QDialog):
    """Choose model, prompt version and scorers; `accept()` when the user presses Run."""

    def __init__(
        self,
        tasks: TaskRunner,
        source: EvaluationRun | DatasetChoice,
        dataset: Dataset,
        prompts: list[PromptVersion],
        parent: QWidget | None = None,
        experiment_id: str | None = None,
    ) -> None:
        """`source`: the run rerun, or the managed dataset evaluated (into `experiment_id`)."""
        super().__init__(parent)
        self.setObjectName("rerunDialog")
        self._tasks = tasks
        self._models_task: Task | None = None
        if isinstance(source, EvaluationRun):
            self.source: EvaluationRun | None = source
            name = source.name or source.run_id
            self.title, self.experiment_id = f"run {name}", source.experiment_id
            self.setWindowTitle(f"Rerun {name}")
        else:
            self.source, name = None, source.name
            self.title, self.experiment_id = f"dataset {name}", experiment_id or ""
            self.setWindowTitle(f"Evaluate Dataset {name}")
        self.dataset = dataset
        self.code: CodeFile | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self._intro(name, dataset))
        layout.addWidget(self._model_group())
        layout.addWidget(self._prompt_group(prompts))
        layout.addWidget(self._scorer_group())
        layout.addLayout(self._options())
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.run_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.run_button.setText("Run")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._connect_validation()
        self.resize(620, self.sizeHint().height())
        self.refresh_models()

    # -- building ---------------------------------------------------------------------------

    def _intro(self, name: str, dataset: Dataset) -> QLabel:
        lines = [
            f"{len(dataset.items):,} rows rebuilt from run {name}: the inputs its traces "
            "recorded and their expectations. A new run is written."
            if self.source is not None
            else f"{len(dataset.items):,} records of dataset {name}: their inputs and "
            "expectations. A new run is written.",
            f"Inputs: {', '.join(dataset.input_keys) or 'none'} · Expectations: "
            f"{', '.join(dataset.expectation_keys) or 'none'}",
        ]
        if dataset.skipped:
            lines.append(f"{dataset.skipped:,} rows are left out: they hold no dict of inputs.")
        label = QLabel("\n".join(lines))
        label.setObjectName("rerunIntro")
        label.setTextFormat(Qt.TextFormat.PlainText)  # names and keys come from the database
        label.setWordWrap(True)
        return label

    def _model_group(self) -> QGroupBox:
        self.url_edit = QLineEdit(settings.ollama_url())
        self.url_edit.setObjectName("ollamaUrl")
        self.list_button = QPushButton("List Models")
        self.list_button.clicked.connect(self.refresh_models)
        self.url_edit.returnPressed.connect(self.refresh_models)
        self.model_box = QComboBox()
        self.model_box.setObjectName("ollamaModel")
        self.model_box.setEditable(True)
        self.model_box.setCurrentText(settings.ollama_model())
        self.server_status = QLabel()
        self.server_status.setObjectName("ollamaStatus")
        self.server_status.setTextFormat(Qt.TextFormat.PlainText)
        self.server_status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.url_edit, 1)
        row.addWidget(self.list_button)
        form = QFormLayout()
        form.addRow("Ollama server", row)
        form.addRow("Model", self.model_box)
        form.addRow("", self.server_status)
        group = QGroupBox("Model")
        group.setLayout(form)
        return group

    def _prompt_group(self, prompts: list[PromptVersion]) -> QGroupBox:
        self.prompt_box = QComboBox()
        self.prompt_box.setObjectName("promptVersion")
        for version in prompts:
            self.prompt_box.addItem(prompt_label(version), version)
        self.prompt_view = QPlainTextEdit()
        self.prompt_view.setReadOnly(True)
        self.prompt_view.setMaximumHeight(90)
        self.prompt_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.prompt_note = QLabel()
        self.prompt_note.setTextFormat(Qt.TextFormat.PlainText)
        self.prompt_note.setWordWrap(True)
        self.prompt_box.currentIndexChanged.connect(self._show_prompt)
        layout = QVBoxLayout()
        layout.addWidget(self.prompt_box)
        layout.addWidget(self.prompt_view)
        layout.addWidget(self.prompt_note)
        group = QGroupBox("Prompt version")
        group.setLayout(layout)
        self._show_prompt()
        return group

    def _scorer_group(self) -> QGroupBox:
        self.exact_check = QCheckBox("Exact match with expected_response")
        self.contains_check = QCheckBox("Output contains expected_response")
        has_expected = "expected_response" in self.dataset.expectation_keys
        self.exact_check.setChecked(has_expected)
        length = self._length_row()
        self.judge_check = QCheckBox("LLM judge (the model above answers yes or no):")
        self.judge_edit = QPlainTextEdit(DEFAULT_JUDGE)
        self.judge_edit.setMaximumHeight(60)
        self.file_button = QPushButton("Add Scorers From File…")
        self.file_button.setObjectName("scorerFileButton")
        self.file_button.clicked.connect(self.choose_file)
        self.file_label = QLabel("No scorer file")
        self.file_label.setObjectName("scorerFile")
        self.file_label.setTextFormat(Qt.TextFormat.PlainText)
        self.file_label.setWordWrap(True)
        custom = QHBoxLayout()
        custom.addWidget(self.file_button)
        custom.addWidget(self.file_label, 1)
        layout = QVBoxLayout()
        layout.addWidget(self.exact_check)
        layout.addWidget(self.contains_check)
        layout.addLayout(length)
        layout.addWidget(self.judge_check)
        layout.addWidget(self.judge_edit)
        layout.addLayout(custom)
        group = QGroupBox("Scorers")
        group.setLayout(layout)
        return group

    def _length_row(self) -> QHBoxLayout:
        self.length_check = QCheckBox("Output at most")
        self.length_spin = QSpinBox()
        self.length_spin.setRange(0, 1_000_000)
        self.length_spin.setValue(DEFAULT_MAX_LENGTH)
        self.length_spin.setSuffix(" characters")
        row = QHBoxLayout()
        row.addWidget(self.length_check)
        row.addWidget(self.length_spin)
        row.addStretch(1)
        return row

    def _options(self) -> QFormLayout:
        self.workers_spin = QSpinBox()
        self.workers_spin.setRange(1, MAX_WORKERS)
        self.workers_spin.setValue(DEFAULT_WORKERS)
        self.workers_spin.setToolTip("Rows answered at once (a local model is often busy)")
        self.workers_spin.setMaximumWidth(80)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("a random name, as MLflow gives")
        form = QFormLayout()
        form.addRow("Rows at once", self.workers_spin)
        form.addRow("New run name", self.name_edit)
        return form

    def _connect_validation(self) -> None:
        for check in (self.exact_check, self.contains_check, self.length_check, self.judge_check):
            check.toggled.connect(self._validate)
        self.model_box.currentTextChanged.connect(self._validate)
        self.judge_edit.textChanged.connect(self._validate)
        self.prompt_box.currentIndexChanged.connect(self._validate)
        self._validate()

    # -- behaviour --------------------------------------------------------------------------

    @property
    def prompt(self) -> PromptVersion | None:
        version = self.prompt_box.currentData()
        return version if isinstance(version, PromptVersion) else None

    def _show_prompt(self) -> None:
        version = self.prompt
        if version is None:
            self.prompt_view.setPlainText("")
            self.prompt_note.setText(
                "No prompt is registered in this database: register one first "
                "(the Prompts page, or core.register_prompt)."
            )
            return
        self.prompt_view.setPlainText(prompt_label(version, full=True))
        self.prompt_note.setText(prompt_note(version, self.dataset.input_keys))

    def scorer_choice(self) -> ScorerChoice:
        judge = self.judge_edit.toPlainText().strip()
        return ScorerChoice(
            exact_match=self.exact_check.isChecked(),
            contains=self.contains_check.isChecked(),
            max_length=self.length_spin.value() if self.length_check.isChecked() else None,
            judge_instructions=judge if self.judge_check.isChecked() and judge else None,
            code=self.code,
        )

    def plan(self, client: Client) -> RerunPlan | None:
        """The rerun the user chose, written through `client` (None without a prompt version:
        Run is disabled then); raises `OllamaUnavailable` when the URL is not one."""
        prompt = self.prompt
        url = normalized_url(self.url_edit.text())
        if prompt is None:
            return None
        return RerunPlan(
            client=client,
            experiment_id=self.experiment_id,
            source=self.source,
            dataset=self.dataset,
            ollama_url=url,
            model=self.model_box.currentText().strip(),
            prompt=prompt,
            scorers=self.scorer_choice(),
            max_workers=self.workers_spin.value(),
            run_name=self.name_edit.text().strip() or None,
            title=self.title,
        )

    def _validate(self) -> None:
        ready = bool(self.model_box.currentText().strip()) and self.prompt is not None
        self.run_button.setEnabled(ready and not self.scorer_choice().empty)

    def refresh_models(self) -> None:
        """Ask the server at the URL for its models (in the job pool)."""
        if self._models_task is not None:
            self._models_task.cancel()
        if self._tasks.is_shut_down:
            return
        self.server_status.setText("Asking the server for its models…")
        task = self._tasks.submit_job(fetch_models, self.url_edit.text())
        task.on_finished(self._show_models)
        task.on_failed(self._show_server_problem)
        self._models_task = task

    def _show_models(self, names: list[str]) -> None:
        self._models_task = None
        typed = self.model_box.currentText()
        self.model_box.clear()
        self.model_box.addItems(names)
        self.model_box.setCurrentText(typed if typed in names or not names else names[0])
        count = f"{len(names)} model{'s' if len(names) != 1 else ''}"
        self.server_status.setText(
            f"The server has {count}." if names else "The server has no models: `ollama pull` one."
        )
        self.server_status.setStyleSheet("")

    def _show_server_problem(self, error: BaseException) -> None:
        self._models_task = None
        self.server_status.setText(f"{error} You can still type a model name.")
        self.server_status.setStyleSheet("color: #dc2626;")

    def choose_file(self) -> None:
        path = choose_code_file(self)
        if not path:
            return
        try:
            code = read_code(path)
        except ScorerFileError as error:
            self.file_label.setText(str(error))
            return
        confirm_code(self, code, lambda: self._use_code(code))

    def _use_code(self, code: CodeFile) -> None:
        self.code = code
        self.file_label.setText(f"{code.path} (its @scorer functions run in the rerun)")
        self._validate()

    def done(self, result: int) -> None:  # QDialog.done
        if self._models_task is not None:
            self._models_task.cancel()
            self._models_task = None
        if result == QDialog.DialogCode.Accepted:
            settings.set_ollama(self.url_edit.text(), self.model_box.currentText())
        super().done(result)
