"""What a replay starts from: a chat span's (or a trace's) messages, tools, model and
parameters, and what the recorded call answered (no Qt).

`request_from_span` reads the messages in every format the chat view recognises
(`app.messages.formats`), the OpenAI-style `tools` offered, the model and the sampling
parameters where LangChain and the OpenAI autolog record them (the span's inputs, the
`invocation_params`, `options` and `metadata` attributes, `mlflow.llm.model`), the recorded
answer, its latency and its token usage. `request_from_trace` replays a trace through its root
span: a chat root as such, any other root's input as one user message.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.messages.formats import (
    OTHER,
    USER,
    Message,
    ToolCall,
    messages_from_value,
    pretty_json,
    span_conversation,
)
from core.entities import Span, SpanType, Trace
from core.mlflow_keys import CHAT_MESSAGES_KEY, CHAT_TOOLS_KEY

#: Span types a replay can start from (a chat or completion call).
REPLAYABLE_TYPES = frozenset({SpanType.CHAT_MODEL, SpanType.LLM})
#: Where LangChain and the autologgers keep the call's parameters, in the order they are read.
_PARAMETER_ATTRIBUTES = ("invocation_params", "options", "metadata")
_MODEL_KEYS = ("model", "model_name", "ls_model_name", "model_id")
_TEMPERATURE_KEYS = ("temperature", "ls_temperature")
_MAX_TOKEN_KEYS = ("max_tokens", "max_completion_tokens", "num_predict", "ls_max_tokens")
_SEED_KEYS = ("seed",)
#: Keys of a completion call's inputs that hold its prompt.
_PROMPT_KEYS = ("prompt", "input", "question", "query", "text")


@dataclass(frozen=True)
class ReplayMessage:
    """One message to send: role and text; an assistant's tool calls and a tool result's call
    id are kept so a conversation with tools can be sent again."""

    role: str  # system | user | assistant | tool
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True)
class ReplayRequest:
    """A recorded call, ready to be edited and sent again."""

    source_trace_id: str
    source_span_id: str | None  # None: the trace was replayed through its root's input
    source_name: str
    messages: tuple[ReplayMessage, ...]
    tools: tuple[dict[str, Any], ...] = ()
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    recorded_output: str = ""
    recorded_latency_ns: int | None = None
    recorded_input_tokens: int | None = None
    recorded_output_tokens: int | None = None
    experiment_id: str | None = None
    format: str = ""  # the message format that was recognised, for the user
    prompts: tuple[tuple[str, int], ...] = ()  # prompt versions the trace links (name, version)


def is_replayable(span: Span | None) -> bool:
    """A chat or completion span (what "Replay…" is offered on)."""
    return span is not None and span.span_type in REPLAYABLE_TYPES


def request_from_span(span: Span, experiment_id: str | None = None) -> ReplayRequest:
    """The replay of one recorded model call (the span's payload must be loaded)."""
    inputs, outputs = span.inputs, span.outputs
    conversation = span_conversation(inputs, outputs, span.get_attribute(CHAT_MESSAGES_KEY))
    if conversation is not None and conversation.inputs:
        messages = tuple(_replay_message(m) for m in conversation.inputs)
        shape = conversation.format
    else:
        messages = (ReplayMessage(USER, input_text(inputs)),)
        shape = "text"
    found_out = messages_from_value(outputs)
    usage = span.token_usage
    return ReplayRequest(
        source_trace_id=span.trace_id,
        source_span_id=span.span_id,
        source_name=span.name,
        messages=messages,
        tools=_tools(inputs, span),
        model=span.model_name or _text(_parameter(span, inputs, _MODEL_KEYS)),
        temperature=_number(_parameter(span, inputs, _TEMPERATURE_KEYS)),
        max_tokens=_whole(_parameter(span, inputs, _MAX_TOKEN_KEYS)),
        seed=_whole(_parameter(span, inputs, _SEED_KEYS)),
        recorded_output=answer_text(found_out[0]) if found_out else output_text(outputs),
        recorded_latency_ns=span.duration_ns,
        recorded_input_tokens=usage.input_tokens if usage is not None else None,
        recorded_output_tokens=usage.output_tokens if usage is not None else None,
        experiment_id=experiment_id,
        format=shape,
    )


def request_from_trace(trace: Trace) -> ReplayRequest | None:
    """The replay of a trace through its root span: a chat root's messages, else the root's
    input as the user message. None for a trace with no spans."""
    root = trace.data.root_span
    if root is None:
        return None
    experiment_id = trace.info.experiment_id
    if is_replayable(root) or messages_from_value(root.inputs) is not None:
        return request_from_span(root, experiment_id)
    usage = trace.info.token_usage
    return ReplayRequest(
        source_trace_id=trace.info.trace_id,
        source_span_id=None,
        source_name=trace.info.name or root.name,
        messages=(ReplayMessage(USER, input_text(root.inputs)),),
        recorded_output=output_text(root.outputs),
        recorded_latency_ns=root.duration_ns,
        recorded_input_tokens=usage.input_tokens if usage is not None else None,
        recorded_output_tokens=usage.output_tokens if usage is not None else None,
        experiment_id=experiment_id,
        format="the trace's input",
    )


# -- texts ------------------------------------------------------------------------------------


def input_text(value: Any) -> str:
    """A non-chat input as the text of one user message: a string as it is; of a mapping, its
    only string value (`{"question": "..."}`) or its prompt (`{"prompt": ..., "model": ...}`);
    anything else as pretty JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        texts = [v for v in value.values() if isinstance(v, str)]
        if len(value) == 1 and texts:
            return texts[0]
        for key in _PROMPT_KEYS:
            if isinstance(value.get(key), str):
                return str(value[key])
    return pretty_json(value)[0]


def output_text(value: Any) -> str:
    """A recorded output that is not a chat message: its text, or pretty JSON."""
    found = messages_from_value(value)
    if found is not None:
        return answer_text(found[0])
    return input_text(value)


def answer_text(messages: Sequence[Message]) -> str:
    """What the assistant said: its texts, and each tool call as `→ name(arguments)`."""
    parts: list[str] = []
    for message in messages:
        if message.text:
            parts.append(message.text)
        parts += [tool_call_text(call) for call in message.tool_calls]
    return "\n\n".join(parts)


def tool_call_text(call: ToolCall) -> str:
    arguments = call.arguments
    if call.is_json:
        with contextlib.suppress(ValueError):  # one line: the diff compares it word by word
            arguments = json.dumps(json.loads(arguments), ensure_ascii=False)
    return f"→ {call.name}({arguments})"


# -- reading the recorded call ----------------------------------------------------------------


def _replay_message(message: Message) -> ReplayMessage:
    role = message.role
    if role == OTHER:  # a role written some other way: kept if Ollama may know it
        role = (message.label or USER).lower()
    return ReplayMessage(role, message.text, message.tool_calls, message.tool_call_id)


def _tools(inputs: Any, span: Span) -> tuple[dict[str, Any], ...]:
    """OpenAI-style tool definitions offered to the model (`tools` in the inputs or in the
    invocation parameters, or `mlflow.chat.tools`)."""
    params = span.get_attribute("invocation_params")
    for source in (
        inputs.get("tools") if isinstance(inputs, Mapping) else None,
        params.get("tools") if isinstance(params, Mapping) else None,
        span.get_attribute(CHAT_TOOLS_KEY),
    ):
        if isinstance(source, list) and source:
            return tuple(_openai_tool(t) for t in source if isinstance(t, Mapping))
    return ()


def _openai_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    """`{"type": "function", "function": {...}}`, also from a bare function definition."""
    if isinstance(tool.get("function"), Mapping):
        return {"type": "function", "function": dict(tool["function"])}
    return {"type": "function", "function": dict(tool)}


def _parameter(span: Span, inputs: Any, keys: Sequence[str]) -> Any:
    """The first value of `keys` in the inputs, then in each parameter attribute."""
    sources: list[Any] = [inputs]
    sources += [span.get_attribute(name) for name in _PARAMETER_ATTRIBUTES]
    for source in sources:
        if not isinstance(source, Mapping):
            continue
        for key in keys:
            if source.get(key) is not None:
                return source[key]
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return int(value)


# -- messages as JSON -------------------------------------------------------------------------


def message_dict(message: ReplayMessage) -> dict[str, Any]:
    """The message in OpenAI's shape: a replay trace's input, an evaluation row's inputs."""
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": c.call_id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            }
            for c in message.tool_calls
        ]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    return out


def message_of(value: dict[str, Any]) -> ReplayMessage:
    """`message_dict`'s inverse (what the predict function is called with)."""
    calls = tuple(
        ToolCall(
            str(c.get("function", {}).get("name", "")),
            str(c.get("function", {}).get("arguments", "")),
            c.get("id"),
            True,
        )
        for c in value.get("tool_calls") or ()
        if isinstance(c, dict)
    )
    return ReplayMessage(
        str(value.get("role", "user")),
        str(value.get("content") or ""),
        calls,
        value.get("tool_call_id"),
    )
