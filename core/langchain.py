"""LangChain autologging: every LangChain run becomes a span, as MLflow 3.18's autolog records it.

    import core
    import core.langchain

    core.langchain.autolog()
    ChatOllama(model="llama3.2:1b").invoke("Hello how are you?")  # one CHAT_MODEL trace

Chat models become CHAT_MODEL spans (inputs and outputs in OpenAI chat format, model, provider,
token usage, tools, one `new_token` event per streamed token), chains CHAIN spans, tools TOOL
spans, retrievers RETRIEVER spans and plain LLMs LLM spans, nested by LangChain's parent runs.
A LangChain call made inside `core.start_span` / `@core.trace` nests under that span, and spans
opened while a LangChain run executes (a tool body, say) nest under the run's span.

How the handler gets in: each time LangChain sets up the callbacks of a run it asks every
registered "configure hook" for a handler (`langchain_core.tracers.context`). `autolog()`
registers one hook, once per process, that hands out our handler while autolog is on. MLflow
patches `BaseCallbackManager.__init__` instead; a hook needs no patching and, unlike a
ContextVar set in one thread, answers the same in every thread.

The span shapes copy MLflow 3.18's `MlflowLangchainTracer` and were compared span by span with
traces real MLflow recorded of the same LangChain calls.
"""

from __future__ import annotations

import ast
import contextvars
import json
import threading
import traceback
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from langchain_core.agents import AgentAction, AgentFinish
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.load.dump import dumps
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGenerationChunk, Generation, GenerationChunk, LLMResult
from langchain_core.tracers.context import register_configure_hook
from tenacity import RetryCallState

from core.tracing import export, fluent
from core.tracing.fluent import start_span_no_context, update_current_trace
from core.tracing.live_span import (
    DEBUG,
    ERROR,
    INFO,
    INFO_SPAN_TYPES,
    LOG_LEVEL_KEY,
    LiveSpan,
)
from core.tracing.span_type import SpanType

__all__ = [
    "CoreLangchainTracer",
    "autolog",
    "chat_inputs",
    "chat_message",
    "chat_outputs",
    "chat_tools",
    "model_attributes",
    "token_usage",
]

MESSAGE_FORMAT_KEY = "mlflow.message.format"
MODEL_KEY = "mlflow.llm.model"
PROVIDER_KEY = "mlflow.llm.provider"
TOKEN_USAGE_KEY = "mlflow.chat.tokenUsage"
CHAT_TOOLS_KEY = "mlflow.chat.tools"


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


def _span_name(serialized: Mapping[str, Any] | None, name: str | None, default: str) -> str:
    if name:
        return name
    serialized = serialized or {}
    return str(serialized.get("name") or (serialized.get("id") or [default])[-1])


def _document(document: Any) -> Any:
    if isinstance(document, Document):
        return {
            "page_content": document.page_content,
            "metadata": dict(document.metadata),
            "id": document.id,
        }
    return document


def _tool_input(input_str: str) -> Any:
    """Tool input: a stringified dict becomes the dict again, as MLflow parses it."""
    try:
        return ast.literal_eval(input_str)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return input_str


# --------------------------------------------------------------------------- spans of runs


def _current() -> LiveSpan | None:
    return fluent._current_span.get()


def _make_current(span: LiveSpan | None) -> None:
    """Set the span `core.start_span` / `@core.trace` nest under.

    core.tracing has no public call for this yet (MLflow's `set_span_in_context`), so this is
    the one place that touches its context variable.
    """
    fluent._current_span.set(span)


def _trace_spans(trace_id: str) -> dict[str, LiveSpan]:
    """The spans of a trace still being recorded, by id (empty once it is written)."""
    try:
        record = export.tracer().record(trace_id)
    except RuntimeError:
        return {}
    with record.lock:
        return {s.span_id: s for s in record.spans}


