"""Labels and datasets both ways with real MLflow 3.18 (issue 22).

The same calls (`log_feedback`, `override_feedback`, `update_assessment`, `delete_assessment`,
`log_expectation`, `genai.datasets.create_dataset` and `merge_records` of traces and of dicts)
run with MLflow on one copy of the 3.18 tutorial database and with `core` on another. Then:

* the rows are equal column by column (ids and times aside, ids compared by what they point to);
* MLflow reads both databases the same: `get_trace(...).info.assessments` (values, sources,
  `valid`, `overrides`) and `genai.datasets.get_dataset(...).to_df()`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import copy_fixture
from tests.interop.conftest import MlflowRunner
from tests.interop.test_runs_interop import sqlite_rows

pytestmark = pytest.mark.interop

TRACE = "tr-358353f073e97a4a2cac5d7984bd4d01"
DATASET_TRACES = [
    "tr-358353f073e97a4a2cac5d7984bd4d01",
    "tr-a92633126425ff7dc2c1b46ac10ea751",
    "tr-028977f65e7df04108efc43f2c04dcc3",
]

CALLS = """
import {module} as mlflow
from {entities} import AssessmentSource, Expectation, Feedback
mlflow.set_tracking_uri(ARGS["uri"])
tid = ARGS["trace_id"]
ann = AssessmentSource(source_type="HUMAN", source_id="ann")
judge = mlflow.log_feedback(trace_id=tid, name="correct", value=False, rationale="wrong",
                            source=AssessmentSource(source_type="LLM_JUDGE", source_id="gpt"))
mlflow.override_feedback(trace_id=tid, assessment_id=judge.assessment_id, value=True,
                         rationale="right", source=ann, metadata={{"why": "checked"}})
score = mlflow.log_feedback(trace_id=tid, name="score", value=3, source=ann)
mlflow.update_assessment(tid, score.assessment_id, Feedback(name="score", value=4.5,
                                                            rationale="better"))
exp = mlflow.log_expectation(trace_id=tid, name="expected_response", value="Shakespeare",
                             source=ann)
mlflow.update_assessment(tid, exp.assessment_id,
                         Expectation(name="expected_response", value="William Shakespeare",
                                     metadata={{"k": "v"}}))
mlflow.log_expectation(trace_id=tid, name="expected_facts", value=["a", "b"], source=ann)
tone = mlflow.log_feedback(trace_id=tid, name="tone", value="rude", source=ann)
again = mlflow.override_feedback(trace_id=tid, assessment_id=tone.assessment_id, value="polite")
mlflow.delete_assessment(tid, again.assessment_id)
mlflow.delete_assessment(tid, "a-" + "0" * 32)
ds = mlflow.genai.datasets.create_dataset(name="golden", experiment_id="2", tags={{"team": "qa"}})
ds.merge_records([mlflow.get_trace(t) for t in ARGS["dataset_traces"]])
ds.merge_records([{{"inputs": {{"q": "x"}}, "expectations": {{"a": 1}}}},
                  {{"inputs": {{"q": "y"}}}}])
ds.merge_records([{{"inputs": {{"q": "x"}}, "expectations": {{"b": 2}}, "tags": {{"t": "1"}}}}])
print(json.dumps({{"dataset_id": ds.dataset_id}}))
"""

READ = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
info = mlflow.get_trace(ARGS["trace_id"]).info
ids = [a.assessment_id for a in info.assessments]
out = {"assessments": [], "records": []}
for a in info.assessments:
    out["assessments"].append({
        "name": a.name, "kind": "feedback" if a.feedback is not None else "expectation",
        "value": a.feedback.value if a.feedback is not None else a.expectation.value,
        "source": [a.source.source_type, a.source.source_id], "rationale": a.rationale,
        "metadata": a.metadata, "valid": a.valid,
        "overrides": ids.index(a.overrides) if a.overrides else None,
    })
ds = mlflow.genai.datasets.get_dataset(name="golden")
out["dataset"] = [ds.name, ds.tags, ds.schema, ds.profile, ds.experiment_ids]
for row in ds.to_df().to_dict(orient="records"):
    out["records"].append({k: (v.to_dict() if hasattr(v, "to_dict") else v) for k, v in row.items()
                           if k not in ("created_time", "dataset_record_id")})
out["records"].sort(key=lambda r: json.dumps(r["inputs"], sort_keys=True))
print(json.dumps(out, default=str))
"""


