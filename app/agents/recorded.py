"""A recorded agent turn to replay (issue 18): the conversation before the turn, the user's
last message, and what the agent answered then (no Qt).

The Agents page loads the agent the trace names, shows the recorded conversation, sends the
last message again with that conversation before it, and shows the recorded answer beside the
new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.messages.formats import ASSISTANT, Message


@dataclass(frozen=True)
class RecordedTurn:
    """One turn of a trace an agent produced, ready to send again."""

    trace_id: str
    model_name: str  # the registered model the trace's `mlflow.modelId` belongs to
    version: int
    #: The Responses `input` items before the last user message, as the request recorded them.
    history: tuple[Mapping[str, Any], ...]
    question: str
    #: What the agent answered then (its output messages, tool calls and results).
    recorded: tuple[Message, ...] = ()
    #: Why the recorded turn had no answer (the trace failed), when it had none.
    recorded_error: str | None = None

    @property
    def recorded_text(self) -> str:
        """The text of the recorded assistant messages (reasoning aside)."""
        texts = [m.text for m in self.recorded if m.role == ASSISTANT and m.name != "reasoning"]
        return "".join(texts)

    @property
    def model_label(self) -> str:
        return f"{self.model_name} v{self.version}"


def same_answer(new: str, recorded: str) -> bool:
    """Whether two answers say the same, whitespace aside."""
    return " ".join(new.split()) == " ".join(recorded.split())
