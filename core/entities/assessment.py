"""Assessments attached to a trace (MLflow's `mlflow.entities.Assessment`): `Feedback` (a
scorer's or a person's verdict), `Expectation` (the expected answer) and `IssueReference`.

They have MLflow's constructors and fields, so what a scorer returns and what `get_trace` reads
back are the same classes as in MLflow: `feedback.value`, `.rationale`, `.error.error_message`,
`.source.source_type`. `assessment_type`, `source_type` and `source_id` are TraceDesk's
shortcuts (read-only).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.entities.assessment_error import AssessmentError, as_assessment_error
from core.entities.assessment_source import AssessmentSource, AssessmentSourceType
from core.entities.ids import iso_time_ms, parse_iso_time_ms
from core.mlflow_keys import ASSESSMENT_SOURCE_RUN_KEY

#: The name of a `Feedback` given none.
DEFAULT_FEEDBACK_NAME = "feedback"
FEEDBACK, EXPECTATION, ISSUE = "feedback", "expectation", "issue"
_JSON_FORMAT = "JSON_FORMAT"


def _proto_value(value: Any) -> Any:
    """A value as protobuf's `Value` gives it back in JSON: every number is a float."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _proto_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_proto_value(v) for v in value]
    return str(value)


@dataclass
class FeedbackValue:
    """A feedback's value and, when it could not be made, its error."""

    value: Any
    error: AssessmentError | None = None

    def to_dictionary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": _proto_value(self.value)}
        if self.error is not None:
            error: dict[str, Any] = {"error_code": self.error.error_code}
            if self.error.error_message:
                error["error_message"] = self.error.error_message
            if self.error.stack_trace:
                error["stack_trace"] = self.error.stack_trace
            out["error"] = error
        return out

    @classmethod
    def from_dictionary(cls, d: Mapping[str, Any]) -> FeedbackValue:
        error = d.get("error")
        return cls(
            value=d.get("value"),
            error=AssessmentError.from_dictionary(error) if error else None,
        )


@dataclass
class ExpectationValue:
    """An expectation's value: anything JSON can hold."""

    value: Any

    def to_dictionary(self) -> dict[str, Any]:
        if self.value is None or isinstance(self.value, int | float | bool | str):
            return {"value": _proto_value(self.value)}
        return {
            "serialized_value": {
                "serialization_format": _JSON_FORMAT,
                "value": json.dumps(self.value),
            }
        }

    @classmethod
    def from_dictionary(cls, d: Mapping[str, Any]) -> ExpectationValue:
        if "value" in d:
            return cls(d["value"])
        if "serialized_value" in d:
            return cls(json.loads(d["serialized_value"]["value"]))
        raise ValueError("An expectation needs a 'value' or a 'serialized_value'.")


@dataclass
class IssueReferenceValue:
    """The issue an `IssueReference` points at."""

    issue_name: str

    def to_dictionary(self) -> dict[str, Any]:
        return {"issue_name": self.issue_name}


