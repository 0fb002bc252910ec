"""MLflow's module-level tracking API (`mlflow.set_tracking_uri`, `mlflow.search_traces`, ...),
each call a thin wrapper over the default client (`core.context`).

    core.set_tracking_uri("sqlite:///mlflow.db")
    core.set_experiment("support-agent")
    frame = core.search_traces()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from core import context
from core.active_run import ActiveRun
from core.context import (
    get_registry_uri,
    get_tracking_uri,
    reset,
    set_registry_uri,
    set_tracking_uri,
)
from core.entities import Assessment, AssessmentSource, Experiment, Run, Trace
from core.store.experiment_search import ViewType

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "active_experiment_id",
    "active_run",
    "create_experiment",
    "delete_assessment",
    "delete_trace_tag",
    "end_run",
    "get_assessment",
    "get_experiment",
    "get_experiment_by_name",
    "get_registry_uri",
    "get_run",
    "get_trace",
    "get_tracking_uri",
    "log_expectation",
    "log_feedback",
    "override_feedback",
    "reset",
    "search_experiments",
    "search_traces",
    "set_experiment",
    "set_registry_uri",
    "set_trace_tag",
    "set_tracking_uri",
    "start_run",
    "update_assessment",
]


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment the active one, creating it (and the database) when missing."""
    return context.default_client().set_experiment(experiment_name, experiment_id)


def active_experiment_id() -> str:
    """The experiment `set_experiment` chose, else `$MLFLOW_EXPERIMENT_ID`, else Default (0)."""
    return context.default_client().experiment_id


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with this id (`NotFoundError` when there is none)."""
    return context.default_client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment with this name, or None."""
    return context.default_client().get_experiment_by_name(name)


def create_experiment(
    name: str, artifact_location: str | None = None, tags: Mapping[str, str] | None = None
) -> str:
    """Create experiment `name` and return its id."""
    return context.default_client().create_experiment(name, artifact_location, tags)


def search_experiments(
    view_type: ViewType | int | str = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """Experiments of the current store, newest first (see `Client.search_experiments`)."""
    return context.default_client().search_experiments(
        view_type, max_results, filter_string, order_by
    )


def search_traces(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: Sequence[str] | None = None,
    extract_fields: Sequence[str] | None = None,
    run_id: str | None = None,
    return_type: Literal["pandas", "list"] | None = None,
    model_id: str | None = None,
    sql_warehouse_id: str | None = None,
    include_spans: bool = True,
    locations: Sequence[str] | None = None,
    flush: bool = False,
) -> pd.DataFrame | list[Trace]:
    """Traces as a DataFrame with MLflow 3.18's columns, newest first by default (see
    `Client.search_traces`)."""
    return context.default_client().search_traces(
        experiment_ids,
        filter_string,
        max_results,
        order_by,
        extract_fields,
        run_id,
        return_type,
        model_id,
        sql_warehouse_id,
        include_spans,
        locations,
        flush,
    )


def get_trace(trace_id: str, silent: bool = False) -> Trace | None:
    """The whole trace, or None when no trace has this id (as `mlflow.get_trace`)."""
    return context.default_client().get_trace(trace_id)


def set_trace_tag(trace_id: str, key: str, value: Any) -> None:
    """Set (or replace) tag `key` of a stored trace."""
    context.default_client().set_trace_tag(trace_id, key, value)


def delete_trace_tag(trace_id: str, key: str) -> None:
    """Remove tag `key` of a stored trace."""
    context.default_client().delete_trace_tag(trace_id, key)


def log_feedback(
    *,
    trace_id: str,
    name: str = "feedback",
    value: Any = None,
    source: AssessmentSource | None = None,
    error: BaseException | Mapping[str, Any] | str | None = None,
    rationale: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    span_id: str | None = None,
) -> Assessment:
    """Log a feedback (a score, a human label) on a trace; keyword arguments only, as MLflow."""
    return context.default_client().log_feedback(
        trace_id=trace_id,
        name=name,
        value=value,
        source=source,
        error=error,
        rationale=rationale,
        metadata=metadata,
        span_id=span_id,
    )


def log_expectation(
    *,
    trace_id: str,
    name: str,
    value: Any,
    source: AssessmentSource | None = None,
    metadata: Mapping[str, Any] | None = None,
    span_id: str | None = None,
) -> Assessment:
    """Log an expectation (a ground truth) on a trace; keyword arguments only, as MLflow."""
    return context.default_client().log_expectation(
        trace_id=trace_id,
        name=name,
        value=value,
        source=source,
        metadata=metadata,
        span_id=span_id,
    )


def get_assessment(trace_id: str, assessment_id: str) -> Assessment:
    """One stored assessment of a trace (as `mlflow.get_assessment`)."""
    return context.default_client().get_assessment(trace_id, assessment_id)


def override_feedback(
    *,
    trace_id: str,
    assessment_id: str,
    value: Any,
    rationale: str | None = None,
    source: AssessmentSource | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Assessment:
    """Correct a feedback: a new one replaces it, and the old one stays as history (invalid)."""
    return context.default_client().override_feedback(
        trace_id=trace_id,
        assessment_id=assessment_id,
        value=value,
        rationale=rationale,
        source=source,
        metadata=metadata,
    )


def update_assessment(trace_id: str, assessment_id: str, assessment: Assessment) -> Assessment:
    """Rewrite an assessment in place (name, value, rationale, metadata), as MLflow does."""
    return context.default_client().update_assessment(trace_id, assessment_id, assessment)


def delete_assessment(trace_id: str, assessment_id: str) -> None:
    """Remove an assessment; the feedback it overrode, if any, is valid again."""
    context.default_client().delete_assessment(trace_id, assessment_id)


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> ActiveRun:
    """Start a run in the active experiment and make it active (`with core.start_run(): ...`);
    traces and models logged meanwhile link to it."""
    return context.default_client().start_run(
        run_id, experiment_id, run_name, nested, tags, description
    )


def end_run(status: str = "FINISHED") -> None:
    """End the active run."""
    context.default_client().end_run(status)


def active_run() -> ActiveRun | None:
    """The active run, or None."""
    return context.default_client().active_run()


def get_run(run_id: str) -> Run:
    """A run by id, with its tags, params and metrics."""
    return context.default_client().get_run(run_id)
