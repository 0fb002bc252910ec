"""LangChain messages, generations and tools in the shapes MLflow's autolog stores."""

from __future__ import annotations

import ast
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGenerationChunk, Generation, LLMResult

from core.mlflow_keys import (
    MODEL_KEY,
    PROVIDER_KEY,
)

#: LangChain's token-count names -> MLflow's (`mlflow/langchain/utils/chat.py`).
_USAGE_KEYS = {
    "prompt_tokens": "input_tokens",
    "completion_tokens": "output_tokens",
    "total_tokens": "total_tokens",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cache_read_input_tokens": "cache_read_input_tokens",
    "cache_creation_input_tokens": "cache_creation_input_tokens",
    "cached_content_token_count": "cache_read_input_tokens",
}
_AUDIO_FORMATS = {"x-wav": "wav", "mpeg": "mp3", "wav": "wav", "mp3": "mp3"}
_PARAM_TYPES = frozenset({"string", "number", "integer", "object", "array", "boolean", "null"})


class _NotChatFormat(ValueError):
    """A message MLflow's OpenAI-style `ChatMessage` cannot hold; the raw value is kept."""


# --------------------------------------------------------------------------- chat messages


def chat_message(message: BaseMessage) -> dict[str, Any]:
    """A LangChain message in OpenAI chat format, with the five keys MLflow's ChatMessage has."""
    tool_call_id: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    content: Any = message.content
    if isinstance(message, AIMessage):
        role = "assistant"
        tool_calls = _tool_calls(message) or None
        if tool_calls and isinstance(content, list):
            # Anthropic repeats tool calls as `tool_use` content blocks
            content = [
                c for c in content if not (isinstance(c, dict) and c.get("type") == "tool_use")
            ]
    elif isinstance(message, ToolMessage):
        role, tool_call_id = "tool", message.tool_call_id
    else:
        role = _role(message)
    content = _content(content)
    if tool_calls:
        content = content or None  # OpenAI's spec: null content beside tool calls
    return {
        "role": role,
        "content": content,
        "tool_calls": tool_calls,
        "refusal": None,
        "tool_call_id": tool_call_id,
    }


def _role(message: BaseMessage) -> str:
    if isinstance(message, ChatMessage):
        return message.role
    roles = ((HumanMessage, "user"), (SystemMessage, "system"), (FunctionMessage, "function"))
    for kind, role in roles:
        if isinstance(message, kind):
            return role
    raise _NotChatFormat(f"unexpected message type {type(message).__name__}")


def _tool_calls(message: AIMessage) -> list[dict[str, Any]]:
    """Tool calls as OpenAI's `{"id", "type", "function": {"name", "arguments"}}`."""
    valid = [(c["id"], c["name"], json.dumps(c["args"])) for c in message.tool_calls]
    invalid = [(c["id"], c["name"], c["args"]) for c in message.invalid_tool_calls]
    calls = [_tool_call(i, name, arguments) for i, name, arguments in valid + invalid]
    if calls:
        return calls
    raw = message.additional_kwargs.get("tool_calls") or []
    return [
        _tool_call_dict({k: v for k, v in c.items() if k in ("id", "type", "function")})
        for c in raw
    ]


