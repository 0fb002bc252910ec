"""One traced prediction per row, linked to its evaluation run.

MLflow traces `predict_fn` unless it already produces a trace itself (a `@trace`d function,
or a LangChain call under autologging), and tags the trace it made with `mlflow.eval.requestId`
and the run (`mlflow.sourceRun`). Here the call always runs inside a span named after the
function. When that span ends up with exactly one child (the function's own root: its
`@core.trace` span, or the `ChatOllama` span autologging made), the wrapper is dropped and that
child becomes the trace's root, so the stored trace is what the function produced, as MLflow
stores it. Otherwise the wrapper is the root, with the call's inputs and result.

`_adopt_only_child` edits the trace record while it is still being recorded (before its root
ends): nothing has been written yet.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.entities.span_type import SpanType
from core.mlflow_keys import EVAL_REQUEST_TAG, FUNCTION_NAME_KEY, SOURCE_RUN_METADATA
from core.tracing.live_span import LiveSpan
from core.tracing.record import TraceRecord, TraceSink
from core.tracing.spans import start_span, trace_record

#: Name and type MLflow gives the trace it makes for rows with outputs but no trace.
MINIMAL_TRACE_NAME = "root_span"


@dataclass(frozen=True)
class TraceLink:
    """What ties a new trace to its evaluation run, and where traces start (the client)."""

    run_id: str
    experiment_id: str
    sink: TraceSink
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Prediction:
    """A row's prediction: the function's result (or its failure) and the trace recorded."""

    outputs: Any
    record: TraceRecord
    error: str | None = None


def predict(function: Callable[..., Any], inputs: Mapping[str, Any], link: TraceLink) -> Prediction:
    """Call `function(**inputs)` in a trace of the run; an exception is recorded, not raised."""
    name = getattr(function, "__name__", type(function).__name__)
    outputs: Any = None
    error: str | None = None
    with start_span(name, attributes={FUNCTION_NAME_KEY: name}, sink=link.sink) as span:
        record = claim(span, link)
        span.set_inputs(call_inputs(function, inputs))
        try:
            outputs = _call(function, inputs)
        except Exception as failure:
            span.record_exception(failure)
            error = f"Failed to invoke the predict_fn with {dict(inputs)}: {failure}"
        else:
            span.set_outputs(outputs)
        _adopt_only_child(record, span, failed=error is not None)
    return Prediction(outputs, record, error)


def minimal_trace(inputs: Any, outputs: Any, link: TraceLink) -> TraceRecord:
    """A one-span trace holding given inputs and outputs (rows that come with outputs)."""
    with start_span(MINIMAL_TRACE_NAME, span_type=SpanType.CHAIN, sink=link.sink) as span:
        record = claim(span, link)
        span.set_inputs(inputs)
        span.set_outputs(outputs)
    return record


def claim(span: LiveSpan, link: TraceLink) -> TraceRecord:
    """Mark the trace of `span` as made by the run: request id tag, source run, experiment."""
    record = trace_record(span)
    with record.lock:
        record.experiment_id = link.experiment_id
        record.tags.update(link.tags)
        record.tags[EVAL_REQUEST_TAG] = str(uuid.uuid4())
        record.metadata[SOURCE_RUN_METADATA] = link.run_id
        record.linked_runs.append(link.run_id)
    return record


def call_inputs(function: Callable[..., Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs as `@trace` records them: bound arguments with defaults, no self/cls."""
    try:
        bound = inspect.signature(function).bind(**inputs)
    except (TypeError, ValueError):
        return dict(inputs)
    bound.apply_defaults()
    return {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}


def _call(function: Callable[..., Any], inputs: Mapping[str, Any]) -> Any:
    result = function(**inputs)
    if inspect.iscoroutine(result):  # an async predict_fn runs to completion, as in MLflow
        return asyncio.run(result)
    return result


def _adopt_only_child(record: TraceRecord, wrapper: LiveSpan, *, failed: bool) -> None:
    """Make the wrapper's only child the root when the function traced itself."""
    with record.lock:
        children = [s for s in record.spans if s.parent_id == wrapper.span_id]
        if len(children) != 1 or wrapper not in record.spans:
            return
        child = children[0]
        if child.end_time_ns is None or (failed and child.status_code != "ERROR"):
            return  # still open, or the failure happened outside it: keep the wrapper
        record.spans.remove(wrapper)
        child.parent_id = None
