"""Assessments from `assessments` rows: `Feedback`, `Expectation` or `IssueReference`, exactly as
MLflow 3.18's store builds them (`SqlAssessments.to_mlflow_entity`).

Values, errors and metadata are JSON text in the row. What MLflow would refuse (a value that is
no JSON, an error that is no object) is kept readable rather than failing the whole trace.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import jsonutil
from core.entities import (
    Assessment,
    AssessmentError,
    AssessmentSource,
    Expectation,
    Feedback,
    IssueReference,
)
from core.entities.assessment import EXPECTATION, ISSUE
from core.entities.ids import whole_number

#: A stand-in value, replaced right after the expectation is made.
_PENDING = object()


def assessment_from_row(row: Mapping[str, Any], problems: list[str] | None = None) -> Assessment:
    """The assessment of one row, given as a mapping of its columns. A time that is no number
    reads as 0, and `problems` (when given) says so."""
    value = jsonutil.decode_attribute(row["value"])
    times: dict[str, int | None] = {}
    for key, column in (
        ("create_time_ms", "created_timestamp"),
        ("last_update_time_ms", "last_updated_timestamp"),
    ):
        stored = row.get(column)
        times[key] = whole_number(stored)
        if times[key] is None and stored is not None:
            times[key] = 0  # not None: the entity would take the time of reading instead
            if problems is not None:
                shown = jsonutil.abbreviate(repr(stored), 40)
                problems.append(
                    f"Assessment {row.get('name')!r}: its {column} is {shown}, not a number; "
                    "it is read as 0 (1970-01-01)."
                )
    metadata = _metadata(row.get("assessment_metadata"))
    source = AssessmentSource(source_type=row["source_type"], source_id=row.get("source_id"))
    common: dict[str, Any] = {
        "source": source,
        "trace_id": row["trace_id"],
        "metadata": metadata,
        "span_id": row.get("span_id"),
        **times,
    }
    kind = row["assessment_type"]
    assessment: Assessment
    if kind == EXPECTATION:
        assessment = Expectation(name=row["name"], value=_PENDING, **common)
        assessment.value = value  # MLflow refuses None when making one, not when reading it
    elif kind == ISSUE:
        issue_name = value.get("issue_name") if isinstance(value, Mapping) else value
        assessment = IssueReference(
            issue_id=row["name"],
            issue_name=str(issue_name),
            rationale=row.get("rationale"),
            **common,
        )
    else:
        assessment = Feedback(
            name=row["name"],
            value=value,
            error=_error(row.get("error")),
            rationale=row.get("rationale"),
            **common,
        )
    assessment.overrides = row.get("overrides")
    assessment.valid = _valid(row.get("valid"))
    assessment.run_id = row.get("run_id")
    assessment.assessment_id = row["assessment_id"]
    return assessment


def _valid(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _metadata(text: Any) -> dict[str, str] | None:
    if text is None:
        return None
    decoded = jsonutil.decode_attribute(text)
    return decoded if isinstance(decoded, dict) else {"value": str(decoded)}


def _error(text: Any) -> AssessmentError | None:
    if not text:
        return None
    decoded = jsonutil.decode_attribute(text)
    if isinstance(decoded, Mapping):
        code = decoded.get("error_code")
        message = decoded.get("error_message")
        stack = decoded.get("stack_trace")
        return AssessmentError(
            error_code=str(code) if code is not None else "",
            error_message=None if message is None else str(message),
            stack_trace=None if stack is None else str(stack),
        )
    return AssessmentError(error_code="", error_message=str(decoded))