def _open_span(span: LiveSpan | None) -> LiveSpan | None:
    """`span`, or its nearest ancestor that has not ended: a stale context never parents."""
    index: dict[str, LiveSpan] | None = None
    while span is not None and span.end_time_ns is not None:
        index = index if index is not None else _trace_spans(span.trace_id)
        span = index.get(span.parent_id or "")
    return span


def _descends_from(span: LiveSpan, ancestor: LiveSpan) -> bool:
    index = _trace_spans(span.trace_id)
    parent = index.get(span.parent_id or "")
    while parent is not None:
        if parent.span_id == ancestor.span_id:
            return True
        parent = index.get(parent.parent_id or "")
    return False


def _exception_event(span: LiveSpan, error: BaseException) -> None:
    """MLflow's `SpanEvent.from_exception`, status message and ERROR log level."""
    stack = "".join(traceback.format_exception(type(error), error, error.__traceback__)).strip()
    span.add_event(
        "exception",
        {
            "exception.message": str(error),
            "exception.type": type(error).__name__,
            "exception.stacktrace": stack,
        },
    )
    span.set_attribute(LOG_LEVEL_KEY, ERROR)
    span.set_status("ERROR", str(error))


@dataclass
class _Run:
    """A LangChain run being traced: its span and the span that was current before it."""

    span: LiveSpan
    previous: LiveSpan | None


@dataclass(frozen=True)
class _Start:
    """What a `*_start` callback says about its run, split into span name and attributes."""

    run_id: UUID
    parent_run_id: UUID | None
    name: str
    attributes: dict[str, Any]

    @classmethod
    def of(
        cls, serialized: Mapping[str, Any] | None, default: str, kwargs: dict[str, Any]
    ) -> _Start:
        """Name and attributes as MLflow keeps them: the callback's extra keyword arguments.

        MLflow names `tags`, `run_type` (and a tool's `inputs`) as parameters, so they are not
        recorded; `metadata` comes last.
        """
        extra = {k: v for k, v in kwargs.items() if k not in _NOT_ATTRIBUTES}
        metadata = kwargs.get("metadata")
        if metadata:
            extra["metadata"] = metadata
        params = extra.get("invocation_params")
        if isinstance(params, Mapping) and isinstance(params.get("response_format"), type):
            schema = getattr(params["response_format"], "model_json_schema", None)
            if callable(schema):  # a pydantic class: store its JSON schema, not its repr
                extra["invocation_params"] = {**params, "response_format": schema()}
        name = _span_name(serialized, kwargs.get("name"), default)
        return cls(kwargs["run_id"], kwargs.get("parent_run_id"), name, extra)


_NOT_ATTRIBUTES = frozenset(
    {"run_id", "parent_run_id", "tags", "metadata", "run_type", "name", "inputs"}
)


