"""One chat session read as a conversation: each turn's question and answer, in order, from its
trace's root span (issue 20's sessions view), each turn linked to its trace.

`read_turns` runs in the database thread; `SessionWindow` shows the turns with the explorer's
role colours (`ConversationHtml`) and asks for a turn's trace when its link is clicked.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from app.formatting import local_time
from app.insights.filters import session_filter
from app.messages.browser import SafeTextBrowser, is_dark
from app.messages.formats import ASSISTANT, USER, Message, answer_of, span_conversation
from app.messages.render import ConversationHtml
from app.theme import follow_palette
from core.entities import Trace
from core.mlflow_keys import CHAT_MESSAGES_KEY
from core.store import Store

#: Turns read for one session (a longer one says how many were left out).
MAX_TURNS = 200
TRACE_LINK = "trace:"


@dataclass(frozen=True)
class Turn:
    """One trace of the session: what the user said, what came back."""

    trace_id: str
    time_ms: int
    asked: tuple[Message, ...]
    answered: tuple[Message, ...]
    failed: bool


def read_turns(store: Store, experiment_ids: Sequence[str], session_id: str) -> list[Turn]:
    """Database thread: the session's traces, oldest first, as turns."""
    reader = store.reader
    ids = reader.search_trace_ids(
        list(experiment_ids) or None,
        filter_string=session_filter(session_id),
        max_results=MAX_TURNS,
        order_by=["timestamp_ms ASC"],
    )
    return [turn_of(trace) for trace in reader.traces(ids)]


def turn_of(trace: Trace) -> Turn:
    """The turn a trace holds: the last user message of its root's input and the assistant's
    messages of its output; the request and response previews when the root is not a chat."""
    info, root = trace.info, trace.data.root_span
    asked: tuple[Message, ...] = ()
    answered: tuple[Message, ...] = ()
    if root is not None:
        found = span_conversation(root.inputs, root.outputs, root.get_attribute(CHAT_MESSAGES_KEY))
        if found is not None:
            users = [m for m in found.inputs if m.role == USER]
            asked = tuple(users[-1:])
            answered = answer_of(found.inputs, found.outputs)
    if not asked and info.request_preview:
        asked = (Message(USER, info.request_preview),)
    if not answered and info.response_preview:
        answered = (Message(ASSISTANT, info.response_preview),)
    failed = info.state.value == "ERROR"
    return Turn(info.trace_id, info.request_time, asked, answered, failed)


def turns_html(turns: Sequence[Turn], dark: bool) -> str:
    """The turns, each under a line with its number, time and a link to its trace."""
    renderer = ConversationHtml(dark)
    parts = []
    for number, turn in enumerate(turns, 1):
        failed = ' · <span style="color:#e5484d">failed</span>' if turn.failed else ""
        link = (
            f'<a href="#{TRACE_LINK}{html.escape(turn.trace_id)}">{html.escape(turn.trace_id)}</a>'
        )
        parts.append(
            f'<p style="margin-top:10px; margin-bottom:4px; color:gray">Turn {number} · '
            f"{html.escape(local_time(turn.time_ms))} · {link}{failed}</p>"
        )
        messages = (*turn.asked, *turn.answered)
        parts.extend(renderer.message(m, f"t{number}m{i}") for i, m in enumerate(messages))
        if not messages:
            parts.append('<p style="color:gray">(nothing recorded)</p>')
    if len(turns) >= MAX_TURNS:
        parts.append(f'<p style="color:gray">The first {MAX_TURNS} turns are shown.</p>')
    return "".join(parts)


class SessionWindow(QDialog):
    """A session's conversation; a turn's link asks for its trace (`trace_requested`)."""

    trace_requested = Signal(str)

    def __init__(self, session_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sessionWindow")
        self.setWindowTitle(f"Session {session_id}")
        self.setModal(False)
        self.turns: list[Turn] = []
        self.title = QLabel(f"Reading session {session_id}…", self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.view = SafeTextBrowser(self)
        self.view.setObjectName("sessionConversation")
        self.view.action_requested.connect(self._link)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        follow_palette(self.view, self._render)
        self._session_id = session_id
        self.resize(900, 700)

    def show_turns(self, turns: list[Turn]) -> None:
        self.turns = turns
        self.title.setText(
            f"Session {self._session_id} · {len(turns):,} turns · a turn's link opens its trace"
        )
        self._render()
        self.view.setFocus()

    def show_error(self, error: BaseException) -> None:
        self.title.setText(f"The session could not be read: {error}")

    def _render(self) -> None:
        self.view.setHtml(turns_html(self.turns, is_dark(self.view.palette())))

    def _link(self, fragment: str) -> None:
        if fragment.startswith(TRACE_LINK):
            self.trace_requested.emit(fragment.removeprefix(TRACE_LINK))
