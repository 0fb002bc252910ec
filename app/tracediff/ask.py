"""`CompareWithDialog`: which trace to compare the shown one with — a trace id in this database,
or in another MLflow database file the user picks (opened read-only when compared)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.open_database import resolve_location

FILE_FILTER = "MLflow tracking databases (*.db *.sqlite *.sqlite3);;All files (*)"


@dataclass(frozen=True)
class CompareTarget:
    """The trace to compare with: its id, and the database file it is in (None: this one)."""

    trace_id: str
    path: str | None = None


class CompareWithDialog(QDialog):
    """Asks for a trace id, in this database or another file; `chosen` gives a CompareTarget."""

    chosen = Signal(object)

    def __init__(self, left_id: str, database: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareWithDialog")
        self.setWindowTitle("Compare With")
        note = QLabel(f"Compare {left_id} (left) with the trace (right):", self)
        note.setTextFormat(Qt.TextFormat.PlainText)
        note.setWordWrap(True)
        self.trace_id = QLineEdit(self)
        self.trace_id.setObjectName("compareTraceId")
        self.trace_id.setPlaceholderText("tr-…")
        self.this_database = QRadioButton(f"In &this database ({database})", self)
        self.other_database = QRadioButton("In &another database file:", self)
        self.this_database.setChecked(True)
        self.path = QLineEdit(self)
        self.path.setObjectName("compareDatabasePath")
        self.path.setPlaceholderText("/path/to/mlflow.db")
        self.browse = QPushButton("&Browse…", self)
        self.browse.clicked.connect(self.choose_file)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("&Compare")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Trace &ID:", self.trace_id)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.browse)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.this_database)
        layout.addWidget(self.other_database)
        layout.addLayout(file_row)
        layout.addWidget(self.buttons)
        for signal in (self.trace_id.textChanged, self.path.textChanged):
            signal.connect(self._update)
        self.other_database.toggled.connect(self._update)
        self.path.textEdited.connect(lambda _text: self.other_database.setChecked(True))
        self._update()
        self.resize(560, self.sizeHint().height())

    def target(self) -> CompareTarget | None:
        trace_id = self.trace_id.text().strip()
        if not trace_id:
            return None
        if self.other_database.isChecked():
            path = self.path.text().strip()
            return CompareTarget(trace_id, resolve_location(path)) if path else None
        return CompareTarget(trace_id)

    def _update(self) -> None:
        self.path.setEnabled(True)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.target() is not None)

    def choose_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Compare With a Trace In", self.path.text(), FILE_FILTER
        )
        if path:
            self.path.setText(path)
            self.other_database.setChecked(True)

    def accept(self) -> None:  # QDialog.accept
        target = self.target()
        if target is None:
            return
        super().accept()
        self.chosen.emit(target)
