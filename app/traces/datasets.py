"""Traces into an evaluation dataset (issue 22), without Qt.

"Add to Dataset…" writes MLflow 3.18's managed dataset rows (`core.genai.datasets`): one
record per trace, its root span's inputs and outputs, its expectations as labelled, the trace as
source; a trace whose inputs the dataset already holds updates that record. A new dataset
belongs to the experiments of the traces. Traces whose root span recorded no dict of inputs
are skipped (MLflow's records need one) and counted. `add_traces` runs in the job pool, in
batches, reporting progress and stopping between batches when cancelled.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.genai.datasets import (
    EvaluationDataset,
    create_dataset,
    get_dataset,
    search_datasets,
    trace_record,
)
from core.store import Store

BATCH = 50


@dataclass(frozen=True)
class DatasetChoice:
    """An existing dataset offered in the dialog."""

    dataset_id: str
    name: str
    records: int


@dataclass
class AddResult:
    """What an "Add to Dataset" did."""

    dataset_id: str
    name: str
    created: bool
    inserted: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)  # trace ids without dict inputs
    cancelled: bool = False

    def summary(self) -> str:
        """`Added 3 traces to “golden” (new dataset); 1 updated; 2 skipped: …`."""
        where = f"“{self.name}”" + (" (new dataset)" if self.created else "")
        parts = [f"Added {_count(self.inserted, 'trace')} to {where}"]
        if self.updated:
            parts.append(f"{self.updated} already there, updated")
        if self.skipped:
            parts.append(f"{_count(len(self.skipped), 'trace')} skipped: no dict of inputs")
        text = "; ".join(parts) + "."
        return text + (" Stopped before the end." if self.cancelled else "")


def dataset_choices(store: Store) -> list[DatasetChoice]:
    """Database thread: the store's datasets, newest first (none on an older layout)."""
    return [
        DatasetChoice(found.dataset_id, found.name, _records(found.profile))
        for found in search_datasets(store=store)
    ]


def add_traces(
    token: Any,
    store: Store,
    trace_ids: Sequence[str],
    name: str,
    dataset_id: str | None,
) -> AddResult:
    """Job pool: add the traces to dataset `dataset_id`, or to a new one named `name`."""
    if dataset_id is not None:
        dataset = get_dataset(dataset_id=dataset_id, store=store)
        created = False
    else:
        experiments = sorted({t.info.experiment_id for t in store.reader.traces(trace_ids, False)})
        dataset = create_dataset(name=name, experiment_id=experiments, store=store)
        created = True
    result = AddResult(dataset.dataset_id, dataset.name, created)
    for start in range(0, len(trace_ids), BATCH):
        if token.cancelled:
            result.cancelled = True
            break
        _add_batch(store, dataset, trace_ids[start : start + BATCH], result)
        token.report(min(start + BATCH, len(trace_ids)), len(trace_ids))
    return result


def _add_batch(
    store: Store, dataset: EvaluationDataset, trace_ids: Sequence[str], result: AddResult
) -> None:
    records = []
    for trace in store.reader.traces(trace_ids):
        record = trace_record(trace)
        if isinstance(record["inputs"], dict) and record["inputs"]:
            records.append(record)
        else:
            result.skipped.append(trace.info.trace_id)
    if records:
        dataset.merge_records(records)
        if dataset.last_merge is not None:
            result.inserted += dataset.last_merge.inserted
            result.updated += dataset.last_merge.updated


def _records(profile: str | None) -> int:
    try:
        return int(json.loads(profile or "{}").get("num_records", 0))
    except (ValueError, TypeError, AttributeError):
        return 0


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
