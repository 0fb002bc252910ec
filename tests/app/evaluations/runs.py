"""Evaluation runs for the Evaluations page tests, written with `core.evaluate` on a fresh db.

`make_run` points core at the file, evaluates, and resets core's tracking state (which also
stops core's trace writer thread, so no test leaves it running).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import core
from core import tracking
from core.scorers import ExactMatch, MaxLength, Scorer

EXPERIMENT = "evals"


@core.scorer
def never_works(outputs: str) -> bool:
    """A scorer that always raises, so rows carry a scorer error."""
    raise ValueError(f"cannot judge {outputs!r}")


def make_run(
    db: Path,
    data: Sequence[dict[str, Any]],
    predict: Callable[..., Any],
    scorers: Sequence[Scorer],
    name: str,
    max_workers: int = 4,
) -> core.EvaluationResult:
    """One FINISHED run of `data` in experiment `evals` of `db` (created when missing)."""
    core.set_tracking_uri(f"sqlite:///{db}")
    try:
        experiment = core.set_experiment(EXPERIMENT)
        return core.evaluate(
            list(data),
            list(scorers),
            predict,
            max_workers=max_workers,
            experiment_id=experiment.experiment_id,
            run_name=name,
        )
    finally:
        tracking.reset()


def questions(count: int) -> list[dict[str, Any]]:
    return [
        {"inputs": {"question": f"question {i}"}, "expectations": {"expected_response": f"a{i}"}}
        for i in range(count)
    ]


def sized_run(db: Path, count: int, name: str) -> core.EvaluationResult:
    """`count` rows: every third answer is wrong, answers over 3 characters fail MaxLength."""

    def predict(question: str) -> str:
        number = int(question.rsplit(maxsplit=1)[-1])
        return "wrong" if number % 3 == 0 else f"a{number}"

    return make_run(db, questions(count), predict, [ExactMatch(), MaxLength(3)], name)


def experiment_id(db: Path) -> str:
    from core.store.store import Store

    with Store.open(db) as store:
        found = [e for e in store.reader.experiments() if e.name == EXPERIMENT]
    return found[0].experiment_id
