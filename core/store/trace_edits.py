"""What users' calls change on a finished trace: its tags, and the assessments logged on it.

The rows are those MLflow 3.18 writes for `mlflow.set_trace_tag` / `delete_trace_tag` and
`mlflow.log_feedback` / `log_expectation` (read from databases it made, and from
`SqlAlchemyStore.set_trace_tag` / `create_assessment` and `SqlAssessments.from_mlflow_entity`):

* a tag is one `trace_tags` row (key at most 250 characters, value cut at 8,000), replaced
  when set again; `mlflow.traceName` is the `trace_info.trace_name` column instead. Deleting a
  tag the trace does not have is an error.
* an assessment is one `assessments` row: `assessment_id` `a-<32 hex>`, `value` the JSON of the
  value (`null` for a feedback that only has an error), `error` the JSON
  `{"error_code", "error_message", "stack_trace"}` or NULL, both timestamps now (ms), the source
  (feedback: `CODE`, expectation: `HUMAN`, id `default` unless given), `span_id` as given (NULL by
  default: not the root span), `rationale`, `assessment_metadata` the JSON of the metadata or NULL
  when empty, `run_id` NULL unless the metadata names `mlflow.assessment.sourceRunId`,
  `overrides` NULL (an override's: the id it replaces, whose `valid` turns false in the same
  transaction), `valid` true, the trace's `experiment_id` and `timestamp_ms`, and
  `aggregate_value` / `is_numeric_value` by MLflow's `assessment_aggregate` (expectations too).
"""

from __future__ import annotations

import json
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from core.entities import Assessment
from core.errors import NotFoundError
from core.mlflow_keys import (
    ARCHIVAL_FAILURE_TAG,
    ARCHIVE_LOCATION_TAG,
    ARTIFACT_LOCATION_TAG,
    ASSESSMENT_SOURCE_RUN_KEY,
    SPANS_LOCATION_TAG,
    TRACE_NAME_TAG,
    USER_TAG,
)
from core.store import schema as t
from core.store.assessment_rows import EXPECTATION, FEEDBACK, aggregate_value
from core.store.runs import MAX_TAG_KEY_LENGTH, check_tag

if TYPE_CHECKING:
    from core.store.store import Store

#: Longest trace name MLflow accepts (`MAX_CHARS_IN_TRACE_INFO_TAGS_VALUE`).
MAX_TRACE_NAME_LENGTH = 4096
#: Tags MLflow's tracing client refuses to set or delete (it logs a warning and does nothing);
#: `mlflow.trace.archivalFailure` may still be deleted.
IMMUTABLE_TRACE_TAGS = frozenset(
    {
        USER_TAG,
        ARTIFACT_LOCATION_TAG,
        SPANS_LOCATION_TAG,
        ARCHIVE_LOCATION_TAG,
        ARCHIVAL_FAILURE_TAG,
    }
)
#: Assessment source types (MLflow's `AssessmentSourceType`); `AI_JUDGE` is the old LLM_JUDGE.
SOURCE_TYPES = ("SOURCE_TYPE_UNSPECIFIED", "LLM_JUDGE", "HUMAN", "CODE")
DEFAULT_SOURCE_ID = "default"
DEFAULT_FEEDBACK_NAME = "feedback"
#: Error code of an error given as text (MLflow's `Feedback(error="...")`).
TEXT_ERROR_CODE = "ASSESSMENT_ERROR"

ErrorInput = Mapping[str, Any] | str | BaseException | None


@dataclass(frozen=True)
class NewAssessment:
    """One assessment to log, in plain values (what `log_feedback` / `log_expectation` take)."""

    trace_id: str
    name: str
    kind: str  # "feedback" | "expectation"
    value: Any = None
    source_type: str = "CODE"
    source_id: str | None = DEFAULT_SOURCE_ID
    error: Mapping[str, Any] | None = None
    rationale: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    span_id: str | None = None
    #: The assessment this one replaces (`mlflow.override_feedback`); that one turns invalid.
    overrides: str | None = None


def source_type_of(source_type: str) -> str:
    """MLflow's `AssessmentSourceType._standardize`: upper case, `AI_JUDGE` → `LLM_JUDGE`."""
    standard = str(source_type).upper()
    standard = "LLM_JUDGE" if standard == "AI_JUDGE" else standard
    if standard not in SOURCE_TYPES:
        raise ValueError(
            f"{source_type!r} is not an assessment source type: use one of "
            f"{', '.join(SOURCE_TYPES)}."
        )
    return standard


def error_dict(error: ErrorInput) -> dict[str, Any] | None:
    """The stored error of a feedback, `{"error_code", "error_message", "stack_trace"}`.

    An exception gives its class name, message and MLflow's stack trace text (`repr` followed
    by the formatted traceback); text gives code `ASSESSMENT_ERROR`; a mapping needs
    `error_code`.
    """
    if error is None:
        return None
    if isinstance(error, BaseException):
        stack = (repr(error) + "".join(traceback.format_exception(error))).strip()
        return {
            "error_code": type(error).__name__,
            "error_message": str(error),
            "stack_trace": stack,
        }
    if isinstance(error, str):
        return {"error_code": TEXT_ERROR_CODE, "error_message": error, "stack_trace": None}
    if not error.get("error_code"):
        raise ValueError("An assessment error needs an error_code.")
    return {
        "error_code": error["error_code"],
        "error_message": error.get("error_message"),
        "stack_trace": error.get("stack_trace"),
    }


