"""The MLflow-style module API: a current tracking URI and experiment, and calls that read them.

`core.set_tracking_uri("sqlite:///mlflow.db")`, then `core.search_traces()` or
`core.get_trace(id)`, exactly as with `mlflow`. Stores are opened lazily and cached per URI.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.dataframe import traces_to_frame
from core.entities import Experiment, Trace
from core.errors import NotFoundError, StoreNotFoundError
from core.store.store import Store

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
DEFAULT_EXPERIMENT_ID = "0"


@dataclass
class _Context:
    """What the module-level API remembers between calls, as MLflow's fluent API does."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tracking_uri: str | None = None
    experiment_id: str | None = None
    stores: dict[tuple[str, bool], Store] = field(default_factory=dict)


_context = _Context()


def set_tracking_uri(uri: str | Path) -> None:
    """Use `uri` from now on: `sqlite:///path`, a plain path, or any SQLAlchemy URL."""
    with _context.lock:
        _context.tracking_uri = str(uri)
        _context.experiment_id = None


def get_tracking_uri() -> str:
    """The URI in use: the last one set, else `$MLFLOW_TRACKING_URI`, else `sqlite:///mlflow.db`."""
    return _context.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def _store(write: bool = False) -> Store:
    """The current URI's store, opened once; `write` creates the database when missing."""
    uri = get_tracking_uri()
    with _context.lock:
        store = _context.stores.get((uri, write))
        if store is None:
            store = Store.open(uri, read_only=not write, create=write)
            _context.stores[(uri, write)] = store
        return store


def reset() -> None:
    """Write pending traces, close every cached store, forget the URI and experiment."""
    from core.tracing.export import tracer

    tracer().shutdown()
    with _context.lock:
        for store in _context.stores.values():
            store.close()
        _context.stores.clear()
        _context.tracking_uri = None
        _context.experiment_id = None


def search_experiments(include_deleted: bool = False) -> list[Experiment]:
    """Experiments of the current store, newest first."""
    return _store().reader.experiments(include_deleted=include_deleted)


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment the active one, creating it (and the database) when missing."""
    if experiment_name is None and experiment_id is None:
        raise ValueError("set_experiment() needs an experiment name or id.")
    found = _find_experiment(experiment_name, experiment_id)
    if found is None and experiment_name is not None:
        _store(write=True).writer.create_experiment(experiment_name)
        found = _find_experiment(experiment_name, None)
    if found is None:
        raise NotFoundError(f"Experiment {experiment_id!r} does not exist in {get_tracking_uri()}.")
    _context.experiment_id = found.experiment_id
    return found


def _find_experiment(name: str | None, experiment_id: str | None) -> Experiment | None:
    try:
        experiments = _store().reader.experiments()
    except StoreNotFoundError:
        return None
    return next(
        (e for e in experiments if e.name == name or e.experiment_id == experiment_id), None
    )


def active_experiment_id() -> str:
    """The experiment `set_experiment` chose, else `$MLFLOW_EXPERIMENT_ID`, else Default (0)."""
    return _context.experiment_id or os.environ.get("MLFLOW_EXPERIMENT_ID") or DEFAULT_EXPERIMENT_ID


def search_traces(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: Sequence[str] | None = None,
    include_spans: bool = True,
    locations: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Traces as a DataFrame with MLflow 3.18's columns, newest first by default.

    `experiment_ids` (or MLflow 3's `locations`) default to the active experiment.
    """
    ids = list(locations or experiment_ids or [active_experiment_id()])
    reader = _store().reader
    trace_ids = reader.search_trace_ids(
        [str(i) for i in ids],
        filter_string=filter_string,
        order_by=order_by,
        max_results=max_results,
    )
    return traces_to_frame(reader.traces(trace_ids, include_spans=include_spans))


def get_trace(trace_id: str) -> Trace | None:
    """The whole trace, or None when no trace has this id (as `mlflow.get_trace`)."""
    try:
        return _store().reader.get_trace(trace_id)
    except NotFoundError:
        return None
