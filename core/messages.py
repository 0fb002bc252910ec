"""Chat messages found in span inputs and outputs, as plain `Message` lists.

In core (not the app) so a trace summary (`core.export.markdown`) reads the conversation the
window shows; `app.messages.formats` re-exports it.

Recognised shapes (SCHEMA.md §5 and what LLM libraries log):

* OpenAI chat: `{"messages": [...]}` inputs, `{"choices": [{"message": ...}]}` outputs,
  `tool_calls` with JSON-string `arguments`, `{"role": "tool", "tool_call_id": ...}`;
* a bare list of `{"role", "content"}`, or a single such message, or `{"message": {...}}`;
* content given as a list of parts (`{"type": "text" | "input_text" | "output_text", ...}`,
  images, Anthropic `tool_use` / `tool_result`);
* LangChain's own dicts (`type: human | ai | system | tool`, nested `[[...]]`, serialized
  `{"lc": 1, "type": "constructor", ...}`) and `{"generations": [[...]]}` outputs;
* the `mlflow.chat.messages` attribute older MLflow versions wrote;
* ResponsesAgent: `{"request": {"input": [...]}}` or `{"input": [...]}` and `{"output": [...]}`
  with `message`, `function_call` and `function_call_output` items.

Anything else is not a conversation (`None`): the caller shows it as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SYSTEM, USER, ASSISTANT, TOOL, OTHER = "system", "user", "assistant", "tool", "other"

#: Role names as written (by OpenAI, LangChain, Gemini, Llama...) → the role family shown.
ROLE_KINDS = {
    "system": SYSTEM,
    "developer": SYSTEM,
    "user": USER,
    "human": USER,
    "assistant": ASSISTANT,
    "ai": ASSISTANT,
    "model": ASSISTANT,
    "tool": TOOL,
    "function": TOOL,
    "ipython": TOOL,
}
_LANGCHAIN_TYPES = {
    "human": USER,
    "ai": ASSISTANT,
    "system": SYSTEM,
    "tool": TOOL,
    "function": TOOL,
    "chat": OTHER,
    "developer": SYSTEM,
}
_TEXT_PARTS = {"text", "input_text", "output_text", "summary_text", "reasoning_text", "refusal"}
_RESPONSE_ITEMS = {"message", "function_call", "function_call_output", "reasoning"}


@dataclass(frozen=True)
class ToolCall:
    """A function the assistant asked for; `arguments` is pretty JSON when it parsed."""

    name: str
    arguments: str = ""
    call_id: str | None = None
    is_json: bool = False


@dataclass(frozen=True)
class Message:
    role: str  # system | user | assistant | tool | other
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None  # for a tool result: the call it answers
    name: str | None = None  # tool or author name, when given
    label: str | None = None  # the role as written, when it differs from `role`


@dataclass(frozen=True)
class Conversation:
    inputs: tuple[Message, ...]
    outputs: tuple[Message, ...]
    format: str  # which shape was recognised, for the user


def span_conversation(inputs: Any, outputs: Any, chat_messages: Any = None) -> Conversation | None:
    """The conversation of a span from its inputs, outputs and `mlflow.chat.messages`."""
    found_in = messages_from_value(inputs)
    found_out = messages_from_value(outputs)
    legacy = _message_list(chat_messages) if isinstance(chat_messages, list) else None
    if legacy and (found_in is None or found_out is None):
        return Conversation(tuple(legacy), (), "mlflow.chat.messages")
    if found_in is None and found_out is None:
        return None
    names = [f for f in (found_in, found_out) if f is not None]
    return Conversation(
        tuple(found_in[0]) if found_in else (),
        tuple(found_out[0]) if found_out else (),
        " → ".join(dict.fromkeys(name for _messages, name in names)),
    )


def messages_from_value(value: Any) -> tuple[list[Message], str] | None:
    """The messages in one inputs or outputs value and the format's name, or None."""
    if isinstance(value, str):
        return None
    for recognise in (_responses, _openai_input, _openai_output, _generations, _list, _single):
        found = recognise(value)
        if found is not None:
            return found
    return None


# -- recognisers (each returns None when the shape is not theirs) ---------------------------


def _responses(value: Any) -> tuple[list[Message], str] | None:
    if not isinstance(value, Mapping):
        return None
    request = value.get("request")
    if isinstance(request, Mapping) and isinstance(request.get("input"), list):
        value = request
    for key in ("input", "output"):
        items = value.get(key)
        if isinstance(items, list) and items and all(_is_response_item(i) for i in items):
            return [_from_response_item(i) for i in items], "ResponsesAgent"
    return None


def _openai_input(value: Any) -> tuple[list[Message], str] | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("messages"), list):
        return None
    messages = _message_list(value["messages"])
    if messages is None:
        return None
    return messages, "OpenAI chat" if _has_role_dicts(value["messages"]) else "LangChain"


