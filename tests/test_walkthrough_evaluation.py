"""examples/walkthrough_evaluation.py stores the evaluations the MLflow 3.18 tutorial stored.

The script runs once, in a child process, against the stand-in Ollama server. Its database is
read back with `core` and compared, run by run and row by row, with the evaluations real MLflow
wrote from the same tutorial cells (tests/fixtures/mlflow-3.18-tutorial).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.entities.evaluation import EvaluationRun
from core.store.store import Store
from tests.ollama_server import OllamaStandIn

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "examples" / "walkthrough_evaluation.py"
QUESTIONS = [
    "What is the Scotland's national animal?",
    "Who was the first person to build an airplane?",
    "Who wrote Romeo and Juliet?",
]


@pytest.fixture(scope="module")
def walkthrough_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("walkthrough_evaluation") / "mlflow.db"
    env = {k: v for k, v in os.environ.items() if k != "TRACEDESK_OLLAMA_URL"}
    with OllamaStandIn() as server:
        done = subprocess.run(
            [sys.executable, str(SCRIPT), str(db), "--ollama-url", server.url],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-4000:]
        asked = sorted(r["messages"][-1]["content"] for r in server.chat_requests)
    assert asked == QUESTIONS  # one chat call per question, nothing else
    assert "Done:" in done.stdout and "some_check/mean" in done.stdout
    return db


@pytest.fixture
def stores(walkthrough_db: Path, db318: Path) -> Iterator[tuple[Store, Store]]:
    ours, theirs = Store.open(walkthrough_db), Store.open(db318)
    yield ours, theirs
    ours.close()
    theirs.close()


def evaluation_runs(store: Store) -> dict[str, EvaluationRun]:
    """The evaluation_test experiment's runs, by the scorer they ran."""
    experiment = store.reader.experiment_by_name("evaluation_test")
    assert experiment is not None
    runs = store.evaluations.runs(experiment.experiment_id)
    return {store.evaluations.columns(r.run_id).scorers[0]: r for r in runs}


def rows_by_request(store: Store, run: EvaluationRun) -> dict[str, dict[str, Any]]:
    """Each row by its request preview: values, sources and expectations (ids aside)."""
    return {
        str(row.request_preview): {
            "response": row.response_preview,
            "scores": {k: (s.value, s.source_type, s.source_id) for k, s in row.scores.items()},
            "expectations": dict(row.expectations),
            "root": (row.root.name, row.root.span_type) if row.root else None,
        }
        for row in store.evaluations.rows(run.run_id).rows
    }


def test_both_evaluations_match_mlflows(stores: tuple[Store, Store]) -> None:
    ours, theirs = stores
    our_runs, their_runs = evaluation_runs(ours), evaluation_runs(theirs)
    assert sorted(our_runs) == sorted(their_runs) == ["exp_out", "some_check"]
    for scorer, run in our_runs.items():
        reference = their_runs[scorer]
        assert run.status == reference.status == "FINISHED"
        assert run.row_count == reference.row_count
        assert run.metrics == pytest.approx(reference.metrics)
        assert without_git(run.tags) == without_git(reference.tags)
        user = run.tags["mlflow.user"]
        expected = rows_by_request(theirs, reference)
        mine = rows_by_request(ours, run)
        assert sorted(mine) == sorted(expected)
        for request, row in mine.items():
            want = expected[request]
            assert row["scores"] == want["scores"] and row["root"] == want["root"]
            assert (row["response"], row["expectations"]) == (
                want["response"],
                want["expectations"],
            )
        sources = query(
            ours, "SELECT DISTINCT source_id FROM assessments WHERE source_type = 'HUMAN'"
        )
        assert sources == [(user,)]
    assert our_runs["some_check"].metrics == {"some_check/mean": pytest.approx(1 / 3)}
    assert our_runs["some_check"].agent_function == "__main__.predict_fn"
    assert str(our_runs["exp_out"].agent_function).endswith("<lambda>")


def without_git(tags: Any) -> set[str]:
    """Tag keys, but the git facts (present only when the script runs from a git checkout)."""
    return {k for k in tags if not k.startswith("mlflow.source.git.")}


def query(store: Store, sql: str) -> list[tuple[Any, ...]]:
    path = store.location.path
    assert path is not None
    connection = sqlite3.connect(path)
    try:
        return list(connection.execute(sql))
    finally:
        connection.close()


def test_each_row_is_a_linked_trace_with_two_assessments(stores: tuple[Store, Store]) -> None:
    ours, _ = stores
    runs = evaluation_runs(ours)
    for run in runs.values():
        for row in ours.evaluations.rows(run.run_id).rows:
            trace = ours.reader.get_trace(row.trace_id)
            assert trace.info.trace_metadata["mlflow.sourceRun"] == run.run_id
            assert trace.info.tags["mlflow.eval.requestId"]
            kinds = sorted((a.assessment_type, a.span_id) for a in trace.info.assessments)
            root = trace.data.root_span
            assert root is not None and kinds == [
                ("expectation", root.span_id),
                ("feedback", root.span_id),
            ]
    tags = runs["some_check"].tags
    assert tags["mlflow.runType"] == "genai_evaluate" and tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.runName"] == runs["some_check"].name
    datasets = query(ours, "SELECT name, digest, dataset_profile FROM datasets ORDER BY digest")
    assert datasets == [
        ("dataset", "c02f98ac", '{"num_rows": 1, "num_elements": 2}'),
        ("dataset", "c9f31245", '{"num_rows": 3, "num_elements": 6}'),
    ]


def test_the_span_around_the_second_evaluation_is_a_trace_of_its_own(
    stores: tuple[Store, Store],
) -> None:
    ours, _ = stores
    names = query(ours, "SELECT trace_name, request_preview FROM trace_info ORDER BY trace_name")
    assert names[-1] == ("This trace", None)
    assert sorted(n for n, _ in names) == sorted(["ChatOllama"] * 3 + ["<lambda>", "This trace"])
    linked = query(
        ours,
        "SELECT count(*) FROM entity_associations e"
        " JOIN trace_info t ON t.request_id = e.source_id WHERE t.trace_name = 'This trace'",
    )
    assert linked == [(0,)]
    spans = query(
        ours,
        "SELECT count(*) FROM spans s JOIN trace_info t ON t.request_id = s.trace_id"
        " WHERE t.trace_name = 'This trace'",
    )
    assert spans == [(1,)]
