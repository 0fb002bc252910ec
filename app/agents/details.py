"""`VersionDetails`: what one registered model version is — aliases, source run, artifact
folder (found, moved with the database, or missing), code file and MLmodel facts."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.agents.data import AgentVersion
from app.formatting import EMPTY, home_path, local_time

NO_VERSION = "Choose a registered model and one of its versions."
PROBLEM_STYLE = "color: #dc2626;"


def _value_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)  # everything here comes from the database
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def version_facts(row: AgentVersion) -> dict[str, str]:
    """The rows of the facts form, by label (no Qt, for tests too)."""
    version, facts = row.version, row.mlmodel
    requirements = ", ".join(facts.requirements) if facts is not None else ""
    return {
        "Source": version.source or EMPTY,
        "Run": version.run_id or EMPTY,
        "Artifact folder": row.folder.describe(),
        "Code file": _code_file_text(row),
        "Task": (facts.task if facts else None) or EMPTY,
        "Logged with": f"MLflow {facts.mlflow_version}"
        if facts and facts.mlflow_version
        else EMPTY,
        "Python": (facts.python_version if facts else None) or EMPTY,
        "Requirements": requirements or EMPTY,
    }


def _code_file_text(row: AgentVersion) -> str:
    if row.code_file is not None:
        missing = "" if row.code_present else " (missing)"
        return f"{row.code_file}{missing}"
    if row.mlmodel is None:
        return "Unknown: the MLmodel file that names it is not there."
    return "(not logged from code: MLflow loads the folder)"


class VersionDetails(QWidget):
    """The selected version's facts; buttons to view its code and to set an alias."""

    view_code_requested = Signal()
    set_alias_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentVersionDetails")
        self.row: AgentVersion | None = None
        self.title = _value_label(self, "agentVersionTitle")
        self.title.setStyleSheet("font-size: 12pt; font-weight: 600;")
        self.subtitle = _value_label(self, "agentVersionSubtitle")
        self.subtitle.setStyleSheet("color: palette(placeholder-text);")
        self.chips = QHBoxLayout()
        self.chips.setSpacing(4)
        self.alias_button = QPushButton("&Move Alias…", self)
        self.alias_button.setObjectName("setAliasButton")
        self.alias_button.clicked.connect(self.set_alias_requested)
        self.code_button = QPushButton("View &Code…", self)
        self.code_button.setObjectName("viewCodeButton")
        self.code_button.clicked.connect(self.view_code_requested)
        self.problem = _value_label(self, "agentVersionProblem")
        self.problem.setStyleSheet(PROBLEM_STYLE)
        self.values: dict[str, QLabel] = {}
        self._lay_out()
        self.show_version(None)

    def _lay_out(self) -> None:
        chip_row = QHBoxLayout()
        chip_row.addLayout(self.chips)
        chip_row.addStretch(1)
        chip_row.addWidget(self.code_button)
        chip_row.addWidget(self.alias_button)
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(3)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label in version_facts_labels():
            value = _value_label(self, f"fact{label.replace(' ', '')}")
            self.values[label] = value
            form.addRow(f"{label}:", value)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addLayout(chip_row)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addStretch(1)

    def show_version(self, row: AgentVersion | None) -> None:
        """Show `row` (None: nothing chosen)."""
        self.row = row
        self._show_chips(row.version.aliases if row is not None else ())
        self.code_button.setEnabled(row is not None and row.code_file is not None)
        self.alias_button.setEnabled(row is not None)
        if row is None:
            self.title.setText(NO_VERSION)
            self.subtitle.clear()
            for value in self.values.values():
                value.clear()
            self.problem.hide()
            return
        created = row.version.creation_time
        self.title.setText(f"{row.version.name} · version {row.number}")
        self.subtitle.setText(f"Registered {local_time(created)}" if created else "")
        for label, text in version_facts(row).items():
            self.values[label].setText(home_path(text))
        folder = self.values["Artifact folder"]
        folder.setStyleSheet(PROBLEM_STYLE if row.folder.missing else "")
        problem = row.load_problem
        self.problem.setText(f"This version cannot be loaded. {problem}" if problem else "")
        self.problem.setVisible(bool(problem) and not row.folder.missing)

    def _show_chips(self, aliases: tuple[str, ...]) -> None:
        while self.chips.count():
            item = self.chips.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        for alias in aliases:
            chip = QLabel(f"@{alias}", self)
            chip.setObjectName("aliasChip")
            chip.setTextFormat(Qt.TextFormat.PlainText)
            chip.setStyleSheet(
                "QLabel#aliasChip { color: #0f766e; background: rgba(15, 118, 110, 0.12);"
                " border-radius: 8px; padding: 1px 8px; }"
            )
            self.chips.addWidget(chip)
        if not aliases:
            none = QLabel("No aliases", self)
            none.setObjectName("noAliases")
            none.setStyleSheet("color: palette(placeholder-text);")
            self.chips.addWidget(none)


def version_facts_labels() -> list[str]:
    return [
        "Source",
        "Run",
        "Artifact folder",
        "Code file",
        "Task",
        "Logged with",
        "Python",
        "Requirements",
    ]
