"""Labelling queues both ways with real MLflow 3.18 (issue 22).

`core` makes a queue on a copy of the 3.18 tutorial database and two people label its traces;
MLflow then lists the queue, its questions (label schemas), its users and items, and reads the
labels with `get_trace(...).info.assessments`. The other way, a queue MLflow made opens in
`core` with its fields and traces, and a label written on it is MLflow's feedback.
"""

from __future__ import annotations

import pytest

from core.store import LabelField, ReviewQueues, Store
from tests.conftest import copy_fixture
from tests.interop.conftest import MlflowRunner

pytestmark = pytest.mark.interop

EXPERIMENT = "2"
TRACES = [
    "tr-358353f073e97a4a2cac5d7984bd4d01",
    "tr-a92633126425ff7dc2c1b46ac10ea751",
]
FIELDS = [
    LabelField("correct", LabelField.PASS_FAIL),
    LabelField("tone", LabelField.CATEGORICAL, ("friendly", "rude")),
    LabelField("helpfulness", LabelField.NUMERIC, maximum=5),
]

READ = """
import mlflow
from mlflow.tracing.client import TracingClient
mlflow.set_tracking_uri(ARGS["uri"])
client = TracingClient()
queue = client._get_review_queue_by_name(ARGS["experiment_id"], ARGS["name"])
schemas = {s.schema_id: s for s in client._list_label_schemas(ARGS["experiment_id"])}
items = client._list_review_queue_items(queue.queue_id)
labels = []
for trace_id in ARGS["traces"]:
    for a in mlflow.get_trace(trace_id).info.assessments:
        if a.feedback is None or a.source.source_type != "HUMAN":
            continue  # the fixture's own expectations and judges
        labels.append([trace_id, a.name, a.feedback.value, a.source.source_type,
                       a.source.source_id, a.valid])
print(json.dumps({
    "queue": [queue.queue_id, queue.name, str(queue.queue_type), queue.users],
    "questions": sorted(
        [schemas[i].name, str(schemas[i].type), type(schemas[i].input).__name__]
        for i in queue.schema_ids
    ),
    "options": [schemas[i].input.options for i in queue.schema_ids
                if schemas[i].name == "tone"],
    "items": sorted([i.item_id, str(i.status), i.completed_by] for i in items),
    "labels": sorted(labels),
}))
"""

MAKE = """
import mlflow
from mlflow.tracing.client import TracingClient
from mlflow.genai.label_schemas.label_schemas import InputCategorical, InputPassFail
mlflow.set_tracking_uri(ARGS["uri"])
client = TracingClient()
ok = client._create_label_schema(ARGS["experiment_id"], name="grounded", type="feedback",
    input=InputPassFail(positive_label="Grounded", negative_label="Hallucinated"))
kind = client._create_label_schema(ARGS["experiment_id"], name="topic", type="feedback",
    input=InputCategorical(options=["billing", "shipping", "other"]))
queue = client._create_review_queue(ARGS["experiment_id"], name="From MLflow",
    queue_type="custom", users=["ann"], schema_ids=[ok.schema_id, kind.schema_id])
client._add_items_to_review_queue(queue.queue_id, item_ids=ARGS["traces"])
print(json.dumps({"queue_id": queue.queue_id}))
"""


def test_mlflow_reads_a_core_queue_and_its_labels(run_mlflow: MlflowRunner) -> None:
    db = copy_fixture("mlflow-3.18-tutorial", run_mlflow.workdir / "ours")
    with Store.open(db, read_only=False) as store:
        queues = ReviewQueues(store)
        queue_id = queues.create(EXPERIMENT, "Support QA", FIELDS, TRACES, "Ann")
        queues.join(queue_id, "bob")
        queue = queues.load(queue_id)
        first, second = queue.trace_ids
        queues.save(queue, first, {"correct": True, "tone": "friendly", "helpfulness": 4}, "ann")
        queues.save(queue, first, {"correct": False, "tone": "friendly", "helpfulness": 2}, "bob")
        queues.save(queue, first, {"correct": False}, "ann")  # ann overrides only her own
        queues.save(queue, second, {"tone": "rude"}, "bob")

    seen = run_mlflow(
        READ, uri=f"sqlite:///{db}", experiment_id=EXPERIMENT, name="support qa", traces=TRACES
    )
    assert seen["queue"] == [queue_id, "Support QA", "custom", ["ann", "bob"]]
    assert seen["questions"] == [
        ["correct", "feedback", "InputPassFail"],
        ["helpfulness", "feedback", "InputNumeric"],
        ["tone", "feedback", "InputCategorical"],
    ]
    assert seen["options"] == [["friendly", "rude"]]
    assert seen["items"] == sorted([[first, "complete", "ann"], [second, "pending", None]])
    assert seen["labels"] == sorted(
        [
            [first, "correct", True, "HUMAN", "ann", False],
            [first, "correct", False, "HUMAN", "ann", True],
            [first, "tone", "friendly", "HUMAN", "ann", True],
            [first, "helpfulness", 4, "HUMAN", "ann", True],
            [first, "correct", False, "HUMAN", "bob", True],
            [first, "tone", "friendly", "HUMAN", "bob", True],
            [first, "helpfulness", 2, "HUMAN", "bob", True],
            [second, "tone", "rude", "HUMAN", "bob", True],
        ]
    )


def test_core_opens_a_queue_mlflow_made(run_mlflow: MlflowRunner) -> None:
    db = copy_fixture("mlflow-3.18-tutorial", run_mlflow.workdir / "theirs")
    made = run_mlflow(MAKE, uri=f"sqlite:///{db}", experiment_id=EXPERIMENT, traces=TRACES)
    with Store.open(db, read_only=False) as store:
        queues = ReviewQueues(store)
        [summary] = queues.of_experiment(EXPERIMENT)
        assert (summary.queue_id, summary.name, summary.items) == (
            made["queue_id"],
            "From MLflow",
            2,
        )
        queue = queues.load(made["queue_id"])
        assert queue.fields == (
            LabelField("grounded", LabelField.PASS_FAIL),
            LabelField("topic", LabelField.CATEGORICAL, ("billing", "shipping", "other")),
        )
        assert set(queue.trace_ids) == set(TRACES) and queue.users == ("ann",)
        queues.save(queue, TRACES[0], {"grounded": True, "topic": "billing"}, "ann")
        assert queues.labelled_by(queue, "ann") == {TRACES[0]}

    seen = run_mlflow(
        READ, uri=f"sqlite:///{db}", experiment_id=EXPERIMENT, name="From MLflow", traces=TRACES
    )
    assert [TRACES[0], "complete", "ann"] in seen["items"]
    assert [TRACES[0], "grounded", True, "HUMAN", "ann", True] in seen["labels"]
