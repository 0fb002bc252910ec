"""`ChatPane`: the conversation with a loaded agent, drawn like the explorer's chat, and the box
to write the next message.

Streamed deltas arrive many times a second; the transcript is re-rendered at most once per
`RENDER_DELAY_MS` (a single-shot timer, stopped when the pane is reset or closed).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.agents.conversation import AgentConversation
from app.agents.recorded import RecordedTurn
from app.agents.transcript import TRACE_PREFIX, TranscriptHtml
from app.messages.browser import SafeTextBrowser, is_dark
from app.theme import follow_palette

RENDER_DELAY_MS = 40
INTRO = (
    "A new conversation. Type a message below and press Ctrl+Enter to send it; "
    "Esc stops the agent, Ctrl+N starts a new conversation."
)


def _button(text: str, name: str, tip: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setObjectName(name)
    button.setToolTip(tip)
    return button


class ChatPane(QWidget):
    """Transcript, message box and the Send / Stop / New Conversation buttons."""

    send_requested = Signal(str)  # the message typed (not empty)
    stop_requested = Signal()
    new_conversation_requested = Signal()
    trace_requested = Signal(str)  # the trace id of a turn's "Open trace" link

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentChat")
        self.conversation = AgentConversation()
        self.transcript = SafeTextBrowser(self)
        self.transcript.setObjectName("agentTranscript")
        follow_palette(self.transcript, self.schedule_render)
        self.input = QPlainTextEdit(self)
        self.input.setObjectName("agentInput")
        self.input.setPlaceholderText("Message the agent…  (Ctrl+Enter sends)")
        self.input.setTabChangesFocus(True)
        self.input.setMaximumHeight(self.input.fontMetrics().lineSpacing() * 4 + 16)
        self.send_button = _button("&Send", "agentSend", "Send the message (Ctrl+Enter)", self)
        self.stop_button = _button("St&op", "agentStop", "Stop the agent process (Esc)", self)
        self.new_button = _button(
            "&New Conversation", "agentNewConversation", "Start another conversation (Ctrl+N)", self
        )
        self.conversation_label = QLabel(self)
        self.conversation_label.setObjectName("agentConversationId")
        self.conversation_label.setTextFormat(Qt.TextFormat.PlainText)
        self.conversation_label.setStyleSheet("color: palette(placeholder-text);")
        self.conversation_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self._timer = QTimer(self)
        self._timer.setObjectName("agentChatRender")
        self._timer.setSingleShot(True)
        self._timer.setInterval(RENDER_DELAY_MS)
        self._stick_to_end, self._rendering = True, False
        self._lay_out()
        self._connect()
        self.new_conversation()

    def _lay_out(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.conversation_label, 1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(self.input)
        layout.addLayout(buttons)

    def _connect(self) -> None:
        self.transcript.action_requested.connect(self._open_link)
        bar = self.transcript.verticalScrollBar()
        bar.valueChanged.connect(self._scrolled)
        bar.rangeChanged.connect(self._range_changed)
        self._timer.timeout.connect(self.redraw)
        self.send_button.clicked.connect(self.submit)
        self.stop_button.clicked.connect(self.stop_requested)
        self.new_button.clicked.connect(self.new_conversation_requested)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self.input)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.submit)

    # -- actions ------------------------------------------------------------------------------

    def submit(self) -> None:
        """Send what was typed, if anything (the controller says when the agent cannot take it)."""
        text = self.input.toPlainText().strip()
        if text:
            self.send_requested.emit(text)

    def accept_sent(self) -> None:
        """The message went out: clear the box for the next one."""
        self.input.clear()

    def new_conversation(self, replay: RecordedTurn | None = None) -> None:
        """A fresh conversation id and an empty transcript; with `replay` (issue 18), the
        recorded conversation and its last message, waiting to be sent."""
        self.conversation = (
            AgentConversation.replaying(replay) if replay is not None else AgentConversation()
        )
        self.conversation_label.setText(f"Conversation {self.conversation.conversation_id}")
        self._stick_to_end = True
        self.redraw()

    def set_ready(self, can_send: bool, can_stop: bool) -> None:
        self.send_button.setEnabled(can_send)
        self.stop_button.setEnabled(can_stop)

    def _open_link(self, fragment: str) -> None:
        if fragment.startswith(TRACE_PREFIX):
            self.trace_requested.emit(fragment.removeprefix(TRACE_PREFIX))

    # -- drawing ------------------------------------------------------------------------------

    def schedule_render(self) -> None:
        """Re-render soon (many streamed events make one render)."""
        if not self._timer.isActive():
            self._timer.start()

    def redraw(self) -> None:
        """Draw the whole conversation now; the view follows the end unless scrolled away."""
        self._timer.stop()
        bar = self.transcript.verticalScrollBar()
        position = bar.value()
        renderer = TranscriptHtml(is_dark(self.transcript.palette()))
        turns = self.conversation.turns
        self._rendering = True  # setHtml scrolls to the top: that is not the user's doing
        try:
            self.transcript.wrap_for("\n".join(t.user_text + t.answer_text() for t in turns))
            replay = self.conversation.replay
            intro = "" if turns or replay else INTRO
            self.transcript.setHtml(renderer.render_turns(turns, intro, replay))
        finally:
            self._rendering = False
        bar.setValue(bar.maximum() if self._stick_to_end else position)

    def _scrolled(self, value: int) -> None:
        if not self._rendering:
            self._stick_to_end = value >= self.transcript.verticalScrollBar().maximum() - 4

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._stick_to_end:  # the document grew (or was laid out late): stay at its end
            self.transcript.verticalScrollBar().setValue(maximum)

    def shutdown(self) -> None:
        """No render may come after the pane closed."""
        self._timer.stop()
