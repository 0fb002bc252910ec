"""The write side of `core`: spans, the `@trace` decorator, and the writers that store them
(MLflow's `mlflow.tracing`)."""

from core.entities.span_type import SpanType
from core.tracing.active import disable, enable, flush, is_enabled
from core.tracing.fluent import (
    get_current_active_span,
    get_last_active_trace_id,
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
    "get_last_active_trace_id",
    "is_enabled",
    "start_span",
    "start_span_no_context",
    "trace",
    "update_current_trace",
]
