"""SQL expressions for the facts of a trace, whichever layout holds them.

MLflow 3.2+ keeps a trace's name, previews, session and token counts in `trace_info` columns;
older layouts keep them in `trace_tags` / `trace_request_metadata`. Queries (the trace list,
filters, sorting) use these expressions and never care which one a database has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, literal, null, select

from core.store.schema import Layout, trace_info, trace_request_metadata, trace_tags

TRACE_NAME_TAG = "mlflow.traceName"
SESSION_METADATA = "mlflow.trace.session"
TOKEN_USAGE_METADATA = "mlflow.trace.tokenUsage"
INPUTS_METADATA = "mlflow.traceInputs"
OUTPUTS_METADATA = "mlflow.traceOutputs"
USER_METADATA = "mlflow.trace.user"
SOURCE_RUN_METADATA = "mlflow.sourceRun"


def tag_value(key: str) -> ScalarSelect[str]:
    """The value of trace tag `key` for the trace of the enclosing row (NULL when unset)."""
    return (
        select(trace_tags.c.value)
        .where(trace_tags.c.request_id == trace_info.c.request_id, trace_tags.c.key == key)
        .scalar_subquery()
    )


def metadata_value(key: str) -> ScalarSelect[str]:
    """The value of trace metadata `key` for the trace of the enclosing row (NULL when unset)."""
    return (
        select(trace_request_metadata.c.value)
        .where(
            trace_request_metadata.c.request_id == trace_info.c.request_id,
            trace_request_metadata.c.key == key,
        )
        .scalar_subquery()
    )


@dataclass(frozen=True)
class TraceColumns:
    """Expressions over `trace_info` (plus correlated subqueries) for one layout."""

    name: ColumnElement[Any]
    request_preview: ColumnElement[Any]
    response_preview: ColumnElement[Any]
    session_id: ColumnElement[Any]
    total_tokens: ColumnElement[Any]
    #: Raw `mlflow.trace.tokenUsage` JSON where tokens are not columns (older layouts), else NULL.
    token_usage_json: ColumnElement[Any]
    client_request_id: ColumnElement[Any]


def trace_columns(layout: Layout) -> TraceColumns:
    """The expressions that give each trace fact in `layout`."""
    has = layout.has_trace_column
    tokens_in_columns = has("total_tokens")
    return TraceColumns(
        name=trace_info.c.trace_name if has("trace_name") else tag_value(TRACE_NAME_TAG),
        request_preview=(
            trace_info.c.request_preview
            if has("request_preview")
            else metadata_value(INPUTS_METADATA)
        ),
        response_preview=(
            trace_info.c.response_preview
            if has("response_preview")
            else metadata_value(OUTPUTS_METADATA)
        ),
        session_id=(
            trace_info.c.session_id if has("session_id") else metadata_value(SESSION_METADATA)
        ),
        total_tokens=trace_info.c.total_tokens if tokens_in_columns else null(),
        token_usage_json=null() if tokens_in_columns else metadata_value(TOKEN_USAGE_METADATA),
        client_request_id=(
            trace_info.c.client_request_id if has("client_request_id") else literal(None)
        ),
    )
