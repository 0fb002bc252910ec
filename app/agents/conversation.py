"""One chat with an agent: its turns, the Responses request each turn sends, and how streamed
events and answers fill a turn in (no Qt).

A request carries the whole conversation: the user's messages, the agent's answers (as
assistant messages) and its tool calls and their outputs, then the new message; its `context`
names the conversation (a new uuid per conversation) and the user. A replayed turn (issue 18)
starts a conversation with the recorded conversation before it: its items come first.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.agents.recorded import RecordedTurn
from core.agents import OUTPUT_ITEM_DONE, OUTPUT_TEXT_DELTA

WAITING, STREAMING, DONE, FAILED, STOPPED = "waiting", "streaming", "done", "failed", "stopped"
#: A streamed message that is still arriving carries its text under this key.
PARTIAL = "_partial_text"


@dataclass
class Turn:
    """The user's message and what the agent made of it."""

    user_text: str
    state: str = WAITING
    #: Output items in order: finished items, and messages still streaming (with PARTIAL).
    items: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    trace_id: str | None = None
    duration_s: float | None = None
    error: str | None = None
    detail: str = ""
    #: Issue 18: the recorded turn this one sends again (its answer is shown beside).
    replay_of: RecordedTurn | None = None

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED, STOPPED)

    def answer_text(self) -> str:
        """The text of the assistant messages (streamed so far, or final)."""
        texts = []
        for item in self.items:
            if PARTIAL in item:
                texts.append(str(item[PARTIAL]))
            elif item.get("type", "message") == "message":
                texts.extend(_output_texts(item))
        return "".join(texts)


def _output_texts(item: Mapping[str, Any]) -> list[str]:
    content = item.get("content")
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        return []
    return [
        str(part.get("text", ""))
        for part in content
        if isinstance(part, Mapping) and part.get("type") in ("output_text", "text", None)
    ]


def as_input_items(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An output item as the next request's input: messages become assistant messages, tool
    calls and their outputs go as they came; anything else is left out."""
    kind = item.get("type", "message")
    if kind == "message":
        text = "".join(_output_texts(item))
        return [{"role": "assistant", "content": text}] if text else []
    if kind in ("function_call", "function_call_output"):
        return [{k: v for k, v in item.items() if k != PARTIAL}]
    return []


class AgentConversation:
    """The turns of one conversation, oldest first."""

    def __init__(self, conversation_id: str | None = None) -> None:
        self.conversation_id = conversation_id or str(uuid.uuid4())
        self.turns: list[Turn] = []
        #: Issue 18: the recorded turn replayed; its history goes before every turn.
        self.replay: RecordedTurn | None = None

    @classmethod
    def replaying(cls, recorded: RecordedTurn) -> AgentConversation:
        """A new conversation after `recorded`'s history, its last message asked again."""
        conversation = cls()
        conversation.replay = recorded
        conversation.ask(recorded.question).replay_of = recorded
        return conversation

    @property
    def current(self) -> Turn | None:
        """The turn waiting for an answer, if any."""
        last = self.turns[-1] if self.turns else None
        return last if last is not None and not last.finished else None

    def ask(self, text: str) -> Turn:
        """Add the user's message as a new turn (the previous one must have finished)."""
        if self.current is not None:
            raise RuntimeError("The agent is still answering the previous message.")
        turn = Turn(text)
        self.turns.append(turn)
        return turn

    def request(self, user_id: str) -> dict[str, Any]:
        """The Responses request for the current turn: every answered turn, then this one."""
        items = [dict(item) for item in self.replay.history] if self.replay else []
        for turn in self.turns:
            if turn.state == DONE or turn is self.current:
                items.append({"role": "user", "content": turn.user_text})
            if turn.state == DONE:
                for item in turn.items:
                    items.extend(as_input_items(item))
        context = {"conversation_id": self.conversation_id, "user_id": user_id}
        return {"input": items, "context": context}

    # -- filling in the current turn --------------------------------------------------------

    def apply_event(self, event: Mapping[str, Any]) -> bool:
        """Add a streamed event to the current turn; True when it changed what is shown."""
        turn = self.current
        if turn is None:
            return False
        turn.state = STREAMING
        turn.events += 1
        kind = event.get("type")
        if kind == OUTPUT_TEXT_DELTA:
            _append_delta(turn, str(event.get("item_id", "")), str(event.get("delta", "")))
            return True
        if kind == OUTPUT_ITEM_DONE and isinstance(event.get("item"), Mapping):
            _finish_item(turn, dict(event["item"]))
            return True
        if kind == "error":
            turn.detail = str(event.get("message", ""))
            return True
        return False

    def answered(self, response: Mapping[str, Any], trace_id: str | None, seconds: float) -> None:
        """The answer came: its output items replace what was streamed (unless it has none)."""
        turn = self.current
        if turn is None:
            return
        output = response.get("output")
        if isinstance(output, list) and output:
            turn.items = [dict(i) for i in output if isinstance(i, Mapping)]
        else:  # a stream of deltas with no `output_item.done`: keep the text that came
            for item in turn.items:
                if PARTIAL in item:
                    text = str(item.pop(PARTIAL))
                    item.update(type="message", role="assistant")
                    item["content"] = [{"type": "output_text", "text": text}]
        turn.state, turn.trace_id, turn.duration_s = DONE, trace_id, seconds

    def failed(self, message: str, *, trace_id: str | None = None, stopped: bool = False) -> None:
        """The current turn ended without an answer (an error, a crash, or Stop)."""
        turn = self.current
        if turn is None:
            return
        turn.state = STOPPED if stopped else FAILED
        turn.error = message
        turn.trace_id = trace_id


def _append_delta(turn: Turn, item_id: str, delta: str) -> None:
    for item in turn.items:
        if PARTIAL in item and item.get("id") == item_id:
            item[PARTIAL] = str(item[PARTIAL]) + delta
            return
    turn.items.append({"type": "message", "id": item_id, "role": "assistant", PARTIAL: delta})


def _finish_item(turn: Turn, item: dict[str, Any]) -> None:
    item_id = item.get("id")
    for index, existing in enumerate(turn.items):
        if PARTIAL in existing and item_id is not None and existing.get("id") == item_id:
            turn.items[index] = item
            return
    turn.items.append(item)
