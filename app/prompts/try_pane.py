"""`TryItPane`: fill a version's variables, see the prompt it makes, and send it to Ollama.

The form has one field per `{{ variable }}`; values are kept per name while you switch versions.
The filled-in prompt (`PromptVersion.format`) is shown as the model will get it, or the missing
variables are named. Sending runs in the job pool (`app/prompts/try_call.py`): the answer comes
back with the id of the trace recorded in the open database, or a note that it was not saved.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app import settings
from app.messages.browser import SafeTextBrowser, is_dark
from app.messages.markdown import to_html
from app.prompts import try_call
from app.prompts.template_html import error_html, formatted_html, message_block, muted
from app.tasks import Task, TaskRunner
from app.theme import follow_palette
from core.client import Client
from core.entities.prompt import MissingVariablesError, PromptVersion, Template

FIELD_LINES = 2


class TryItPane(QWidget):
    """Variables form, formatted prompt, model choice, Send / Cancel, answer."""

    trace_requested = Signal(str)
    answered = Signal(object)  # the TryResult of a finished call
    models_listed = Signal(list)  # model names, after a refresh (empty when it failed)

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tryItPane")
        self._tasks = tasks
        self._version: PromptVersion | None = None
        self._values: dict[str, str] = {}
        self._fields: dict[str, QPlainTextEdit] = {}
        self._target: tuple[Client | None, str] = (None, "0")
        self._untraced_note = try_call.NOT_SAVED
        self._call: Task | None = None
        self._listing: Task | None = None
        self._listed_once = False
        self._trace_id: str | None = None
        self._build()

    def _build(self) -> None:
        columns = QHBoxLayout()  # half for the form and prompt, half for the answer
        columns.addWidget(self._form_column(), 1)
        columns.addWidget(self._answer_column(), 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self._model_row())
        layout.addLayout(columns, 1)

    def _form_column(self) -> QWidget:
        """The variables form, what is missing, and the prompt as the model will get it."""
        self.form_widget = QWidget()
        self.form = QFormLayout(self.form_widget)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_widget)
        self.problem = _plain_label(self, "tryProblem")
        self.preview = SafeTextBrowser(self)
        self.preview.setObjectName("tryPreview")
        left = QWidget(self)
        column = QVBoxLayout(left)
        column.setContentsMargins(8, 6, 4, 6)
        column.addWidget(QLabel("Variables", left))
        column.addWidget(scroll, 1)
        column.addWidget(self.problem)
        column.addWidget(QLabel("Prompt sent to the model", left))
        column.addWidget(self.preview, 2)
        return left

    def _answer_column(self) -> QWidget:
        """What happened to the last call (and its trace), and the answer."""
        self.answer = SafeTextBrowser(self)
        self.answer.setObjectName("tryAnswer")
        self._answer_text: str | None = None
        follow_palette(self.answer, self._restyle)
        self.status = _plain_label(self, "tryStatus")
        self.open_trace = QPushButton("Open Trace", self)
        self.open_trace.hide()
        self.open_trace.clicked.connect(lambda: self.trace_requested.emit(self._trace_id or ""))
        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(4, 6, 8, 6)
        status = QHBoxLayout()
        status.addWidget(self.status, 1)
        status.addWidget(self.open_trace)
        column.addLayout(status)
        column.addWidget(self.answer, 1)
        return right

    def _model_row(self) -> QHBoxLayout:
        """Model, List Models, Send and Cancel, across the top of the pane."""
        self.model = QComboBox(self)
        self.model.setObjectName("tryModel")
        self.model.setEditable(True)
        self.model.setMinimumContentsLength(20)
        self.model.setCurrentText(settings.ollama_model())
        self.model.currentTextChanged.connect(lambda _text: self._update_buttons())
        self.refresh_button = QPushButton("List Models", self)
        self.refresh_button.setToolTip("Ask Ollama which models it has")
        self.refresh_button.clicked.connect(self.list_models)
        self.send_button = QPushButton("Send to Model", self)
        self.send_button.setObjectName("trySend")
        self.send_button.clicked.connect(self.send)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        row = QHBoxLayout()
        row.setContentsMargins(8, 0, 8, 0)
        row.setSpacing(6)
        row.addWidget(QLabel("Model", self))
        row.addWidget(self.model)
        for button in (self.refresh_button, self.send_button, self.cancel_button):
            row.addWidget(button)
        row.addStretch(1)
        return row

    # -- the prompt -----------------------------------------------------------------------------

    def set_target(
        self, client: Client | None, experiment_id: str | None, untraced_note: str = ""
    ) -> None:
        """Where calls are traced: the open store's client; None (and why) when the store
        cannot be written."""
        self._target = (client, experiment_id or "0")
        self._untraced_note = untraced_note or try_call.NOT_SAVED

    def set_version(self, version: PromptVersion | None) -> None:
        self._version = version
        self._rebuild_form(version.variables if version is not None else [])
        self.update_preview()

    def _rebuild_form(self, names: list[str]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self._fields = {}
        for name in names:
            field = QPlainTextEdit(self._values.get(name, ""), self.form_widget)
            field.setObjectName(f"variable:{name}")
            field.setTabChangesFocus(True)
            field.setFixedHeight(field.fontMetrics().lineSpacing() * FIELD_LINES + 14)
            field.textChanged.connect(lambda n=name, f=field: self._value_changed(n, f))
            label = QLabel(name, self.form_widget)
            label.setTextFormat(Qt.TextFormat.PlainText)
            self.form.addRow(label, field)
            self._fields[name] = field
        if not names:
            self.form.addRow(QLabel("This version has no variables.", self.form_widget))

    def set_value(self, name: str, value: str) -> None:
        """Fill one variable (as typing into its field does)."""
        if name in self._fields:
            self._fields[name].setPlainText(value)
        else:
            self._values[name] = value

    def _value_changed(self, name: str, field: QPlainTextEdit) -> None:
        self._values[name] = field.toPlainText()
        self.update_preview()

    def filled(self) -> dict[str, str]:
        """The variables of this version that have a value (an empty field is missing)."""
        return {n: self._values[n] for n in self._fields if self._values.get(n)}

    def formatted(self) -> tuple[Template | None, str]:
        """The filled-in template, or None and the message naming what is missing."""
        if self._version is None:
            return None, ""
        values: dict[str, Any] = self.filled()
        try:
            return self._version.format(**values), ""
        except MissingVariablesError as error:
            return None, str(error)

    def update_preview(self) -> None:
        dark = is_dark(self.palette())
        formatted, problem = self.formatted()
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        if formatted is not None:
            self.preview.setHtml(formatted_html(formatted, dark))
        elif self._version is None:
            self.preview.setHtml(muted("Select a prompt version."))
        else:
            self.preview.setHtml(error_html(problem))
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self._call is not None
        ready = self.formatted()[0] is not None and bool(self.model.currentText().strip())
        self.send_button.setEnabled(ready and not running)
        self.cancel_button.setVisible(running)

    # -- Ollama ---------------------------------------------------------------------------------

    def list_models(self) -> None:
        """Ask the configured Ollama server for its models (job pool)."""
        if self._listing is not None:
            return
        url = settings.ollama_url()
        self.status.setText(f"Asking {url} for its models…")
        task = self._tasks.submit_job(try_call.list_models, url)
        task.on_finished(self._models_listed)
        task.on_failed(lambda error: self._models_failed(url, error))
        self._listing = task

    def _models_listed(self, names: list[str]) -> None:
        self._listing = None
        current = self.model.currentText()
        self.model.clear()
        self.model.addItems(names)
        self.model.setCurrentText(current if current in names or not names else names[0])
        self.status.setText(
            f"{len(names)} model(s) available."
            if names
            else "Ollama has no models yet: pull one with `ollama pull llama3.2:1b`."
        )
        self.models_listed.emit(names)
        self._update_buttons()

    def _models_failed(self, url: str, error: BaseException) -> None:
        self._listing = None
        self.status.setText(try_call.describe_error(error, url))
        self.models_listed.emit([])

    def send(self) -> None:
        formatted, _problem = self.formatted()
        if formatted is None or self._version is None or self._call is not None:
            return
        client, experiment = self._target
        request = try_call.TryRequest(
            settings.ollama_url(),
            self.model.currentText().strip(),
            self._version,
            self.filled(),
            formatted,
            client,
            experiment,
            self._untraced_note,
        )
        self._trace_id = None
        self.open_trace.hide()
        self.status.setText(f"Waiting for {request.model}…")
        self.answer.clear()
        self._answer_text = None
        task = self._tasks.submit_job(try_call.run_prompt, request)
        task.on_finished(self._answered)
        task.on_failed(lambda error: self._failed(request, error))
        self._call = task
        self._update_buttons()

    def cancel(self) -> None:
        if self._call is not None:
            self._call.cancel()
            self._call = None
            self.status.setText("Cancelled.")
            self._update_buttons()

    def _answered(self, result: try_call.TryResult) -> None:
        self._call = None
        self._answer_text = result.answer
        self._show_answer()
        self.status.setText(result.note)
        self._trace_id = result.trace_id if result.saved else None
        self.open_trace.setVisible(self._trace_id is not None)
        self._update_buttons()
        self.answered.emit(result)

    def _show_answer(self) -> None:
        """The last answer, in the theme's colours (drawn again when the theme changes)."""
        if self._answer_text is not None:
            dark = is_dark(self.palette())
            html = to_html(self._answer_text, dark)
            self.answer.setHtml(message_block("assistant", html, dark))

    def _restyle(self) -> None:
        self.update_preview()
        self._show_answer()

    def _failed(self, request: try_call.TryRequest, error: BaseException) -> None:
        self._call = None
        self.status.setText(try_call.describe_error(error, request.url, request.model))
        self._update_buttons()

    @property
    def is_busy(self) -> bool:
        return self._call is not None or self._listing is not None

    def showEvent(self, event: QShowEvent) -> None:  # QWidget.showEvent
        super().showEvent(event)
        if not self._listed_once:  # the first look at the pane asks for the models
            self._listed_once = True
            self.list_models()


def _plain_label(parent: QWidget, name: str) -> QLabel:
    """A wrapping label for messages that may quote names and errors: never rich text."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label
