"""A local rerun of a stored evaluation, or a first evaluation of a managed dataset: its data,
its plan, and the job that runs it (no Qt).

`rebuild_dataset` (database thread) turns a run's rows back into evaluation data: the inputs its
traces recorded and the expectations assessed on them; `dataset_items` does the same with a
dataset's records (MLflow's `evaluation_datasets`, e.g. labelled traces added to one).
`run_rerun` (job pool) loads the custom scorers the user confirmed, then evaluates with
`OllamaPredictor` into a new run through the open store's `core.Client`, which writes the run,
its traces and their scores into that store and nowhere else. Nothing process-wide changes (no
tracking URI, no autologging), so reruns of several stores, or several of one store, run at
once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from app.evaluations.predictor import OllamaPredictor
from app.evaluations.scorer_files import CodeFile, load_scorers
from app.formatting import duration
from core.client import Client
from core.entities.evaluation import EvaluationResult, EvaluationRun
from core.entities.prompt import PromptVersion
from core.genai.datasets import get_dataset, search_datasets
from core.scorers import Contains, ExactMatch, Judge, MaxLength, Scorer
from core.store import Evaluations, Store

READ_PAGE = 500
DEFAULT_WORKERS = 2
MAX_WORKERS = 4


@dataclass(frozen=True)
class Dataset:
    """A run's rows as evaluation data, and what could not be rebuilt."""

    items: tuple[dict[str, Any], ...]
    skipped: int  # rows whose traces recorded no inputs (spans missing, or not a dict)
    input_keys: tuple[str, ...]
    expectation_keys: tuple[str, ...]


def rebuild_dataset(evaluations: Evaluations, run_id: str) -> Dataset:
    """Database thread: `{"inputs", "expectations"}` of every row of the run, in stored order."""
    items: list[dict[str, Any]] = []
    skipped = 0
    inputs_seen: dict[str, None] = {}
    expected_seen: dict[str, None] = {}
    after: tuple[int, str] | None = None
    while True:
        page = evaluations.rows(run_id, after=after, limit=READ_PAGE)
        for row in page.rows:
            inputs = row.inputs
            if not isinstance(inputs, dict):
                skipped += 1
                continue
            inputs_seen.update(dict.fromkeys(map(str, inputs)))
            expected_seen.update(dict.fromkeys(row.expectations))
            items.append({"inputs": inputs, "expectations": dict(row.expectations)})
        if page.next_key is None:
            break
        after = page.next_key
    return Dataset(tuple(items), skipped, tuple(inputs_seen), tuple(expected_seen))


@dataclass(frozen=True)
class DatasetChoice:
    """A managed dataset the Evaluate Dataset dialog offers."""

    dataset_id: str
    name: str


def datasets_of(store: Store, experiment_id: str) -> list[DatasetChoice]:
    """Database thread: the experiment's managed datasets, newest first."""
    found = search_datasets([experiment_id], store=store)
    return [DatasetChoice(d.dataset_id, d.name) for d in found]


def dataset_items(store: Store, dataset_id: str) -> Dataset:
    """Database thread: `{"inputs", "expectations"}` of every record of a managed dataset."""
    items: list[dict[str, Any]] = []
    skipped = 0
    inputs_seen: dict[str, None] = {}
    expected_seen: dict[str, None] = {}
    for record in get_dataset(dataset_id=dataset_id, store=store).records:
        if not isinstance(record.inputs, dict):
            skipped += 1
            continue
        expectations = dict(record.expectations or {})
        inputs_seen.update(dict.fromkeys(map(str, record.inputs)))
        expected_seen.update(dict.fromkeys(expectations))
        items.append({"inputs": record.inputs, "expectations": expectations})
    return Dataset(tuple(items), skipped, tuple(inputs_seen), tuple(expected_seen))


def prepare_dataset(store: Store, dataset_id: str) -> tuple[Dataset, list[PromptVersion]]:
    """Database thread: what the Evaluate Dataset dialog offers."""
    return dataset_items(store, dataset_id), prompt_versions(store)


def warm_up(_token: object = None) -> None:
    """Job pool: import the LangChain and Ollama clients a rerun uses, ahead of the rerun.

    Their first import runs long stretches of C code that hold the GIL (pydantic building its
    validators): 150 ms without a GUI frame. Paid while the Rerun dialog opens, it is not paid
    again while the rerun's progress is shown.
    """
    import langchain_ollama  # noqa: F401

    import core.langchain  # noqa: F401 - imported for its side effect: loaded once


def prompt_versions(store: Store) -> list[PromptVersion]:
    """Database thread: every version of every registered prompt, by name, newest first."""
    registry = store.prompt_registry
    versions: list[PromptVersion] = []
    for summary in sorted(registry.prompts(), key=lambda p: p.name.casefold()):
        versions.extend(reversed(registry.prompt_versions(summary.name)))
    return versions


