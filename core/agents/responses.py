"""The Responses API types of MLflow's ResponsesAgent, as dataclasses, and their helpers.

`ResponsesAgentRequest` / `ResponsesAgentResponse` hold what `mlflow.types.responses` holds, and
`to_dict()` gives exactly what MLflow 3.18's pydantic `model_dump()` gives (same keys, same
order, `None` for unset fields), so a traced `predict` stores the spans MLflow stores (SCHEMA.md
§5). `to_dict(exclude_none=True)` is what a loaded MLflow model's `predict` returns.

Items (`input` messages, `output` messages, function calls, stream events) are `Item`s: dicts
whose keys also read as attributes, so code written for MLflow (`request.input[-1].content`)
runs unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Self

INPUT_ROLES = frozenset({"user", "assistant", "system", "developer"})
STATUSES = frozenset({None, "in_progress", "completed", "incomplete"})
#: Output item types MLflow accepts without checking their fields.
UNCHECKED_ITEM_TYPES = frozenset({"file_search_call", "computer_call", "web_search_call"})
OUTPUT_ITEM_DONE = "response.output_item.done"
OUTPUT_TEXT_DELTA = "response.output_text.delta"
ANNOTATION_ADDED = "response.output_text.annotation.added"


class Item(dict[str, Any]):
    """One Responses item: a dict whose keys also read as attributes (`item.content`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def to_dict(self, exclude_none: bool = False) -> dict[str, Any]:
        """A plain dict; `exclude_none` drops top-level `None` values (as pydantic does)."""
        return {k: v for k, v in self.items() if not (exclude_none and v is None)}

    def model_dump(self, exclude_none: bool = False) -> dict[str, Any]:
        """MLflow's (pydantic's) name for `to_dict`."""
        return self.to_dict(exclude_none)


# -- items ------------------------------------------------------------------------------------


def _need(
    value: Mapping[str, Any], kind: str, *keys: str, types: type | tuple[type, ...] = str
) -> None:
    for key in keys:
        if not isinstance(value.get(key), types):
            raise ValueError(f"Invalid {kind} item: {key!r} is missing or not a {_name(types)}.")


def _name(types: type | tuple[type, ...]) -> str:
    return " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))


def _check_status(value: Mapping[str, Any], kind: str) -> None:
    if value.get("status") not in STATUSES:
        raise ValueError(
            f"Invalid {kind} item: status {value.get('status')!r} is not "
            "'in_progress', 'completed' or 'incomplete'."
        )


def _check_message(value: Mapping[str, Any]) -> None:
    _need(value, "message", "id")
    _check_status(value, "message")
    if value.get("role", "assistant") != "assistant":
        raise ValueError(f"Invalid message item: role {value.get('role')!r} must be 'assistant'.")
    content = value.get("content")
    if not isinstance(content, list) or not content:
        raise ValueError("Invalid message item: 'content' must be a non-empty list of parts.")
    for part in content:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "output_text":
            _need(part, "output_text", "text")
        elif kind == "refusal":
            _need(part, "refusal", "refusal")
        else:
            raise ValueError(f"Invalid message content part {part!r}: use output_text or refusal.")


def _check_function_call(value: Mapping[str, Any]) -> None:
    _need(value, "function_call", "arguments", "call_id", "name")
    _check_status(value, "function_call")


def _check_function_call_output(value: Mapping[str, Any]) -> None:
    _need(value, "function_call_output", "call_id")
    _need(value, "function_call_output", "output", types=(str, list))
    _check_status(value, "function_call_output")


def _check_reasoning(value: Mapping[str, Any]) -> None:
    _need(value, "reasoning", "id")
    _need(value, "reasoning", "summary", types=list)


def _check_approval_request(value: Mapping[str, Any]) -> None:
    _need(value, "mcp_approval_request", "id", "arguments", "name", "server_label")


def _check_approval_response(value: Mapping[str, Any]) -> None:
    _need(value, "mcp_approval_response", "approval_request_id")
    _need(value, "mcp_approval_response", "approve", types=bool)


_ITEM_CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "message": _check_message,
    "function_call": _check_function_call,
    "function_call_output": _check_function_call_output,
    "reasoning": _check_reasoning,
    "mcp_approval_request": _check_approval_request,
    "mcp_approval_response": _check_approval_response,
}


def output_item(value: Mapping[str, Any]) -> Item:
    """Check an output item (MLflow's `OutputItem`); its `type` comes first, the rest as given."""
    if not isinstance(value, Mapping):
        raise ValueError(f"An item must be a dict, not {type(value).__name__}.")
    kind = value.get("type")
    if not isinstance(kind, str):
        raise ValueError(f"Item {dict(value)!r} has no 'type'.")
    check = _ITEM_CHECKS.get(kind)
    if check is not None:
        check(value)
    elif kind not in UNCHECKED_ITEM_TYPES:
        raise ValueError(f"Invalid item type {kind!r}.")
    return Item({"type": kind, **{k: v for k, v in value.items() if k != "type"}})


