"""One evaluation from start to end: the run, the rows in a thread pool, the results.

The run is created RUNNING (with its tags and dataset) before any row is evaluated. Rows run in
a bounded thread pool; each worker predicts (or takes the row's trace), scores, and builds the
row's assessment rows. The calling thread collects finished rows in order of completion,
reports progress, and stores them in batches (every `WRITE_BATCH` rows or `WRITE_INTERVAL_S`
seconds, whichever comes first, so a viewer sees a slow evaluation fill in): first it waits
until their traces are written, then it adds their assessments (and links to existing traces)
in one transaction. At the end
the metrics and the final status are written together, so a run never looks finished before
its metrics are there. A cancelled evaluation skips the rows not yet started, keeps the rows
done, and ends KILLED, with no metrics; an evaluation that raised ends FAILED (KILLED for
Ctrl-C).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import replace
from typing import Any, Protocol

from core.entities import Trace
from core.entities.evaluation import FAILED, FINISHED, KILLED, EvaluationResult
from core.errors import StoreError
from core.evaluation import lineage
from core.evaluation.data import EvalData, EvalItem, trace_expectations
from core.evaluation.dataset import describe
from core.evaluation.metrics import aggregate
from core.evaluation.predict import TraceLink, minimal_trace, predict
from core.evaluation.results import RowOutcome, result_frame
from core.evaluation.row_scores import score_row
from core.evaluation.scorer import Scorer
from core.evaluation.traces import recorded_trace
from core.mlflow_keys import USER_TAG
from core.run_context import context_tags, run_name
from core.store import assessment_rows
from core.store.store import Store
from core.tracing.record import TraceSink

log = logging.getLogger(__name__)

#: Rows stored per transaction, at most; and how long a finished row waits to be stored.
WRITE_BATCH = 50
WRITE_INTERVAL_S = 1.0

Progress = Callable[[int, int, int], None]


class EvaluationTraces(TraceSink, Protocol):
    """Where the rows' traces start and are written: a `core.Client`."""

    def flush_traces(self, timeout_s: float | None = None) -> bool: ...

    def trace_failure(self, trace_id: str) -> str | None: ...


