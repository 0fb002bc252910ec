"""The MLflow GenAI tutorial's two evaluation cells, written with `core`.

    python examples/walkthrough_evaluation.py /tmp/demo/mlflow.db --ollama-url http://127.0.0.1:11434

Cell "genai.evaluate with @scorer some_check": three questions, answered by an autologged
`ChatOllama` and scored by `some_check` (is the answer under 10 characters?). Only "Unicorn"
is, so the run's metric `some_check/mean` is 1/3, as in the database real MLflow 3.18 wrote
(tests/fixtures/mlflow-3.18-tutorial).

Cell "genai.evaluate exp_out inside span 'This trace'": a lambda as predict_fn, scored by
`exp_out`, which receives the row's inputs, outputs, expectations and trace. The evaluation
runs inside a span; as with MLflow, that span is a trace of its own and the evaluation's
trace (`<lambda>`) is not nested in it.

The Ollama URL comes from `--ollama-url`, else $TRACEDESK_OLLAMA_URL, else Ollama's default.
tests/test_walkthrough_evaluation.py runs this against the stand-in server.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_ollama import ChatOllama

import core
import core.langchain
from core.entities import Trace

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
MODEL = "llama3.2:1b"
QUESTIONS = {
    "What is the Scotland's national animal?": "Unicorn",
    "Who was the first person to build an airplane?": "Wright Brothers",
    "Who wrote Romeo and Juliet?": "William Shakespeare",
}


@dataclass
class Chat:
    """The chat model `predict_fn` talks to, made in `main` once the Ollama URL is known."""

    model: ChatOllama | None = None


CHAT = Chat()


@core.scorer
def some_check(outputs: str) -> bool:
    """The tutorial's check: a short answer."""
    return len(outputs) < 10


def predict_fn(question: str) -> str:
    """The tutorial's predict function: one chat call (autologged, so it is the trace)."""
    assert CHAT.model is not None, "main() makes the chat model"
    return str(CHAT.model.invoke(question).content)


def evaluate_some_check() -> core.EvaluationResult:
    """Cell "genai.evaluate with @scorer some_check"."""
    data = [
        {"inputs": {"question": q}, "expectations": {"expected_response": a}}
        for q, a in QUESTIONS.items()
    ]
    return core.evaluate(data=data, predict_fn=predict_fn, scorers=[some_check])


@core.scorer
def exp_out(
    inputs: dict[str, Any], outputs: str, expectations: dict[str, Any], trace: Trace
) -> bool:
    """The tutorial's second scorer, which also looks at the inputs and the trace."""
    return (
        outputs == "ouputs value"  # sic: the tutorial's spelling
        and bool(expectations)
        and inputs == {"inp": "inputs value"}
        and trace.data.root_span is not None
    )


def evaluate_in_span() -> core.EvaluationResult:
    """Cell "genai.evaluate exp_out inside span 'This trace'"."""
    with core.start_span(name="This trace"):
        data = [{"inputs": {"inp": "inputs value"}, "expectations": {"exp": "expectations value"}}]
        return core.evaluate(data=data, predict_fn=lambda inp: "ouputs value", scorers=[exp_out])


def show(result: core.EvaluationResult) -> None:
    print(f"run {result.run_name} ({result.run_id}): {result.status}, metrics {result.metrics}")
    values = [c for c in result.result_df.columns if c.endswith("/value")]
    print(result.result_df[["trace_id", *values]].to_string(index=False))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("database", type=Path, help="SQLite file to write (created if missing)")
    parser.add_argument(
        "--ollama-url",
        default=os.environ.get("TRACEDESK_OLLAMA_URL", DEFAULT_OLLAMA_URL),
        help="Ollama server (default: $TRACEDESK_OLLAMA_URL, else %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.database.parent.mkdir(parents=True, exist_ok=True)
    core.set_tracking_uri(f"sqlite:///{args.database.resolve()}")
    CHAT.model = ChatOllama(model=MODEL, temperature=0, base_url=args.ollama_url)
    core.langchain.autolog()
    core.set_experiment("evaluation_test")
    show(evaluate_some_check())
    show(evaluate_in_span())
    core.flush_trace_async_logging()  # the span 'This trace' is written too before we say so
    print(f"Done: {args.database}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
