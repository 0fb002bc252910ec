"""Plain entities `core` hands out (MLflow's `mlflow.entities`): experiments, runs, traces,
spans, assessments; evaluation results (`core.entities.evaluation`), prompt versions
(`core.entities.prompt`), registered and logged models (`core.entities.model_registry`,
`core.entities.logged_model`, `core.entities.mlmodel`).

They hold values, not database rows or sessions; `from core.entities import Trace, SpanType`
works as `from mlflow.entities import Trace, SpanType` does.
"""

from core.entities.assessment import (
    Assessment,
    Expectation,
    ExpectationValue,
    Feedback,
    FeedbackValue,
    IssueReference,
)
from core.entities.assessment_error import AssessmentError
from core.entities.assessment_source import AssessmentSource, AssessmentSourceType
from core.entities.experiment import Experiment
from core.entities.ids import base64_to_hex, hex_to_base64, iso_time_ms
from core.entities.link import Link
from core.entities.run import Run, RunData, RunInfo
from core.entities.span import PayloadSource, Span, SpanEvent
from core.entities.span_log_level import SpanLogLevel
from core.entities.span_status import SpanStatus, SpanStatusCode
from core.entities.span_type import SpanType
from core.entities.token_usage import TokenUsage
from core.entities.trace import Trace
from core.entities.trace_data import TraceData
from core.entities.trace_info import TraceInfo
from core.entities.trace_location import (
    MlflowExperimentLocation,
    TraceLocation,
    TraceLocationType,
)
from core.entities.trace_row import RowAssessment, TraceListKeys, TraceRow, TraceRowExtras
from core.entities.trace_state import TraceState, TraceStatus

__all__ = [
    "Assessment",
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "Expectation",
    "ExpectationValue",
    "Experiment",
    "Feedback",
    "FeedbackValue",
    "IssueReference",
    "Link",
    "MlflowExperimentLocation",
    "PayloadSource",
    "RowAssessment",
    "Run",
    "RunData",
    "RunInfo",
    "Span",
    "SpanEvent",
    "SpanLogLevel",
    "SpanStatus",
    "SpanStatusCode",
    "SpanType",
    "TokenUsage",
    "Trace",
    "TraceData",
    "TraceInfo",
    "TraceListKeys",
    "TraceLocation",
    "TraceLocationType",
    "TraceRow",
    "TraceRowExtras",
    "TraceState",
    "TraceStatus",
    "base64_to_hex",
    "hex_to_base64",
    "iso_time_ms",
]
