"""Evaluations both ways with real MLflow 3.18: `core` reads the runs MLflow's
`genai.evaluate` wrote, and MLflow reads the runs `core.evaluate` writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import core
from core import context, tracking
from core.store.store import Store
from tests.conftest import load_expected
from tests.interop.conftest import MlflowRunner

pytestmark = pytest.mark.interop

QUESTIONS = {
    "What is the Scotland's national animal?": "Unicorn",
    "Who was the first person to build an airplane?": "Wright Brothers",
    "Who wrote Romeo and Juliet?": "William Shakespeare",
}
DATA = [
    {"inputs": {"question": q}, "expectations": {"expected_response": a}}
    for q, a in QUESTIONS.items()
]

READ_RUN_WITH_MLFLOW = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
out = {}
for run_id in ARGS["run_ids"]:
    run = mlflow.get_run(run_id)
    traces = mlflow.search_traces(
        locations=[run.info.experiment_id], run_id=run_id, return_type="list"
    )
    out[run_id] = {
        "status": run.info.status,
        "name": run.info.run_name,
        "experiment_id": run.info.experiment_id,
        "metrics": run.data.metrics,
        "tags": run.data.tags,
        "datasets": [
            {"name": d.dataset.name, "digest": d.dataset.digest, "schema": d.dataset.schema,
             "profile": d.dataset.profile, "source_type": d.dataset.source_type}
            for d in run.inputs.dataset_inputs
        ],
        "traces": {
            t.info.trace_id: {
                "name": t.info.tags.get("mlflow.traceName"),
                "source_run": t.info.trace_metadata.get("mlflow.sourceRun"),
                "root": t.data._get_root_span().span_id,
                "assessments": sorted(
                    [[a.name, "feedback" if a.feedback is not None else "expectation",
                      a.value, a.rationale,
                      a.error.error_code if getattr(a, "error", None) else None,
                      a.error.error_message if getattr(a, "error", None) else None,
                      a.source.source_type, a.source.source_id, a.span_id,
                      (a.metadata or {}).get("mlflow.assessment.sourceRunId")]
                     for a in t.info.assessments],
                    key=lambda x: (x[0], str(x[-1])),
                ),
            }
            for t in traces
        },
    }
runs = mlflow.search_runs(
    experiment_ids=[out[ARGS["run_ids"][0]]["experiment_id"]],
    filter_string="tags.mlflow.runType = 'genai_evaluate'",
    output_format="list",
)
out["search_runs"] = sorted(r.info.run_id for r in runs)
print(json.dumps(out, default=str))
"""

EVALUATE_WITH_MLFLOW = """
import mlflow
from mlflow.genai.scorers import scorer
mlflow.set_tracking_uri(ARGS["uri"])
mlflow.set_experiment(experiment_id=ARGS["experiment_id"])

@scorer
def long_answer(outputs) -> bool:
    return len(str(outputs)) >= 10

frame = mlflow.search_traces(locations=[ARGS["experiment_id"]], run_id=ARGS["run_id"])
result = mlflow.genai.evaluate(data=frame, scorers=[long_answer])
print(json.dumps({"run_id": result.run_id, "metrics": result.metrics}, default=float))
"""


@pytest.fixture
def core_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "mlflow.db"
    core.set_tracking_uri(f"sqlite:///{path}")
    core.set_experiment("evaluation_test")
    yield path
    tracking.reset()


# --------------------------------------------------------------------------- core reads MLflow


def test_core_reads_the_evaluations_mlflow_wrote(db318: Path) -> None:
    expected = next(
        e for e in load_expected(db318)["experiments"] if e["name"] == "evaluation_test"
    )
    store = Store.open(db318)
    try:
        runs = store.evaluations.runs(expected["experiment_id"])
        wanted = [
            r for r in expected["runs"] if r["tags"].get("mlflow.runType") == "genai_evaluate"
        ]
        assert [r.run_id for r in runs] == [r["run_id"] for r in wanted]  # newest first
        for run, want in zip(runs, wanted, strict=True):
            assert (run.name, run.status) == (want["run_name"], want["status"])
            assert (run.start_time, run.end_time) == (want["start_time"], want["end_time"])
            assert run.metrics == pytest.approx(want["metrics"])
            assert dict(run.tags) == want["tags"]
            check_rows(store, run.run_id, expected["traces"])
        assert runs[1].scorer_means == {"some_check": pytest.approx(1 / 3)}
        assert (runs[0].row_count, runs[1].row_count) == (1, 3)
        assert runs[1].agent_function == "__main__.predict_fn"
    finally:
        store.close()


