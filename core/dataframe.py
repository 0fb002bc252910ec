"""Traces as the pandas DataFrame `mlflow.search_traces` returns (MLflow 3.18's columns)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from core.entities import Trace
from core.entities.trace import DATAFRAME_COLUMNS

COLUMNS = DATAFRAME_COLUMNS


def traces_to_frame(traces: Sequence[Trace]) -> pd.DataFrame:
    """One row per trace (`Trace.to_pandas_dataframe_row`): `trace` is its JSON, `state` the
    state's text, `request`/`response` the root's decoded inputs/outputs, `spans`/`assessments`
    lists of dicts."""
    records = []
    for trace in traces:
        row = trace.to_pandas_dataframe_row()
        row["state"] = row["state"].value  # plain text, as pandas leaves MLflow's column
        row["execution_duration"] = row["execution_duration"] or 0
        records.append(row)
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    if frame.empty:
        return frame
    return frame.astype({"request_time": "int64", "execution_duration": "int64"})
