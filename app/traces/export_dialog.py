"""Export Traces…: which traces (the selected rows, or all the filter matches), the format and
the file; then the export's progress with Cancel, and what happened, in the same dialog.

The dialog only asks and shows: Export emits `export_requested` with an `ExportPlan`, Cancel
while running emits `cancel_requested`; the owner runs the export and reports back with
`show_progress`, `show_finished` and `show_failed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.formatting import home_path
from core.export import ExportFormat, ExportResult


@dataclass(frozen=True)
class ExportPlan:
    """What the user chose: the selected rows' ids (None: everything the filter matches), the
    format's name and the file."""

    trace_ids: tuple[str, ...] | None
    format_name: str
    path: Path


class ExportDialog(QDialog):
    """Asks what to export where, then shows the export running and how it ended."""

    export_requested = Signal(object)  # ExportPlan
    cancel_requested = Signal()

    def __init__(
        self,
        formats: list[ExportFormat],
        selected: list[str],
        matching: int | None,
        folder: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export Traces")
        self._formats = formats
        self._selected = tuple(selected)
        self._running = False
        self._done = False
        self.selected_choice = QRadioButton(f"&Selected rows ({len(selected):,})")
        self.selected_choice.setEnabled(bool(selected))
        matched = "" if matching is None else f" ({matching:,})"  # None: still counting
        self.all_choice = QRadioButton(f"&All traces the filter matches{matched}")
        self.scope = QButtonGroup(self)
        for button in (self.selected_choice, self.all_choice):
            self.scope.addButton(button)
        (self.selected_choice if len(selected) > 1 else self.all_choice).setChecked(True)
        self.format_box = QComboBox()
        for each in formats:
            self.format_box.addItem(each.label, each.name)
        # The home folder written `~` (as the status bar writes paths), read back expanded.
        self.path_edit = QLineEdit(home_path(str(folder / f"traces{formats[0].suffix}")))
        self.path_edit.setMinimumWidth(360)
        self.browse = QPushButton("&Browse…")
        self.browse.setAutoDefault(False)  # Enter exports, whichever field has the focus
        self.browse.clicked.connect(self.ask_path)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.status.setObjectName("exportStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # it names the user's file
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(
            "&Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self._export)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        self._lay_out()

    def _lay_out(self) -> None:
        scope = QVBoxLayout()
        scope.addWidget(self.selected_choice)
        scope.addWidget(self.all_choice)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse)
        form = QFormLayout()
        form.addRow("Traces:", scope)
        format_label = QLabel("&Format:")
        format_label.setBuddy(self.format_box)
        form.addRow(format_label, self.format_box)
        file_label = QLabel("Fi&le:")
        file_label.setBuddy(self.path_edit)
        form.addRow(file_label, file_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    # -- choosing ---------------------------------------------------------------------------

    @property
    def chosen_format(self) -> ExportFormat:
        return self._formats[max(self.format_box.currentIndex(), 0)]

    def plan(self) -> ExportPlan:
        ids = self._selected if self.selected_choice.isChecked() else None
        path = Path(self.path_edit.text().strip()).expanduser()
        return ExportPlan(ids, self.chosen_format.name, path)

    def ask_path(self) -> None:
        """Browse… (a save dialog; tests set the line edit instead)."""
        chosen, _filter = QFileDialog.getSaveFileName(
            self,
            "Export Traces",
            str(Path(self.path_edit.text()).expanduser()),
            _file_filter(self.chosen_format),
        )
        if chosen:
            self.path_edit.setText(home_path(chosen))

    def _format_changed(self) -> None:
        """The file's ending follows the format (a name the user typed keeps its stem)."""
        text = self.path_edit.text().strip()
        if not text:
            return
        path = Path(text)
        stem = path.name
        for each in self._formats:
            if stem.endswith(each.suffix):
                stem = stem[: -len(each.suffix)]
                break
        self.path_edit.setText(str(path.with_name(stem + self.chosen_format.suffix)))

    def _export(self) -> None:
        if self._done:
            self.accept()
            return
        plan = self.plan()
        if not plan.path.name:
            self.status.setText("Say which file to write.")
            self.path_edit.setFocus()
            return
        if not plan.path.parent.is_dir():
            self.status.setText(f"The folder {home_path(str(plan.path.parent))} does not exist.")
            self.path_edit.setFocus()
            return
        self.export_requested.emit(plan)

    # -- running ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    def show_started(self, total: int | None) -> None:
        self._running = True
        for widget in (self.selected_choice, self.all_choice, self.format_box, self.path_edit):
            widget.setEnabled(False)
        self.browse.setEnabled(False)
        self.export_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, total or 0)  # 0, 0: busy until the first page lands
        self.status.setText("Exporting…")
        self.cancel_button.setFocus()

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.status.setText(f"Wrote {done:,} of {_count_text(total)}…")

    def show_finished(self, result: ExportResult) -> None:
        self._stop()
        if result.cancelled:
            self.status.setText(
                f"Cancelled after {result.written:,} of {result.total:,} traces; "
                "no file was written."
            )
            self._idle_again()
            return
        self.progress.setRange(0, max(result.total, 1))
        self.progress.setValue(result.written)
        where = home_path(str(result.path))
        self.status.setText(f"Exported {_count_text(result.written)} to {where}.")
        self._done = True
        self.export_button.setText("&Close")
        self.export_button.setEnabled(True)
        self.export_button.setFocus()
        self.cancel_button.setVisible(False)

    def show_failed(self, message: str) -> None:
        self._stop()
        self.status.setText(message)
        self._idle_again()

    def _stop(self) -> None:
        self._running = False

    def _idle_again(self) -> None:
        """Back to choosing (after a cancel or a failure): the user may try again."""
        self.progress.setVisible(False)
        self.all_choice.setEnabled(True)
        self.selected_choice.setEnabled(bool(self._selected))
        for widget in (self.format_box, self.path_edit, self.browse, self.export_button):
            widget.setEnabled(True)
        # Cancel, focused while the export ran, had become the default: Enter in the file
        # box would have closed the dialog instead of trying again.
        self.export_button.setDefault(True)
        self.export_button.setFocus()

    def _cancel_or_close(self) -> None:
        if self._running:
            self.status.setText("Cancelling…")
            self.cancel_button.setEnabled(False)
            self.cancel_requested.emit()
        else:
            self.reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QDialog.keyPressEvent
        if event.key() == Qt.Key.Key_Escape and self._running:
            self._cancel_or_close()  # Escape stops the export; the dialog stays to say so
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # QDialog.closeEvent
        if self._running:
            self._cancel_or_close()
            event.ignore()
            return
        super().closeEvent(event)


def _count_text(count: int) -> str:
    return f"{count:,} trace" if count == 1 else f"{count:,} traces"


def _file_filter(chosen: ExportFormat) -> str:
    return f"{chosen.label} (*{chosen.suffix});;All files (*)"
