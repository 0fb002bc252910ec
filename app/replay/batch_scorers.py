"""`BatchScorers`: the scorers a replay over many traces judges both runs with — the Rerun
dialog's choices (exact match and contains against the recorded answer, a length limit, an LLM
judge, `@scorer` functions from a file shown and confirmed before they may run)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.evaluations import rerun_dialog
from app.evaluations.rerun import ScorerChoice
from app.evaluations.rerun_dialog import DEFAULT_JUDGE, DEFAULT_MAX_LENGTH
from app.evaluations.scorer_files import CodeFile, ScorerFileError, read_code


class BatchScorers(QGroupBox):
    """Scorer check boxes; `choice()` is what the user picked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Scorers (both runs)", parent)
        self.setObjectName("batchScorers")
        self.code: CodeFile | None = None  # a scorer file the user confirmed
        self.exact_check = QCheckBox("E&xact match with the recorded answer", self)
        self.contains_check = QCheckBox("Answer c&ontains the recorded answer", self)
        self.length_check = QCheckBox("Answer at &most", self)
        self.length_spin = QSpinBox(self)
        self.length_spin.setRange(0, 1_000_000)
        self.length_spin.setValue(DEFAULT_MAX_LENGTH)
        self.length_spin.setSuffix(" characters")
        self.length_spin.setEnabled(False)
        self.length_check.toggled.connect(self.length_spin.setEnabled)
        self.judge_check = QCheckBox("LLM &judge (the model answers yes or no):", self)
        self.judge_edit = QPlainTextEdit(DEFAULT_JUDGE, self)
        self.judge_edit.setObjectName("batchJudge")
        self.judge_edit.setTabChangesFocus(True)
        self.judge_edit.setMaximumHeight(56)
        self.judge_edit.setEnabled(False)
        self.judge_check.toggled.connect(self.judge_edit.setEnabled)
        self.file_button = QPushButton("Add &Scorers From File…", self)
        self.file_button.setObjectName("batchScorerFileButton")
        self.file_button.setAutoDefault(False)
        self.file_button.clicked.connect(self.choose_file)
        self.file_label = QLabel("No scorer file", self)
        self.file_label.setObjectName("batchScorerFile")
        self.file_label.setTextFormat(Qt.TextFormat.PlainText)  # a path, or an error
        self.file_label.setWordWrap(True)
        self._lay_out()

    def _lay_out(self) -> None:
        length = QHBoxLayout()
        length.addWidget(self.length_check)
        length.addWidget(self.length_spin)
        length.addStretch(1)
        custom = QHBoxLayout()
        custom.addWidget(self.file_button)
        custom.addWidget(self.file_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.exact_check)
        layout.addWidget(self.contains_check)
        layout.addLayout(length)
        layout.addWidget(self.judge_check)
        layout.addWidget(self.judge_edit)
        layout.addLayout(custom)

    def choice(self) -> ScorerChoice:
        judge = self.judge_edit.toPlainText().strip()
        return ScorerChoice(
            exact_match=self.exact_check.isChecked(),
            contains=self.contains_check.isChecked(),
            max_length=self.length_spin.value() if self.length_check.isChecked() else None,
            judge_instructions=judge if self.judge_check.isChecked() and judge else None,
            code=self.code,
        )

    def choose_file(self) -> None:
        """`@scorer` functions from a Python file: shown, and run only once confirmed (as a
        rerun's)."""
        path = rerun_dialog.choose_code_file(self)
        if not path:
            return
        try:
            code = read_code(path)
        except ScorerFileError as error:
            self.file_label.setText(str(error))
            return
        rerun_dialog.confirm_code(self, code, lambda: self._use_code(code))

    def _use_code(self, code: CodeFile) -> None:
        self.code = code
        self.file_label.setText(f"{code.path} (its @scorer functions run on both runs)")