def check_rows(store: Store, run_id: str, traces: list[dict[str, Any]]) -> None:
    """Every row's scores and expectations equal the assessments expected.json lists."""
    mine = {
        t["trace_id"]: t for t in traces if t["trace_metadata"].get("mlflow.sourceRun") == run_id
    }
    rows = store.evaluations.rows(run_id).rows
    assert sorted(r.trace_id for r in rows) == sorted(mine)
    columns = store.evaluations.columns(run_id)
    for row in rows:
        want = mine[row.trace_id]
        assert row.request_preview == want["request_preview"]
        assert row.response_preview == want["response_preview"]
        feedback = {a["name"]: a for a in want["assessments"] if a["kind"] == "feedback"}
        expectations = {
            a["name"]: a["value"] for a in want["assessments"] if a["kind"] == "expectation"
        }
        assert {k: s.value for k, s in row.scores.items()} == {
            k: a["value"] for k, a in feedback.items()
        }
        for name, score in row.scores.items():
            assert score.assessment_id == feedback[name]["assessment_id"]
            assert (score.source_type, score.source_id) == tuple(feedback[name]["source"].values())
            assert score.rationale is None and not score.failed
        assert dict(row.expectations) == expectations
        assert columns.scorers == tuple(sorted(feedback))
        assert columns.expectations == tuple(sorted(expectations))
        root = want["spans"][0]
        assert row.root is not None and row.root.span_id == root["span_id"]


def test_core_reads_a_rescore_mlflow_made_of_core_traces(
    core_db: Path, run_mlflow: MlflowRunner
) -> None:
    first = core.evaluate(data=DATA, predict_fn=answer, scorers=[short])
    core.flush_trace_async_logging()
    theirs = run_mlflow(
        EVALUATE_WITH_MLFLOW,
        uri=f"sqlite:///{core_db}",
        experiment_id=first.experiment_id,
        run_id=first.run_id,
    )
    assert theirs["metrics"] == {"long_answer/mean": pytest.approx(2 / 3)}
    evaluations = context.default_client().store().evaluations
    run = evaluations.run(theirs["run_id"])
    assert (run.status, run.row_count, run.tags["mlflow.runType"]) == (
        "FINISHED",
        3,
        "genai_evaluate",
    )
    rows = evaluations.rows(theirs["run_id"]).rows
    assert sorted(r.trace_id for r in rows) == sorted(first.result_df["trace_id"])
    for row in rows:
        assert set(row.scores) == {"long_answer"}  # not the first run's `short`
        assert row.value("long_answer") is (len(row.outputs) >= 10)
        assert row.expectations == {"expected_response": row.outputs}
    first_rows = evaluations.rows(first.run_id).rows
    assert {frozenset(r.scores) for r in first_rows} == {frozenset({"short"})}


# --------------------------------------------------------------------------- MLflow reads core


@core.scorer
def short(outputs: str) -> bool:
    return len(outputs) < 10


@core.scorer
def graded(outputs: str) -> core.Feedback:
    return core.Feedback(value=len(outputs) / 20, rationale=f"{len(outputs)} characters")


@core.scorer
def verdict(outputs: str) -> str:
    return "terse" if len(outputs) < 10 else "wordy"


@core.scorer
def fussy(outputs: str) -> bool:
    if outputs.startswith("W"):
        raise ValueError("no W answers")
    return True


@core.trace
def answer(question: str) -> str:
    return QUESTIONS[question]


