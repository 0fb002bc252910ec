"""`ChatView`: a conversation rendered by role in a `SafeTextBrowser`."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.messages.browser import SafeTextBrowser, is_dark
from app.messages.formats import Conversation
from app.messages.render import EXPAND_PREFIX, ConversationHtml
from app.theme import follow_palette


class ChatView(SafeTextBrowser):
    """Shows one `Conversation`; "Show all" links re-render with that block unfolded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self._conversation: Conversation | None = None
        self._expanded: set[str] = set()
        self.action_requested.connect(self._expand)
        follow_palette(self, self._render)

    @property
    def conversation(self) -> Conversation | None:
        return self._conversation

    def show_conversation(self, conversation: Conversation | None) -> None:
        self._conversation = conversation
        self._expanded = set()
        self._render()

    def _render(self) -> None:
        if self._conversation is None:
            self.clear()
            return
        renderer = ConversationHtml(is_dark(self.palette()), self._expanded)
        self.wrap_for(self._longest_texts())
        position = self.verticalScrollBar().value()
        self.setHtml(renderer.render(self._conversation))
        self.verticalScrollBar().setValue(position)

    def _longest_texts(self) -> str:
        """The texts that may hold a very long line (for `wrap_for`)."""
        assert self._conversation is not None
        messages = (*self._conversation.inputs, *self._conversation.outputs)
        texts = [m.text for m in messages] + [c.arguments for m in messages for c in m.tool_calls]
        return "\n".join(texts)

    def _expand(self, fragment: str) -> None:
        if fragment.startswith(EXPAND_PREFIX):
            self._expanded.add(fragment.removeprefix(EXPAND_PREFIX))
            self._render()
