"""`AssessmentList`: the assessments attached to a trace, one row each — name, value (pass/fail
coloured for booleans), source type and id, rationale and error; full texts on hover."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from app.explorer.label_writes import source_label
from app.formatting import one_line, rich_tooltip
from app.spans.colors import ERROR_COLOR
from app.widgets import ElidedLabel
from core.entities import Assessment

PASS_COLOR, FAIL_COLOR, NEUTRAL_COLOR = "#15803d", "#dc2626", "#475569"
TEXT_CHARS = 80
#: A name keeps room for this many characters before it is elided.
NAME_LEAST_CHARS = 14
#: Above this many, the list shows the first ones and says how many more there are.
SHOWN = 12


def value_text(value: Any) -> tuple[str, str]:
    """(text, colour) of an assessment value: Pass/Fail for booleans, JSON for structures."""
    if isinstance(value, bool):
        return ("Pass", PASS_COLOR) if value else ("Fail", FAIL_COLOR)
    if isinstance(value, str) and value.lower() in ("yes", "no"):  # MLflow's CategoricalRating
        return value, PASS_COLOR if value.lower() == "yes" else FAIL_COLOR
    if value is None:
        return "—", NEUTRAL_COLOR
    if isinstance(value, str):
        return value, NEUTRAL_COLOR
    return json.dumps(value, ensure_ascii=False, default=str), NEUTRAL_COLOR


def details(assessment: Assessment) -> str:
    """Everything about one assessment, for its tooltip (plain text, escaped later)."""
    text, _color = value_text(assessment.value)
    lines = [
        f"{assessment.name} ({assessment.assessment_type})",
        f"Value: {text}",
        f"Source: {source_label(assessment)}",
    ]
    if assessment.rationale:
        lines.append(f"Rationale: {assessment.rationale}")
    if assessment.error:
        error = assessment.error.to_dictionary()
        lines.append(f"Error: {json.dumps(error, ensure_ascii=False, default=str)}")
    if assessment.span_id:
        lines.append(f"Span: {assessment.span_id}")
    if not assessment.valid:
        lines.append("Overridden by a later assessment.")
    return "\n".join(lines)


def source_text(assessment: Assessment) -> str:
    """`feedback · code · some_check`, `expectation · human · ann`, `feedback · LLM judge ·
    gpt-4o · overridden`: what kind of assessment, who or what made it, whether a later one
    replaced it (issue 22)."""
    parts = [assessment.assessment_type, source_label(assessment)]
    if assessment.valid is False:
        parts.append("overridden")
    return " · ".join(p for p in parts if p)


def remark_text(assessment: Assessment) -> str:
    """The error when the assessment failed, else its rationale."""
    if assessment.error:
        error = assessment.error
        return f"Error: {error.error_message or error.error_code or error.to_dictionary()}"
    return assessment.rationale or ""


class AssessmentList(QWidget):
    """A grid of assessments (plain-text labels only)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("assessmentList")
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(18, 0, 0, 2)
        self._grid.setHorizontalSpacing(10)
        self._grid.setVerticalSpacing(2)
        self.rows: list[list[QLabel]] = []

    def show_assessments(self, assessments: Sequence[Assessment]) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.rows = []
        for row, assessment in enumerate(assessments[:SHOWN]):
            self.rows.append(self._add_row(row, assessment))
        if len(assessments) > SHOWN:
            more = self._label(f"and {len(assessments) - SHOWN} more (hover a row for details)")
            self._grid.addWidget(more, SHOWN, 0, 1, 4)
        self._grid.setColumnStretch(3, 1)

    def _add_row(self, row: int, assessment: Assessment) -> list[QLabel]:
        tip = rich_tooltip(details(assessment))
        text, color = value_text(assessment.value)
        name = self._label(one_line(assessment.name, 40), tip, Qt.TextElideMode.ElideMiddle)
        name.setStyleSheet("font-weight:600;" + ("" if assessment.valid else "color:gray;"))
        least = name.fontMetrics().horizontalAdvance("x" * NAME_LEAST_CHARS)
        name.setMinimumWidth(min(name.sizeHint().width(), least))  # the source gives way first
        value = self._label(one_line(text, 40), tip)
        value.setObjectName("assessmentValue")
        value.setStyleSheet(f"background:{color}; color:white; border-radius:3px; padding:0 6px;")
        right = Qt.TextElideMode.ElideRight
        origin = self._label(one_line(source_text(assessment), 48), tip, right)
        origin.setStyleSheet("color:gray;")
        remark = self._label(one_line(remark_text(assessment), TEXT_CHARS), tip, right)
        if assessment.error:
            remark.setStyleSheet(f"color:{ERROR_COLOR};")
        labels = [name, value, origin, remark]
        for column, label in enumerate(labels):
            self._grid.addWidget(label, row, column, Qt.AlignmentFlag.AlignLeft)
        return labels

    def _label(self, text: str, tip: str = "", elide: Qt.TextElideMode | None = None) -> QLabel:
        """A plain-text label; with `elide`, one that gives up width with an ellipsis rather
        than being cut off when the explorer is narrow (the tooltip has the whole text)."""
        if elide is None:
            label = QLabel(text, self)
            label.setTextFormat(Qt.TextFormat.PlainText)
        else:
            label = ElidedLabel(text, elide, self)
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        label.setToolTip(tip)
        return label
