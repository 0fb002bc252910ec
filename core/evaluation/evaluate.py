"""The evaluation behind `core.evaluate` / `Client.evaluate` (MLflow 3.18's
`mlflow.genai.evaluate`), storing exactly what it stores.

    @core.scorer
    def short(outputs: str) -> bool:
        return len(outputs) < 10

    result = core.evaluate(
        data=[{"inputs": {"question": "Who wrote Romeo and Juliet?"},
               "expectations": {"expected_response": "William Shakespeare"}}],
        predict_fn=lambda question: chat.invoke(question).content,
        scorers=[short, core.scorers.ExactMatch()],
    )
    result.run_id, result.metrics["short/mean"], result.result_df

Per evaluation: one run (`mlflow.runType=genai_evaluate`, RUNNING, then FINISHED / FAILED /
KILLED) with the run context tags, the evaluated function and digests, a `datasets` row and its
DATASET → RUN input, and a `<scorer>/mean` metric per scorer with numeric or boolean values.
Per row: a trace linked to the run (metadata `mlflow.sourceRun`, tag `mlflow.eval.requestId`,
`entity_associations` trace → run), one `feedback` assessment per scorer result and one
`expectation` assessment per expectation key, on the trace's root span. With no `predict_fn`,
existing traces are scored in place: they keep their `mlflow.sourceRun` and gain a link to the
new run and its assessments.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from core.entities.evaluation import EvaluationResult
from core.evaluation.data import prepare
from core.evaluation.job import EvaluationJob, EvaluationTraces, Progress
from core.evaluation.scorer import Scorer, as_scorer
from core.store.store import Store

DEFAULT_MAX_WORKERS = 4
MAX_WORKERS_ENV = "MLFLOW_GENAI_EVAL_MAX_WORKERS"

Cancel = threading.Event | Callable[[], bool]


def run_evaluation(
    data: Any,
    scorers: Sequence[Scorer | Callable[..., Any]] | None = None,
    predict_fn: Callable[..., Any] | None = None,
    *,
    store: Store,
    traces: EvaluationTraces,
    experiment_id: str,
    max_workers: int | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    run_name: str | None = None,
) -> EvaluationResult:
    """Evaluate `data` with `scorers` into a new evaluation run of `store`; returns its result.

    `traces` (the client: `Client.evaluate` calls this) starts and writes the rows' traces.

    `data`: a list of `{"inputs": {...}, "expectations": {...}}` dicts or a DataFrame with
    `inputs` / `expectations` / `outputs` / `trace` columns; or existing traces (a DataFrame from
    `core.search_traces()`, `Trace` objects, trace ids) to score in place. `predict_fn` is
    called as `predict_fn(**inputs)` for every row, each call traced.

    `max_workers` rows run at once (default `$MLFLOW_GENAI_EVAL_MAX_WORKERS`, else 4); results
    keep the order of `data`. `progress(done, total, errors)` is called in this thread after
    each row; `cancel` (an Event, or a callable returning True) stops the evaluation: rows not
    started are skipped and the run ends KILLED. The run goes to `experiment_id`; `run_name`
    defaults to a random MLflow-style name.
    """
    checked = check_scorers(scorers)
    prepared = prepare(data, store.reader, needs_call_inputs=predict_fn is not None)
    job = EvaluationJob(
        store,
        traces,
        experiment_id,
        checked,
        predict_fn,
        prepared,
        workers=max_workers_from(max_workers),
        progress=progress,
        cancelled=cancel_check(cancel),
    )
    return job.run(run_name)


def check_scorers(scorers: Sequence[Scorer | Callable[..., Any]] | None) -> list[Scorer]:
    """Scorers as `Scorer`s, refusing two with one name (their scores would be confused)."""
    checked = [as_scorer(s) for s in scorers or ()]
    names = [s.name for s in checked]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"Two scorers are named {duplicates[0]!r}: give each a distinct name.")
    return checked


def max_workers_from(value: int | None) -> int:
    """`value`, else `$MLFLOW_GENAI_EVAL_MAX_WORKERS`, else 4; at least 1."""
    if value is None:
        raw = os.environ.get(MAX_WORKERS_ENV, "").strip()
        try:
            value = int(raw) if raw else DEFAULT_MAX_WORKERS
        except ValueError as error:
            raise ValueError(f"${MAX_WORKERS_ENV} must be a whole number, not {raw!r}.") from error
    if value < 1:
        raise ValueError(f"max_workers must be 1 or more, not {value}.")
    return value


def cancel_check(cancel: Cancel | None) -> Callable[[], bool]:
    """A function that says whether the evaluation was cancelled."""
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    if callable(cancel):
        return lambda: bool(cancel())
    raise TypeError("cancel must be a threading.Event or a function returning True to stop.")
