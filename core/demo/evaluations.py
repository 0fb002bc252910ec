"""The demo's evaluation runs: two `core.evaluate` runs over the same twelve questions.

In the `rag-qa` experiment, "baseline" and "new prompt" answer with canned answers (no network,
no model) so that Compare shows rows that improved and rows that regressed; one custom scorer
fails on one row. The questions and answers are in `resources/demo/evaluations.toml`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import core
from core.demo import texts
from core.scorers import Contains, Feedback, MaxLength, exact_match, scorer

EVAL_EXPERIMENT = "rag-qa"
#: question, expected answer, the baseline's answer, the new prompt's answer.
EVAL_ROWS: tuple[tuple[str, str, str, str], ...] = tuple(
    (row["question"], row["expected"], row["baseline"], row["new_prompt"])
    for row in texts("evaluations")["rows"]
)

BANNED = ("contact support", "i don't know")


@scorer
def helpful(outputs: str) -> Feedback:
    """A custom scorer: an answer that sends the customer elsewhere is not helpful."""
    text = str(outputs).casefold()
    for phrase in BANNED:
        if phrase in text:
            return Feedback(value="no", rationale=f"The answer only says {phrase!r}.")
    return Feedback(value="yes", rationale="The answer addresses the question itself.")


@scorer
def cites_policy(inputs: Mapping[str, Any], outputs: str) -> bool:
    """A scorer with a bug: it cannot handle the Spanish question, which shows an error cell."""
    question = str(inputs["question"])
    if question.startswith("¿"):
        raise ValueError(f"cites_policy cannot parse the question {question!r}")
    return "policy" in str(outputs).casefold() or any(ch.isdigit() for ch in str(outputs))


#: Replaces what core records about this process on the evaluation traces (see
#: `plan.trace_context`): the demo names a CI job, not whoever built it.
EVAL_METADATA = {
    "mlflow.user": "ci-bot",
    "mlflow.source.name": "rag_qa/evaluate.py",
    "mlflow.source.type": "JOB",
    "mlflow.source.git.branch": "main",
    "mlflow.source.git.commit": "4f0c2a9d1b7e83c56a0e9d2f41b8c7a3e5d6f012",
    "mlflow.source.git.repoURL": "git@github.com:northwind-ai/rag-qa.git",
}


def canned(answers: Mapping[str, str], version: str) -> Callable[..., str]:
    """A deterministic `predict_fn(question=...)` that returns a fixed answer per question."""

    def answer_question(question: str) -> str:
        core.update_current_trace(tags={"prompt": version}, metadata=EVAL_METADATA)
        return answers[question]

    return answer_question


def add_evaluations() -> None:
    core.set_experiment(EVAL_EXPERIMENT)
    data = [
        {"inputs": {"question": q}, "expectations": {"expected_response": want}}
        for q, want, _, _ in EVAL_ROWS
    ]
    scorers = [exact_match, Contains(), MaxLength(80), helpful, cites_policy]
    runs = (("baseline", 2, "rag-answer@1"), ("new prompt", 3, "rag-answer@2"))
    for run_name, column, version in runs:
        answers = {row[0]: str(row[column]) for row in EVAL_ROWS}
        predict_fn = canned(answers, version)
        core.evaluate(data=data, predict_fn=predict_fn, scorers=scorers, run_name=run_name)
