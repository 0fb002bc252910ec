"""SQL expressions for the facts of a trace, whichever layout holds them.

MLflow 3.2+ keeps a trace's name, previews, session and token counts in `trace_info` columns;
older layouts keep them in `trace_tags` / `trace_request_metadata`. Queries (the trace list,
filters, sorting) use these expressions and never care which one a database has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, literal, null, select

from core import jsonutil
from core.entities.ids import stored_number, whole_number
from core.mlflow_keys import (
    COST_METADATA,
    INPUTS_METADATA,
    OUTPUTS_METADATA,
    SESSION_METADATA,
    TOKEN_USAGE_METADATA,
    TRACE_NAME_TAG,
)
from core.store.schema import Layout, trace_info, trace_request_metadata, trace_tags

TOKEN_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)
COST_COLUMNS = ("input_cost", "output_cost", "total_cost")


def restore_column_facts(
    values: Mapping[str, Any], tags: dict[str, str], metadata: dict[str, str]
) -> list[str]:
    """Put back into `tags` / `metadata` what MLflow ≥ 3.2 keeps in `trace_info` columns (the
    name, session, token usage and cost), as MLflow itself does when it reads a trace.

    A count or cost that is not a number is left out; the returned problems say which.
    """
    if values.get("trace_name") is not None:
        tags.setdefault(TRACE_NAME_TAG, values["trace_name"])
    if values.get("session_id") is not None:
        metadata.setdefault(SESSION_METADATA, values["session_id"])
    problems: list[str] = []
    usage = _numbers(values, TOKEN_COLUMNS, problems)
    if usage:
        metadata.setdefault(TOKEN_USAGE_METADATA, jsonutil.dumps(usage))
    cost = _numbers(values, COST_COLUMNS, problems)
    if cost:
        metadata.setdefault(COST_METADATA, jsonutil.dumps(cost))
    return problems


def _numbers(
    values: Mapping[str, Any], columns: tuple[str, ...], problems: list[str]
) -> dict[str, int | float]:
    found = {}
    for column in columns:
        value = values.get(column)
        if value is None:
            continue
        number = stored_number(value)
        if number is None:
            problems.append(not_a_number(column, value, "left out"))
        else:
            found[column] = number
    return found


def checked_number(
    value: Any, column: str, problems: list[str], instead: str = "left out"
) -> int | None:
    """`whole_number(value)`; a value that is there but no number adds a problem to `problems`
    saying what is shown `instead`."""
    number = whole_number(value)
    if number is None and value is not None:
        problems.append(not_a_number(column, value, instead))
    return number


def not_a_number(column: str, value: Any, instead: str) -> str:
    """The problem of a numeric column holding something else, as a sentence."""
    shown = jsonutil.abbreviate(repr(value), 40)
    return f"The trace's {column} is {shown}, not a number; it is {instead}."


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