@dataclass
class Assessment:
    """What every assessment has. Make one with `Feedback`, `Expectation` or `IssueReference`.

    Exactly one of `feedback`, `expectation` and `issue` is set. Times default to now; `run_id`
    to the evaluation run named in the metadata.
    """

    name: str
    source: AssessmentSource
    trace_id: str | None = None
    run_id: str | None = None
    rationale: str | None = None
    metadata: dict[str, str] | None = None
    span_id: str | None = None
    create_time_ms: int | None = None
    last_update_time_ms: int | None = None
    assessment_id: str | None = None
    error: AssessmentError | None = None
    expectation: ExpectationValue | None = None
    feedback: FeedbackValue | None = None
    issue: IssueReferenceValue | None = None
    overrides: str | None = None
    valid: bool | None = None

    def __post_init__(self) -> None:
        kinds = [v for v in (self.expectation, self.feedback, self.issue) if v is not None]
        if len(kinds) != 1:
            raise ValueError(
                "Exactly one of `expectation`, `feedback`, or `issue` should be specified."
            )
        if self.error is not None:
            if self.feedback is None:
                raise ValueError("Only a feedback can have an `error`.")
            self.feedback.error = self.error
        now = int(time.time() * 1000)
        if self.create_time_ms is None:
            self.create_time_ms = now
        if self.last_update_time_ms is None:
            self.last_update_time_ms = now
        if not isinstance(self.source, AssessmentSource):
            raise TypeError(
                f"`source` must be an instance of `AssessmentSource`. Got {type(self.source)}."
            )
        if self.run_id is None and self.metadata and ASSESSMENT_SOURCE_RUN_KEY in self.metadata:
            self.run_id = self.metadata[ASSESSMENT_SOURCE_RUN_KEY]

    # -- TraceDesk's shortcuts ----------------------------------------------------------------

    @property
    def assessment_type(self) -> str:
        """`"feedback"`, `"expectation"` or `"issue"`: the `assessments.assessment_type`."""
        if self.feedback is not None:
            return FEEDBACK
        return EXPECTATION if self.expectation is not None else ISSUE

    @property
    def value(self) -> Any:
        """The feedback's or expectation's value (an issue's `{"issue_name": ...}`)."""
        if self.feedback is not None:
            return self.feedback.value
        if self.expectation is not None:
            return self.expectation.value
        return self.issue.to_dictionary() if self.issue is not None else None

    @property
    def source_type(self) -> str:
        return self.source.source_type

    @property
    def source_id(self) -> str | None:
        return self.source.source_id

    # -- MLflow's dictionary form -------------------------------------------------------------

    def to_dictionary(self) -> dict[str, Any]:
        """MLflow's `Assessment.to_dictionary()` (its protobuf message as JSON)."""
        out: dict[str, Any] = {}
        if self.assessment_id is not None:
            out["assessment_id"] = self.assessment_id
        out["assessment_name"] = self.name
        out["trace_id"] = self.trace_id or ""
        if self.span_id is not None:
            out["span_id"] = self.span_id
        source: dict[str, Any] = {"source_type": self.source.source_type}
        if self.source.source_id:
            source["source_id"] = self.source.source_id
        out["source"] = source
        out["create_time"] = iso_time_ms(self.create_time_ms or 0)
        out["last_update_time"] = iso_time_ms(self.last_update_time_ms or 0)
        if self.expectation is not None:
            out[EXPECTATION] = self.expectation.to_dictionary()
        elif self.feedback is not None:
            out[FEEDBACK] = self.feedback.to_dictionary()
        elif self.issue is not None:
            out[ISSUE] = self.issue.to_dictionary()
        if self.rationale is not None:
            out["rationale"] = self.rationale
        if self.metadata:
            out["metadata"] = {k: str(v) for k, v in self.metadata.items()}
        if self.overrides:
            out["overrides"] = self.overrides
        if self.valid is not None:
            out["valid"] = self.valid
        return out

    @classmethod
    def from_dictionary(cls, d: Mapping[str, Any]) -> Assessment:
        """The `Feedback`, `Expectation` or `IssueReference` of `to_dictionary()`'s form."""
        if d.get(EXPECTATION):
            return Expectation.from_dictionary(d)
        if d.get(FEEDBACK):
            return Feedback.from_dictionary(d)
        if d.get(ISSUE):
            return IssueReference.from_dictionary(d)
        raise ValueError(f"Unknown assessment type: {d.get('assessment_name')}")


def _common(d: Mapping[str, Any]) -> dict[str, Any]:
    """Constructor arguments every assessment type shares, from the dictionary form."""
    source = d.get("source")
    metadata = d.get("metadata")
    return {
        "trace_id": d.get("trace_id") or None,
        "name": d["assessment_name"],
        "source": AssessmentSource.from_dictionary(source) if source else None,
        "create_time_ms": parse_iso_time_ms(d["create_time"]),
        "last_update_time_ms": parse_iso_time_ms(d["last_update_time"]),
        "metadata": dict(metadata) if metadata else None,
        "span_id": d.get("span_id"),
    }


