"""Managed evaluation datasets (`mlflow.genai.datasets`): named, stored sets of test cases.

    import core as mlflow

    dataset = mlflow.genai.datasets.create_dataset(name="qa_golden")
    dataset.merge_records(mlflow.search_traces(return_type="list"))  # inputs + expectations
    mlflow.genai.evaluate(data=dataset, scorers=[...], predict_fn=answer)

The rows are MLflow 3.18's (see `core.store.eval_datasets`), so MLflow reads what is written
here and the other way round. Records made from traces take the root span's inputs and outputs
and the trace's valid expectation assessments, with the trace as their source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from core import context
from core.entities import Trace
from core.errors import NotFoundError
from core.mlflow_keys import SESSION_METADATA, USER_TAG
from core.run_context import source_metadata
from core.store.eval_datasets import DatasetRow, EvaluationDatasets, MergeCount, RecordRow
from core.store.store import Store

if TYPE_CHECKING:
    import pandas as pd

    from core.evaluation.dataset import DatasetRecord

__all__ = [
    "EvaluationDataset",
    "create_dataset",
    "get_dataset",
    "search_datasets",
]

MANAGED_SOURCE_TYPE = "mlflow_evaluation_dataset"
#: The columns of `EvaluationDataset.to_df()`, in MLflow's order.
RECORD_COLUMNS = [
    "inputs",
    "outputs",
    "expectations",
    "tags",
    "source_type",
    "source_id",
    "source",
    "created_time",
    "dataset_record_id",
]


class EvaluationDataset:
    """A stored dataset: its facts, its records (read when asked) and `merge_records`."""

    def __init__(self, row: DatasetRow, store: Store) -> None:
        self._row = row
        self._store = store
        self.last_merge: MergeCount | None = None

    def __repr__(self) -> str:
        return f"EvaluationDataset(dataset_id={self.dataset_id!r}, name={self.name!r})"

    @property
    def dataset_id(self) -> str:
        return self._row.dataset_id

    @property
    def name(self) -> str:
        return self._row.name

    @property
    def digest(self) -> str | None:
        return self._row.digest

    @property
    def created_time(self) -> int | None:
        return self._row.created_time

    @property
    def last_update_time(self) -> int | None:
        return self._row.last_update_time

    @property
    def created_by(self) -> str | None:
        return self._row.created_by

    @property
    def last_updated_by(self) -> str | None:
        return self._row.last_updated_by

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._row.tags)

    @property
    def schema(self) -> str | None:
        return self._row.schema

    @property
    def profile(self) -> str | None:
        return self._row.profile

    @property
    def experiment_ids(self) -> list[str]:
        return EvaluationDatasets(self._store).experiment_ids(self.dataset_id)

    @property
    def records(self) -> list[RecordRow]:
        return EvaluationDatasets(self._store).records(self.dataset_id)

    def merge_records(
        self, records: Sequence[Mapping[str, Any]] | Sequence[Trace] | pd.DataFrame
    ) -> EvaluationDataset:
        """Add records (dicts with `inputs`, and `expectations`, `outputs`, `tags`,
        `source`), traces, or a DataFrame of either; a record whose inputs the dataset already
        holds is merged into it. Returns this dataset, refreshed."""
        record_dicts = records_of(records)
        user = source_metadata().get(USER_TAG)
        for record in record_dicts:
            _infer_source(record)
            if user:
                record["tags"] = {USER_TAG: user, **(record.get("tags") or {})}
        datasets = EvaluationDatasets(self._store)
        self.last_merge = datasets.merge(self.dataset_id, record_dicts)
        self._row = datasets.get(self.dataset_id)
        return self

    def to_df(self) -> pd.DataFrame:
        """The records as MLflow's DataFrame: inputs, outputs, expectations, tags, source…"""
        import pandas as pd  # not at import: the app's window starts without pandas

        rows = self.records
        if not rows:
            return pd.DataFrame(columns=RECORD_COLUMNS)
        return pd.DataFrame(
            [
                {
                    "inputs": r.inputs,
                    "outputs": r.outputs,
                    "expectations": r.expectations,
                    "tags": r.tags,
                    "source_type": r.source_type,
                    "source_id": r.source_id,
                    "source": r.source,
                    "created_time": r.created_time,
                    "dataset_record_id": r.dataset_record_id,
                }
                for r in rows
            ]
        )

    def run_input(self) -> DatasetRecord:
        """The `datasets` row an evaluation of this dataset logs (MLflow's managed dataset
        entity: its name and digest, source type `mlflow_evaluation_dataset`)."""
        from core.evaluation.dataset import DatasetRecord  # pandas: not at import

        return DatasetRecord(
            name=self.name,
            digest=self.digest or "",
            source_type=MANAGED_SOURCE_TYPE,
            source=json.dumps({"dataset_id": self.dataset_id}),
            schema=self.schema,
            profile=self.profile or "",
        )

    def to_eval_frame(self) -> pd.DataFrame:
        """What `evaluate` reads of the dataset: inputs, outputs and expectations."""
        frame = self.to_df()
        if frame.empty:
            raise ValueError(f"Dataset {self.name!r} has no records to evaluate.")
        return frame[["inputs", "outputs", "expectations"]].copy()


