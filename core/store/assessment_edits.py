"""Changing and removing assessments already stored, in MLflow 3.18's rows.

What `mlflow.override_feedback`, `update_assessment` and `delete_assessment` do in its
`SqlAlchemyStore` (`create_assessment` with `overrides`, `update_assessment`,
`delete_assessment`):

* an override is a new feedback row (the old one's name and span, the new value, rationale,
  source and metadata) whose `overrides` names the old one; the old row stays, with `valid`
  false. That is the history: the chain of `overrides` back to the first value.
* an update rewrites the row in place: name, value (and a feedback's error), rationale (a
  feedback's; an expectation's is cleared), metadata merged into the old (new keys win),
  `last_updated_timestamp` now and the aggregate recomputed. Source and span never change.
* a delete removes the row; when it was an override, the row it replaced turns valid again.
  Deleting an assessment that is not there does nothing (the trace must exist).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select, update

from core.entities import Assessment, Expectation, Feedback
from core.errors import NotFoundError
from core.store import schema as t
from core.store.assessment_codec import assessment_from_row
from core.store.assessment_rows import FEEDBACK, aggregate_value
from core.store.trace_edits import (
    DEFAULT_SOURCE_ID,
    ErrorInput,
    NewAssessment,
    _now_ms,
    _trace_facts,
    error_dict,
)

if TYPE_CHECKING:
    from core.store.store import Store

#: "Keep the stored value" for `update_assessment` (None is a value a feedback may have).
KEEP: Any = object()


def override_feedback(
    store: Store,
    trace_id: str,
    assessment_id: str,
    value: Any,
    *,
    rationale: str | None = None,
    source_type: str = "CODE",
    source_id: str | None = DEFAULT_SOURCE_ID,
    metadata: Mapping[str, Any] | None = None,
) -> str:
    """Replace a feedback by a new one (the old one kept, invalid); returns the new id.

    Raises NotFoundError for a missing trace or assessment, ValueError when the assessment is
    no feedback.
    """
    old = store.trace_edits.assessment(trace_id, assessment_id)
    if not isinstance(old, Feedback):
        raise ValueError(f"The assessment with ID {assessment_id} is not a feedback assessment.")
    return store.trace_edits.log_assessment(
        NewAssessment(
            trace_id=trace_id,
            name=old.name,
            kind=FEEDBACK,
            value=value,
            source_type=source_type,
            source_id=source_id,
            rationale=rationale,
            metadata=dict(metadata or {}),
            span_id=old.span_id,
            overrides=old.assessment_id,
        )
    )


def update_assessment(
    store: Store,
    trace_id: str,
    assessment_id: str,
    *,
    name: str | None = None,
    value: Any = KEEP,
    error: ErrorInput = None,
    rationale: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Assessment:
    """Rewrite an assessment in place (see the module docstring); the updated assessment.

    `value` (with `error` for a feedback: given together, as MLflow's `FeedbackValue`) replaces
    the stored value; `name` and `rationale` replace theirs when given. An expectation's value
    cannot be None. Raises NotFoundError for a missing trace or assessment.
    """
    problem = error_dict(error)

    def work(connection: Connection) -> Assessment:
        a = t.assessments
        row = _row(connection, trace_id, assessment_id)
        existing = assessment_from_row(row)
        if not isinstance(existing, Feedback | Expectation):
            raise ValueError(
                f"Assessment {assessment_id} is neither a feedback nor an expectation."
            )
        merged: dict[str, Any] | None = None
        if existing.metadata or metadata:
            merged = {**(existing.metadata or {}), **dict(metadata or {})}
        if isinstance(existing, Expectation):
            if problem is not None:
                raise ValueError("Only a feedback can carry an error.")
            new_value = existing.value if value is KEEP else value
            if new_value is None:
                raise ValueError("An expectation needs a value.")
            error_json, new_rationale = None, None
        else:
            new_value = existing.value if value is KEEP else value
            stored_error = existing.error_dict if value is KEEP else problem
            error_json = json.dumps(stored_error) if stored_error is not None else None
            new_rationale = rationale if rationale is not None else existing.rationale
        try:
            value_json = json.dumps(new_value)
        except (TypeError, ValueError) as why:
            raise ValueError(
                f"Assessment {assessment_id}: its value must be JSON ({why})."
            ) from None
        aggregate, numeric = aggregate_value(new_value)
        connection.execute(
            update(a)
            .where(a.c.trace_id == trace_id, a.c.assessment_id == assessment_id)
            .values(
                name=name if name is not None else existing.name,
                value=value_json,
                error=error_json,
                last_updated_timestamp=_now_ms(),
                rationale=new_rationale,
                assessment_metadata=json.dumps(merged) if merged else None,
                aggregate_value=aggregate,
                is_numeric_value=numeric,
            )
        )
        return assessment_from_row(_row(connection, trace_id, assessment_id))

    return store.writer.transaction(work)


def delete_assessment(store: Store, trace_id: str, assessment_id: str) -> None:
    """Remove an assessment; the one it overrode (if any) turns valid again.

    Raises NotFoundError when the trace is missing; a missing assessment is no error.
    """

    def work(connection: Connection) -> None:
        a = t.assessments
        _trace_facts(connection, trace_id)
        found = connection.execute(
            select(a.c.overrides).where(
                a.c.trace_id == trace_id, a.c.assessment_id == assessment_id
            )
        ).first()
        if found is None:
            return
        if found.overrides:
            connection.execute(
                update(a).where(a.c.assessment_id == found.overrides).values(valid=True)
            )
        connection.execute(
            delete(a).where(a.c.trace_id == trace_id, a.c.assessment_id == assessment_id)
        )

    store.writer.transaction(work)


def _row(connection: Connection, trace_id: str, assessment_id: str) -> Mapping[str, Any]:
    a = t.assessments
    row = (
        connection.execute(
            select(a).where(a.c.trace_id == trace_id, a.c.assessment_id == assessment_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        _trace_facts(connection, trace_id)  # NotFoundError for a missing trace first
        raise NotFoundError(f"Trace {trace_id} has no assessment {assessment_id}.")
    return dict(row)
