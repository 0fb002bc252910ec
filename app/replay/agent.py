"""What "Replay in Agent" sends (issue 18): a trace's agent turn as the conversation before
it, the user's last message, and the answer recorded then (no Qt).

The request is read from the trace's root span, the agent's own call: a ResponsesAgent's
`{"request": {"input": [...]}}` (MLflow's `predict` span) or its bare `{"input": [...]}`,
whose items are kept as recorded, or any other message list the chat view recognises (chat
`messages`, LangChain messages...), turned into Responses input items. The last user message
is the turn; what precedes it is its history; anything after it (the agent's own tool loop)
is the recorded answer's business, not the request's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.agents.recorded import RecordedTurn
from app.explorer.agent_model import TraceAgent
from app.messages.formats import (
    ASSISTANT,
    SYSTEM,
    TOOL,
    USER,
    Message,
    content_text,
    messages_from_value,
    pretty_json,
)
from core.entities import Trace


def recorded_turn(trace: Trace, agent: TraceAgent) -> RecordedTurn:
    """The turn of `trace` to send again to `agent`; ValueError says why there is none."""
    if agent.name is None or agent.version is None:
        raise ValueError(agent.problem or "The trace names no registered agent.")
    root = trace.data.root_span
    if root is None:
        raise ValueError("The trace has no spans: the request its agent got is not recorded.")
    items = request_items(root.inputs)
    last = _last_user(items)
    if last is None:
        raise ValueError(
            f"The request recorded on the root span {root.name!r} has no user message to send "
            "again."
        )
    question = content_text(items[last].get("content"))[0]
    error = None
    if trace.info.state == "ERROR" or root.status_code == "ERROR":
        error = root.status_message or "The agent raised an error."
    return RecordedTurn(
        trace_id=trace.info.trace_id,
        model_name=agent.name,
        version=agent.version,
        history=tuple(items[:last]),
        question=question,
        recorded=tuple(answer_messages(root.outputs)),
        recorded_error=error,
    )


def request_items(inputs: Any) -> list[dict[str, Any]]:
    """The Responses `input` items of a recorded request (see the module docstring)."""
    if isinstance(inputs, Mapping):
        request = inputs.get("request")
        source = request if isinstance(request, Mapping) else inputs
        raw = source.get("input")
        if isinstance(raw, list) and raw and all(isinstance(i, Mapping) for i in raw):
            return [dict(i) for i in raw]
        if isinstance(raw, str) and raw.strip():
            return [{"role": USER, "content": raw}]
    if isinstance(inputs, str) and inputs.strip():
        return [{"role": USER, "content": inputs}]
    found = messages_from_value(inputs)
    if found is None:
        return []
    return [item for message in found[0] for item in input_items(message)]


def input_items(message: Message) -> list[dict[str, Any]]:
    """A recognised message as Responses input items: a text message, then its tool calls;
    a tool result as a function call output."""
    if message.role == TOOL:
        return [
            {
                "type": "function_call_output",
                "call_id": message.tool_call_id or "",
                "output": message.text,
            }
        ]
    role = message.role if message.role in (SYSTEM, USER, ASSISTANT) else USER
    items: list[dict[str, Any]] = []
    if message.text or not message.tool_calls:
        items.append({"role": role, "content": message.text})
    items.extend(
        {
            "type": "function_call",
            "call_id": call.call_id or "",
            "name": call.name,
            "arguments": call.arguments,
        }
        for call in message.tool_calls
    )
    return items


def answer_messages(outputs: Any) -> list[Message]:
    """What the agent answered then, as the chat view shows it (text when no format fits)."""
    found = messages_from_value(outputs)
    if found is not None:
        return found[0]
    if outputs is None:
        return []
    text = outputs if isinstance(outputs, str) else pretty_json(outputs)[0]
    return [Message(ASSISTANT, text)]


def _last_user(items: Sequence[Mapping[str, Any]]) -> int | None:
    for index in range(len(items) - 1, -1, -1):
        item = items[index]
        if item.get("role") == USER and item.get("type", "message") == "message":
            return index
    return None