def _openai_output(value: Any) -> tuple[list[Message], str] | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("choices"), list):
        return None
    messages = []
    for choice in value["choices"]:
        if not isinstance(choice, Mapping):
            return None
        message = choice.get("message", choice.get("delta"))
        if isinstance(message, Mapping) and _is_role_dict(message):
            messages.append(_from_role_dict(message, default_role=ASSISTANT))
        elif isinstance(choice.get("text"), str):  # completions API
            messages.append(Message(ASSISTANT, choice["text"]))
        else:
            return None
    return (messages, "OpenAI chat") if messages else None


def _generations(value: Any) -> tuple[list[Message], str] | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("generations"), list):
        return None
    messages = []
    for generation in _flatten(value["generations"]):
        if not isinstance(generation, Mapping):
            return None
        message = generation.get("message")
        if isinstance(message, Mapping) and _is_message(message):
            messages.append(_from_any(message))
        elif isinstance(generation.get("text"), str):
            messages.append(Message(ASSISTANT, generation["text"]))
        else:
            return None
    return (messages, "LangChain") if messages else None


def _list(value: Any) -> tuple[list[Message], str] | None:
    if not isinstance(value, list):
        return None
    messages = _message_list(value)
    if messages is None:
        return None
    return messages, "message list" if _has_role_dicts(value) else "LangChain"


def _single(value: Any) -> tuple[list[Message], str] | None:
    if not isinstance(value, Mapping):
        return None
    inner = value.get("message")
    if isinstance(inner, Mapping) and _is_role_dict(inner):  # Ollama's chat response
        return [_from_role_dict(inner, default_role=ASSISTANT)], "chat message"
    if _is_role_dict(value):
        return [_from_role_dict(value)], "chat message"
    return None


# -- message shapes -------------------------------------------------------------------------


def _flatten(items: Sequence[Any]) -> list[Any]:
    """LangChain nests messages per prompt (`[[...]]`): one level of lists is opened."""
    out: list[Any] = []
    for item in items:
        out.extend(item if isinstance(item, list) else [item])
    return out


def _message_list(items: Sequence[Any]) -> list[Message] | None:
    flat = _flatten(items)
    if not flat or not all(isinstance(m, Mapping) and _is_message(m) for m in flat):
        return None
    return [_from_any(m) for m in flat]


def _has_role_dicts(items: Sequence[Any]) -> bool:
    return any(isinstance(m, Mapping) and _is_role_dict(m) for m in _flatten(items))


def _is_role_dict(item: Mapping[str, Any]) -> bool:
    if not isinstance(item.get("role"), str):
        return False
    return any(key in item for key in ("content", "tool_calls", "function_call", "parts"))


def _is_langchain(item: Mapping[str, Any]) -> bool:
    kind = item.get("type")
    if not isinstance(kind, str) or "content" not in item:
        return False
    return kind in _LANGCHAIN_TYPES or kind.endswith(("Message", "MessageChunk"))


def _is_serialized(item: Mapping[str, Any]) -> bool:
    ids = item.get("id")
    return (
        item.get("lc") == 1
        and isinstance(ids, list)
        and bool(ids)
        and str(ids[-1]).endswith(("Message", "MessageChunk"))
        and isinstance(item.get("kwargs"), Mapping)
    )


def _is_message(item: Mapping[str, Any]) -> bool:
    return _is_role_dict(item) or _is_langchain(item) or _is_serialized(item)


def _is_response_item(item: Any) -> bool:
    if not isinstance(item, Mapping):
        return False
    kind = item.get("type")
    if kind in _RESPONSE_ITEMS:
        return kind != "message" or "content" in item
    return kind is None and _is_role_dict(item)


def _from_any(item: Mapping[str, Any]) -> Message:
    if _is_role_dict(item):
        return _from_role_dict(item)
    if _is_serialized(item):
        kind = str(item["id"][-1]).removesuffix("Chunk").removesuffix("Message").lower()
        return _from_langchain({**item["kwargs"], "type": kind or "chat"})
    return _from_langchain(item)


def _from_role_dict(item: Mapping[str, Any], default_role: str = OTHER) -> Message:
    written = str(item.get("role") or default_role)
    # OpenTelemetry GenAI messages hold `parts` where others hold `content`
    text, part_calls, result_id = content_text(item.get("content", item.get("parts")))
    calls = [*part_calls, *_tool_calls(item.get("tool_calls"))]
    if isinstance(item.get("function_call"), Mapping):
        calls.append(tool_call(item["function_call"]))
    return _message(written, text, calls, item.get("tool_call_id") or result_id, item.get("name"))


def _from_langchain(item: Mapping[str, Any]) -> Message:
    kind = str(item.get("type", "chat"))
    written = str(item.get("role") or kind) if kind == "chat" else kind
    text, part_calls, result_id = content_text(item.get("content"))
    calls = [*part_calls, *_tool_calls(item.get("tool_calls"))]
    extra = item.get("additional_kwargs")
    if not calls and isinstance(extra, Mapping):
        calls = _tool_calls(extra.get("tool_calls"))
    return _message(written, text, calls, item.get("tool_call_id") or result_id, item.get("name"))