def prepare(store: Store, run_id: str) -> tuple[Dataset, list[PromptVersion]]:
    """Database thread: what the Rerun dialog offers (the dataset, the prompt versions)."""
    return rebuild_dataset(store.evaluations, run_id), prompt_versions(store)


@dataclass(frozen=True)
class ScorerChoice:
    """The scorers the user picked; `code` is a custom scorer file they confirmed."""

    exact_match: bool = False
    contains: bool = False
    max_length: int | None = None
    judge_instructions: str | None = None
    code: CodeFile | None = None

    @property
    def empty(self) -> bool:
        builtins = self.exact_match or self.contains or self.max_length is not None
        return not builtins and not self.judge_instructions and self.code is None


@dataclass(frozen=True)
class RerunPlan:
    """Everything a rerun needs, decided on the GUI thread; `client` writes the new run."""

    client: Client
    experiment_id: str
    source: EvaluationRun | None  # the run rerun (compared with the new one); None: a dataset
    dataset: Dataset
    ollama_url: str
    model: str
    prompt: PromptVersion
    scorers: ScorerChoice = field(default_factory=ScorerChoice)
    max_workers: int = DEFAULT_WORKERS
    run_name: str | None = None
    #: What is evaluated, as the progress strip names it ("run baseline", "dataset golden").
    title: str = ""

    @property
    def subject(self) -> str:
        """`title`, else the source run's name."""
        if self.title or self.source is None:
            return self.title or "a dataset"
        return f"run {self.source.name or self.source.run_id}"


def build_scorers(plan: RerunPlan) -> list[Scorer]:
    """Job thread: the built-ins chosen, then the custom file's scorers (its code runs here)."""
    return chosen_scorers(plan.scorers, plan.model, plan.ollama_url)


def chosen_scorers(choice: ScorerChoice, model: str, url: str) -> list[Scorer]:
    """Job thread: `choice` as scorers; the judge asks `model` at `url` (the replay over many
    traces picks its scorers as a rerun does)."""
    chosen: list[Scorer] = []
    if choice.exact_match:
        chosen.append(ExactMatch())
    if choice.contains:
        chosen.append(Contains())
    if choice.max_length is not None:
        chosen.append(MaxLength(choice.max_length))
    if choice.judge_instructions:
        chosen.append(Judge("judge", choice.judge_instructions, model=model, base_url=url))
    if choice.code is not None:
        chosen.extend(load_scorers(choice.code))
    return chosen


@dataclass(frozen=True)
class RerunProgress:
    """How far a rerun is: the payload of its task's `progress`, made in the job thread."""

    done: int
    total: int
    errors: int  # rows whose prediction or scorers failed
    elapsed_s: float  # since the rerun started

    @property
    def text(self) -> str:
        return progress_text(self.done, self.total, self.errors, self.elapsed_s)


def time_left(done: int, total: int, elapsed_s: float) -> float | None:
    """Seconds still needed at the rate so far (None until a row is done)."""
    if done <= 0 or elapsed_s <= 0 or total <= done:
        return None if done <= 0 else 0.0
    return (total - done) * elapsed_s / done


def progress_text(done: int, total: int, errors: int, elapsed_s: float) -> str:
    """`12 of 40 rows · 1 error · about 30 s left`."""
    parts = [f"{done:,} of {total:,} rows" if total else "Starting…"]
    if errors:
        parts.append(f"{errors:,} error" + ("" if errors == 1 else "s"))
    left = time_left(done, total, elapsed_s)
    if left is not None and done < total:
        parts.append(f"about {_duration(left)} left")
    return " · ".join(parts)


def _duration(seconds: float) -> str:
    """Whole seconds under a minute ("about 7 s left"), else as the app writes durations."""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    return duration(round(seconds) * 1000)


def run_rerun(token: Any, plan: RerunPlan) -> EvaluationResult:
    """Job pool: evaluate the rebuilt dataset into a new run; cancelled runs end KILLED.

    Each row done is reported as a `RerunProgress` (`token.report`). The run goes to the
    plan's client, whatever the custom scorer file does with core's module-level API (it may
    set a tracking URI of its own).
    """
    started = time.monotonic()

    def report(done: int, total: int, errors: int) -> None:
        token.report(done, total, RerunProgress(done, total, errors, time.monotonic() - started))

    def cancelled() -> bool:
        return bool(token.cancelled)

    scorers = build_scorers(plan)
    predictor = OllamaPredictor(plan.ollama_url, plan.model, plan.prompt, client=plan.client)
    return plan.client.evaluate(
        list(plan.dataset.items),
        scorers,
        predictor,
        max_workers=max(1, min(plan.max_workers, MAX_WORKERS)),
        progress=report,
        cancel=cancelled,
        experiment_id=plan.experiment_id,
        run_name=plan.run_name,
    )
