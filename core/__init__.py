"""TraceDesk's tracing library: read and write MLflow tracking databases without MLflow.

Code written for MLflow runs with `import core as mlflow` (and `from core.X import Y` in place
of `from mlflow.X import Y`):

    import core as mlflow
    mlflow.set_tracking_uri("sqlite:///mlflow.db")
    frame = mlflow.search_traces(filter_string="trace.status = 'ERROR'")
    trace = mlflow.get_trace(frame.trace_id[0])

The module-level calls act on a default client; `core.Client` is the explicit one (MLflow's
`MlflowClient`): several clients on several stores live side by side in one process.

Layout, as MLflow's: `core.entities`, `core.tracing`, `core.genai` (+ `core.genai.scorers`),
`core.pyfunc`, `core.models`, `core.types.responses`, `core.langchain` (loaded on first use);
TraceDesk's own: `core.insights` (aggregations as DataFrames) and `core.tracediff`.
"""

from core import entities, genai, insights, models, pyfunc, tracing, types
from core.active_run import ActiveRun
from core.agents.loader import LoadedModel
from core.agents.responses import (
    ResponsesAgentRequest,
    ResponsesAgentResponse,
    ResponsesAgentStreamEvent,
    create_function_call_item,
    create_function_call_output_item,
    create_text_delta,
    create_text_output_item,
)
from core.client import Client
from core.entities import (
    Assessment,
    AssessmentSource,
    Expectation,
    Experiment,
    Feedback,
    Run,
    Span,
    SpanEvent,
    SpanType,
    TokenUsage,
    Trace,
    TraceData,
    TraceInfo,
    TraceRow,
)
from core.entities.evaluation import EvaluationResult
from core.entities.prompt import MissingVariablesError, PromptVersion
from core.errors import (
    CorruptStoreError,
    DiskFullError,
    InterruptedWriteError,
    NotFoundError,
    NotMLflowStoreError,
    NotSQLiteError,
    QuerySyntaxError,
    ReadOnlyStoreError,
    StoreError,
    StoreLockedError,
    StoreNotFoundError,
    StorePermissionError,
    TraceDeskError,
)
from core.evaluation.scorer import Scorer, scorer
from core.genai import (
    delete_prompt_alias,
    evaluate,
    load_prompt,
    register_prompt,
    scorers,
    search_prompts,
    set_prompt_alias,
)
from core.models import ModelInfo, set_model
from core.pyfunc import ResponsesAgent, delete_model_alias, load_model, log_model, set_model_alias
from core.store.store import Store
from core.tracediff import compare_with_baseline, diff_traces
from core.tracing import (
    LiveSpan,
    get_current_active_span,
    get_last_active_trace_id,
    start_span,
    start_span_no_context,
    trace,
    update_current_trace,
)
from core.tracing import flush as flush_trace_async_logging
from core.tracking import (
    active_run,
    create_experiment,
    delete_assessment,
    delete_trace_tag,
    end_run,
    get_assessment,
    get_experiment,
    get_experiment_by_name,
    get_registry_uri,
    get_run,
    get_trace,
    get_tracking_uri,
    log_expectation,
    log_feedback,
    override_feedback,
    search_experiments,
    search_traces,
    set_experiment,
    set_registry_uri,
    set_trace_tag,
    set_tracking_uri,
    start_run,
    update_assessment,
)

__all__ = [
    "ActiveRun",
    "Assessment",
    "AssessmentSource",
    "Client",
    "CorruptStoreError",
    "DiskFullError",
    "EvaluationResult",
    "Expectation",
    "Experiment",
    "Feedback",
    "InterruptedWriteError",
    "LiveSpan",
    "LoadedModel",
    "MissingVariablesError",
    "ModelInfo",
    "NotFoundError",
    "NotMLflowStoreError",
    "NotSQLiteError",
    "PromptVersion",
    "QuerySyntaxError",
    "ReadOnlyStoreError",
    "ResponsesAgent",
    "ResponsesAgentRequest",
    "ResponsesAgentResponse",
    "ResponsesAgentStreamEvent",
    "Run",
    "Scorer",
    "Span",
    "SpanEvent",
    "SpanType",
    "Store",
    "StoreError",
    "StoreLockedError",
    "StoreNotFoundError",
    "StorePermissionError",
    "TokenUsage",
    "Trace",
    "TraceData",
    "TraceDeskError",
    "TraceInfo",
    "TraceRow",
    "active_run",
    "compare_with_baseline",
    "create_experiment",
    "create_function_call_item",
    "create_function_call_output_item",
    "create_text_delta",
    "create_text_output_item",
    "delete_assessment",
    "delete_model_alias",
    "delete_prompt_alias",
    "delete_trace_tag",
    "diff_traces",
    "end_run",
    "entities",
    "evaluate",
    "flush_trace_async_logging",
    "genai",
    "get_assessment",
    "get_current_active_span",
    "get_experiment",
    "get_experiment_by_name",
    "get_last_active_trace_id",
    "get_registry_uri",
    "get_run",
    "get_trace",
    "get_tracking_uri",
    "insights",
    "load_model",
    "load_prompt",
    "log_expectation",
    "log_feedback",
    "log_model",
    "models",
    "override_feedback",
    "pyfunc",
    "register_prompt",
    "scorer",
    "scorers",
    "search_experiments",
    "search_prompts",
    "search_traces",
    "set_experiment",
    "set_model",
    "set_model_alias",
    "set_prompt_alias",
    "set_registry_uri",
    "set_trace_tag",
    "set_tracking_uri",
    "start_run",
    "start_span",
    "start_span_no_context",
    "trace",
    "tracing",
    "types",
    "update_assessment",
    "update_current_trace",
]


def __getattr__(name: str) -> object:
    """`core.langchain` loads on first use, so `import core` does not pull in LangChain."""
    if name == "langchain":
        import importlib

        return importlib.import_module("core.langchain")
    raise AttributeError(f"module 'core' has no attribute {name!r}")
