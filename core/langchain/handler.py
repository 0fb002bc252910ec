"""`CoreLangchainTracer`: LangChain's callbacks turned into core spans."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from langchain_core.agents import AgentAction, AgentFinish
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.load.dump import dumps
from langchain_core.messages import (
    BaseMessage,
)
from langchain_core.outputs import ChatGenerationChunk, GenerationChunk, LLMResult
from tenacity import RetryCallState

from core.entities.span_type import SpanType
from core.langchain.messages import (
    chat_inputs,
    chat_outputs,
    chat_tools,
    document_output,
    model_attributes,
    run_name,
    token_usage,
    tool_input,
)
from core.mlflow_keys import CHAT_TOOLS_KEY, LOG_LEVEL_KEY, MESSAGE_FORMAT_KEY, TOKEN_USAGE_KEY
from core.tracing import spans
from core.tracing.active import registry
from core.tracing.fluent import default_sink
from core.tracing.live_span import DEBUG, ERROR, INFO, INFO_SPAN_TYPES, LiveSpan
from core.tracing.record import TraceSink
from core.tracing.spans import get_current_active_span, set_current_span, update_current_trace

# --------------------------------------------------------------------------- spans of runs


_current = get_current_active_span
#: Set the span `core.start_span` / `@core.trace` nest under (MLflow's `set_span_in_context`).
_make_current = set_current_span


def _trace_spans(trace_id: str) -> dict[str, LiveSpan]:
    """The spans of a trace still being recorded, by id (empty once it is written)."""
    try:
        record = registry.record(trace_id)
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
        name = run_name(serialized, kwargs.get("name"), default)
        return cls(kwargs["run_id"], kwargs.get("parent_run_id"), name, extra)


_NOT_ATTRIBUTES = frozenset(
    {"run_id", "parent_run_id", "tags", "metadata", "run_type", "name", "inputs"}
)


class CoreLangchainTracer(BaseCallbackHandler):
    """LangChain callbacks that record spans with `core`, shaped as MLflow 3.18's autolog.

    One instance serves every run in the process: per-run state is keyed by LangChain's run id.
    Callbacks take LangChain's keyword arguments as `**kwargs`; `_Start.of` sorts them out.
    A run outside any span starts a trace in `client`, else in the default client.
    """

    # Callbacks run in the caller's task, not a worker thread, so the span made current on
    # start is what the run's own code (tools, lambdas, `@core.trace`) sees in async chains too.
    run_inline = True

    def __init__(self, client: TraceSink | None = None) -> None:
        super().__init__()
        self._client = client
        self._lock = threading.Lock()
        self._runs: dict[str, _Run] = {}
        self._by_span: dict[str, _Run] = {}

    # -- run bookkeeping ---------------------------------------------------------------------

    def _start(self, start: _Start, span_type: str, inputs: Any) -> LiveSpan:
        parent = self._parent_for(start.parent_run_id)
        sink = self._client or default_sink()
        span = spans.begin_span(start.name, span_type, None, sink=sink, parent=parent)
        span.set_inputs(inputs)
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
        self._start(_Start.of(serialized, "tool", kwargs), SpanType.TOOL, tool_input(input_str))

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, outputs=output)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    def on_retriever_start(self, serialized: dict[str, Any], query: str, **kwargs: Any) -> None:
        self._start(_Start.of(serialized, "retriever", kwargs), SpanType.RETRIEVER, query)

    def on_retriever_end(
        self, documents: Sequence[Document], *, run_id: UUID, **kwargs: Any
    ) -> None:
        self._end(run_id, outputs=[document_output(d) for d in documents])

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