def _tool_call(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    return _tool_call_dict(
        {"type": "function", "id": call_id, "function": {"name": name, "arguments": arguments}}
    )


def _tool_call_dict(call: Mapping[str, Any]) -> dict[str, Any]:
    function = call.get("function") or {}
    if not isinstance(call.get("id"), str) or not isinstance(function, Mapping):
        raise _NotChatFormat("a tool call needs a string id")
    return {
        "id": call["id"],
        "type": call.get("type", "function"),
        "function": {"name": function.get("name"), "arguments": function.get("arguments")},
    }


def _content(content: Any) -> Any:
    """Message content as MLflow validates it: a string, or a list of known content parts."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise _NotChatFormat("content must be a string or a list of parts")
    return [_content_part(part) for part in content]


def _content_part(part: Any) -> dict[str, Any]:
    match part:
        case {"type": "text", "text": str(text)}:
            return {"type": "text", "text": text}
        case {"type": "image_url", "image_url": {"url": str(url), **image}}:
            return {"type": "image_url", "image_url": {"url": url, "detail": image.get("detail")}}
        case {
            "type": "input_audio",
            "input_audio": {"data": str(data), "format": "wav" | "mp3" as fmt},
        }:
            return {"type": "input_audio", "input_audio": {"data": data, "format": fmt}}
        case {"type": "audio", "source_type": "base64", "mime_type": str(mime), "data": str(data)}:
            subtype = mime.rsplit("/", 1)[-1].split(";")[0].strip()
            if subtype in _AUDIO_FORMATS:
                audio = {"data": data, "format": _AUDIO_FORMATS[subtype]}
                return {"type": "input_audio", "input_audio": audio}
        case {"type": "reasoning"}:
            # extra keys are allowed here (MLflow's ReasoningContentPart keeps them)
            summary = [{"type": "summary_text", "text": s["text"]} for s in part.get("summary", [])]
            extra = {k: v for k, v in part.items() if k not in ("type", "summary")}
            return {"type": "reasoning", "summary": summary, **extra}
    raise _NotChatFormat(f"unsupported content part {part!r:.80}")


def chat_inputs(messages: Sequence[Sequence[BaseMessage]]) -> Any:
    """`{"messages": [...]}` for one conversation; a batch keeps LangChain's nested lists."""
    if len(messages) != 1:
        return messages
    try:
        return {"messages": [chat_message(m) for m in messages[0]]}
    except (_NotChatFormat, KeyError, TypeError):
        return messages


def chat_outputs(response: LLMResult) -> Any:
    """`{"choices": [{"message", "finish_reason"}]}`; a batch keeps the LLMResult."""
    if len(response.generations) != 1:
        return response
    try:
        choices = [_choice(g) for g in response.generations[0]]
    except (_NotChatFormat, KeyError, TypeError):
        return response
    return {"choices": choices}


def _choice(generation: Generation) -> dict[str, Any]:
    message = getattr(generation, "message", None)
    if isinstance(message, BaseMessage):
        converted = chat_message(message)
    else:
        converted = {"role": "assistant", "content": generation.text}
    return {"message": converted, "finish_reason": None}


# --------------------------------------------------------------------------- usage, tools, model


def token_usage(generations: Sequence[Generation]) -> dict[str, int] | None:
    """MLflow's token usage: the last chunk's counts when streamed, else the sum."""
    found = [u for u in (_generation_usage(g) for g in generations) if u]
    if not found:
        return None
    if any(isinstance(g, ChatGenerationChunk) for g in generations):
        return found[-1]
    total: defaultdict[str, int] = defaultdict(int)
    for usage in found:
        for key, value in usage.items():
            total[key] += value
    return dict(total)


def _generation_usage(generation: Generation) -> dict[str, int] | None:
    message = getattr(generation, "message", None)
    if message is None:
        return None
    raw = (
        getattr(message, "usage_metadata", None)
        or message.response_metadata.get("usage")
        or message.response_metadata.get("token_usage")
    )
    if not isinstance(raw, Mapping):
        return None
    usage = {_USAGE_KEYS[k]: v for k, v in raw.items() if k in _USAGE_KEYS}
    for nested, inner, key in (
        ("input_token_details", "cache_read", "cache_read_input_tokens"),
        ("input_token_details", "cache_creation", "cache_creation_input_tokens"),
        ("prompt_tokens_details", "cached_tokens", "cache_read_input_tokens"),
    ):
        details = raw.get(nested)
        if isinstance(details, Mapping) and isinstance(details.get(inner), int):
            usage.setdefault(key, details[inner])
    if usage and usage.get("total_tokens") is None:
        usage["total_tokens"] = usage.get("input_tokens", 0) + usage.get("output_tokens", 0)
    return usage or None


def chat_tools(invocation_params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`mlflow.chat.tools`: the bound tools as MLflow's ChatTool keeps them."""
    tools = []
    for raw in invocation_params.get("tools") or []:
        if not isinstance(raw, Mapping):
            continue
        try:
            tools.append(_chat_tool(raw))
        except (_NotChatFormat, TypeError, AttributeError):
            if isinstance(raw.get("name"), str):  # not OpenAI-shaped: keep name and description
                function = {"name": raw["name"], "description": raw.get("description")}
                tools.append({"type": "function", "function": function})
    return tools


def _chat_tool(raw: Mapping[str, Any]) -> dict[str, Any]:
    if raw.get("type") != "function":
        raise _NotChatFormat("tools are functions")
    tool: dict[str, Any] = {"type": "function"}
    if "function" in raw:
        function = raw["function"]
        if function is not None:
            function = _pick(function, ("name", "description", "parameters", "strict"))
            if not isinstance(function.get("name"), str):
                raise _NotChatFormat("a function needs a name")
            if function.get("parameters") is not None:
                function["parameters"] = _parameters(function["parameters"])
        tool["function"] = function
    return tool


def _parameters(raw: Mapping[str, Any]) -> dict[str, Any]:
    params = _pick(raw, ("properties", "type", "required", "additionalProperties"))
    if params.get("type", "object") != "object":
        raise _NotChatFormat("function parameters are an object")
    if "properties" in params:
        params["properties"] = {k: _property(v) for k, v in params["properties"].items()}
    return params


def _property(raw: Mapping[str, Any]) -> dict[str, Any]:
    prop = _pick(raw, ("type", "description", "enum", "items", "properties", "required"))
    kinds = prop.get("type")
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        if kind is not None and kind not in _PARAM_TYPES:
            raise _NotChatFormat(f"unknown parameter type {kind!r}")
    if prop.get("items") is not None:
        prop["items"] = _property(prop["items"])
    if prop.get("properties") is not None:
        prop["properties"] = {k: _property(v) for k, v in prop["properties"].items()}
    return prop


def _pick(raw: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """The keys a pydantic model declares, in its order (what `model_dump(exclude_unset)` keeps)."""
    return {key: raw[key] for key in keys if key in raw}


def model_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """`mlflow.llm.model` / `mlflow.llm.provider` from LangSmith metadata or invocation params."""
    params = attributes.get("invocation_params") or {}
    metadata = attributes.get("metadata") or {}
    found: dict[str, Any] = {}
    model = metadata.get("ls_model_name") or params.get("model") or params.get("model_name")
    if model:
        found[MODEL_KEY] = model
    if metadata.get("ls_provider"):
        found[PROVIDER_KEY] = metadata["ls_provider"]
    elif params.get("_type"):
        found[PROVIDER_KEY] = str(params["_type"]).removesuffix("-chat").removeprefix("chat-")
    return found


def run_name(serialized: Mapping[str, Any] | None, name: str | None, default: str) -> str:
    if name:
        return name
    serialized = serialized or {}
    return str(serialized.get("name") or (serialized.get("id") or [default])[-1])


def document_output(document: Any) -> Any:
    if isinstance(document, Document):
        return {
            "page_content": document.page_content,
            "metadata": dict(document.metadata),
            "id": document.id,
        }
    return document


def tool_input(input_str: str) -> Any:
    """Tool input: a stringified dict becomes the dict again, as MLflow parses it."""
    try:
        return ast.literal_eval(input_str)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return input_str