def _from_response_item(item: Mapping[str, Any]) -> Message:
    kind = item.get("type")
    if kind == "function_call":
        return Message(ASSISTANT, "", (tool_call(item),))
    if kind == "function_call_output":
        output = item.get("output")
        text = output if isinstance(output, str) else content_text(output)[0]
        return Message(TOOL, text, tool_call_id=_text_or_none(item.get("call_id")))
    if kind == "reasoning":
        summary = item.get("summary")
        return Message(ASSISTANT, content_text(summary)[0], name="reasoning")
    return _from_role_dict(item, default_role=ASSISTANT)


def role_kind(written: str) -> str:
    """The role family of a role as written ("human" is a user, "ai" an assistant...)."""
    return ROLE_KINDS.get(written.strip().lower(), OTHER)


def _message(written: str, text: str, calls: list[ToolCall], call_id: Any, name: Any) -> Message:
    role = role_kind(written)
    return Message(
        role=role,
        text=text,
        tool_calls=tuple(calls),
        tool_call_id=_text_or_none(call_id),
        name=_text_or_none(name),
        label=None if written.lower() in (role, "human", "ai") else written,
    )


def content_text(content: Any) -> tuple[str, list[ToolCall], str | None]:
    """Text of a message's content, tool calls found among its parts, and a tool result id."""
    if content is None:
        return "", [], None
    if isinstance(content, str):
        return content, [], None
    if not isinstance(content, list):
        return pretty_json(content)[0], [], None
    texts: list[str] = []
    calls: list[ToolCall] = []
    result_id = None
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif not isinstance(part, Mapping):
            texts.append(pretty_json(part)[0])
        elif part.get("type") == "tool_use":  # Anthropic
            calls.append(tool_call({**part, "arguments": part.get("input")}))
        elif part.get("type") == "tool_call":  # OpenTelemetry GenAI
            calls.append(tool_call(part))
        elif part.get("type") == "tool_call_response":
            result_id = _text_or_none(part.get("id")) or result_id
            texts.append(content_text(part.get("response"))[0])
        elif part.get("type") == "tool_result":
            result_id = _text_or_none(part.get("tool_use_id")) or result_id
            texts.append(content_text(part.get("content"))[0])
        else:
            texts.append(_part_text(part))
    return "\n\n".join(t for t in texts if t), calls, result_id


def _part_text(part: Mapping[str, Any]) -> str:
    kind = part.get("type")
    if kind in _TEXT_PARTS or (kind is None and isinstance(part.get("text"), str)):
        return str(part.get("text") or part.get("refusal") or part.get("content") or "")
    if kind == "image_url":
        url = part.get("image_url")
        url = url.get("url") if isinstance(url, Mapping) else url
        return f"[image: {str(url)[:200]}]"
    if kind in ("image", "input_image", "input_audio", "input_file", "file"):
        return f"[{kind}]"
    return pretty_json(part)[0]


def _tool_calls(raw: Any) -> list[ToolCall]:
    if not isinstance(raw, list):
        return []
    return [tool_call(c) for c in raw if isinstance(c, Mapping)]


def tool_call(raw: Mapping[str, Any]) -> ToolCall:
    """One tool call in OpenAI, LangChain, Responses or Anthropic shape."""
    function = raw.get("function")
    source = function if isinstance(function, Mapping) else raw
    arguments = source.get("arguments", source.get("args", raw.get("args")))
    text, is_json = pretty_json(arguments)
    call_id = raw.get("id", raw.get("call_id"))
    if raw.get("call_id") is not None:  # Responses items: `id` is the item, `call_id` the call
        call_id = raw["call_id"]
    return ToolCall(
        str(source.get("name") or "(unnamed tool)"), text, _text_or_none(call_id), is_json
    )


def pretty_json(value: Any) -> tuple[str, bool]:
    """`value` as indented JSON (a JSON string is parsed first); (text, whether it was JSON)."""
    if value is None:
        return "", False
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped.startswith(("{", "[")):
            return value, False
        try:
            value = json.loads(stripped)
        except ValueError:
            return value, False
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str), True
    except (TypeError, ValueError):
        return str(value), False


def _text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def answer_of(inputs: Sequence[Message], outputs: Sequence[Message]) -> tuple[Message, ...]:
    """What this turn answered: an agent's output often repeats the conversation so far, so
    only what follows its last user message (or what the input did not hold) counts; of that,
    the assistant's texts (its tool calls are in the trace), else the last message."""
    last_user = max((i for i, m in enumerate(outputs) if m.role == USER), default=None)
    if last_user is not None:
        new = list(outputs[last_user + 1 :])
    else:
        seen = {(m.role, m.text) for m in inputs}
        new = [m for m in outputs if (m.role, m.text) not in seen]
    texts = tuple(m for m in new if m.role == ASSISTANT and m.text)
    return texts or tuple(new[-1:])
