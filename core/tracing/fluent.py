"""The tracing calls MLflow users know: `start_span`, `@trace`, `update_current_trace`.

The current span lives in a `ContextVar`, so nesting follows the code: a span opened inside
another is its child, across `await` and in asyncio tasks (which copy the context). A thread
started inside a span begins a new trace unless it runs in a copied context
(`contextvars.copy_context().run`), as with MLflow.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, TypeVar, overload

from core.tracing import export
from core.tracing.ids import new_span_id, new_trace_id
from core.tracing.live_span import FUNCTION_NAME_KEY, LiveSpan, TraceRecord, default_span_type

F = TypeVar("F", bound=Callable[..., Any])

_current_span: contextvars.ContextVar[LiveSpan | None] = contextvars.ContextVar(
    "tracedesk_current_span", default=None
)


def get_current_active_span() -> LiveSpan | None:
    """The innermost span open in this context, or None."""
    return _current_span.get()


def _begin(
    name: str,
    span_type: str | None,
    attributes: Mapping[str, Any] | None,
    parent: LiveSpan | None = None,
    start_time_ns: int | None = None,
    experiment_id: str | None = None,
) -> LiveSpan:
    if parent is not None and parent.end_time_ns is not None:
        parent = None  # an ended span cannot take children: start a new trace instead
    if parent is None:
        record = export.tracer().begin_trace(new_trace_id(), experiment_id)
        parent_id = None
    else:
        record = export.tracer().record(parent.trace_id)
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
    export.tracer().finish_trace(root.trace_id)


def _finish(span: LiveSpan, error: BaseException | None) -> None:
    if error is not None:
        span.record_exception(error)
    span.end()


def start_span_no_context(
    name: str,
    span_type: str | None = None,
    parent_span: LiveSpan | None = None,
    inputs: Any = None,
    attributes: Mapping[str, Any] | None = None,
    start_time_ns: int | None = None,
    experiment_id: str | None = None,
) -> LiveSpan:
    """A span that is not made current; call `span.end()` (possibly with `end_time_ns`).

    For callbacks and back-dated data, as MLflow's function of the same name.
    """
    span = _begin(name, span_type, attributes, parent_span, start_time_ns, experiment_id)
    if inputs is not None:
        span.set_inputs(inputs)
    return span


@contextlib.contextmanager
def start_span(
    name: str = "span",
    span_type: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[LiveSpan]:
    """Open a span for the `with` block; an exception marks it ERROR and propagates."""
    span = _begin(name, span_type, attributes, _current_span.get())
    token = _current_span.set(span)
    try:
        yield span
    except BaseException as error:
        _finish(span, error)
        raise
    else:
        _finish(span, None)
    finally:
        _current_span.reset(token)


@overload
def trace(func: F) -> F: ...


@overload
def trace(
    func: None = None,
    *,
    name: str | None = None,
    span_type: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Callable[[F], F]: ...


def trace(
    func: F | None = None,
    *,
    name: str | None = None,
    span_type: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> F | Callable[[F], F]:
    """Trace every call of a function, coroutine function, generator or method.

    Inputs are the bound arguments (without `self`/`cls`), outputs the return value; a
    generator's outputs are the list of what it yielded.
    """

    def decorate(function: F) -> F:
        options = _Options(name or function.__name__, span_type, attributes, function)
        if inspect.isasyncgenfunction(function):
            return _wrap_async_generator(function, options)  # type: ignore[return-value]
        if inspect.isgeneratorfunction(function):
            return _wrap_generator(function, options)  # type: ignore[return-value]
        if inspect.iscoroutinefunction(function):
            return _wrap_coroutine(function, options)  # type: ignore[return-value]
        return _wrap_function(function, options)  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate


class _Options:
    def __init__(
        self,
        name: str,
        span_type: str | None,
        attributes: Mapping[str, Any] | None,
        function: Callable[..., Any],
    ) -> None:
        self.name = name
        self.span_type = span_type
        # MLflow's order: the user's attributes, then the function name.
        self.attributes = {**(attributes or {}), FUNCTION_NAME_KEY: function.__name__}
        self.signature = _signature(function)

    def inputs(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.signature is None:
            return {"args": list(args), **kwargs}
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError:
            return {"args": list(args), **kwargs}
        bound.apply_defaults()
        return {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}


def _signature(function: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        return None


@contextlib.contextmanager
def _call_span(
    options: _Options, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Iterator[LiveSpan]:
    with start_span(options.name, options.span_type, options.attributes) as span:
        span.set_inputs(options.inputs(args, kwargs))
        yield span


def _wrap_function(function: Callable[..., Any], options: _Options) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _call_span(options, args, kwargs) as span:
            result = function(*args, **kwargs)
            span.set_outputs(result)
            return result

    return wrapper


def _wrap_coroutine(function: Callable[..., Any], options: _Options) -> Callable[..., Any]:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _call_span(options, args, kwargs) as span:
            result = await function(*args, **kwargs)
            span.set_outputs(result)
            return result

    return wrapper


def _wrap_generator(
    function: Callable[..., Iterator[Any]], options: _Options
) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        produced: list[Any] = []
        with _call_span(options, args, kwargs) as span:
            try:
                for item in function(*args, **kwargs):
                    produced.append(item)
                    yield item
            finally:
                span.set_outputs(produced)

    return wrapper


def _wrap_async_generator(
    function: Callable[..., AsyncIterator[Any]], options: _Options
) -> Callable[..., Any]:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        produced: list[Any] = []
        with _call_span(options, args, kwargs) as span:
            try:
                async for item in function(*args, **kwargs):
                    produced.append(item)
                    yield item
            finally:
                span.set_outputs(produced)

    return wrapper


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
    record: TraceRecord = export.tracer().record(span.trace_id)
    with record.lock:
        record.tags.update({k: str(v) for k, v in (tags or {}).items()})
        record.metadata.update({k: str(v) for k, v in (metadata or {}).items()})
        if session_id is not None:
            record.metadata["mlflow.trace.session"] = str(session_id)
        if user is not None:
            record.metadata["mlflow.trace.user"] = str(user)
        if request_preview is not None:
            record.request_preview = request_preview
        if response_preview is not None:
            record.response_preview = response_preview
        if client_request_id is not None:
            record.client_request_id = client_request_id
