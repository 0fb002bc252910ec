"""Labelling calls of issue 22 on a copy of the 3.18 tutorial database: `override_feedback`,
`update_assessment`, `delete_assessment`, `get_assessment`, and managed datasets
(`core.genai.datasets`) made from traces and evaluated. tests/interop/test_labels_interop.py
proves the rows equal MLflow's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import core
from core import context
from core.entities import AssessmentSource, Expectation, Feedback
from core.errors import NotFoundError, ReadOnlyStoreError
from core.genai import datasets
from core.store.store import Store
from tests.interop.test_runs_interop import add_hand_trace

TRACE = "tr-358353f073e97a4a2cac5d7984bd4d01"  # experiment 2, inputs {"messages": [...]}
OTHER = "tr-a92633126425ff7dc2c1b46ac10ea751"
ANN = AssessmentSource(source_type="HUMAN", source_id="ann")


@pytest.fixture
def uri(db318: Path) -> Iterator[str]:
    core.set_tracking_uri(f"sqlite:///{db318}")
    yield f"sqlite:///{db318}"
    context.reset()


def test_override_keeps_the_old_feedback_as_invalid_history(uri: str) -> None:
    judge = core.log_feedback(
        trace_id=TRACE,
        name="correct",
        value=False,
        source=AssessmentSource(source_type="LLM_JUDGE", source_id="gpt"),
    )
    assert judge.assessment_id is not None
    human = core.override_feedback(
        trace_id=TRACE, assessment_id=judge.assessment_id, value=True, source=ANN
    )
    assert (human.name, human.value, human.overrides, human.valid) == (
        "correct",
        True,
        judge.assessment_id,
        True,
    )
    assert core.get_assessment(TRACE, judge.assessment_id).valid is False
    trace = core.get_trace(TRACE)
    assert trace is not None
    assert [a.value for a in trace.search_assessments("correct")] == [True]
    assert len(trace.search_assessments("correct", all=True)) == 2

    assert human.assessment_id is not None
    core.delete_assessment(TRACE, human.assessment_id)
    assert core.get_assessment(TRACE, judge.assessment_id).valid is True
    with pytest.raises(NotFoundError):
        core.get_assessment(TRACE, human.assessment_id)


def test_override_and_update_refuse_the_wrong_kind(uri: str) -> None:
    expected = core.log_expectation(trace_id=TRACE, name="expected_response", value="x")
    feedback = core.log_feedback(trace_id=TRACE, name="score", value=1)
    assert expected.assessment_id is not None and feedback.assessment_id is not None
    with pytest.raises(ValueError, match="not a feedback"):
        core.override_feedback(trace_id=TRACE, assessment_id=expected.assessment_id, value=2)
    with pytest.raises(ValueError, match="Expectation assessment"):
        core.update_assessment(TRACE, expected.assessment_id, Feedback(name="score", value=2))
    with pytest.raises(ValueError, match="Feedback assessment"):
        core.update_assessment(TRACE, feedback.assessment_id, Expectation(name="e", value=2))


def test_update_rewrites_in_place_and_merges_metadata(uri: str) -> None:
    expected = core.log_expectation(
        trace_id=TRACE, name="expected_facts", value=["a"], source=ANN, metadata={"a": "1"}
    )
    assert expected.assessment_id is not None
    updated = core.update_assessment(
        TRACE,
        expected.assessment_id,
        Expectation(name="expected_facts", value=["a", "b"], metadata={"b": "2"}),
    )
    assert updated.assessment_id == expected.assessment_id
    assert updated.value == ["a", "b"] and updated.source == ANN
    assert updated.metadata == {"a": "1", "b": "2"}
    assert updated.create_time_ms == expected.create_time_ms


def test_deleting_is_idempotent_but_needs_the_trace(uri: str) -> None:
    core.delete_assessment(TRACE, "a-" + "0" * 32)
    with pytest.raises(NotFoundError):
        core.delete_assessment("tr-" + "0" * 32, "a-" + "0" * 32)


def test_a_read_only_store_refuses_every_label_write(db318: Path) -> None:
    with Store.open(db318) as store:
        assert store.read_only
        with pytest.raises(ReadOnlyStoreError):
            store.trace_edits.log_feedback(TRACE, "x", True)
        with pytest.raises(ReadOnlyStoreError):
            datasets.create_dataset(name="golden", experiment_id="2", store=store)


def test_dataset_from_traces_merges_by_inputs_and_evaluates(uri: str) -> None:
    core.log_expectation(trace_id=TRACE, name="expected_response", value="Shakespeare")
    dataset = datasets.create_dataset(name="golden", experiment_id="2")
    traces = [core.get_trace(TRACE), core.get_trace(OTHER)]
    dataset.merge_records([t for t in traces if t is not None])
    assert dataset.last_merge is not None and dataset.last_merge.inserted == 2
    frame = dataset.to_df()
    by_trace = {r["source_id"]: r for r in frame.to_dict(orient="records")}
    assert by_trace[TRACE]["expectations"]["expected_response"] == "Shakespeare"
    assert by_trace[TRACE]["inputs"]["messages"][0]["content"] == "Who wrote Romeo and Juliet?"
    assert by_trace[TRACE]["source_type"] == "TRACE"

    core.log_expectation(trace_id=OTHER, name="expected_response", value="Unicorn")
    again = core.get_trace(OTHER)
    assert again is not None
    dataset.merge_records([again])
    assert dataset.last_merge is not None
    assert (dataset.last_merge.inserted, dataset.last_merge.updated) == (0, 1)
    assert len(dataset.to_df()) == 2
    assert datasets.get_dataset(name="golden").dataset_id == dataset.dataset_id
    assert [d.name for d in datasets.search_datasets(experiment_ids="2")] == ["golden"]
    assert datasets.search_datasets(filter_string="name LIKE 'gol%'")[0].name == "golden"
    assert datasets.search_datasets(experiment_ids="1") == []

    seen: list[tuple[object, object]] = []

    @core.scorer
    def matches(inputs: dict[str, object], expectations: dict[str, object]) -> bool:
        seen.append((inputs["question"], expectations.get("expected_response")))
        return True

    plain = datasets.create_dataset(name="plain", experiment_id="2")
    plain.merge_records(
        [
            {"inputs": {"question": "a"}, "expectations": {"expected_response": "A"}},
            {"inputs": {"question": "b"}, "expectations": {"expected_response": "B"}},
        ]
    )
    result = core.genai.evaluate(
        data=datasets.get_dataset(dataset_id=plain.dataset_id),
        predict_fn=lambda question: question.upper(),
        scorers=[matches],
    )
    assert sorted(seen) == [("a", "A"), ("b", "B")]
    assert result.metrics
    evaluated = datasets.get_dataset(dataset_id=plain.dataset_id)
    client = context.default_client()
    assert client.store().evaluations.datasets(result.run_id) == {
        ("plain", str(evaluated.digest))
    }  # the managed dataset itself is the run's input, as MLflow logs it


def test_a_record_needs_dict_inputs(uri: str) -> None:
    dataset = datasets.create_dataset(name="golden", experiment_id="2")
    with pytest.raises(ValueError, match="inputs"):
        dataset.merge_records([{"expectations": {"a": 1}}])
    with pytest.raises(ValueError, match="dictionary"):
        dataset.merge_records([{"inputs": "text"}])
    with pytest.raises(NotFoundError):
        datasets.get_dataset(name="missing")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A new MLflow 3.18 database on SQLite or PostgreSQL, writable."""
    if request.param == "sqlite":
        opened = Store.open(tmp_path / "mlflow.db", read_only=False, create=True)
    else:
        opened = Store.open(request.getfixturevalue("pg_url"), read_only=False)
    yield opened
    opened.close()


