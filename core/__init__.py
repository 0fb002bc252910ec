"""TraceDesk's tracing library: read (and write) MLflow tracking databases without MLflow.

The names follow MLflow's so that MLflow users feel at home:

    import core
    core.set_tracking_uri("sqlite:///mlflow.db")
    frame = core.search_traces(filter_string="trace.status = 'ERROR'")
    trace = core.get_trace(frame.trace_id[0])
"""

from core import scorers
from core.agents.agent import ResponsesAgent, set_model
from core.agents.loader import LoadedModel, load_model
from core.agents.registry import delete_model_alias, set_model_alias
from core.agents.responses import (
    ResponsesAgentRequest,
    ResponsesAgentResponse,
    ResponsesAgentStreamEvent,
    create_function_call_item,
    create_function_call_output_item,
    create_text_delta,
    create_text_output_item,
)
from core.agents.save import ModelInfo, log_model
from core.entities import (
    Assessment,
    Experiment,
    Span,
    SpanEvent,
    TokenUsage,
    Trace,
    TraceData,
    TraceInfo,
    TraceRow,
)
from core.errors import (
    CorruptStoreError,
    NotFoundError,
    NotMLflowStoreError,
    NotSQLiteError,
    QuerySyntaxError,
    ReadOnlyStoreError,
    StoreError,
    StoreLockedError,
    StoreNotFoundError,
    TraceDeskError,
)
from core.evaluation.entities import EvaluationResult, Feedback
from core.evaluation.evaluate import evaluate
from core.evaluation.scorer import Scorer, scorer
from core.prompt_version import MissingVariablesError, PromptVersion
from core.prompts import (
    delete_prompt_alias,
    load_prompt,
    register_prompt,
    search_prompts,
    set_prompt_alias,
)
from core.store.store import Store
from core.tracing import (
    LiveSpan,
    SpanType,
    get_current_active_span,
    start_span,
    start_span_no_context,
    trace,
    update_current_trace,
)
from core.tracing import flush as flush_trace_async_logging
from core.tracking import (
    get_trace,
    get_tracking_uri,
    search_experiments,
    search_traces,
    set_experiment,
    set_tracking_uri,
)

__all__ = [
    "Assessment",
    "CorruptStoreError",
    "EvaluationResult",
    "Experiment",
    "Feedback",
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
    "Scorer",
    "Span",
    "SpanEvent",
    "SpanType",
    "Store",
    "StoreError",
    "StoreLockedError",
    "StoreNotFoundError",
    "TokenUsage",
    "Trace",
    "TraceData",
    "TraceDeskError",
    "TraceInfo",
    "TraceRow",
    "create_function_call_item",
    "create_function_call_output_item",
    "create_text_delta",
    "create_text_output_item",
    "delete_model_alias",
    "delete_prompt_alias",
    "evaluate",
    "flush_trace_async_logging",
    "get_current_active_span",
    "get_trace",
    "get_tracking_uri",
    "load_model",
    "load_prompt",
    "log_model",
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
    "set_tracking_uri",
    "start_span",
    "start_span_no_context",
    "trace",
    "update_current_trace",
]


def __getattr__(name: str) -> object:
    """`core.langchain` loads on first use, so `import core` does not pull in LangChain."""
    if name == "langchain":
        import importlib

        return importlib.import_module("core.langchain")
    raise AttributeError(f"module 'core' has no attribute {name!r}")
