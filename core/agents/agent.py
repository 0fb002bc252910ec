"""`ResponsesAgent`: MLflow's agent base class, traced by `core` as MLflow traces it.

A subclass's `predict` becomes an AGENT span named `predict` whose inputs are
`{"request": <request dict>}` and whose outputs are the response dict (SCHEMA.md §5), exactly as
MLflow 3.18 stores them. `predict_stream` becomes an AGENT span whose outputs are the response
the stream's `response.output_item.done` items make, with one `mlflow.chunk.item.<n>` event per
streamed event, as MLflow records it. When the agent runs as a loaded model (`core.load_model`),
its trace gets the metadata `mlflow.modelId`.

A "models from code" file ends with `core.set_model(agent)` (MLflow's `set_model`).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from core.agents import responses
from core.agents.responses import (
    ResponsesAgentRequest,
    ResponsesAgentResponse,
    ResponsesAgentStreamEvent,
)
from core.mlflow_keys import CHUNK_EVENT, CHUNK_VALUE_KEY, FUNCTION_NAME_KEY, MODEL_ID_METADATA
from core.tracing import SpanType, start_span, update_current_trace
from core.tracing.live_span import LiveSpan

_TRACED = "__tracedesk_traced__"

#: The logged model a prediction runs for (set while a loaded model predicts).
_model_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tracedesk_agent_model_id", default=None
)
#: Where the ids of the traces a prediction makes are collected (set by loaded models).
_trace_ids: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "tracedesk_agent_trace_ids", default=None
)


@contextlib.contextmanager
def prediction_context(model_id: str | None, trace_ids: list[str]) -> Iterator[None]:
    """While inside, agent traces carry `mlflow.modelId` and their ids go to `trace_ids`."""
    model_token = _model_id.set(model_id)
    ids_token = _trace_ids.set(trace_ids)
    try:
        yield
    finally:
        _model_id.reset(model_token)
        _trace_ids.reset(ids_token)


def _note_trace(span: LiveSpan) -> None:
    model_id = _model_id.get()
    if model_id:
        update_current_trace(metadata={MODEL_ID_METADATA: model_id})
    collected = _trace_ids.get()
    if collected is not None and span.trace_id not in collected:
        collected.append(span.trace_id)


def _as_request(request: Any) -> ResponsesAgentRequest:
    if isinstance(request, ResponsesAgentRequest):
        return request
    if isinstance(request, Mapping):
        return ResponsesAgentRequest.from_dict(request)
    raise TypeError(
        "A ResponsesAgent takes a ResponsesAgentRequest or a dict with its fields, "
        f"not {type(request).__name__}."
    )


def _traced_outputs(response: Any) -> Any:
    if isinstance(response, ResponsesAgentResponse):
        return response.to_dict()
    return response


def _open_span(function: Callable[..., Any]) -> contextlib.AbstractContextManager[LiveSpan]:
    """The AGENT span of one call, named after the method as MLflow names it."""
    name = function.__name__
    return start_span(name, SpanType.AGENT, {FUNCTION_NAME_KEY: name})


def _trace_predict(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def predict(self: ResponsesAgent, request: Any) -> Any:
        request = _as_request(request)
        with _open_span(function) as span:
            span.set_inputs({"request": request.to_dict()})
            _note_trace(span)
            response = function(self, request)
            span.set_outputs(_traced_outputs(response))
            return response

    setattr(predict, _TRACED, True)
    return predict


def _chunk_text(event: Any) -> str:
    plain = event.to_dict() if isinstance(event, ResponsesAgentStreamEvent) else event
    return json.dumps(plain, default=str, ensure_ascii=False)


def _trace_predict_stream(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def predict_stream(self: ResponsesAgent, request: Any) -> Iterator[Any]:
        request = _as_request(request)
        with _open_span(function) as span:
            span.set_inputs({"request": request.to_dict()})
            _note_trace(span)
            events: list[Any] = []
            for index, event in enumerate(function(self, request)):
                events.append(event)
                span.add_event(
                    CHUNK_EVENT.format(index=index), {CHUNK_VALUE_KEY: _chunk_text(event)}
                )
                yield event
            span.set_outputs(responses.responses_agent_output_reducer(events))

    setattr(predict_stream, _TRACED, True)
    return predict_stream


class ResponsesAgent(ABC):
    """Base class of agents that answer Responses API requests (MLflow's `ResponsesAgent`).

    Override `predict` (and optionally `predict_stream`); both accept a `ResponsesAgentRequest`
    or a dict, and every call is traced.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, wrap in (("predict", _trace_predict), ("predict_stream", _trace_predict_stream)):
            method = cls.__dict__.get(name)
            if callable(method) and not getattr(method, _TRACED, False):
                setattr(cls, name, wrap(method))

    @abstractmethod
    def predict(self, request: ResponsesAgentRequest) -> ResponsesAgentResponse | Mapping[str, Any]:
        """Answer `request`."""

    def predict_stream(
        self, request: ResponsesAgentRequest
    ) -> Iterator[ResponsesAgentStreamEvent | Mapping[str, Any]]:
        """Answer `request` as a stream of events (`response.output_item.done`, deltas)."""
        raise NotImplementedError(
            "This agent does not stream: override predict_stream to yield "
            "response.output_item.done and response.output_text.delta events."
        )

    create_text_output_item = staticmethod(responses.create_text_output_item)
    create_text_delta = staticmethod(responses.create_text_delta)
    create_annotation_added = staticmethod(responses.create_annotation_added)
    create_reasoning_item = staticmethod(responses.create_reasoning_item)
    create_function_call_item = staticmethod(responses.create_function_call_item)
    create_function_call_output_item = staticmethod(responses.create_function_call_output_item)
    responses_agent_output_reducer = staticmethod(responses.responses_agent_output_reducer)


class _ModelSlot:
    """The model the code file being loaded named with `set_model` (one load at a time)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.model: Any = None


MODEL_SLOT = _ModelSlot()


def set_model(model: Any) -> None:
    """Name the model a "models from code" file defines (call it at the end of the file)."""
    if not callable(getattr(model, "predict", None)):
        raise TypeError(
            "set_model() takes the agent object (with a predict method), "
            f"not {type(model).__name__}."
        )
    MODEL_SLOT.model = model
