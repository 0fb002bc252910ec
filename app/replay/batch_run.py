"""Replay over many traces, as evaluation data: the job that writes the recorded answers and
the edited ones as two evaluation runs (no Qt; job-pool code).

Both runs hold the same rows: inputs = the chat request the edit sends (the target's messages
with the edited system message(s), and the tools offered), expectations = `expected_response`,
the answer the target's span recorded. The baseline run ("… · recorded") takes those recorded
answers as its outputs; the edited run ("… · edited") asks the model again through
`ReplayPredictor`. So the Evaluations tab pairs each edited row with its recorded one on the
inputs, and the chosen scorers judge both. The edited run's traces are tagged with the trace
and span they replay (`trace.replay_of` finds them).

The baseline is written first (it calls no model unless a judge was chosen); a cancel stops
the run being written as a rerun stops: rows being answered finish, the run ends KILLED, and
the edited run is not started when the baseline was cancelled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from app.evaluations.rerun import DEFAULT_WORKERS, MAX_WORKERS, ScorerChoice, chosen_scorers
from app.replay.batch import BatchEdit, BatchRow, Targets
from app.replay.request import message_of
from app.replay.run import ReplayFailed, ReplayRun, run_replay
from core.client import Client
from core.entities.evaluation import KILLED, EvaluationResult
from core.query import REPLAY_OF_SPAN_TAG, REPLAY_OF_TRACE_TAG

RECORDED, EDITED = "recorded", "edited"


@dataclass(frozen=True)
class BatchPlan:
    """A replay over many traces, decided on the GUI thread; `client` writes both runs."""

    client: Client
    edit: BatchEdit
    targets: Targets
    scorers: ScorerChoice = field(default_factory=ScorerChoice)
    max_workers: int = DEFAULT_WORKERS

    @property
    def baseline_name(self) -> str:
        model = self.edit.recorded_model or "the recorded model"
        return f"replay of {self.edit.span_name} · {model} · {RECORDED}"

    @property
    def edited_name(self) -> str:
        return f"replay of {self.edit.span_name} · {self.edit.model} · {EDITED}"


@dataclass(frozen=True)
class BatchProgress:
    """How far the job is: which run is being written, and its rows."""

    phase: str  # RECORDED or EDITED
    done: int
    total: int
    errors: int
    elapsed_s: float


@dataclass(frozen=True)
class BatchResult:
    """The runs written; `edited` is None when the baseline was cancelled."""

    baseline: EvaluationResult
    edited: EvaluationResult | None
    rows: int
    skipped: int

    @property
    def complete(self) -> bool:
        runs = (self.baseline, self.edited)
        return all(r is not None and r.status != KILLED for r in runs)


class _Uncancelled:
    """The token a row's model call sees: a row being answered is never cut short (a run
    whose rows all started would otherwise end FINISHED with a half answer)."""

    cancelled = False

    def report(self, done: int, total: int, payload: object = None) -> None:
        """Streamed text is not shown row by row."""


class ReplayPredictor:
    """`predict_fn` of the edited run: `predictor(messages=[...], tools=[...])` sends the
    request to the edit's model and returns the answer text (tool calls as `→ name(args)`)."""

    __name__ = "replay"  # core names the evaluated function, and the rows' root span, after it

    def __init__(self, edit: BatchEdit) -> None:
        self.edit = edit

    def __call__(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str:
        edit = self.edit
        run = ReplayRun(
            url=edit.url,
            model=edit.model,
            messages=tuple(message_of(m) for m in messages),
            source_trace_id=edit.source_trace_id,
            source_span_id=None,
            source_name=edit.span_name,
            tools=tuple(tools),
            temperature=edit.temperature,
            max_tokens=edit.max_tokens,
            seed=edit.seed,
        )
        try:
            return run_replay(_Uncancelled(), run).text
        except ReplayFailed as error:  # core records the message on the row
            raise RuntimeError(str(error)) from None


def baseline_data(rows: tuple[BatchRow, ...]) -> list[dict[str, Any]]:
    """The recorded run's rows: the recorded answers as outputs."""
    return [
        {"inputs": r.inputs, "outputs": r.recorded, "expectations": _expectations(r)} for r in rows
    ]


def edited_data(rows: tuple[BatchRow, ...]) -> list[dict[str, Any]]:
    """The edited run's rows, each trace tagged with what it replays."""
    return [
        {"inputs": r.inputs, "expectations": _expectations(r), "tags": _replay_tags(r)}
        for r in rows
    ]


def _expectations(row: BatchRow) -> dict[str, Any]:
    return {"expected_response": row.recorded} if row.recorded else {}


def _replay_tags(row: BatchRow) -> dict[str, str]:
    tags = {REPLAY_OF_TRACE_TAG: row.trace_id}
    if row.span_id:
        tags[REPLAY_OF_SPAN_TAG] = row.span_id
    return tags


def run_batch(token: Any, plan: BatchPlan) -> BatchResult:
    """Job pool: write the baseline run, then the edited run; progress as `BatchProgress`."""
    started = time.monotonic()
    rows = plan.targets.rows

    def reporter(phase: str) -> Any:
        def report(done: int, total: int, errors: int) -> None:
            elapsed = time.monotonic() - started
            token.report(done, total, BatchProgress(phase, done, total, errors, elapsed))

        return report

    def cancelled() -> bool:
        return bool(token.cancelled)

    edit, client = plan.edit, plan.client
    scorers = chosen_scorers(plan.scorers, edit.model, edit.url)
    workers = max(1, min(plan.max_workers, MAX_WORKERS))
    baseline = client.evaluate(
        baseline_data(rows),
        scorers,
        max_workers=workers,
        progress=reporter(RECORDED),
        cancel=cancelled,
        experiment_id=edit.experiment_id,
        run_name=plan.baseline_name,
    )
    skipped = len(plan.targets.skipped)
    if baseline.status == KILLED:
        return BatchResult(baseline, None, len(rows), skipped)
    token.report(0, len(rows), BatchProgress(EDITED, 0, len(rows), 0, time.monotonic() - started))
    edited = client.evaluate(
        edited_data(rows),
        scorers,
        ReplayPredictor(edit),
        max_workers=workers,
        progress=reporter(EDITED),
        cancel=cancelled,
        experiment_id=edit.experiment_id,
        run_name=plan.edited_name,
    )
    return BatchResult(baseline, edited, len(rows), skipped)
