"""Opening and closing spans, for a given `TraceSink` (a client): the machinery under
`core.start_span` / `@core.trace` and `Client.start_span`.

The current span lives in a `ContextVar`, so nesting follows the code: a span opened inside
another is its child, across `await` and in asyncio tasks (which copy the context), and joins
its parent's trace whichever client started it. Only a root span asks its sink for a new
trace. A thread started inside a span begins a new trace unless it runs in a copied context
(`contextvars.copy_context().run`), as with MLflow.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator, Mapping
from typing import Any

from core.mlflow_keys import SESSION_METADATA, TRACE_USER_METADATA
from core.tracing.active import registry
from core.tracing.ids import new_span_id, new_trace_id
from core.tracing.live_span import LiveSpan, default_span_type
from core.tracing.record import TraceRecord, TraceSink

_current_span: contextvars.ContextVar[LiveSpan | None] = contextvars.ContextVar(
    "tracedesk_current_span", default=None
)


def get_current_active_span() -> LiveSpan | None:
    """The innermost span open in this context, or None."""
    return _current_span.get()


def set_current_span(span: LiveSpan | None) -> None:
    """Make `span` the one new spans nest under in this context (MLflow's
    `set_span_in_context`); callback-driven tracers use it, `start_span` does it itself."""
    _current_span.set(span)


def begin_span(
    name: str,
    span_type: str | None,
    attributes: Mapping[str, Any] | None,
    *,
    sink: TraceSink,
    parent: LiveSpan | None = None,
    start_time_ns: int | None = None,
    experiment_id: str | None = None,
) -> LiveSpan:
    """A started span: a child of `parent` (in its trace), else the root of a new trace that
    `sink` opens (in `experiment_id`, else the sink's active experiment)."""
    if parent is not None and parent.end_time_ns is not None:
        parent = None  # an ended span cannot take children: start a new trace instead
    if parent is None:
        record = registry.begin(sink.open_trace(new_trace_id(), experiment_id))
        parent_id = None
    else:
        record = registry.record(parent.trace_id)
        parent_id = parent.span_id
    span = LiveSpan(
        trace_id=record.trace_id,
        span_id=new_span_id(),
        parent_id=parent_id,
        name=name,
        span_type=default_span_type(span_type),
        start_time_ns=start_time_ns if start_time_ns is not None else time.time_ns(),
    )
    if attributes:
        span.set_attributes(attributes)
    if parent_id is None:
        span.on_end = _finish_trace
    record.add(span)
    return span


def _finish_trace(root: LiveSpan) -> None:
    registry.finish(root.trace_id)


@contextlib.contextmanager
def start_span(
    name: str,
    span_type: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    *,
    sink: TraceSink,
    experiment_id: str | None = None,
) -> Iterator[LiveSpan]:
    """Open a span for the `with` block, as the current span's child or the root of a new
    trace in `sink` (in `experiment_id`, else the sink's active experiment); an exception
    marks it ERROR and propagates."""
    parent = _current_span.get()
    span = begin_span(
        name, span_type, attributes, sink=sink, parent=parent, experiment_id=experiment_id
    )
    token = _current_span.set(span)
    try:
        yield span
    except BaseException as error:
        span.record_exception(error)
        span.end()
        raise
    else:
        span.end()
    finally:
        _current_span.reset(token)


def trace_record(span: LiveSpan) -> TraceRecord:
    """The record of the trace `span` belongs to (RuntimeError once the trace ended)."""
    return registry.record(span.trace_id)


def update_current_trace(
    tags: Mapping[str, str] | None = None,
    metadata: Mapping[str, str] | None = None,
    session_id: str | None = None,
    user: str | None = None,
    request_preview: str | None = None,
    response_preview: str | None = None,
    client_request_id: str | None = None,
) -> None:
    """Add tags/metadata (and session, user, previews) to the trace of the current span."""
    span = _current_span.get()
    if span is None:
        raise RuntimeError("update_current_trace() needs an active span: call it inside one.")
    record = trace_record(span)
    with record.lock:
        record.tags.update({k: str(v) for k, v in (tags or {}).items()})
        record.metadata.update({k: str(v) for k, v in (metadata or {}).items()})
        if session_id is not None:
            record.metadata[SESSION_METADATA] = str(session_id)
        if user is not None:
            record.metadata[TRACE_USER_METADATA] = str(user)
        if request_preview is not None:
            record.request_preview = request_preview
        if response_preview is not None:
            record.response_preview = response_preview
        if client_request_id is not None:
            record.client_request_id = client_request_id
