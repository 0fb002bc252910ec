"""`LabelDialog`: the form of one feedback or expectation, new or edited (issue 22).

A feedback has a name, a kind (pass/fail, number, category, text), its value and a rationale;
an expectation is the expected response (a text) or the expected facts (one per line). Every
field has a mnemonic; Ctrl+Enter saves from anywhere, as does Enter outside the text boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.explorer.label_writes import (
    CATEGORY,
    FACTS,
    FEEDBACK,
    FEEDBACK_KINDS,
    NUMBER,
    PASS_FAIL,
    RESPONSE,
    TEXT,
    LabelEdit,
    expectation_kind,
    facts_of,
    feedback_kind,
    number_value,
)
from core.entities import Assessment

KIND_TITLES = {PASS_FAIL: "Pass / fail", NUMBER: "Number", CATEGORY: "Category", TEXT: "Text"}
EXPECTATION_TITLES = {RESPONSE: "Expected response", FACTS: "Expected facts"}
TEXT_HEIGHT = 110
FEEDBACK_NAMES = ("correctness", "relevance", "helpfulness", "safety", "tone")


class LabelDialog(QDialog):
    """Asks for one label; `edit()` is what to write once accepted."""

    def __init__(
        self,
        kind: str,
        *,
        names: Sequence[str] = (),
        editing: Assessment | None = None,
        span_id: str | None = None,
        target: str = "the trace",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("labelDialog")
        self._kind = kind
        self._editing = editing
        self._span_id = editing.span_id if editing is not None else span_id
        verb = "Edit" if editing is not None else "Add"
        noun = "Feedback" if kind == FEEDBACK else "Expectation"
        self.setWindowTitle(f"{verb} {noun}")
        self.intro = QLabel(self._intro(target), self)
        self.intro.setObjectName("labelIntro")
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.intro.setWordWrap(True)
        self.name = QComboBox(self)
        self.name.setObjectName("labelName")
        self.name.setEditable(True)
        self.name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.kind = QComboBox(self)
        self.kind.setObjectName("labelKind")
        self.values = QStackedWidget(self)
        self.rationale = QPlainTextEdit(self)
        self.rationale.setObjectName("labelRationale")
        self.rationale.setPlaceholderText("Why (optional)")
        self.rationale.setTabChangesFocus(True)
        self.rationale.setFixedHeight(64)
        self.problem = QLabel(self)
        self.problem.setObjectName("labelProblem")
        self.problem.setStyleSheet("color:#dc2626;")
        self.problem.hide()
        self.buttons = QDialogButtonBox(self)
        self.save = self.buttons.addButton("&Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save.setObjectName("labelSave")
        self.save.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept_if_valid)
        self.buttons.rejected.connect(self.reject)
        if kind == FEEDBACK:
            self._build_feedback(names)
        else:
            self._build_expectation(names)
        self._lay_out()
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self._accept_if_valid)
        if editing is not None:
            self._fill(editing)
        self.name.setFocus()

    def _intro(self, target: str) -> str:
        if self._editing is None:
            return f"On {target}, as you (source: human)."
        if self._kind == FEEDBACK:
            return (
                f"On {target}. Saving overrides the old value, which stays in the history "
                "(as MLflow's override_feedback)."
            )
        return f"On {target}. Saving changes the expectation in place."

    def _build_feedback(self, names: Sequence[str]) -> None:
        self.name.addItems(list(dict.fromkeys([*names, *FEEDBACK_NAMES])))
        self.name.setCurrentText("")
        line = self.name.lineEdit()
        if line is not None:
            line.setPlaceholderText("e.g. correctness")
        for kind in FEEDBACK_KINDS:
            self.kind.addItem(KIND_TITLES[kind], kind)
        verdict = QWidget(self)
        self.passed = QRadioButton("&Pass", verdict)
        self.passed.setObjectName("labelPass")
        self.failed = QRadioButton("&Fail", verdict)
        self.failed.setObjectName("labelFail")
        group = QButtonGroup(verdict)
        group.addButton(self.passed)
        group.addButton(self.failed)
        self.passed.setChecked(True)
        row = QHBoxLayout(verdict)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.passed)
        row.addWidget(self.failed)
        row.addStretch(1)
        self.number = QDoubleSpinBox(self)
        self.number.setObjectName("labelNumber")
        self.number.setDecimals(3)
        self.number.setRange(-1e9, 1e9)
        self.category = QLineEdit(self)
        self.category.setObjectName("labelCategory")
        self.category.setPlaceholderText("e.g. partially correct")
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("labelText")
        self.text.setTabChangesFocus(True)
        self.text.setMaximumHeight(TEXT_HEIGHT)
        for widget in (verdict, self.number, self.category, self.text):
            self.values.addWidget(widget)
        self.kind.currentIndexChanged.connect(self.values.setCurrentIndex)

    def _build_expectation(self, names: Sequence[str]) -> None:
        self.name.addItems(list(dict.fromkeys([RESPONSE, FACTS, *names])))
        for kind in (RESPONSE, FACTS):
            self.kind.addItem(EXPECTATION_TITLES[kind], kind)
        self.response = QPlainTextEdit(self)
        self.response.setObjectName("labelResponse")
        self.response.setPlaceholderText("The answer that would be right")
        self.response.setTabChangesFocus(True)
        self.response.setMaximumHeight(TEXT_HEIGHT)
        self.facts = QPlainTextEdit(self)
        self.facts.setObjectName("labelFacts")
        self.facts.setPlaceholderText("One fact per line")
        self.facts.setTabChangesFocus(True)
        self.facts.setMaximumHeight(TEXT_HEIGHT)
        self.values.addWidget(self.response)
        self.values.addWidget(self.facts)
        self.kind.currentIndexChanged.connect(self._expectation_kind_changed)
        self.name.currentTextChanged.connect(self._expectation_name_changed)

    def _expectation_kind_changed(self, index: int) -> None:
        self.values.setCurrentIndex(index)
        kind = self.kind.itemData(index)
        if self.name.currentText() in (RESPONSE, FACTS, ""):
            self.name.setCurrentText(kind)

    def _expectation_name_changed(self, name: str) -> None:
        if name in (RESPONSE, FACTS):
            self.kind.setCurrentIndex(self.kind.findData(name))

    def _lay_out(self) -> None:
        form = QFormLayout()
        name_label = QLabel("&Name:", self)
        name_label.setBuddy(self.name)
        kind_label = QLabel("&Kind:", self)
        kind_label.setBuddy(self.kind)
        value_label = QLabel("&Value:", self)
        value_label.setBuddy(self.values)
        form.addRow(name_label, self.name)
        form.addRow(kind_label, self.kind)
        form.addRow(value_label, self.values)
        self.value_label = value_label
        self.values.currentChanged.connect(self._point_value_label)
        if self._kind == FEEDBACK:
            rationale_label = QLabel("&Rationale:", self)
            rationale_label.setBuddy(self.rationale)
            form.addRow(rationale_label, self.rationale)
        else:
            self.rationale.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._point_value_label(0)
        self.resize(460, self.sizeHint().height())
        self.setMinimumWidth(420)

    def _point_value_label(self, _index: int) -> None:
        """Alt+V goes to the value editor shown (the Pass button for pass/fail); the stack is
        as tall as that editor (a one-line value leaves no gap under it)."""
        page = self.values.currentWidget()
        for index in range(self.values.count()):
            widget = self.values.widget(index)
            if widget is not None:
                size = (
                    QSizePolicy.Policy.Preferred if widget is page else QSizePolicy.Policy.Ignored
                )
                widget.setSizePolicy(size, size)
        self.values.adjustSize()
        self.adjustSize()
        target = (
            self.passed if self._kind == FEEDBACK and self.kind.currentData() == PASS_FAIL else page
        )
        if target is not None:
            self.value_label.setBuddy(target)

    def _fill(self, old: Assessment) -> None:
        self.name.setCurrentText(old.name)
        if self._kind == FEEDBACK:
            self.name.setEnabled(False)  # an override keeps the name (as MLflow)
            kind = feedback_kind(old.value)
            self.kind.setCurrentIndex(self.kind.findData(kind))
            value = old.value
            if kind == PASS_FAIL:
                (self.passed if value else self.failed).setChecked(True)
            elif kind == NUMBER:
                self.number.setValue(float(value))
            elif kind == CATEGORY:
                self.category.setText("" if value is None else str(value))
            else:
                self.text.setPlainText("" if value is None else str(value))
            self.rationale.setPlainText(old.rationale or "")
        else:
            kind = expectation_kind(old.name, old.value)
            self.kind.setCurrentIndex(self.kind.findData(kind))
            self.name.setCurrentText(old.name)
            if kind == FACTS and isinstance(old.value, list):
                self.facts.setPlainText("\n".join(str(v) for v in old.value))
            else:
                shown = old.value if isinstance(old.value, str) else str(old.value)
                self.response.setPlainText(shown)

    def value(self) -> Any:
        """The value the form holds."""
        kind = self.kind.currentData()
        if kind == PASS_FAIL:
            return self.passed.isChecked()
        if kind == NUMBER:
            return number_value(self.number.value())
        if kind == CATEGORY:
            return self.category.text().strip()
        if kind == TEXT:
            return self.text.toPlainText().strip()
        if kind == FACTS:
            return facts_of(self.facts.toPlainText())
        return self.response.toPlainText().strip()

    def problem_text(self) -> str:
        """Why the form cannot be saved yet, or ''."""
        if not self.name.currentText().strip():
            return "Give the label a name."
        value = self.value()
        if value in ("", []):
            return "Give it a value."
        return ""

    def edit(self) -> LabelEdit:
        rationale = self.rationale.toPlainText().strip() if self._kind == FEEDBACK else None
        return LabelEdit(
            kind=self._kind,
            name=self.name.currentText().strip(),
            value=self.value(),
            rationale=rationale or None,
            span_id=self._span_id,
            replaces=self._editing,
        )

    def _accept_if_valid(self) -> None:
        problem = self.problem_text()
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        if not problem:
            self.accept()