class EvaluationJob:
    """Evaluates prepared rows into a new run of `experiment_id`."""

    def __init__(
        self,
        store: Store,
        traces: EvaluationTraces,
        experiment_id: str,
        scorers: Sequence[Scorer],
        predict_fn: Callable[..., Any] | None,
        data: EvalData,
        *,
        workers: int,
        progress: Progress | None,
        cancelled: Callable[[], bool],
    ) -> None:
        self.evaluations = store.evaluations
        self.traces = traces
        self.experiment_id = experiment_id
        self.location = store.writer.experiment_artifact_location(experiment_id)
        self.scorers = list(scorers)
        self.digests = {s.name: s.digest for s in self.scorers}
        self.predict_fn = predict_fn
        self.data = data
        self.workers = workers
        self.progress = progress
        self.cancelled = cancelled
        self.user = context_tags()[USER_TAG]

    def run(self, name: str | None = None) -> EvaluationResult:
        """Create the run, evaluate every row, finish the run; returns the result."""
        run_id, name = uuid.uuid4().hex, name or run_name()
        self._start(run_id, name)
        try:
            outcomes = self._evaluate(TraceLink(run_id, self.experiment_id, self.traces))
        except BaseException as error:
            self._abandon(run_id, KILLED if isinstance(error, KeyboardInterrupt) else FAILED)
            raise
        complete = len(outcomes) == len(self.data.items)
        metrics = aggregate((f for o in outcomes for f in o.feedbacks), self.scorers)
        status = FINISHED if complete else KILLED
        self.evaluations.finish_run(run_id, status, metrics if complete else None)
        frame = result_frame(outcomes)
        return EvaluationResult(run_id, metrics, frame, status, name, self.experiment_id)

    def _start(self, run_id: str, name: str) -> None:
        dataset = self.data.described or describe(self.data.frame, context_tags())
        self.evaluations.create_run(
            run_id=run_id,
            name=name,
            experiment_id=self.experiment_id,
            user=self.user,
            tags=lineage.run_tags(name, self.predict_fn, self.scorers),
            dataset={
                "name": dataset.name,
                "digest": dataset.digest,
                "dataset_source_type": dataset.source_type,
                "dataset_source": dataset.source,
                "dataset_schema": dataset.schema,
                "dataset_profile": dataset.profile,
            },
        )

    def _abandon(self, run_id: str, status: str) -> None:
        try:
            self.evaluations.finish_run(run_id, status)
        except Exception:  # the original error matters more; say this one and go on
            log.exception("Could not mark evaluation run %s %s", run_id, status)

    # -- the rows ----------------------------------------------------------------------------

    def _evaluate(self, link: TraceLink) -> list[RowOutcome]:
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="tracedesk-evaluate")
        try:
            futures = [pool.submit(self._row, item, link) for item in self.data.items]
            outcomes = self._collect(futures, link.run_id)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return sorted(outcomes, key=lambda o: o.item.index)

    def _collect(self, futures: list[Future[RowOutcome | None]], run_id: str) -> list[RowOutcome]:
        done: list[RowOutcome] = []
        pending: list[RowOutcome] = []
        failed, stored_at = 0, time.monotonic()
        for future in as_completed(futures):
            outcome = None if future.cancelled() else future.result()
            if outcome is not None:
                done.append(outcome)
                pending.append(outcome)
                failed += outcome.failed
                due = time.monotonic() - stored_at >= WRITE_INTERVAL_S
                if len(pending) >= WRITE_BATCH or due:
                    self._store_rows(run_id, pending)
                    pending, stored_at = [], time.monotonic()
                if self.progress is not None:
                    self.progress(len(done), len(futures), failed)
            if self.cancelled():
                for other in futures:
                    other.cancel()
        self._store_rows(run_id, pending)
        return done

    def _row(self, item: EvalItem, link: TraceLink) -> RowOutcome | None:
        """Evaluate one row (in a worker thread); None when the evaluation was cancelled."""
        if self.cancelled():
            return None
        trace, outputs, error, existing = self._produce(item, replace(link, tags=item.tags))
        scored = score_row(
            self.scorers,
            inputs=item.inputs,
            outputs=outputs,
            expectations=item.expectations,
            trace=trace,
        )
        outcome = RowOutcome(item, trace, outputs, scored, error=error, existing_trace=existing)
        outcome.rows = self._assessment_rows(outcome, link.run_id)
        return outcome

    def _produce(self, item: EvalItem, link: TraceLink) -> tuple[Trace, Any, str | None, bool]:
        """(trace, outputs, prediction error, whether the trace existed before)."""
        if self.predict_fn is not None:
            prediction = predict(self.predict_fn, item.inputs, link)
            trace = recorded_trace(prediction.record, self.location)
            return trace, prediction.outputs, prediction.error, False
        if item.trace is not None:
            return item.trace, item.outputs, None, True
        record = minimal_trace(item.inputs, item.outputs, link)
        return recorded_trace(record, self.location), item.outputs, None, False

    def _assessment_rows(self, outcome: RowOutcome, run_id: str) -> list[dict[str, Any]]:
        now, trace = int(time.time() * 1000), outcome.trace
        rows = [
            assessment_rows.feedback_row(
                feedback,
                trace,
                run_id=run_id,
                scorer_digest=self.digests[o.scorer.name],
                now_ms=now,
            )
            for o in outcome.scored
            for feedback in o.feedbacks
        ]
        known = trace_expectations(trace)
        rows += [
            assessment_rows.expectation_row(k, v, trace, run_id=run_id, user=self.user, now_ms=now)
            for k, v in outcome.item.expectations.items()
            if k not in known
        ]
        return rows

    def _store_rows(self, run_id: str, outcomes: list[RowOutcome]) -> None:
        """Store finished rows: their traces first (assessments refer to them), then scores."""
        if not outcomes:
            return
        new_traces = {o.trace.info.trace_id for o in outcomes if not o.existing_trace}
        if new_traces:
            self._wait_for_traces(new_traces)
        self.evaluations.add_results(
            run_id,
            [row for o in outcomes for row in o.rows],
            [o.trace.info.trace_id for o in outcomes if o.existing_trace],
        )

    def _wait_for_traces(self, trace_ids: set[str]) -> None:
        """Block until the client has written these traces; raise if it could not."""
        self.traces.flush_traces()
        for trace_id in sorted(trace_ids):
            reason = self.traces.trace_failure(trace_id)
            if reason is not None:
                raise StoreError(
                    f"The trace {trace_id} of this evaluation could not be written: {reason}"
                )