def assessment_row(
    new: NewAssessment, *, experiment_id: int, trace_timestamp_ms: int, now_ms: int
) -> dict[str, Any]:
    """The `assessments` row MLflow's `SqlAssessments.from_mlflow_entity` makes of `new`."""
    try:
        value_json = json.dumps(new.value)
        metadata_json = json.dumps(dict(new.metadata)) if new.metadata else None
    except (TypeError, ValueError) as error:
        raise ValueError(f"Assessment {new.name!r}: its value must be JSON ({error}).") from None
    aggregate, numeric = aggregate_value(new.value)
    run_id = new.metadata.get(ASSESSMENT_SOURCE_RUN_KEY) if new.metadata else None
    return {
        "assessment_id": f"a-{uuid.uuid4().hex}",
        "trace_id": new.trace_id,
        "name": new.name,
        "assessment_type": new.kind,
        "value": value_json,
        "error": json.dumps(new.error) if new.error is not None else None,
        "created_timestamp": now_ms,
        "last_updated_timestamp": now_ms,
        "source_type": source_type_of(new.source_type),
        "source_id": new.source_id,
        "run_id": str(run_id) if run_id is not None else None,
        "span_id": new.span_id,
        "rationale": new.rationale,
        "overrides": new.overrides,
        "valid": True,
        "assessment_metadata": metadata_json,
        "experiment_id": experiment_id,
        "trace_timestamp_ms": trace_timestamp_ms,
        "aggregate_value": aggregate,
        "is_numeric_value": numeric,
    }