class CoreLangchainTracer(BaseCallbackHandler):
    """LangChain callbacks that record spans with `core`, shaped as MLflow 3.18's autolog.

    One instance serves every run in the process: per-run state is keyed by LangChain's run id.
    Callbacks take LangChain's keyword arguments as `**kwargs`; `_Start.of` sorts them out.
    """

    # Callbacks run in the caller's task, not a worker thread, so the span made current on
    # start is what the run's own code (tools, lambdas, `@core.trace`) sees in async chains too.
    run_inline = True

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._runs: dict[str, _Run] = {}
        self._by_span: dict[str, _Run] = {}

    # -- run bookkeeping ---------------------------------------------------------------------

    def _start(self, start: _Start, span_type: str, inputs: Any) -> LiveSpan:
        parent = self._parent_for(start.parent_run_id)
        span = start_span_no_context(start.name, span_type, parent_span=parent, inputs=inputs)
        span.set_attributes(start.attributes)  # after the inputs: MLflow's attribute order
        run = _Run(span, _current())
        _make_current(span)  # so code the run executes nests under it (MLflow attaches it too)
        with self._lock:
            self._runs[str(start.run_id)] = run
            self._by_span[span.span_id] = run
        return span

    def _span(self, run_id: UUID) -> LiveSpan | None:
        with self._lock:
            run = self._runs.get(str(run_id))
        return run.span if run else None

    def _end(self, run_id: UUID, outputs: Any = None, error: BaseException | None = None) -> None:
        with self._lock:
            run = self._runs.pop(str(run_id), None)
            if run is not None:
                self._by_span.pop(run.span.span_id, None)
        if run is None:
            return
        span = run.span
        if outputs is not None:
            span.set_outputs(outputs)
        if error is not None:
            _exception_event(span, error)
        if LOG_LEVEL_KEY not in span.attributes:
            span.set_attribute(LOG_LEVEL_KEY, INFO if span.span_type in INFO_SPAN_TYPES else DEBUG)
        span.end()
        # Restore what was current, unless a later run took over (batches start runs in a row)
        if _current() is span:
            _make_current(_open_span(run.previous))

    def _parent_for(self, parent_run_id: UUID | None) -> LiveSpan | None:
        """MLflow's rule: LangChain's parent run, unless the current span sits below it."""
        langchain_parent = self._span(parent_run_id) if parent_run_id else None
        current = _open_span(_current())
        if current is None:
            return langchain_parent
        if self._is_run_span(current):
            # LangChain knows its own runs: a sibling left current (batch) is not a parent
            return langchain_parent or self._outside_langchain(current)
        if langchain_parent is None or langchain_parent is current:
            return current
        return current if _descends_from(current, langchain_parent) else langchain_parent

    def _is_run_span(self, span: LiveSpan) -> bool:
        with self._lock:
            return span.span_id in self._by_span

    def _outside_langchain(self, span: LiveSpan) -> LiveSpan | None:
        index = _trace_spans(span.trace_id)
        found: LiveSpan | None = span
        while found is not None and self._is_run_span(found):
            found = index.get(found.parent_id or "")
        return found

    def _event(self, run_id: UUID, name: str, attributes: Mapping[str, Any]) -> None:
        span = self._span(run_id)
        if span is not None:
            span.add_event(name, attributes)

    # -- chat models and LLMs ----------------------------------------------------------------

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        start = _Start.of(serialized, "chat model", kwargs)
        self._model_start(start, SpanType.CHAT_MODEL, chat_inputs(messages))

    def on_llm_start(self, serialized: dict[str, Any], prompts: list[str], **kwargs: Any) -> None:
        self._model_start(_Start.of(serialized, "llm", kwargs), SpanType.LLM, prompts)

    def _model_start(self, start: _Start, span_type: str, inputs: Any) -> None:
        start.attributes[MESSAGE_FORMAT_KEY] = "langchain"
        span = self._start(start, span_type, inputs)
        params = start.attributes.get("invocation_params")
        tools = chat_tools(params) if isinstance(params, Mapping) else []
        if tools:
            span.set_attribute(CHAT_TOOLS_KEY, tools)
        span.set_attributes(model_attributes(start.attributes))

    def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: GenerationChunk | ChatGenerationChunk | None = None,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        attributes: dict[str, Any] = {"token": token}
        if chunk is not None:
            attributes["chunk"] = dumps(chunk)
        self._event(run_id, "new_token", attributes)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        span = self._span(run_id)
        if span is None:
            return
        usage = token_usage([g for generations in response.generations for g in generations])
        if usage:
            span.set_attribute(TOKEN_USAGE_KEY, usage)
        self._end(run_id, outputs=chat_outputs(response))

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    # -- chains ------------------------------------------------------------------------------

    def on_chain_start(
        self, serialized: dict[str, Any], inputs: dict[str, Any], **kwargs: Any
    ) -> None:
        self._start(_Start.of(serialized, "chain", kwargs), SpanType.CHAIN, inputs)
        thread_id = (kwargs.get("metadata") or {}).get("thread_id")
        if thread_id:  # LangGraph's conversation thread is MLflow's trace session
            update_current_trace(session_id=str(thread_id))

    def on_chain_end(self, outputs: dict[str, Any], *, run_id: UUID, **kwargs: Any) -> None:
        self._reset_inputs(run_id, kwargs.get("inputs"))
        self._end(run_id, outputs=outputs)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._reset_inputs(run_id, kwargs.get("inputs"))
        self._end(run_id, error=error)

    def _reset_inputs(self, run_id: UUID, inputs: Any) -> None:
        """A streamed chain only knows its whole input at the end; LangChain passes it then."""
        span = self._span(run_id)
        if span is not None and inputs:
            span.set_inputs(inputs)

    def on_agent_action(self, action: AgentAction, *, run_id: UUID, **kwargs: Any) -> None:
        attributes = {
            "tool": action.tool,
            "tool_input": dumps(action.tool_input),
            "log": action.log,
        }
        self._event(run_id, "agent_action", attributes)

    def on_agent_finish(self, finish: AgentFinish, *, run_id: UUID, **kwargs: Any) -> None:
        attributes = {"return_values": dumps(finish.return_values), "log": finish.log}
        self._event(run_id, "agent_finish", attributes)

    # -- tools and retrievers ----------------------------------------------------------------

    def on_tool_start(self, serialized: dict[str, Any], input_str: str, **kwargs: Any) -> None:
        # The input string, not `inputs`, as MLflow: LangChain sometimes passes None there
        self._start(_Start.of(serialized, "tool", kwargs), SpanType.TOOL, _tool_input(input_str))

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, outputs=output)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    def on_retriever_start(self, serialized: dict[str, Any], query: str, **kwargs: Any) -> None:
        self._start(_Start.of(serialized, "retriever", kwargs), SpanType.RETRIEVER, query)

    def on_retriever_end(
        self, documents: Sequence[Document], *, run_id: UUID, **kwargs: Any
    ) -> None:
        self._end(run_id, outputs=[_document(d) for d in documents])

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    # -- events ------------------------------------------------------------------------------

    def on_text(self, text: str, *, run_id: UUID, **kwargs: Any) -> None:
        self._event(run_id, "text", {"text": text})

    def on_retry(self, retry_state: RetryCallState, *, run_id: UUID, **kwargs: Any) -> None:
        self._event(run_id, "retry", _retry_attributes(retry_state))


