"""The `datasets` row MLflow logs for an evaluation's data (`mlflow.data.from_pandas`).

Name `dataset`, source type `code` with the run context tags as source, MLflow's 8-hex digest
of the table (`compute_pandas_digest`: the string and number columns of the first 10,000 rows,
the row count and the column names), its column schema and its size.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.evaluation.colspec import infer_schema

DATASET_NAME = "dataset"
SOURCE_TYPE = "code"
MAX_ROWS = 10_000


@dataclass(frozen=True)
class DatasetRecord:
    """What one `datasets` row holds (the JSON columns already encoded)."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None
    profile: str


def describe(frame: pd.DataFrame, context_tags: Mapping[str, str]) -> DatasetRecord:
    """The dataset record of an evaluation's table."""
    schema = infer_schema(frame)
    return DatasetRecord(
        name=DATASET_NAME,
        digest=pandas_digest(frame),
        source_type=SOURCE_TYPE,
        source=json.dumps({"tags": dict(context_tags)}),
        schema=json.dumps({"mlflow_colspec": schema}) if schema is not None else None,
        profile=json.dumps({"num_rows": len(frame), "num_elements": int(frame.size)}),
    )


def pandas_digest(frame: pd.DataFrame) -> str:
    """MLflow's digest of a DataFrame (equal to what `mlflow.data.from_pandas` records)."""
    head = frame.head(MAX_ROWS)
    strings = head.columns[[_all_strings(column) for _, column in frame.items()]]
    numbers = head.select_dtypes(include=[np.number]).columns
    kept = head[strings.union(numbers)]
    md5 = hashlib.md5(usedforsecurity=False)
    md5.update(pd.util.hash_pandas_object(kept).to_numpy().tobytes())
    md5.update(np.int64(len(frame)).tobytes())
    for name in frame.columns:
        md5.update(str(name).encode())
    return md5.hexdigest()[:8]


def _all_strings(column: pd.Series) -> bool:
    return all(type(x) is str for x in column.iloc[:1]) and all(
        type(x) is str for x in column.to_numpy(dtype=object)
    )
