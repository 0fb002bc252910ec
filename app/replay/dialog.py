"""`ReplayDialog`: the replay playground — the recorded call's messages, model and parameters,
editable; Run streams a new answer from Ollama (Stop ends it); then the recorded and the new
answer side by side, word-diffed, with the latency and token counts of both.

Non-modal: the explorer stays usable while a replay runs. The call runs in the job pool
(`app.replay.run`); with a writable store it is written as a trace tagged with the trace and
span it replays, and "Open Replay Trace" shows it in the Traces tab.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QShowEvent, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app import settings
from app.evaluations.diff import segments_html, word_diff
from app.messages.browser import SafeTextBrowser, is_dark
from app.prompts import try_call
from app.prompts.chat_editor import ChatTemplateEditor, MessageRow
from app.replay.params import ReplayParams
from app.replay.prompt_bar import PromptBar
from app.replay.prompt_link import LinkedPrompt, find_prompt_use, load_linked
from app.replay.request import ReplayMessage, ReplayRequest
from app.replay.run import NOT_SAVED, ReplayFailed, ReplayResult, ReplayRun, run_replay
from app.spans.colors import span_duration_text
from app.tasks import Task, TaskRunner
from app.theme import follow_palette
from app.widgets import ElidedLabel
from core.client import Client

NO_OUTPUT = "(nothing was recorded)"
LAYOUT_NOTE = "TraceDesk does not write this database's layout, so replays are not saved."
ENABLE_NOTE = " File → Enable Editing saves them as traces."
VERSIONS_NOTE = "Saving a version needs a writable database (File → Enable Editing)."


def replay_target(client: Client | None) -> tuple[Client | None, str]:
    """The client that may write the replay as a trace, or None and why it may not."""
    if client is None:
        return None, NOT_SAVED
    store = client.store()
    if not store.layout.writable:
        return None, LAYOUT_NOTE
    if store.read_only:
        return None, NOT_SAVED + ENABLE_NOTE
    return client, ""


class ReplayDialog(QDialog):
    """Edit a recorded call, run it again, compare the answers."""

    trace_requested = Signal(str)  # the replay's trace, to show in the Traces tab
    replay_written = Signal(str, str)  # the source trace id, the replay's trace id

    def __init__(
        self,
        tasks: TaskRunner,
        request: ReplayRequest,
        client: Client | None,
        parent: QWidget | None = None,
        open_evaluation: Callable[[str, str], object] | None = None,
    ) -> None:
        """`open_evaluation(run A, run B)` shows two evaluation runs compared (None: "Run Over
        Traces…" is not offered)."""
        super().__init__(parent)
        self.setObjectName("replayDialog")
        self.setWindowTitle(f"Replay — {request.source_name}")
        self.setModal(False)
        self._tasks = tasks
        self.request = request
        self._store_client = client  # the batch dialog says itself why it cannot write
        self._client, self._untraced = replay_target(client)
        self._open_evaluation = open_evaluation
        self._call: Task | None = None
        self._listing: Task | None = None
        self._listed_once = False
        self._extras: dict[int, ReplayMessage] = {}  # id(row) -> the recorded message
        self._recorded_rows: list[MessageRow] = []  # the rows as filled, in recorded order
        self._new_text = ""
        self._result: ReplayResult | None = None
        self._trace_id: str | None = None
        self._build()
        self._fill(request)
        if request.prompts and client is not None:  # which messages a linked prompt rendered
            task = tasks.submit(load_linked, client.store(), request.prompts)
            task.on_finished(self.show_prompts)
        follow_palette(self.recorded, self._show_outputs)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            run = QShortcut(QKeySequence(keys), self)
            run.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            run.activated.connect(self.run)
        self.resize(1100, 720)

    # -- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.source = _plain_label(self, "replaySource")
        self.status = _plain_label(self, "replayStatus")
        self.params = ReplayParams(self)
        self.params.list_button.clicked.connect(self.list_models)
        self.params.model.currentTextChanged.connect(lambda _t: self._update_buttons())
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._messages_column())
        splitter.addWidget(self._outputs_column())
        splitter.setSizes([450, 650])
        self.open_button = self._button("&Open Replay Trace", "openReplayTrace")
        self.open_button.clicked.connect(lambda: self.trace_requested.emit(self._trace_id or ""))
        self.open_button.hide()
        self.run_button = self._button("&Run", "replayRun", "Send the messages (Ctrl+Enter)")
        self.run_button.clicked.connect(self.run)
        self.stop_button = self._button("Stop", "replayStop", "Stop the answer (Esc)")
        self.stop_button.clicked.connect(self.stop)
        self.close_button = self._button("Close", "replayClose")
        self.close_button.clicked.connect(self.close)
        self.batch_button = self._button(
            "Run Over Tr&aces…",
            "replayOverTraces",
            "Apply this edit to the traces a filter selects; the recorded and the new answers "
            "are written as two evaluation runs to compare",
        )
        self.batch_button.clicked.connect(self.run_over_traces)
        self.batch_button.setVisible(self._open_evaluation is not None)
        status = QHBoxLayout()
        status.addWidget(self.status, 1)
        status.addWidget(self.open_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.batch_button)
        buttons.addStretch(1)
        for button in (self.run_button, self.stop_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.source)
        layout.addWidget(self.params)
        layout.addWidget(splitter, 1)
        layout.addLayout(status)
        layout.addLayout(buttons)

    def _messages_column(self) -> QWidget:
        column = QWidget(self)
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 4, 0)
        self.messages = ChatTemplateEditor(column)
        self.messages.changed.connect(self._update_buttons)
        self.prompt_bar = PromptBar(self._tasks, column)
        self.prompt_bar.changed.connect(self._update_buttons)
        self.prompt_bar.message.connect(self.status.setText)
        self.offer_tools = QCheckBox(column)
        self.offer_tools.setObjectName("replayTools")
        self.offer_tools.setChecked(True)
        title = QLabel("Messages", column)
        title.setBuddy(self.messages.add_button)
        layout.addWidget(title)
        layout.addWidget(self.prompt_bar)
        layout.addWidget(self.messages, 1)
        layout.addWidget(self.offer_tools)
        return column

    def _outputs_column(self) -> QWidget:
        column = QWidget(self)
        grid = QGridLayout(column)
        grid.setContentsMargins(4, 0, 0, 0)
        self.recorded_caption = _caption(column, "recordedCaption")
        self.new_caption = _caption(column, "replayCaption")
        self.recorded = SafeTextBrowser(column)
        self.recorded.setObjectName("recordedOutput")
        self.new_output = SafeTextBrowser(column)
        self.new_output.setObjectName("replayOutput")
        grid.addWidget(self.recorded_caption, 0, 0)
        grid.addWidget(self.new_caption, 0, 1)
        grid.addWidget(self.recorded, 1, 0)
        grid.addWidget(self.new_output, 1, 1)
        grid.setRowStretch(1, 1)
        return column

    def _button(self, text: str, name: str, tip: str = "") -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAutoDefault(False)  # Enter in a field never runs or closes by surprise
        if tip:
            button.setToolTip(tip)
        return button

    def _fill(self, request: ReplayRequest) -> None:
        where = f"span {request.source_span_id}" if request.source_span_id else "root input"
        self.source.setText(
            f"Replaying {request.source_name} ({where} of trace {request.source_trace_id}) · "
            f"messages read as {request.format or 'text'}"
        )
        self.messages.set_template(
            [{"role": m.role, "content": m.content} for m in request.messages]
        )
        self._recorded_rows = self.messages.rows
        self._extras = dict(zip(map(id, self.messages.rows), request.messages, strict=True))
        for row, message in zip(self.messages.rows, request.messages, strict=True):
            if message.tool_calls:  # sent again as recorded: say so where the text would be
                calls = ", ".join(f"{call.name}({call.arguments})" for call in message.tool_calls)
                row.content.setPlaceholderText(f"Calls {calls} (kept as recorded)")
                row.content.setToolTip(f"Tool calls sent again as recorded: {calls}")
        names = [str(t.get("function", {}).get("name")) for t in request.tools]
        # The count in the text, the names on hover: a long list would widen the column.
        self.offer_tools.setText(f"Offer the {len(names)} recorded tool(s)")
        self.offer_tools.setToolTip("\n".join(names))
        self.offer_tools.setVisible(bool(request.tools))
        self.params.set_values(request.temperature, request.max_tokens, request.seed)
        self.params.model.setCurrentText(request.model or settings.ollama_model())
        self.status.setText(self._untraced or "Each run is saved as a trace of this database.")
        self._show_outputs()
        self._update_buttons()

    # -- what is sent ---------------------------------------------------------------------------

    def edited_messages(self) -> tuple[ReplayMessage, ...]:
        """The rows as messages; a row still in its recorded role keeps its tool calls."""
        out = []
        for row in self.messages.rows:
            role, content = _row_message(row)
            content = self.prompt_bar.sent_text(row, content)
            recorded = self._extras.get(id(row))
            if recorded is not None and recorded.role == role:
                out.append(ReplayMessage(role, content, recorded.tool_calls, recorded.tool_call_id))
            else:
                out.append(ReplayMessage(role, content))
        return tuple(out)

    def replay_run(self) -> ReplayRun:
        request = self.request
        return ReplayRun(
            url=settings.ollama_url(),
            model=self.params.model.currentText().strip(),
            messages=self.edited_messages(),
            source_trace_id=request.source_trace_id,
            source_span_id=request.source_span_id,
            source_name=request.source_name,
            tools=request.tools if self.offer_tools.isChecked() else (),
            temperature=self.params.chosen_temperature(),
            max_tokens=self.params.chosen_max_tokens(),
            seed=self.params.chosen_seed(),
            client=self._client,
            experiment_id=request.experiment_id or "0",
            untraced_note=self._untraced or NOT_SAVED,
        )

    def show_prompts(self, linked: list[LinkedPrompt]) -> None:
        """Database thread's answer: the linked versions; the first whose template rendered
        some of the recorded messages is shown as its template, editable and savable."""
        use = find_prompt_use(self.request.messages, linked)
        if use is None:
            return
        rows = [self._recorded_rows[i] for i in use.rows]
        if any(row not in self.messages.rows for row in rows):
            return  # the user removed one of them before the answer came
        store = self._client.store() if self._client is not None else None
        self.prompt_bar.show_use(use, rows, store, VERSIONS_NOTE if store is None else "")
        self._update_buttons()

    def run_over_traces(self) -> QDialog | None:
        """The same edit over many traces (`app.replay.batch_dialog`): the template edit when
        the linked prompt's template was edited, else the system message(s)."""
        if self._open_evaluation is None or not self.batch_button.isEnabled():
            return None
        from app.replay.batch import PromptEdit
        from app.replay.batch_launch import open_batch_replay

        # The targets were rendered from the version the recorded call used, not from one
        # saved here since: their values are read against that version's template.
        use, texts = self.prompt_bar.recorded, self.prompt_bar.edited_texts()
        prompt = PromptEdit(use.linked, texts) if use is not None and texts is not None else None
        return open_batch_replay(
            self,
            self._tasks,
            self._store_client,
            self.request,
            self.replay_run(),
            self._open_evaluation,
            prompt,
        )

    # -- Ollama ---------------------------------------------------------------------------------

    def list_models(self) -> None:
        """Ask the configured Ollama server for its models (job pool)."""
        if self._listing is not None:
            return
        url = settings.ollama_url()
        task = self._tasks.submit_job(try_call.list_models, url)
        task.on_finished(self._models_listed)
        task.on_failed(lambda error: self._models_failed(url, error))
        self._listing = task

    def _models_listed(self, names: list[str]) -> None:
        self._listing = None
        wanted = self.params.model.currentText().strip()
        self.params.set_models(names, wanted)
        if names and wanted and wanted not in names:
            self.status.setText(
                f"Ollama has no model {wanted!r} (the recorded one): "
                f"{self.params.model.currentText()} is chosen instead."
            )
        elif not names:
            self.status.setText("Ollama has no models yet: pull one with `ollama pull <model>`.")
        self._update_buttons()

    def _models_failed(self, url: str, error: BaseException) -> None:
        self._listing = None
        self.status.setText(try_call.describe_error(error, url))

    def run(self) -> None:
        """Send the edited messages (Ctrl+Enter); the answer streams into the right column."""
        if self._call is not None or not self.run_button.isEnabled():
            return
        run = self.replay_run()
        self._new_text, self._result, self._trace_id = "", None, None
        self.open_button.hide()
        self.status.setText(f"Waiting for {run.model}…")
        task = self._tasks.submit_job(run_replay, run)
        task.on_progress(lambda _done, _total, text: self._append(str(text)))
        task.on_finished(self._finished)
        task.on_failed(lambda error: self._failed(run, error))
        self._call = task
        self._show_outputs()
        self._update_buttons()

    def stop(self) -> None:
        """Stop the answer (Esc): what came so far stays shown."""
        if self._call is None:
            return
        self._call.cancel()
        self._call = None
        self.status.setText("Stopped. The part of the answer that came is shown.")
        self._update_buttons()

    def _append(self, text: str) -> None:
        self._new_text += text
        cursor = self.new_output.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)

    def _finished(self, result: ReplayResult) -> None:
        self._call = None
        self._result = result
        self._new_text = result.text
        self._trace_id = result.trace_id if result.saved else None
        self.open_button.setVisible(self._trace_id is not None)
        self.status.setText(result.note)
        self._show_outputs()
        self._update_buttons()
        if self._trace_id is not None:
            self.replay_written.emit(self.request.source_trace_id, self._trace_id)

    def _failed(self, run: ReplayRun, error: BaseException) -> None:
        self._call = None
        if isinstance(error, ReplayFailed):
            self._new_text = error.partial
            self.status.setText(str(error))
        else:
            self.status.setText(try_call.describe_error(error, run.url, run.model))
        self._show_outputs()
        self._update_buttons()

    # -- showing --------------------------------------------------------------------------------

    def _show_outputs(self) -> None:
        """Both answers: word-diffed once the replay finished, else as they are."""
        request, result = self.request, self._result
        recorded = request.recorded_output or NO_OUTPUT
        _set_caption(
            self.recorded_caption,
            "Recorded · "
            + _facts(
                request.recorded_latency_ns,
                request.recorded_input_tokens,
                request.recorded_output_tokens,
            ),
        )
        if result is None:
            self.recorded.setPlainText(recorded)
            self.new_output.setPlainText(self._new_text)
            running = self._call is not None
            _set_caption(self.new_caption, "Replay · streaming…" if running else "Replay")
            return
        dark = is_dark(self.palette())
        left, right = word_diff(request.recorded_output, result.text)
        self.recorded.setHtml(segments_html(left, dark) if request.recorded_output else NO_OUTPUT)
        self.new_output.setHtml(segments_html(right, dark))
        first = result.first_chunk_ns
        _set_caption(
            self.new_caption,
            f"Replay ({self.params.model.currentText()}) · "
            + _facts(result.latency_ns, result.input_tokens, result.output_tokens)
            + (f" · first chunk {span_duration_text(first)}" if first is not None else ""),
        )

    def _update_buttons(self) -> None:
        running = self._call is not None
        ready = bool(self.params.model.currentText().strip()) and bool(self.messages.rows)
        self.run_button.setEnabled(ready and not running)
        self.batch_button.setEnabled(ready)
        self.stop_button.setEnabled(running)

    @property
    def is_running(self) -> bool:
        return self._call is not None

    # -- Qt events ------------------------------------------------------------------------------

    def reject(self) -> None:  # QDialog.reject: Esc stops a running replay, else closes
        if self._call is not None:
            self.stop()
            return
        super().reject()

    def showEvent(self, event: QShowEvent) -> None:  # QWidget.showEvent
        super().showEvent(event)
        if not self._listed_once:  # the first look asks the server for its models
            self._listed_once = True
            self.list_models()
            self.messages.focus_first()

    def closeEvent(self, event: QCloseEvent) -> None:  # QWidget.closeEvent
        for task in (self._call, self._listing):
            if task is not None:
                task.cancel()
        self._call = self._listing = None
        super().closeEvent(event)


def _row_message(row: MessageRow) -> tuple[str, str]:
    message = row.message()
    return message["role"] or "user", message["content"]


def _facts(latency_ns: int | None, input_tokens: int | None, output_tokens: int | None) -> str:
    parts = [span_duration_text(latency_ns) if latency_ns is not None else "no timing"]
    if input_tokens is not None or output_tokens is not None:
        parts.append(f"{_count(input_tokens)} in / {_count(output_tokens)} out tokens")
    else:
        parts.append("no token counts")
    return " · ".join(parts)


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _plain_label(parent: QWidget, name: str) -> QLabel:
    """A wrapping label for text that may quote names and errors: never rich text."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


def _caption(parent: QWidget, name: str) -> ElidedLabel:
    """An answer's caption: one line, cut to the column's width (the whole text on hover)."""
    label = ElidedLabel("", Qt.TextElideMode.ElideRight, parent)
    label.setObjectName(name)
    return label


def _set_caption(label: ElidedLabel, text: str) -> None:
    label.setText(text)
    label.setToolTip(text)