class Feedback(Assessment):
    """A verdict on a trace or a span: a value, why (`rationale`), or why not (`error`).

    This is also what a scorer returns. `error` takes an exception, a message, an
    `AssessmentError` or (TraceDesk) a mapping of its fields. The source defaults to
    `CODE` / `default`, the name to `"feedback"` (which a scorer's name replaces).
    """

    def __init__(
        self,
        name: str = DEFAULT_FEEDBACK_NAME,
        value: Any = None,
        error: BaseException | AssessmentError | str | Mapping[str, Any] | None = None,
        source: AssessmentSource | None = None,
        trace_id: str | None = None,
        metadata: dict[str, str] | None = None,
        span_id: str | None = None,
        create_time_ms: int | None = None,
        last_update_time_ms: int | None = None,
        rationale: str | None = None,
        overrides: str | None = None,
        valid: bool = True,
    ) -> None:
        problem = as_assessment_error(error)
        super().__init__(
            name=name,
            source=source if source is not None else AssessmentSource(AssessmentSourceType.CODE),
            trace_id=trace_id,
            metadata=metadata,
            span_id=span_id,
            create_time_ms=create_time_ms,
            last_update_time_ms=last_update_time_ms,
            error=problem,
            feedback=FeedbackValue(value=value, error=problem),
            rationale=rationale,
            overrides=overrides,
            valid=valid,
        )

    @property
    def value(self) -> Any:
        return self.feedback.value if self.feedback is not None else None

    @value.setter
    def value(self, value: Any) -> None:
        if self.feedback is not None:
            self.feedback.value = value

    @property
    def error_code(self) -> str | None:
        error = self.feedback.error if self.feedback is not None else None
        return error.error_code if error is not None else None

    @property
    def error_message(self) -> str | None:
        error = self.feedback.error if self.feedback is not None else None
        return error.error_message if error is not None else None

    @property
    def error_dict(self) -> dict[str, Any] | None:
        """The error as MLflow stores it (`{error_code, error_message, stack_trace}`), or None."""
        return self.error.to_dictionary() if self.error is not None else None

    @classmethod
    def from_dictionary(cls, d: Mapping[str, Any]) -> Feedback:
        body = d.get(FEEDBACK)
        if not body:
            raise ValueError("`feedback` must exist in the dictionary.")
        value = FeedbackValue.from_dictionary(body)
        feedback = cls(
            **_common(d),
            value=value.value,
            error=value.error,
            rationale=d.get("rationale"),
            overrides=d.get("overrides"),
            valid=d.get("valid", True),
        )
        feedback.assessment_id = d.get("assessment_id") or None
        return feedback


class Expectation(Assessment):
    """The expected value of a trace's output (or anything else named), e.g. the right answer.

    The source defaults to `HUMAN` / `default`; `value` must not be None.
    """

    def __init__(
        self,
        name: str,
        value: Any,
        source: AssessmentSource | None = None,
        trace_id: str | None = None,
        metadata: dict[str, str] | None = None,
        span_id: str | None = None,
        create_time_ms: int | None = None,
        last_update_time_ms: int | None = None,
    ) -> None:
        if value is None:
            raise ValueError("The `value` field must be specified.")
        super().__init__(
            name=name,
            source=source if source is not None else AssessmentSource(AssessmentSourceType.HUMAN),
            trace_id=trace_id,
            metadata=metadata,
            span_id=span_id,
            create_time_ms=create_time_ms,
            last_update_time_ms=last_update_time_ms,
            expectation=ExpectationValue(value=value),
        )

    @property
    def value(self) -> Any:
        return self.expectation.value if self.expectation is not None else None

    @value.setter
    def value(self, value: Any) -> None:
        if self.expectation is not None:
            self.expectation.value = value

    @classmethod
    def from_dictionary(cls, d: Mapping[str, Any]) -> Expectation:
        body = d.get(EXPECTATION)
        if not body:
            raise ValueError("`expectation` must exist in the dictionary.")
        expectation = cls(**_common(d), value=ExpectationValue.from_dictionary(body).value)
        expectation.assessment_id = d.get("assessment_id") or None
        # Kept, unlike MLflow's from_dictionary, so that a trace's JSON round-trips whole.
        expectation.overrides = d.get("overrides") or None
        expectation.valid = d.get("valid")
        return expectation


class IssueReference(Assessment):
    """A link from a trace to an issue found in it (its id is the assessment's name)."""

    def __init__(
        self,
        issue_id: str,
        issue_name: str,
        source: AssessmentSource | None = None,
        trace_id: str | None = None,
        run_id: str | None = None,
        rationale: str | None = None,
        metadata: dict[str, str] | None = None,
        span_id: str | None = None,
        create_time_ms: int | None = None,
        last_update_time_ms: int | None = None,
    ) -> None:
        super().__init__(
            name=issue_id,
            source=source
            if source is not None
            else AssessmentSource(AssessmentSourceType.LLM_JUDGE),
            trace_id=trace_id,
            run_id=run_id,
            rationale=rationale,
            metadata=metadata,
            span_id=span_id,
            create_time_ms=create_time_ms,
            last_update_time_ms=last_update_time_ms,
            issue=IssueReferenceValue(issue_name=issue_name),
        )

    @property
    def issue_id(self) -> str:
        return self.name

    @property
    def issue_name(self) -> str:
        return self.issue.issue_name if self.issue is not None else ""

    @classmethod
    def from_dictionary(cls, d: Mapping[str, Any]) -> IssueReference:
        body = d.get(ISSUE)
        if not body:
            raise ValueError("`issue` must exist in the dictionary.")
        common = _common(d)
        issue = cls(
            issue_id=common.pop("name"),
            issue_name=str(body["issue_name"]),
            rationale=d.get("rationale"),
            **common,
        )
        issue.assessment_id = d.get("assessment_id") or None
        if d.get("run_id"):
            issue.run_id = d["run_id"]
        return issue
