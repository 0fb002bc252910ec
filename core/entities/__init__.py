"""Plain entities `core` hands out (MLflow's `mlflow.entities`): experiments, traces, spans,
assessments.

They hold values, not database rows or sessions; `from core.entities import Trace, SpanType`
works as `from mlflow.entities import Trace, SpanType` does.
"""

from core.entities.assessment import Assessment
from core.entities.experiment import Experiment
from core.entities.ids import base64_to_hex, hex_to_base64, iso_time_ms
from core.entities.span import (
    INPUTS_KEY,
    OUTPUTS_KEY,
    SPAN_TYPE_KEY,
    TOKEN_USAGE_KEY,
    PayloadSource,
    Span,
    SpanEvent,
)
from core.entities.span_type import SpanType
from core.entities.token_usage import TokenUsage
from core.entities.trace import Trace, TraceData
from core.entities.trace_info import TraceInfo
from core.entities.trace_row import TraceRow

__all__ = [
    "INPUTS_KEY",
    "OUTPUTS_KEY",
    "SPAN_TYPE_KEY",
    "TOKEN_USAGE_KEY",
    "Assessment",
    "Experiment",
    "PayloadSource",
    "Span",
    "SpanEvent",
    "SpanType",
    "TokenUsage",
    "Trace",
    "TraceData",
    "TraceInfo",
    "TraceRow",
    "base64_to_hex",
    "hex_to_base64",
    "iso_time_ms",
]