@pytest.fixture
def run_core(tmp_path: Path) -> MlflowRunner:
    folder = tmp_path / "core-side"
    folder.mkdir()
    return MlflowRunner(Path(sys.executable), folder)


def _both(run_mlflow: MlflowRunner, run_core: MlflowRunner) -> tuple[Path, Path]:
    theirs = copy_fixture("mlflow-3.18-tutorial", run_mlflow.workdir / "theirs")
    ours = copy_fixture("mlflow-3.18-tutorial", run_core.workdir / "ours")
    args = {"trace_id": TRACE, "dataset_traces": DATASET_TRACES}
    run_mlflow(
        CALLS.format(module="mlflow", entities="mlflow.entities"),
        uri=f"sqlite:///{theirs}",
        **args,
    )
    run_core(CALLS.format(module="core", entities="core.entities"), uri=f"sqlite:///{ours}", **args)
    return theirs, ours


def _assessments(db: Path) -> list[dict[str, Any]]:
    rows = [r for r in sqlite_rows(db, "assessments") if r["trace_id"] == TRACE]
    index = {r["assessment_id"]: i for i, r in enumerate(rows)}
    kept = []
    for row in rows:
        skip = ("assessment_id", "created_timestamp", "last_updated_timestamp")
        out = {k: v for k, v in row.items() if k not in skip}
        out["overrides"] = index[row["overrides"]] if row["overrides"] else None
        out["updated"] = row["last_updated_timestamp"] > row["created_timestamp"]
        kept.append(out)
    return kept


def _dataset_rows(db: Path) -> dict[str, Any]:
    (dataset,) = sqlite_rows(db, "evaluation_datasets")
    expected = hashlib.sha256(f"{dataset['name']}:{dataset['last_update_time']}".encode())
    assert dataset["digest"] == expected.hexdigest()[:8]
    assert dataset["dataset_id"].startswith("d-") and len(dataset["dataset_id"]) == 34
    times = ("dataset_id", "created_time", "last_update_time", "digest")
    records = []
    for row in sqlite_rows(db, "evaluation_dataset_records"):
        assert row["dataset_record_id"].startswith("dr-")
        assert row["created_time"] <= row["last_update_time"]
        drop = ("dataset_record_id", "dataset_id", "created_time", "last_update_time")
        records.append({k: v for k, v in row.items() if k not in drop})
    links = [
        (r["source_type"], r["destination_type"], r["destination_id"])
        for r in sqlite_rows(db, "entity_associations")
        if r["source_id"] == dataset["dataset_id"]
    ]
    tags = [(r["key"], r["value"]) for r in sqlite_rows(db, "evaluation_dataset_tags")]
    return {
        "dataset": {k: v for k, v in dataset.items() if k not in times},
        "records": sorted(records, key=lambda r: r["input_hash"]),
        "links": links,
        "tags": sorted(tags),
    }


def test_core_writes_the_label_and_dataset_rows_mlflow_writes(
    run_mlflow: MlflowRunner, run_core: MlflowRunner
) -> None:
    theirs, ours = _both(run_mlflow, run_core)
    mine, other = _assessments(ours), _assessments(theirs)
    assert [r["name"] for r in mine] == [r["name"] for r in other]
    for a, b in zip(mine, other, strict=True):
        assert a == b, a["name"]
    by_name = {(r["name"], r["valid"]): r for r in mine}
    assert by_name[("correct", False)]["source_type"] == "LLM_JUDGE"
    assert by_name[("correct", True)]["overrides"] is not None
    assert by_name[("tone", True)]["value"] == '"rude"'  # the override was deleted: valid again
    assert by_name[("score", True)]["updated"] and by_name[("score", True)]["value"] == "4.5"

    mine_ds, other_ds = _dataset_rows(ours), _dataset_rows(theirs)
    assert mine_ds == other_ds
    assert json.loads(mine_ds["dataset"]["profile"]) == {"num_records": 5}
    assert mine_ds["links"] == [("evaluation_dataset", "experiment", "2")]