def create_dataset(
    name: str | None = None,
    experiment_id: str | list[str] | None = None,
    tags: Mapping[str, Any] | None = None,
    *,
    store: Store | None = None,
) -> EvaluationDataset:
    """A new, empty dataset in the active experiment (or the given ones); the user's name is
    its `mlflow.user` tag. `store` (TraceDesk) writes into that store instead of the default
    client's."""
    if name is None:
        raise ValueError("Parameter 'name' is required.")
    if store is None:
        client = context.default_client()
        store = client.writable_store()
        if experiment_id is None:
            experiment_id = client.experiment_id
    experiment_ids = [experiment_id] if isinstance(experiment_id, str) else experiment_id or []
    merged = {str(k): str(v) for k, v in (tags or {}).items()}
    user = source_metadata().get(USER_TAG)
    if user and USER_TAG not in merged:
        merged[USER_TAG] = user
    row = EvaluationDatasets(store).create(name, tags=merged, experiment_ids=experiment_ids)
    return EvaluationDataset(row, store)


def get_dataset(
    name: str | None = None,
    dataset_id: str | None = None,
    *,
    store: Store | None = None,
) -> EvaluationDataset:
    """The dataset of this id, or of this name (which must be unique)."""
    if (name is None) == (dataset_id is None):
        raise ValueError("Give exactly one of 'name' and 'dataset_id'.")
    store = store or context.default_client().store()
    datasets = EvaluationDatasets(store)
    if dataset_id is not None:
        return EvaluationDataset(datasets.get(dataset_id), store)
    found = datasets.search(name=name, limit=2)
    if not found:
        raise NotFoundError(f"Dataset with name '{name}' not found.")
    if len(found) > 1:
        raise ValueError(
            f"Multiple datasets found with name '{name}'. Use 'dataset_id' for unambiguous "
            "retrieval."
        )
    return EvaluationDataset(found[0], store)


_NAME_FILTER = re.compile(r"""^\s*name\s+(=|LIKE)\s+(['"])(.*)\2\s*$""", re.IGNORECASE)


def search_datasets(
    experiment_ids: str | list[str] | None = None,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: list[str] | None = None,
    *,
    store: Store | None = None,
) -> list[EvaluationDataset]:
    """Datasets, newest first: of these experiments, and matching `name = '…'` or
    `name LIKE '…'` (the filters TraceDesk understands; others are refused)."""
    store = store or context.default_client().store()
    name = name_like = None
    if filter_string:
        match = _NAME_FILTER.match(filter_string)
        if match is None:
            raise ValueError(
                f"Filter {filter_string!r} is not understood: use name = '…' or name LIKE '…'."
            )
        operator, value = match.group(1).upper(), match.group(3)
        name, name_like = (value, None) if operator == "=" else (None, value)
    if order_by and [o.strip().lower() for o in order_by] != ["created_time desc"]:
        raise ValueError("Datasets are listed newest first (order_by created_time DESC) only.")
    ids = [experiment_ids] if isinstance(experiment_ids, str) else experiment_ids
    rows = EvaluationDatasets(store).search(
        name=name, name_like=name_like, experiment_ids=ids, limit=max_results or 1000
    )
    return [EvaluationDataset(row, store) for row in rows]


def records_of(
    records: Sequence[Mapping[str, Any]] | Sequence[Trace] | pd.DataFrame,
) -> list[dict[str, Any]]:
    """Record dicts of what `merge_records` takes (copies: the caller's are never changed)."""
    import pandas as pd

    if isinstance(records, pd.DataFrame):
        if "trace" in records.columns:
            return [trace_record(t) for t in records["trace"]]
        return [{str(k): v for k, v in r.items()} for r in records.to_dict(orient="records")]
    items = list(records)
    if items and isinstance(items[0], Trace):
        if not all(isinstance(t, Trace) for t in items):
            raise ValueError("Mixed types in trace list: give only Trace objects.")
        return [trace_record(t) for t in items if isinstance(t, Trace)]
    return [dict(r) if isinstance(r, Mapping) else r for r in items]  # type: ignore[misc]


def trace_record(trace: Trace) -> dict[str, Any]:
    """MLflow's record of a trace: root inputs/outputs, expectations, the trace as source."""
    if not isinstance(trace, Trace):
        raise ValueError(f"Expected a Trace, got {type(trace).__name__}.")
    root = trace.data.root_span
    inputs = root.inputs if root is not None and root.inputs is not None else {}
    outputs = root.outputs if root is not None and root.outputs is not None else None
    expectations = {a.name: a.value for a in trace.search_assessments(type="expectation")}
    source_data = {"trace_id": trace.info.trace_id}
    session = trace.info.trace_metadata.get(SESSION_METADATA)
    if session:
        source_data["session_id"] = session
    return {
        "inputs": inputs,
        "outputs": outputs,
        "expectations": expectations,
        "source": {"source_type": "TRACE", "source_data": source_data},
    }


def _infer_source(record: dict[str, Any]) -> None:
    """MLflow's `_infer_source_types`: with expectations a human wrote it, else code did."""
    if not isinstance(record, dict) or "source" in record:
        return
    if record.get("expectations"):
        record["source"] = {"source_type": "HUMAN", "source_data": {}}
    elif "expectations" not in record:
        record["source"] = {"source_type": "CODE", "source_data": {}}