def _input_content(content: Any) -> Any:
    """Message content as MLflow keeps it, or None when it is not valid input content."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return None
    parts: list[Any] = []
    for part in content:
        if not isinstance(part, Mapping):
            return None
        if isinstance(part.get("text"), str) and isinstance(part.get("type", ""), str):
            parts.append({"text": part["text"], "type": part.get("type", "input_text")})
        elif part.get("type") in ("input_image", "input_file"):
            parts.append(part)
        else:
            return None
    return parts


def input_item(value: Mapping[str, Any]) -> Item:
    """An `input` entry: a message (role + content) when it is one, else an output item.

    Messages keep MLflow's `Message` fields only: status, content, role, type.
    """
    if not isinstance(value, Mapping):
        raise ValueError(f"An input item must be a dict, not {type(value).__name__}.")
    content = _input_content(value.get("content"))
    kind = value.get("type", "message")
    if (
        value.get("role") in INPUT_ROLES
        and content is not None
        and isinstance(kind, str)
        and value.get("status") in STATUSES
    ):
        return Item(status=value.get("status"), content=content, role=value["role"], type=kind)
    if "type" not in value:
        raise ValueError(
            f"Invalid input item {dict(value)!r}: a message needs a role "
            f"({', '.join(sorted(INPUT_ROLES))}) and a text content."
        )
    return output_item(value)


# -- request and response ---------------------------------------------------------------------


def _plain(value: Any, exclude_none: bool) -> Any:
    if isinstance(value, Item):
        return value.to_dict(exclude_none)
    if isinstance(value, ChatContext):
        return value.to_dict(exclude_none)
    if isinstance(value, list):
        return [_plain(v, exclude_none) for v in value]
    return value


def _dump(obj: Any, exclude_none: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if not (exclude_none and value is None):
            out[f.name] = _plain(value, exclude_none)
    return out


def _known(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of `data` that are fields of `cls` (MLflow ignores the others)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _require_mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"A {what} must be a dict, not {type(data).__name__}.")
    return data


@dataclass(kw_only=True)
class ChatContext:
    """Who is talking: `conversation_id` and `user_id` (MLflow's `ChatContext`)."""

    conversation_id: str | None = None
    user_id: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        return cls(**_known(cls, _require_mapping(data, "context")))

    def to_dict(self, exclude_none: bool = False) -> dict[str, Any]:
        return _dump(self, exclude_none)

    def model_dump(self, exclude_none: bool = False) -> dict[str, Any]:
        return self.to_dict(exclude_none)


def _reasoning(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {"effort": value.get("effort"), "generate_summary": value.get("generate_summary")}
    return value


def _tools(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [
        {"type": t["type"], **{k: v for k, v in t.items() if k != "type"}}
        if isinstance(t, Mapping) and "type" in t
        else t
        for t in value
    ]


@dataclass(kw_only=True)
class ResponsesAgentRequest:
    """A request to a ResponsesAgent; fields in the order MLflow 3.18 dumps them."""

    tool_choice: Any = None
    truncation: str | None = None
    max_output_tokens: int | None = None
    metadata: dict[str, str] | None = None
    parallel_tool_calls: bool | None = None
    tools: list[dict[str, Any]] | None = None
    reasoning: dict[str, Any] | None = None
    store: bool | None = None
    stream: bool | None = None
    temperature: float | None = None
    text: Any = None
    top_p: float | None = None
    user: str | None = None
    background: bool | None = None
    input: list[Item]
    custom_inputs: dict[str, Any] | None = None
    context: ChatContext | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.input, list):
            raise ValueError("A request's 'input' must be a list of items.")
        self.input = [input_item(i) for i in self.input]
        if isinstance(self.context, Mapping):
            self.context = ChatContext.from_dict(self.context)
        self.reasoning = _reasoning(self.reasoning)
        self.tools = _tools(self.tools)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from a request dict; unknown keys are ignored, as MLflow ignores them."""
        values = _known(cls, _require_mapping(data, "request"))
        if "input" not in values:
            raise ValueError("A request needs an 'input' list.")
        return cls(**values)

    def to_dict(self, exclude_none: bool = False) -> dict[str, Any]:
        return _dump(self, exclude_none)

    def model_dump(self, exclude_none: bool = False) -> dict[str, Any]:
        return self.to_dict(exclude_none)


@dataclass(kw_only=True)
class ResponsesAgentResponse:
    """A ResponsesAgent's answer; fields in the order MLflow 3.18 dumps them."""

    tool_choice: Any = None
    truncation: str | None = None
    id: str | None = None
    created_at: float | None = None
    error: dict[str, Any] | None = None
    incomplete_details: dict[str, Any] | None = None
    instructions: str | None = None
    metadata: dict[str, str] | None = None
    model: str | None = None
    object: str = "response"
    output: list[Item]
    parallel_tool_calls: bool | None = None
    temperature: float | None = None
    tools: list[dict[str, Any]] | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    previous_response_id: str | None = None
    reasoning: dict[str, Any] | None = None
    status: str | None = None
    text: Any = None
    usage: dict[str, Any] | None = None
    user: str | None = None
    custom_outputs: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.output, list):
            raise ValueError("A response's 'output' must be a list of items.")
        self.output = [output_item(i) for i in self.output]
        self.reasoning = _reasoning(self.reasoning)
        self.tools = _tools(self.tools)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        values = _known(cls, _require_mapping(data, "response"))
        if "output" not in values:
            raise ValueError("A response needs an 'output' list.")
        return cls(**values)

    def to_dict(self, exclude_none: bool = False) -> dict[str, Any]:
        return _dump(self, exclude_none)

    def model_dump(self, exclude_none: bool = False) -> dict[str, Any]:
        return self.to_dict(exclude_none)

    @property
    def output_text(self) -> str:
        """The text of every `output_text` part of the output messages, joined."""
        return "".join(
            part.get("text", "")
            for item in self.output
            if item.get("type") == "message"
            for part in item.get("content", [])
            if isinstance(part, Mapping) and part.get("type") == "output_text"
        )


# -- stream events ----------------------------------------------------------------------------


def _check_event(kind: str, values: Mapping[str, Any]) -> None:
    if kind == OUTPUT_ITEM_DONE and not isinstance(values.get("item"), Mapping):
        raise ValueError(f"A {kind} event needs an 'item'.")
    if kind == OUTPUT_TEXT_DELTA:
        _need(values, kind, "delta", "item_id")
    if kind == ANNOTATION_ADDED:
        _need(values, kind, "item_id")
        _need(values, kind, "annotation_index", types=int)
    if kind == "error":
        _need(values, kind, "message")


class ResponsesAgentStreamEvent(Item):
    """One event of `predict_stream`: its `type`, `custom_outputs`, then the event's fields."""

    def __init__(self, type: str, custom_outputs: dict[str, Any] | None = None, **values: Any):
        if not isinstance(type, str):
            raise ValueError("A stream event needs a 'type'.")
        _check_event(type, values)
        if type == OUTPUT_ITEM_DONE:
            values["item"] = output_item(values["item"])
        super().__init__(type=type, custom_outputs=custom_outputs, **values)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResponsesAgentStreamEvent:
        values = dict(_require_mapping(data, "stream event"))
        kind = values.pop("type", None)
        if not isinstance(kind, str):
            raise ValueError("A stream event needs a 'type'.")
        return cls(kind, **values)

    def to_dict(self, exclude_none: bool = False) -> dict[str, Any]:
        return {k: _plain(v, exclude_none) for k, v in super().to_dict(exclude_none).items()}


def responses_agent_output_reducer(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The response a stream amounts to: its `output_item.done` items (what MLflow traces)."""
    items = [e["item"] for e in events if e.get("type") == OUTPUT_ITEM_DONE]
    return ResponsesAgentResponse(output=items).to_dict(exclude_none=True)


# -- helpers (MLflow's, same dicts) -----------------------------------------------------------


def create_text_output_item(
    text: str, id: str, annotations: Sequence[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """An assistant message item with one `output_text` part."""
    part = {"text": text, "type": "output_text", "annotations": list(annotations or [])}
    return {"id": id, "content": [part], "role": "assistant", "type": "message"}


def create_text_delta(delta: str, item_id: str) -> dict[str, Any]:
    """A streaming text delta of message `item_id`."""
    return {"type": OUTPUT_TEXT_DELTA, "item_id": item_id, "delta": delta}


def create_annotation_added(
    item_id: str, annotation: dict[str, Any], annotation_index: int | None = 0
) -> dict[str, Any]:
    """A streaming event that adds an annotation to message `item_id`."""
    return {
        "type": ANNOTATION_ADDED,
        "item_id": item_id,
        "annotation_index": annotation_index,
        "annotation": annotation,
    }


def create_reasoning_item(id: str, reasoning_text: str) -> dict[str, Any]:
    """A reasoning item with one summary text."""
    return {
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": reasoning_text}],
        "id": id,
    }


def create_function_call_item(id: str, call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """A tool call: function `name` with JSON `arguments`, answered by a `call_id` output."""
    return {
        "type": "function_call",
        "id": id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }


def create_function_call_output_item(call_id: str, output: str) -> dict[str, Any]:
    """The result of tool call `call_id`."""
    return {"type": "function_call_output", "call_id": call_id, "output": output}