def test_label_edits_and_datasets_on_both_backends(fresh: Store) -> None:
    experiment = fresh.writer.create_experiment("labels")
    trace_id = add_hand_trace(fresh, experiment).trace_id
    edits = fresh.trace_edits
    judge = edits.log_feedback(trace_id, "correct", False, source_type="LLM_JUDGE", source_id="gpt")
    human = edits.override_feedback(trace_id, judge, True, source_type="HUMAN", source_id="ann")
    assert edits.assessment(trace_id, judge).valid is False
    assert edits.assessment(trace_id, human).overrides == judge
    updated = edits.update_assessment(trace_id, human, value=0.5)
    assert (updated.value, updated.source_id, updated.valid) == (0.5, "ann", True)
    edits.delete_assessment(trace_id, human)
    assert edits.assessment(trace_id, judge).valid is True

    dataset = datasets.create_dataset(name="golden", experiment_id=experiment, store=fresh)
    dataset.merge_records(
        [
            {"inputs": {"q": "é ✨"}, "expectations": {"a": [1]}},
            {"inputs": {"q": "y"}, "outputs": "x"},
        ]
    )
    dataset.merge_records([{"inputs": {"q": "é ✨"}, "expectations": {"b": 2}}])
    records = {r.inputs["q"]: r for r in dataset.records}
    assert records["é ✨"].expectations == {"a": [1], "b": 2}
    assert records["é ✨"].source_type == "HUMAN" and records["y"].source_type == "CODE"
    assert records["y"].outputs == "x" and records["y"].expectations is None
    (found,) = datasets.search_datasets(experiment_ids=experiment, store=fresh)
    assert found.profile == '{"num_records": 2}' and found.experiment_ids == [experiment]
