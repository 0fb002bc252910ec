"""Scores and expectations as `assessments` rows, exactly as MLflow 3.18 stores them.

One `feedback` row per feedback and one `expectation` row per expectation key, on the trace's
root span, with the run in `assessment_metadata` (`mlflow.assessment.sourceRunId`; feedbacks
also get their scorer's digest) and `run_id` left NULL. `aggregate_value` / `is_numeric_value`
follow MLflow's `assessment_aggregate`: bool → 1/0, finite number → itself (numeric),
"yes"/"no" → 1/0, anything else NULL.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from typing import Any

from core.entities import Assessment, Feedback, Trace
from core.mlflow_keys import ASSESSMENT_SOURCE_RUN_KEY, SCORER_DIGEST_KEY
from core.store.assessment_codec import assessment_from_row

FEEDBACK, EXPECTATION = "feedback", "expectation"
DEFAULT_SOURCE_ID = "default"  # MLflow's `AssessmentSource.source_id` default


def feedback_row(
    feedback: Feedback, trace: Trace, *, run_id: str, scorer_digest: str, now_ms: int
) -> dict[str, Any]:
    """The row of one scorer feedback."""
    metadata = {**(feedback.metadata or {}), SCORER_DIGEST_KEY: scorer_digest}
    metadata[ASSESSMENT_SOURCE_RUN_KEY] = run_id
    error = feedback.error_dict
    return _row(
        trace,
        name=feedback.name or "feedback",
        kind=FEEDBACK,
        value=feedback.value,
        source=(feedback.source.source_type, feedback.source.source_id or DEFAULT_SOURCE_ID),
        now_ms=now_ms,
        extra={
            "error": json.dumps(error) if error is not None else None,
            "rationale": feedback.rationale,
            "assessment_metadata": json.dumps(metadata),
        },
    )


def expectation_row(
    name: str, value: Any, trace: Trace, *, run_id: str, user: str, now_ms: int
) -> dict[str, Any]:
    """The row of one expectation copied from the data (source HUMAN, the OS user)."""
    return _row(
        trace,
        name=name,
        kind=EXPECTATION,
        value=value,
        source=("HUMAN", user),
        now_ms=now_ms,
        extra={"assessment_metadata": json.dumps({ASSESSMENT_SOURCE_RUN_KEY: run_id})},
    )


def _row(
    trace: Trace,
    *,
    name: str,
    kind: str,
    value: Any,
    source: tuple[str, str],
    now_ms: int,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    aggregate, numeric = aggregate_value(value)
    root = trace.data.root_span
    row: dict[str, Any] = {
        "assessment_id": "a-" + uuid.uuid4().hex,
        "trace_id": trace.info.trace_id,
        "name": name,
        "assessment_type": kind,
        "value": json.dumps(value, default=str),
        "error": None,
        "created_timestamp": now_ms,
        "last_updated_timestamp": now_ms,
        "source_type": source[0],
        "source_id": source[1],
        "run_id": None,
        "span_id": root.span_id if root is not None else None,
        "rationale": None,
        "overrides": None,
        "valid": True,
        "experiment_id": int(trace.info.experiment_id),
        "trace_timestamp_ms": trace.info.request_time,
        "aggregate_value": aggregate,
        "is_numeric_value": numeric,
    }
    row.update(extra)
    return row


def aggregate_value(value: Any) -> tuple[float | None, bool]:
    """(`aggregate_value`, `is_numeric_value`) of an assessment value, as MLflow computes them."""
    if isinstance(value, bool):
        return (1.0 if value else 0.0), False
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None, False
        return (number, True) if math.isfinite(number) else (None, False)
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return (1.0 if value.strip().lower() == "yes" else 0.0), False
    return None, False


def as_assessment(row: Mapping[str, Any]) -> Assessment:
    """The `Feedback` / `Expectation` of a row built here (what reading it back would give)."""
    return assessment_from_row(row)
