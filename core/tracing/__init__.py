"""The write side of `core`: spans, the `@trace` decorator, and the writer that stores them."""

from core.entities.span_type import SpanType
from core.tracing.export import disable, enable, flush
from core.tracing.fluent import (
    get_current_active_span,
    start_span,
    start_span_no_context,
    trace,
    update_current_trace,
)
from core.tracing.live_span import LiveSpan

__all__ = [
    "LiveSpan",
    "SpanType",
    "disable",
    "enable",
    "flush",
    "get_current_active_span",
    "start_span",
    "start_span_no_context",
    "trace",
    "update_current_trace",
]
