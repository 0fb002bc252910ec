"""The tracing calls MLflow users know: `start_span`, `@trace`, `update_current_trace`.

A root span starts its trace in the default client (`core.set_tracking_uri`,
`core.set_experiment`), as MLflow's fluent API does; a span opened inside another joins its
parent's trace (`core.tracing.spans` has the rules). `Client.start_span` starts a trace in
that client instead.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, TypeVar, overload

from core import context
from core.mlflow_keys import FUNCTION_NAME_KEY
from core.tracing.active import registry
from core.tracing.live_span import LiveSpan
from core.tracing.record import TraceSink
from core.tracing.spans import get_current_active_span, update_current_trace

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "get_current_active_span",
    "get_last_active_trace_id",
    "start_span",
    "start_span_no_context",
    "trace",
    "update_current_trace",
]


def default_sink() -> TraceSink:
    """Where a root span starts its trace when no client is named: the default client."""
    return context.default_client()


def get_last_active_trace_id(thread_local: bool = False) -> str | None:
    """The id of the trace that ended last in this process (or thread), as MLflow's."""
    return registry.last_trace_id(thread_local)


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
    return context.default_client().start_span_no_context(
        name, span_type, parent_span, inputs, attributes, start_time_ns, experiment_id
    )


def start_span(
    name: str = "span",
    span_type: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> contextlib.AbstractContextManager[LiveSpan]:
    """Open a span for the `with` block; an exception marks it ERROR and propagates."""
    return context.default_client().start_span(name, span_type, attributes)


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