class TraceEdits:
    """Tag and assessment writes on the traces of one store (one short transaction each)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- tags -------------------------------------------------------------------------------

    def set_trace_tag(self, trace_id: str, key: str, value: Any) -> None:
        """Set (or replace) tag `key` of a trace, as `mlflow.set_trace_tag`.

        `mlflow.traceName` renames the trace (the `trace_name` column). Raises NotFoundError
        for a missing trace, ValueError for an invalid key or an immutable one (MLflow's
        client logs a warning and does nothing for those: see `IMMUTABLE_TRACE_TAGS`).
        """
        if key in IMMUTABLE_TRACE_TAGS:
            raise ValueError(f"Tag {key!r} is immutable and cannot be set on a trace.")
        key, text = check_tag(key, value)
        if key == TRACE_NAME_TAG and len(text) > MAX_TRACE_NAME_LENGTH:
            raise ValueError(f"A trace name is at most {MAX_TRACE_NAME_LENGTH} characters.")

        def work(connection: Connection) -> None:
            _trace_facts(connection, trace_id)
            ti, tags = t.trace_info, t.trace_tags
            if key == TRACE_NAME_TAG and self._store.layout.has_trace_column("trace_name"):
                connection.execute(
                    update(ti).where(ti.c.request_id == trace_id).values(trace_name=text)
                )
                return
            changed = connection.execute(
                update(tags)
                .where(tags.c.request_id == trace_id, tags.c.key == key)
                .values(value=text)
            ).rowcount
            if not changed:
                connection.execute(insert(tags).values(key=key, value=text, request_id=trace_id))

        self._store.writer.transaction(work)

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        """Remove tag `key` of a trace, as `mlflow.delete_trace_tag`.

        Raises NotFoundError when the trace or the tag is missing, ValueError for an immutable
        tag (`mlflow.trace.archivalFailure` excepted, as in MLflow).
        """
        if key in IMMUTABLE_TRACE_TAGS and key != ARCHIVAL_FAILURE_TAG:
            raise ValueError(f"Tag {key!r} is immutable and cannot be deleted from a trace.")
        if len(key) > MAX_TAG_KEY_LENGTH:
            raise NotFoundError(f"Trace {trace_id} has no tag {key!r}.")

        def work(connection: Connection) -> None:
            _trace_facts(connection, trace_id)
            ti, tags = t.trace_info, t.trace_tags
            if key == TRACE_NAME_TAG and self._store.layout.has_trace_column("trace_name"):
                gone = connection.execute(
                    update(ti)
                    .where(ti.c.request_id == trace_id, ti.c.trace_name.is_not(None))
                    .values(trace_name=None)
                ).rowcount
            else:
                gone = connection.execute(
                    delete(tags).where(tags.c.request_id == trace_id, tags.c.key == key)
                ).rowcount
            if not gone:
                raise NotFoundError(f"Trace {trace_id} has no tag {key!r}.")

        self._store.writer.transaction(work)

    # -- assessments ------------------------------------------------------------------------

    def log_feedback(
        self,
        trace_id: str,
        name: str = DEFAULT_FEEDBACK_NAME,
        value: Any = None,
        *,
        source_type: str = "CODE",
        source_id: str | None = DEFAULT_SOURCE_ID,
        error: ErrorInput = None,
        rationale: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        span_id: str | None = None,
    ) -> str:
        """Log a feedback on a trace as `mlflow.log_feedback` does; returns its assessment id.

        `error` is a mapping with `error_code` (and `error_message`, `stack_trace`), a message,
        or an exception (see `error_dict`); without a value the stored value is `null`.
        """
        return self.log_assessment(
            NewAssessment(
                trace_id=trace_id,
                name=name,
                kind=FEEDBACK,
                value=value,
                source_type=source_type,
                source_id=source_id,
                error=error_dict(error),
                rationale=rationale,
                metadata=dict(metadata or {}),
                span_id=span_id,
            )
        )

    def log_expectation(
        self,
        trace_id: str,
        name: str,
        value: Any,
        *,
        source_type: str = "HUMAN",
        source_id: str | None = DEFAULT_SOURCE_ID,
        metadata: Mapping[str, Any] | None = None,
        span_id: str | None = None,
    ) -> str:
        """Log an expectation (ground truth) on a trace as `mlflow.log_expectation` does;
        returns its assessment id. The value must be given (None is refused, as by MLflow)."""
        if value is None:
            raise ValueError("An expectation needs a value.")
        return self.log_assessment(
            NewAssessment(
                trace_id=trace_id,
                name=name,
                kind=EXPECTATION,
                value=value,
                source_type=source_type,
                source_id=source_id,
                metadata=dict(metadata or {}),
                span_id=span_id,
            )
        )

    def log_assessment(self, new: NewAssessment) -> str:
        """Store one assessment row (see the module docstring); returns its id."""
        if new.kind not in (FEEDBACK, EXPECTATION):
            raise ValueError(f"{new.kind!r} is not an assessment type: feedback or expectation.")
        if not new.name:
            raise ValueError("An assessment needs a name.")
        if new.error is not None and new.kind != FEEDBACK:
            raise ValueError("Only a feedback can carry an error.")
        source_type_of(new.source_type)  # refuse a bad source before opening a transaction

        def work(connection: Connection) -> str:
            experiment_id, timestamp_ms = _trace_facts(connection, new.trace_id, lock=True)
            if new.overrides is not None:
                _invalidate(connection, new.trace_id, new.overrides)
            row = assessment_row(
                new,
                experiment_id=experiment_id,
                trace_timestamp_ms=timestamp_ms,
                now_ms=_now_ms(),
            )
            connection.execute(insert(t.assessments).values(**row))
            return str(row["assessment_id"])

        return self._store.writer.transaction(work)

    def override_feedback(
        self,
        trace_id: str,
        assessment_id: str,
        value: Any,
        *,
        rationale: str | None = None,
        source_type: str = "CODE",
        source_id: str | None = DEFAULT_SOURCE_ID,
    ) -> str:
        """Replace a feedback, keeping the old one as invalid history; the new id (see
        `core.store.assessment_edits`)."""
        from core.store import assessment_edits  # it builds on this module

        return assessment_edits.override_feedback(
            self._store,
            trace_id,
            assessment_id,
            value,
            rationale=rationale,
            source_type=source_type,
            source_id=source_id,
        )

    def update_assessment(
        self, trace_id: str, assessment_id: str, *, name: str | None = None, value: Any
    ) -> Assessment:
        """Rewrite an assessment's name and value in place (MLflow's `update_assessment`)."""
        from core.store import assessment_edits

        return assessment_edits.update_assessment(
            self._store, trace_id, assessment_id, name=name, value=value
        )

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        """Remove an assessment; the one it overrode is valid again."""
        from core.store import assessment_edits

        assessment_edits.delete_assessment(self._store, trace_id, assessment_id)

    def assessment(self, trace_id: str, assessment_id: str) -> Assessment:
        """One assessment of a trace, read back; NotFoundError when missing."""
        for found in self._store.reader.assessments([trace_id]).get(trace_id, []):
            if found.assessment_id == assessment_id:
                return found
        raise NotFoundError(f"Trace {trace_id} has no assessment {assessment_id}.")


def _invalidate(connection: Connection, trace_id: str, assessment_id: str) -> None:
    """Mark the assessment an override replaces as no longer valid (MLflow's `valid = False`)."""
    a = t.assessments
    changed = connection.execute(
        update(a)
        .where(a.c.trace_id == trace_id, a.c.assessment_id == assessment_id)
        .values(valid=False)
    ).rowcount
    if not changed:
        raise NotFoundError(f"Trace {trace_id} has no assessment {assessment_id}.")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _trace_facts(connection: Connection, trace_id: str, lock: bool = False) -> tuple[int, int]:
    """(experiment id, timestamp ms) of a trace; with `lock`, its row is locked for the
    transaction on a server (MLflow's `for_update`), so a concurrent rewrite waits."""
    ti = t.trace_info
    statement = select(ti.c.experiment_id, ti.c.timestamp_ms).where(ti.c.request_id == trace_id)
    if lock:
        statement = statement.with_for_update()
    row = connection.execute(statement).first()
    if row is None:
        raise NotFoundError(f"Trace {trace_id} does not exist.")
    return int(row.experiment_id), int(row.timestamp_ms)