def test_mlflow_reads_the_runs_core_evaluated(core_db: Path, run_mlflow: MlflowRunner) -> None:
    result = core.evaluate(data=DATA, predict_fn=answer, scorers=[short, graded, verdict, fussy])
    rescore = core.evaluate(
        data=result.result_df["trace_id"].tolist(), scorers=[core.scorers.exact_match]
    )
    out = run_mlflow(
        READ_RUN_WITH_MLFLOW, uri=f"sqlite:///{core_db}", run_ids=[result.run_id, rescore.run_id]
    )
    assert out["search_runs"] == sorted([result.run_id, rescore.run_id])
    seen = out[result.run_id]
    assert (seen["status"], seen["name"]) == ("FINISHED", result.run_name)
    assert seen["metrics"] == pytest.approx(result.metrics)
    assert seen["metrics"] == pytest.approx(
        {"short/mean": 1 / 3, "graded/mean": (7 + 15 + 19) / 60, "fussy/mean": 1.0}
    )
    tags = seen["tags"]
    assert tags["mlflow.runType"] == "genai_evaluate" and tags["mlflow.runName"] == result.run_name
    assert tags["mlflow.genaiEvaluate.agent.function"] == f"{__name__}.answer"
    assert seen["datasets"] == [
        {
            "name": "dataset",
            "digest": "c9f31245",
            "schema": seen["datasets"][0]["schema"],
            "profile": '{"num_rows": 3, "num_elements": 6}',
            "source_type": "code",
        }
    ]
    assert set(seen["traces"]) == set(result.result_df["trace_id"])
    frame = result.result_df.set_index("trace_id")
    for trace_id, trace in seen["traces"].items():
        assert (trace["name"], trace["source_run"]) == ("answer", result.run_id)
        own = [a for a in trace["assessments"] if a[-1] == result.run_id]
        assert own == expected_assessments(frame.loc[trace_id], trace["root"], result.run_id)
    rescored = out[rescore.run_id]
    assert rescored["metrics"] == {"exact_match/mean": 1.0} and rescored["status"] == "FINISHED"
    assert set(rescored["traces"]) == set(seen["traces"])
    for trace in rescored["traces"].values():
        assert trace["source_run"] == result.run_id  # the trace still says who made it
        by_run = [a for a in trace["assessments"] if a[-1] == rescore.run_id]
        assert by_run == [
            [
                "exact_match",
                "feedback",
                True,
                None,
                None,
                None,
                "CODE",
                "exact_match",
                trace["root"],
                rescore.run_id,
            ]
        ]


def expected_assessments(row: Any, root: str, run_id: str) -> list[list[Any]]:
    text = row["outputs"]
    failed = text.startswith("W")
    error = ["SCORER_ERROR", "no W answers"] if failed else [None, None]
    word = "terse" if len(text) < 10 else "wordy"
    rows = [
        ["expected_response", "expectation", text, None, None, None, "HUMAN", row_user()],
        ["fussy", "feedback", None if failed else True, None, *error, "CODE", "fussy"],
        ["graded", "feedback", len(text) / 20, f"{len(text)} characters", None, None, "CODE"],
        ["short", "feedback", len(text) < 10, None, None, None, "CODE", "short"],
        ["verdict", "feedback", word, None, None, None, "CODE", "verdict"],
    ]
    rows[2].append("default")  # a Feedback without a source: MLflow's default source id
    return [[*row, root, run_id] for row in rows]


def row_user() -> str:
    from core.run_context import context_tags

    return context_tags()["mlflow.user"]


def test_mlflow_reads_a_core_rescore_of_its_own_traces(
    db318: Path, run_mlflow: MlflowRunner
) -> None:
    core.set_tracking_uri(f"sqlite:///{db318}")
    try:
        core.set_experiment("evaluation_test")
        mlflow_rows = Store.open(db318).evaluations.rows("d5b2747922674d6f94c58663cc62ba9c").rows
        ids = [r.trace_id for r in mlflow_rows]
        result = core.evaluate(data=ids, scorers=[core.scorers.MaxLength(10, name="short")])
        out = run_mlflow(READ_RUN_WITH_MLFLOW, uri=f"sqlite:///{db318}", run_ids=[result.run_id])
    finally:
        tracking.reset()
    seen = out[result.run_id]
    assert seen["status"] == "FINISHED" and seen["metrics"] == {"short/mean": pytest.approx(1 / 3)}
    assert set(seen["traces"]) == set(ids)
    values = dict(zip(result.result_df["trace_id"], result.result_df["short/value"], strict=True))
    assert sorted(values.values()) == [False, False, True]  # only "Unicorn" is short
    for trace_id, trace in seen["traces"].items():
        assert trace["source_run"] == "d5b2747922674d6f94c58663cc62ba9c"
        mine = [a for a in trace["assessments"] if a[-1] == result.run_id]
        assert [a[:3] for a in mine] == [["short", "feedback", values[trace_id]]]
        assert len(trace["assessments"]) == 3  # MLflow's two, and ours: no expectation copied
