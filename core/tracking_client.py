"""`TrackingClient`: one tracking store with its active experiment, active run and trace writer.

Experiments, runs, traces (read, started, tagged, assessed) of one store; `core.Client` adds the
registry (prompts, logged and registered models) and evaluations. Several clients on several
stores live in one process without touching each other: each opens its own stores
(`ClientStores`) and writes its traces with its own `TraceWriter`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from core.active_run import ActiveRun
from core.client_stores import ClientStores
from core.entities import Assessment, AssessmentSource, Experiment, Run, Trace
from core.errors import NotFoundError, StoreNotFoundError
from core.mlflow_keys import ARCHIVAL_FAILURE_TAG, NOTE_TAG, PARENT_RUN_TAG, SOURCE_RUN_METADATA
from core.store import assessment_edits
from core.store.experiment_search import ViewType, search_experiments
from core.store.store import Store
from core.store.trace_edits import IMMUTABLE_TRACE_TAGS
from core.tracing import spans
from core.tracing.active import registry
from core.tracing.live_span import LiveSpan
from core.tracing.record import TraceRecord
from core.tracing.writer import TraceWriter

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

DEFAULT_EXPERIMENT_ID = "0"


class TrackingClient:
    """A tracking store and what is active in it: experiments, runs, traces. Thread-safe.

    Give a `tracking_uri` (a path, `sqlite:///...` or any SQLAlchemy URL: opened on first use,
    created on the first write), or an open `store` (the app's: used as it is, read-only or
    not, and not closed by `close()`). `registry_uri` names another store for prompts and
    models (MLflow's registry URI); by default they live in the tracking store.
    """

    def __init__(
        self,
        tracking_uri: str | Path | None = None,
        *,
        registry_uri: str | Path | None = None,
        store: Store | None = None,
        experiment_id: str | None = None,
    ) -> None:
        self._stores = ClientStores(tracking_uri, registry_uri, store)
        self._uri = self._stores.tracking_uri
        self._registry_uri = self._stores.registry_uri
        self._lock = threading.RLock()
        self._default_experiment_id = experiment_id or DEFAULT_EXPERIMENT_ID
        self._experiment_id: str | None = None
        self._runs: list[str] = []
        self._writer = TraceWriter(self.writable_store, self._uri)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(tracking_uri={self._uri!r})"

    @property
    def tracking_uri(self) -> str:
        return self._uri

    @property
    def registry_uri(self) -> str:
        return self._registry_uri

    # -- stores ------------------------------------------------------------------------------

    def store(self) -> Store:
        """The tracking store, for reading; `StoreNotFoundError` when no database exists yet."""
        return self._stores.tracking()

    def writable_store(self) -> Store:
        """The tracking store, for writing: created when missing, with a Default experiment."""
        return self._stores.tracking(write=True)

    def registry_store(self, write: bool = False) -> Store:
        """The store prompts and models are registered in."""
        return self._stores.registry(write=write)

    def close(self) -> None:
        """Write pending traces, then close the stores this client opened. A trace that ends
        after this is still written (the writer starts again)."""
        self._writer.stop()
        self._stores.close()

    # -- experiments -------------------------------------------------------------------------

    @property
    def experiment_id(self) -> str:
        """The active experiment: the one `set_experiment` chose, else the default (0)."""
        return self._experiment_id or self._default_experiment_id

    def set_experiment(
        self, experiment_name: str | None = None, experiment_id: str | None = None
    ) -> Experiment:
        """Make an experiment the active one, creating it (and the database) when missing."""
        if experiment_name is None and experiment_id is None:
            raise ValueError("set_experiment() needs an experiment name or id.")
        if experiment_id is not None:
            found = self.get_experiment(str(experiment_id))
        else:
            named = self.get_experiment_by_name(str(experiment_name))
            found = named or self.get_experiment(self.create_experiment(str(experiment_name)))
        if found.lifecycle_stage == "deleted":
            raise NotFoundError(
                f"Experiment {found.name!r} (id {found.experiment_id}) is deleted: restore it "
                "or choose another name."
            )
        self._experiment_id = found.experiment_id
        return found

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id; `NotFoundError` when there is none."""
        found = next(
            (e for e in self._experiments() if e.experiment_id == str(experiment_id)), None
        )
        if found is None:
            raise NotFoundError(f"Experiment {experiment_id!r} does not exist in {self._uri}.")
        return found

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name (deleted ones included, as MLflow), or None."""
        return next((e for e in self._experiments() if e.name == name), None)

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Create experiment `name`; its id. Refuses a name that is taken, as MLflow."""
        if self.get_experiment_by_name(name) is not None:
            raise ValueError(f"An experiment named {name!r} already exists in {self._uri}.")
        writer = self.writable_store().writer
        return writer.create_experiment(name, tags=tags)

    def search_experiments(
        self,
        view_type: ViewType | int | str = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
    ) -> list[Experiment]:
        """Experiments matching MLflow's experiment filter (`name LIKE 'a%'`, `tags.k = 'v'`,
        `creation_time > 0`, joined by AND), newest first unless `order_by` says otherwise."""
        try:
            store = self.store()
        except StoreNotFoundError:
            return []
        return search_experiments(store, view_type, max_results, filter_string, order_by)

    def _experiments(self) -> list[Experiment]:
        try:
            return self.store().reader.experiments(include_deleted=True)
        except StoreNotFoundError:
            return []

    # -- traces: reading ---------------------------------------------------------------------

    def search_traces(
        self,
        experiment_ids: Sequence[str] | None = None,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        extract_fields: Sequence[str] | None = None,
        run_id: str | None = None,
        return_type: Literal["pandas", "list"] | None = None,
        model_id: str | None = None,
        sql_warehouse_id: str | None = None,
        include_spans: bool = True,
        locations: Sequence[str] | None = None,
        flush: bool = False,
    ) -> pd.DataFrame | list[Trace]:
        """Traces as MLflow 3.18's DataFrame (or a list with `return_type="list"`), newest
        first by default, from the active experiment unless `experiment_ids`/`locations` say.

        `run_id` keeps the traces made inside that run, `model_id` those of that logged model.
        Traces this client finished before the call are always found (its pending writes are
        waited for, as MLflow writes them before returning), so `flush` changes nothing.
        `sql_warehouse_id` (Databricks) is accepted and ignored.
        """
        if extract_fields:
            raise ValueError(
                "extract_fields is not supported (MLflow deprecated it in 3.6): read "
                "span.inputs / span.outputs from the returned traces instead."
            )
        if return_type not in (None, "pandas", "list"):
            raise ValueError(f"return_type must be 'pandas' or 'list', not {return_type!r}.")
        traces = self._search(
            experiment_ids or locations, filter_string, max_results, order_by, run_id, model_id
        )
        if include_spans is False:
            traces = [Trace(info=t.info, data=type(t.data)()) for t in traces]
        if return_type == "list":
            return traces
        from core.dataframe import traces_to_frame  # pandas: only when a frame is asked for

        return traces_to_frame(traces)

    def _search(
        self,
        experiment_ids: Sequence[str] | None,
        filter_string: str | None,
        max_results: int | None,
        order_by: Sequence[str] | None,
        run_id: str | None,
        model_id: str | None,
    ) -> list[Trace]:
        self.flush_traces()  # read this client's own writes
        try:
            reader = self.store().reader
        except StoreNotFoundError:
            return []  # nothing written yet: no traces, as MLflow's empty frame
        if not experiment_ids and run_id is not None:
            experiment_ids = [self.store().runs.get_run(run_id).info.experiment_id]
        ids = [str(i) for i in (experiment_ids or [self.experiment_id])]
        trace_ids = reader.search_trace_ids(
            ids,
            filter_string=_narrowed(filter_string, run_id=run_id, model_id=model_id),
            order_by=order_by,
            max_results=max_results,
        )
        return reader.traces(trace_ids, include_spans=True)

    def get_trace(self, trace_id: str) -> Trace | None:
        """The whole trace, or None when no trace has this id (as `mlflow.get_trace`); a trace
        this client finished is found at once (its pending writes are waited for)."""
        self.flush_traces()
        try:
            return self.store().reader.get_trace(trace_id)
        except (NotFoundError, StoreNotFoundError):
            return None

    # -- traces: writing ---------------------------------------------------------------------

    def start_span(
        self,
        name: str = "span",
        span_type: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        *,
        experiment_id: str | None = None,
    ) -> contextlib.AbstractContextManager[LiveSpan]:
        """Open a span for the `with` block; a root span starts a trace in this client (in
        `experiment_id`, else the active experiment)."""
        return spans.start_span(name, span_type, attributes, sink=self, experiment_id=experiment_id)

    def start_span_no_context(
        self,
        name: str,
        span_type: str | None = None,
        parent_span: LiveSpan | None = None,
        inputs: Any = None,
        attributes: Mapping[str, Any] | None = None,
        start_time_ns: int | None = None,
        experiment_id: str | None = None,
    ) -> LiveSpan:
        """A span that is not made current (call `span.end()`); a root starts a trace here."""
        span = spans.begin_span(
            name,
            span_type,
            attributes,
            sink=self,
            parent=parent_span,
            start_time_ns=start_time_ns,
            experiment_id=experiment_id,
        )
        if inputs is not None:
            span.set_inputs(inputs)
        return span

    def open_trace(self, trace_id: str, experiment_id: str | None = None) -> TraceRecord:
        """A new trace record written by this client (`TraceSink`): in `experiment_id`, else
        the active experiment, linked to the active run when there is one."""
        record = TraceRecord(
            trace_id=trace_id,
            exporter=self._writer,
            experiment_id=str(experiment_id or self.experiment_id),
        )
        run_id = self.active_run_id()
        if run_id is not None:
            record.metadata[SOURCE_RUN_METADATA] = run_id
        return record

    def flush_traces(self, timeout_s: float | None = None) -> bool:
        """Wait until this client's finished traces are written; False on timeout, or when
        traces could not be written since the previous call (`trace_failure` says why)."""
        return self._writer.flush(timeout_s)

    def trace_failure(self, trace_id: str) -> str | None:
        """Why this client could not write `trace_id`, or None (written, or not yet tried)."""
        return self._writer.failure_of(trace_id)

    def set_trace_tag(self, trace_id: str, key: str, value: Any) -> None:
        """Set (or replace) tag `key` of a trace (`mlflow.traceName` renames it): in memory
        while the trace is still being recorded, else in the store. MLflow's own tags
        (`IMMUTABLE_TRACE_TAGS`) are left alone with a warning, as MLflow does."""
        if key in IMMUTABLE_TRACE_TAGS:
            log.warning("Tag %r of trace %s is MLflow's own and is not changed.", key, trace_id)
            return
        record = _recording(trace_id)
        if record is None:
            self.writable_store().trace_edits.set_trace_tag(trace_id, key, value)
            return
        with record.lock:
            record.tags[key] = str(value)

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        """Remove tag `key` of a trace (`NotFoundError` when it has none); MLflow's own tags
        are left alone with a warning."""
        if key in IMMUTABLE_TRACE_TAGS and key != ARCHIVAL_FAILURE_TAG:
            log.warning("Tag %r of trace %s is MLflow's own and is not deleted.", key, trace_id)
            return
        record = _recording(trace_id)
        if record is None:
            self.writable_store().trace_edits.delete_trace_tag(trace_id, key)
            return
        with record.lock:
            if record.tags.pop(key, None) is None:
                raise NotFoundError(f"Trace {trace_id} has no tag {key!r}.")

    def log_feedback(
        self,
        *,
        trace_id: str,
        name: str = "feedback",
        value: Any = None,
        source: AssessmentSource | None = None,
        error: BaseException | Mapping[str, Any] | str | None = None,
        rationale: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        span_id: str | None = None,
    ) -> Assessment:
        """Log a feedback (a score, a human label) on a trace; the stored assessment.

        `source` defaults to code (`CODE`); `error` says why no value could be given.
        """
        edits = self.writable_store().trace_edits
        assessment_id = edits.log_feedback(
            trace_id,
            name,
            value,
            **_source(source),
            error=error,
            rationale=rationale,
            metadata=metadata,
            span_id=span_id,
        )
        return edits.assessment(trace_id, assessment_id)

    def log_expectation(
        self,
        *,
        trace_id: str,
        name: str,
        value: Any,
        source: AssessmentSource | None = None,
        metadata: Mapping[str, Any] | None = None,
        span_id: str | None = None,
    ) -> Assessment:
        """Log an expectation (a ground truth) on a trace; the stored assessment.

        `source` defaults to a human (`HUMAN`).
        """
        edits = self.writable_store().trace_edits
        assessment_id = edits.log_expectation(
            trace_id,
            name,
            value,
            **_source(source),
            metadata=metadata,
            span_id=span_id,
        )
        return edits.assessment(trace_id, assessment_id)

    def get_assessment(self, trace_id: str, assessment_id: str) -> Assessment:
        """One stored assessment of a trace; `NotFoundError` when missing."""
        return self.store().trace_edits.assessment(trace_id, assessment_id)

    def override_feedback(
        self,
        *,
        trace_id: str,
        assessment_id: str,
        value: Any,
        rationale: str | None = None,
        source: AssessmentSource | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Assessment:
        """Replace a feedback by a new one that `overrides` it (the old one is kept, marked
        invalid: the history); the new assessment. `source` defaults to code (`CODE`)."""
        store = self.writable_store()
        new_id = assessment_edits.override_feedback(
            store,
            trace_id,
            assessment_id,
            value,
            rationale=rationale,
            metadata=metadata,
            **_source(source),
        )
        return store.trace_edits.assessment(trace_id, new_id)

    def update_assessment(
        self, trace_id: str, assessment_id: str, assessment: Assessment
    ) -> Assessment:
        """Rewrite an assessment in place from `assessment` (a `Feedback` or `Expectation` of
        the same kind): its name, value, rationale; metadata merged. Source and span stay."""
        value: Any = assessment_edits.KEEP
        error = None
        if assessment.feedback is not None:
            value, error = assessment.feedback.value, assessment.feedback.error
            existing = self.get_assessment(trace_id, assessment_id)
            if existing.feedback is None:
                raise ValueError("Cannot update feedback value on an Expectation assessment.")
        elif assessment.expectation is not None:
            value = assessment.expectation.value
            existing = self.get_assessment(trace_id, assessment_id)
            if existing.expectation is None:
                raise ValueError("Cannot update expectation value on a Feedback assessment.")
        return assessment_edits.update_assessment(
            self.writable_store(),
            trace_id,
            assessment_id,
            name=assessment.name,
            value=value,
            error=error.to_dictionary() if error is not None else None,
            rationale=assessment.rationale,
            metadata=assessment.metadata,
        )

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        """Remove an assessment; the one it overrode (if any) is valid again."""
        assessment_edits.delete_assessment(self.writable_store(), trace_id, assessment_id)

    # -- runs --------------------------------------------------------------------------------

    def start_run(
        self,
        run_id: str | None = None,
        experiment_id: str | None = None,
        run_name: str | None = None,
        nested: bool = False,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> ActiveRun:
        """Start a run (a row in MLflow's `runs` table) and make it the active one: traces
        started and models logged while it is active link to it. `run_id` makes an existing
        run active again; `nested` starts a child of the active run. Use it in a `with` block,
        or end it with `end_run`."""
        parent = self.active_run_id()
        if parent is not None and not nested:
            raise ValueError(
                f"Run {parent} is already active: end it with end_run() first, or start a "
                "nested run with start_run(nested=True)."
            )
        runs = self.writable_store().runs
        extra = {PARENT_RUN_TAG: parent} if parent is not None else {}
        if description is not None:
            extra[NOTE_TAG] = description
        if run_id is not None:
            run = runs.resume_run(run_id, {**(tags or {}), **extra})
        else:
            experiment = str(experiment_id or self.experiment_id)
            run = runs.create_run(experiment, run_name, {**(tags or {}), **extra})
        with self._lock:
            self._runs.append(run.info.run_id)
        return ActiveRun(run.info, run.data, ending=self._end)

    def end_run(self, status: str = "FINISHED") -> None:
        """End the active run with `status` (FINISHED, FAILED or KILLED); nothing when none."""
        run_id = self.active_run_id()
        if run_id is not None:
            self._end(run_id, status)

    def _end(self, run_id: str, status: str) -> None:
        with self._lock:
            if run_id not in self._runs:
                return  # ended already
            self._runs.remove(run_id)
        self.writable_store().runs.end_run(run_id, status)

    def active_run(self) -> ActiveRun | None:
        """The active run as it is stored now, or None."""
        run_id = self.active_run_id()
        if run_id is None:
            return None
        run = self.store().runs.get_run(run_id)
        return ActiveRun(run.info, run.data, ending=self._end)

    def active_run_id(self) -> str | None:
        with self._lock:
            return self._runs[-1] if self._runs else None

    def get_run(self, run_id: str) -> Run:
        """The run with its tags, params and metrics; `NotFoundError` when there is none."""
        return self.store().runs.get_run(run_id)


def _recording(trace_id: str) -> TraceRecord | None:
    """The record of `trace_id` while its trace is still being recorded, else None."""
    try:
        return registry.record(trace_id)
    except RuntimeError:
        return None


def _source(source: AssessmentSource | None) -> dict[str, Any]:
    """The store's source arguments: the given source's, else the store's defaults (MLflow's)."""
    if source is None:
        return {}
    return {"source_type": source.source_type, "source_id": source.source_id}


def _narrowed(filter_string: str | None, *, run_id: str | None, model_id: str | None) -> str | None:
    """`filter_string` AND the traces of `run_id` / `model_id`, in the filter language."""
    links = []
    if run_id is not None:
        links.append(f"run_id = {_quoted(run_id)}")
    if model_id is not None:
        links.append(f"metadata.`mlflow.modelId` = {_quoted(model_id)}")
    if not links:
        return filter_string
    return " AND ".join([f"({filter_string})", *links] if filter_string else links)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
