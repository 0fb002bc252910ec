"""Traces as the pandas DataFrame `mlflow.search_traces` returns (MLflow 3.18's columns)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from core.entities import Trace

COLUMNS = (
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


def traces_to_frame(traces: Sequence[Trace]) -> pd.DataFrame:
    """One row per trace; `trace` is its JSON, `spans`/`assessments` lists of dicts."""
    records = []
    for trace in traces:
        info = trace.info
        records.append(
            {
                "trace_id": info.trace_id,
                "trace": trace.to_json(),
                "client_request_id": info.client_request_id,
                "state": info.state,
                "request_time": info.request_time,
                "execution_duration": info.execution_duration or 0,
                "request": trace.data.request,
                "response": trace.data.response,
                "trace_metadata": dict(info.trace_metadata),
                "tags": dict(info.tags),
                "spans": [span.to_dict() for span in trace.data.spans],
                "assessments": [a.to_dict() for a in info.assessments],
            }
        )
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    if frame.empty:
        return frame
    return frame.astype({"request_time": "int64", "execution_duration": "int64"})
