"""Edit → Settings: Ollama, agents, appearance and files, kept in QSettings.

"Test connection" asks the Ollama server for its models in the job pool and lists them, so a
wrong URL is found here rather than in the middle of an evaluation rerun.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import settings
from app.ollama import model_names
from app.tasks import JobToken, Task, TaskRunner

TEST_TIMEOUT_S = 5.0


def list_ollama_models(_token: JobToken, url: str) -> list[str]:
    """The models an Ollama server offers; a clear error when it cannot say."""
    import httpx

    try:
        return model_names(url, TEST_TIMEOUT_S)
    except (httpx.HTTPError, ValueError) as error:
        raise ConnectionError(f"No Ollama server answered at {url} ({error}).") from error


class SettingsDialog(QDialog):
    """The application's settings; `applied` fires after OK saved them."""

    applied = Signal()

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self._tasks = tasks
        layout = QVBoxLayout(self)
        layout.addWidget(self._ollama_group())
        layout.addWidget(self._agents_group())
        layout.addWidget(self._appearance_group())
        layout.addWidget(self._files_group())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    # -- groups -----------------------------------------------------------------------------

    def _ollama_group(self) -> QGroupBox:
        group = QGroupBox("Ollama (evaluation reruns, LLM judge, prompt Try It)")
        form = QFormLayout(group)
        self.ollama_url = QLineEdit(settings.ollama_url())
        self.ollama_model = QComboBox()
        self.ollama_model.setEditable(True)
        self.ollama_model.setCurrentText(settings.ollama_model())
        self.test_button = QPushButton("Test Connection")
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setTextFormat(Qt.TextFormat.PlainText)
        self.test_result.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.ollama_model, 1)
        row.addWidget(self.test_button)
        form.addRow("Server URL", self.ollama_url)
        form.addRow("Default model", row)
        form.addRow("", self.test_result)
        return group

    def _agents_group(self) -> QGroupBox:
        group = QGroupBox("Agents")
        form = QFormLayout(group)
        self.python = QLineEdit(settings.agents_python())
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_python)
        row = QHBoxLayout()
        row.addWidget(self.python, 1)
        row.addWidget(browse)
        self.user_id = QLineEdit(settings.agents_user_id())
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(1, 3600)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(settings.agents_timeout_s())
        form.addRow("Python interpreter", row)
        form.addRow("User id sent to agents", self.user_id)
        form.addRow("Answer timeout", self.timeout)
        return group

    def _appearance_group(self) -> QGroupBox:
        group = QGroupBox("Appearance")
        form = QFormLayout(group)
        self.theme = QComboBox()
        for name in settings.THEMES:
            self.theme.addItem(name.capitalize(), name)
        self.theme.setCurrentIndex(settings.THEMES.index(settings.theme()))
        self.font_size = QDoubleSpinBox()
        self.font_size.setRange(0, 32)
        self.font_size.setDecimals(1)
        self.font_size.setSpecialValueText("System size")
        self.font_size.setSuffix(" pt")
        self.font_size.setValue(settings.font_points() or 0)
        form.addRow("Theme", self.theme)
        form.addRow("Font size", self.font_size)
        return group

    def _files_group(self) -> QGroupBox:
        group = QGroupBox("Files")
        form = QFormLayout(group)
        self.read_only = QCheckBox("Open databases read-only (File → Enable Editing to write)")
        self.read_only.setChecked(settings.open_read_only())
        form.addRow(self.read_only)
        return group

    # -- actions ----------------------------------------------------------------------------

    def _choose_python(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Python Interpreter", self.python.text())
        if path:
            self.python.setText(path)

    def test_connection(self) -> Task:
        """List the server's models in the job pool; the result shows under the field."""
        self.test_result.setText("Asking the server…")
        self.test_button.setEnabled(False)
        task = self._tasks.submit_job(list_ollama_models, self.ollama_url.text().strip())
        task.on_finished(self._show_models)
        task.on_failed(self._show_failure)
        return task

    def _show_models(self, models: list[str]) -> None:
        self.test_button.setEnabled(True)
        current = self.ollama_model.currentText()
        self.ollama_model.clear()
        self.ollama_model.addItems(models)
        self.ollama_model.setCurrentText(current)
        names = ", ".join(models) if models else "none pulled yet"
        self.test_result.setText(f"Connected. Models: {names}")

    def _show_failure(self, error: BaseException) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setText(str(error))

    def accept(self) -> None:  # QDialog.accept
        settings.set_ollama(self.ollama_url.text(), self.ollama_model.currentText())
        settings.set_agents_python(self.python.text())
        settings.set_agents_user_id(self.user_id.text())
        settings.set_agents_timeout_s(self.timeout.value())
        settings.set_theme(str(self.theme.currentData()))
        settings.set_font_points(self.font_size.value() or None)
        settings.set_open_read_only(self.read_only.isChecked())
        super().accept()
        self.applied.emit()