def _retry_attributes(state: RetryCallState) -> dict[str, Any]:
    attributes: dict[str, Any] = {"slept": state.idle_for, "attempt": state.attempt_number}
    outcome = state.outcome
    if outcome is None:
        attributes["outcome"] = "N/A"
    elif outcome.failed:
        error = outcome.exception()
        attributes.update(
            outcome="failed", exception=str(error), exception_type=type(error).__name__
        )
    else:
        attributes.update(outcome="success", result=str(outcome.result()))
    return attributes


# --------------------------------------------------------------------------- autolog


class _HandlerSwitch:
    """What LangChain's configure hook reads: our handler while autolog is on, else None.

    LangChain only calls `.get()` on the registered "context variable"; a plain object answers
    the same in every thread, where a real ContextVar set here would be unset in new threads.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.registered = False
        self.handler: CoreLangchainTracer | None = None

    def get(self, default: Any = None) -> CoreLangchainTracer | None:
        return self.handler


_switch = _HandlerSwitch()


def autolog(disable: bool = False) -> None:
    """Trace every LangChain run from now on (idempotent); `disable=True` stops it."""
    with _switch.lock:
        if not _switch.registered:
            hook = cast("contextvars.ContextVar[Any | None]", _switch)
            # handle_class: a run that already carries one of our handlers gets no second one
            register_configure_hook(hook, inheritable=True, handle_class=CoreLangchainTracer)
            _switch.registered = True
        if disable:
            _switch.handler = None
        elif _switch.handler is None:
            _switch.handler = CoreLangchainTracer()