def test_mlflow_reads_core_labels_and_dataset_as_its_own(
    run_mlflow: MlflowRunner, run_core: MlflowRunner
) -> None:
    theirs, ours = _both(run_mlflow, run_core)
    seen_ours = run_mlflow(READ, uri=f"sqlite:///{ours}", trace_id=TRACE)
    seen_theirs = run_mlflow(READ, uri=f"sqlite:///{theirs}", trace_id=TRACE)
    assert seen_ours == seen_theirs
    names = {(a["name"], a["valid"]): a for a in seen_ours["assessments"]}
    assert names[("correct", True)]["source"] == ["HUMAN", "ann"]
    assert names[("expected_response", True)]["value"] == "William Shakespeare"
    assert names[("expected_facts", True)]["value"] == ["a", "b"]
    by_source = {r["source_id"]: r for r in seen_ours["records"]}
    assert by_source[TRACE]["expectations"]["expected_response"] == "William Shakespeare"
    assert by_source[TRACE]["source_type"] == "TRACE"


EVALUATE = """
import {module} as mlflow
mlflow.set_tracking_uri(ARGS["uri"])
mlflow.set_experiment(experiment_id="2")
ds = mlflow.genai.datasets.create_dataset(name="plain", experiment_id="2")
ds.merge_records([{{"inputs": {{"question": "a"}}, "expectations": {{"expected_response": "A"}}}},
                  {{"inputs": {{"question": "b"}}, "expectations": {{"expected_response": "B"}}}}])

@mlflow.genai.scorer
def matches(outputs, expectations):
    return outputs == expectations["expected_response"]

result = mlflow.genai.evaluate(data=mlflow.genai.datasets.get_dataset(dataset_id=ds.dataset_id),
                               predict_fn=lambda question: question.upper(), scorers=[matches])
print(json.dumps({{"run_id": result.run_id, "dataset_id": ds.dataset_id}}))
"""


def test_an_evaluation_of_a_dataset_logs_it_as_mlflow_does(
    run_mlflow: MlflowRunner, run_core: MlflowRunner
) -> None:
    theirs = copy_fixture("mlflow-3.18-tutorial", run_mlflow.workdir / "theirs")
    ours = copy_fixture("mlflow-3.18-tutorial", run_core.workdir / "ours")
    their_run = run_mlflow(EVALUATE.format(module="mlflow"), uri=f"sqlite:///{theirs}")
    our_run = run_core(EVALUATE.format(module="core"), uri=f"sqlite:///{ours}")

    def run_dataset(db: Path, facts: dict[str, str]) -> dict[str, Any]:
        inputs = [
            r
            for r in sqlite_rows(db, "inputs")
            if r["destination_id"] == facts["run_id"] and r["source_type"] == "DATASET"
        ]
        assert len(inputs) == 1
        (row,) = [
            r for r in sqlite_rows(db, "datasets") if r["dataset_uuid"] == inputs[0]["source_id"]
        ]
        (managed,) = [r for r in sqlite_rows(db, "evaluation_datasets") if r["name"] == "plain"]
        assert row["digest"] == managed["digest"]
        assert json.loads(row["dataset_source"]) == {"dataset_id": facts["dataset_id"]}
        return {
            k: v for k, v in row.items() if k not in ("dataset_uuid", "digest", "dataset_source")
        }

    assert run_dataset(ours, our_run) == run_dataset(theirs, their_run)
