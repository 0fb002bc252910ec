"""`Trace`: a trace's info and its spans (MLflow's `mlflow.entities.Trace`)."""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from core import jsonutil
from core.entities.assessment import Assessment, Expectation, Feedback
from core.entities.span import Span
from core.entities.trace_data import TraceData
from core.entities.trace_info import TraceInfo

__all__ = ["Trace", "TraceData"]

#: The columns of MLflow's `search_traces` DataFrame, in its order.
DATAFRAME_COLUMNS = (
    "trace_id",
    "trace",
    "client_request_id",
    "state",
    "request_time",
    "execution_duration",
    "request",
    "response",
    "trace_metadata",
    "tags",
    "spans",
    "assessments",
)


@dataclass
class Trace:
    """A trace with its spans. `problems` (TraceDesk's) says what is missing or broken, in words."""

    info: TraceInfo
    data: TraceData
    problems: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Trace(trace_id={self.info.trace_id!r})"

    @property
    def trace_id(self) -> str:
        return self.info.trace_id

    # -- MLflow's dictionary and JSON forms -------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {"info": self.info.to_dict(), "data": self.data.to_dict()}

    def to_json(self, pretty: bool = False) -> str:
        spans = None if pretty else _stored_spans(self.data.spans)
        if spans is None:
            return json.dumps(self.to_dict(), indent=2 if pretty else None, default=str)
        info = json.dumps(self.info.to_dict(), default=str)  # the spans as stored, not again
        return f'{{"info": {info}, "data": {{"spans": [{", ".join(spans)}]}}}}'

    @classmethod
    def from_dict(cls, trace_dict: Mapping[str, Any]) -> Trace:
        info, data = trace_dict.get("info"), trace_dict.get("data")
        if info is None or data is None:
            raise ValueError(
                "Unable to parse Trace from dictionary. Expected keys: 'info' and 'data'. "
                f"Received keys: {list(trace_dict.keys())}"
            )
        return cls(info=TraceInfo.from_dict(info), data=TraceData.from_dict(data))

    @classmethod
    def from_json(cls, trace_json: str) -> Trace:
        try:
            trace_dict = json.loads(trace_json)
        except json.JSONDecodeError as exc:
            raise ValueError(f"Unable to parse trace JSON: {exc}") from exc
        return cls.from_dict(trace_dict)

    # -- search -----------------------------------------------------------------------------

    def search_spans(
        self,
        span_type: str | None = None,
        name: str | re.Pattern[str] | None = None,
        span_id: str | None = None,
    ) -> list[Span]:
        """The spans of the given type, name (exact, or a compiled regex searched) and id."""
        if name is not None and not isinstance(name, str | re.Pattern):
            raise TypeError(
                f"Invalid type for 'name'. Expected str or re.Pattern. Got: {type(name)}"
            )
        if span_type is not None and not isinstance(span_type, str):
            raise TypeError(
                f"Invalid type for 'span_type'. Expected str or SpanType. Got: {type(span_type)}"
            )

        def matches(span: Span) -> bool:
            if span_type is not None and span.span_type != span_type:
                return False
            if span_id is not None and span.span_id != span_id:
                return False
            if isinstance(name, str):
                return span.name == name
            return name is None or name.search(span.name) is not None

        return [span for span in self.data.spans if matches(span)]

    def search_assessments(
        self,
        name: str | None = None,
        *,
        span_id: str | None = None,
        all: bool = False,
        type: Literal["expectation", "feedback"] | None = None,
    ) -> list[Assessment]:
        """The trace's assessments of that name, span and type; valid ones unless `all`."""
        kinds: dict[str, builtins.type[Assessment]] = {
            "expectation": Expectation,
            "feedback": Feedback,
        }
        wanted = kinds.get(type) if type is not None else None
        return [
            a
            for a in self.info.assessments
            if (name is None or a.name == name)
            and (span_id is None or a.span_id == span_id)
            and (all or a.valid in (True, None))
            and (wanted is None or isinstance(a, wanted))
        ]

    # -- MLflow's DataFrame row -------------------------------------------------------------

    @staticmethod
    def pandas_dataframe_columns() -> list[str]:
        return list(DATAFRAME_COLUMNS)

    def to_pandas_dataframe_row(self) -> dict[str, Any]:
        """The trace as one row of `search_traces`' DataFrame (MLflow 3.18's columns)."""
        info = self.info
        return {
            "trace_id": info.trace_id,
            "trace": self.to_json(),
            "client_request_id": info.client_request_id,
            "state": info.state,
            "request_time": info.request_time,
            "execution_duration": info.execution_duration,
            "request": _decoded(self.data.request),
            "response": _decoded(self.data.response),
            "trace_metadata": dict(info.trace_metadata),
            "tags": dict(info.tags),
            "spans": [span.to_dict() for span in self.data.spans],
            "assessments": [a.to_dictionary() for a in info.assessments],
        }


def _stored_spans(spans: Sequence[Span]) -> list[str] | None:
    """Each span's stored JSON, when every one is `to_dict()` as it is (else None)."""
    texts = []
    for span in spans:
        text = span.stored_json()
        if text is None:
            return None
        texts.append(text)
    return texts


def _decoded(value: str | None) -> Any:
    """JSON text decoded; text that is not JSON (or None) as it is, as MLflow does."""
    if value is None:
        return None
    try:
        return jsonutil.loads(value)
    except ValueError:
        return value
