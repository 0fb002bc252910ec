"""`TraceRow`: one line of the trace list, and what a list may ask for beyond its columns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TraceRow:
    """One line of the trace list: the `trace_info` columns, and the tags, metadata and
    assessments the list asked for (`TraceRowExtras`), read with one more query per page."""

    trace_id: str
    experiment_id: str
    request_time: int
    execution_duration: int | None
    state: str
    name: str | None
    request_preview: str | None
    response_preview: str | None
    session_id: str | None
    total_tokens: int | None
    #: What in the stored row could not be read (a time that is text...), in words.
    problems: tuple[str, ...] = ()
    #: USD, where MLflow priced the trace's LLM calls (MLflow ≥ 3.2); None elsewhere.
    total_cost: float | None = None
    #: The asked-for tags / metadata this trace has (keys it lacks are absent).
    tags: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)
    #: Assessment name -> the newest valid assessment of that name on the trace.
    assessments: Mapping[str, RowAssessment] = field(default_factory=dict)


@dataclass(frozen=True)
class RowAssessment:
    """The assessment a trace list cell shows: its kind, value and whether it failed."""

    assessment_type: str  # "feedback" or "expectation"
    value: Any  # the decoded JSON value; None when the scorer failed
    failed: bool = False  # the assessment carries an error instead of a value


@dataclass(frozen=True)
class TraceRowExtras:
    """What trace list rows carry beyond `trace_info`: these tag and metadata keys and the
    assessments of these names. Empty: nothing more is read."""

    tag_keys: tuple[str, ...] = ()
    metadata_keys: tuple[str, ...] = ()
    assessment_names: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.tag_keys or self.metadata_keys or self.assessment_names)


@dataclass(frozen=True)
class TraceListKeys:
    """The tag keys and assessment names that traces of some experiments have: the columns a
    trace list can add. Tag keys come from the newest traces only (see `StoreReader`)."""

    tag_keys: tuple[str, ...] = ()
    assessment_names: tuple[str, ...] = ()
