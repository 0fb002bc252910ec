"""Labelling queues (issue 22): MLflow's review-queue rows, several labellers on one store,
progress read from the store, and agreement. tests/interop/test_review_queues_interop.py shows
MLflow 3.18 reading the queue and the labels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.errors import ReadOnlyStoreError
from core.store import ReviewQueues, schema
from core.store import review_queues as rq
from core.store.store import Store
from tests.interop.test_runs_interop import add_hand_trace

FIELDS = (
    rq.LabelField("correct", rq.PASS_FAIL),
    rq.LabelField("tone", rq.CATEGORICAL, ("friendly", "neutral", "rude")),
    rq.LabelField("helpfulness", rq.NUMERIC, maximum=5),
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A new MLflow 3.18 database on SQLite or PostgreSQL, writable."""
    if request.param == "sqlite":
        opened = Store.open(tmp_path / "mlflow.db", read_only=False, create=True)
    else:
        opened = Store.open(request.getfixturevalue("pg_url"), read_only=False)
    yield opened
    opened.close()


def _traces(store: Store, n: int) -> tuple[str, list[str]]:
    experiment = store.writer.create_experiment("labelling")
    ids = [
        add_hand_trace(store, experiment, 1_790_000_000_000 + 1000 * i).trace_id for i in range(n)
    ]
    return experiment, ids


def test_a_queue_is_mlflows_rows_and_a_second_creator_joins_it(fresh: Store) -> None:
    experiment, ids = _traces(fresh, 3)
    queue_id = rq.create_queue(fresh, experiment, "Support QA", FIELDS, ids[::-1], "Ann")
    assert queue_id.startswith("rq-")
    again = rq.create_queue(fresh, experiment, "support qa", FIELDS[:1], ids[:1], "bob")
    assert again == queue_id  # names are case-insensitive, as MLflow's name_key

    queue = rq.load_queue(fresh, queue_id)
    assert queue.name == "Support QA"
    assert queue.fields == FIELDS
    assert queue.trace_ids == tuple(ids)  # oldest trace first, each once
    assert queue.users == ("ann", "bob")
    [summary] = rq.list_queues(fresh, experiment)
    assert (summary.name, summary.items, summary.created_by) == ("Support QA", 3, "Ann")

    rows = fresh.reader.rows(
        select(schema.review_queues.c.queue_type, schema.review_queues.c.name_key).where(
            schema.review_queues.c.queue_id == queue_id
        )
    )
    assert [tuple(r) for r in rows] == [("custom", "support qa")]
    schemas = fresh.reader.rows(
        select(
            schema.label_schemas.c.name,
            schema.label_schemas.c.input_type,
            schema.label_schemas.c.type,
        )
    )
    assert sorted(tuple(r) for r in schemas) == [
        ("correct", "pass_fail", "feedback"),
        ("helpfulness", "numeric", "feedback"),
        ("tone", "categorical", "feedback"),
    ]
    statuses = fresh.reader.rows(
        select(schema.review_queue_items.c.status, schema.review_queue_items.c.item_type)
    )
    assert [tuple(r) for r in statuses] == [("pending", "trace")] * 3

    # a second queue on the same names reuses the schemas (one row per experiment and name)
    rq.create_queue(fresh, experiment, "Second", FIELDS[:1], ids, "ann")
    assert len(fresh.reader.rows(select(schema.label_schemas.c.schema_id))) == 3


def test_two_labellers_never_override_each_other(fresh: Store) -> None:
    experiment, ids = _traces(fresh, 2)
    queue = rq.load_queue(fresh, rq.create_queue(fresh, experiment, "q", FIELDS, ids, "ann"))
    first, second = ids
    rq.save_labels(fresh, queue, first, {"correct": True, "tone": "friendly"}, "ann")
    assert rq.labelled_by(fresh, queue, "ann") == set()  # helpfulness still missing
    rq.save_labels(fresh, queue, first, {"helpfulness": 4}, "ann")
    rq.save_labels(fresh, queue, first, {"correct": False, "tone": "rude", "helpfulness": 2}, "Bob")
    assert rq.labelled_by(fresh, queue, "ANN") == {first}
    assert rq.labelled_by(fresh, queue, "bob") == {first}
    assert rq.labelled_by(fresh, queue, "cy") == set()

    # Ann changes her mind: her own label is overridden, Bob's stays as it was
    stored = rq.save_labels(fresh, queue, first, {"correct": False}, "ann")
    correct = [a for a in stored if a.name == "correct"]
    assert sorted((a.source_id, a.value, a.valid) for a in correct) == [
        ("Bob", False, True),
        ("ann", False, True),
        ("ann", True, False),
    ]
    new = next(a for a in correct if a.source_id == "ann" and a.valid)
    old = next(a for a in correct if a.source_id == "ann" and not a.valid)
    assert new.overrides == old.assessment_id
    assert all(a.source_type == "HUMAN" for a in stored)
    # saving the same values again writes nothing
    assert len(rq.save_labels(fresh, queue, first, {"correct": False}, "ann")) == len(stored)

    items = fresh.reader.rows(
        select(
            schema.review_queue_items.c.item_id,
            schema.review_queue_items.c.status,
            schema.review_queue_items.c.completed_by,
        )
    )
    assert sorted(tuple(r) for r in items) == sorted(
        [(first, "complete", "ann"), (second, "pending", None)]
    )


def test_agreement_counts_shared_traces_and_lists_the_disagreements(fresh: Store) -> None:
    experiment, ids = _traces(fresh, 4)
    queue = rq.load_queue(fresh, rq.create_queue(fresh, experiment, "q", FIELDS[:2], ids, "ann"))
    a, b, c, d = ids
    rq.save_labels(fresh, queue, a, {"correct": True, "tone": "friendly"}, "ann")
    rq.save_labels(fresh, queue, a, {"correct": True, "tone": "rude"}, "bob")
    rq.save_labels(fresh, queue, b, {"correct": False, "tone": "neutral"}, "ann")
    rq.save_labels(fresh, queue, b, {"correct": True, "tone": "neutral"}, "bob")
    rq.save_labels(fresh, queue, c, {"correct": True}, "ann")  # one labeller: not shared
    rq.save_labels(fresh, queue, d, {"correct": False}, "ann")
    rq.save_labels(fresh, queue, d, {"correct": False}, "bob")

    correct, tone = ReviewQueues(fresh).agreement(queue)
    assert (correct.shared, correct.agreed, correct.resolved) == (3, 2, 0)
    assert correct.percent == pytest.approx(200 / 3)
    assert correct.disagreements == ((b, {"ann": False, "bob": True}),)
    assert (tone.shared, tone.agreed) == (2, 1)
    assert tone.disagreements == ((a, {"ann": "friendly", "bob": "rude"}),)

    # Cy settles the tone of trace a: resolved, no longer listed
    rq.save_labels(fresh, queue, a, {"tone": "rude"}, "cy", resolution=True)
    _, tone = ReviewQueues(fresh).agreement(queue)
    assert (tone.shared, tone.agreed, tone.resolved, tone.disagreements) == (2, 1, 1, ())


def test_a_read_only_store_refuses_to_make_a_queue(tmp_path: Path) -> None:
    writable = Store.open(tmp_path / "mlflow.db", read_only=False, create=True)
    experiment, ids = _traces(writable, 1)
    writable.close()
    with Store.open(tmp_path / "mlflow.db") as store, pytest.raises(ReadOnlyStoreError):
        rq.create_queue(store, experiment, "q", FIELDS, ids, "ann")


def test_fields_read_back_from_mlflows_input_config() -> None:
    assert rq.field_of("x", "numeric", '{"min_value": 1, "max_value": 3.0}') == rq.LabelField(
        "x", rq.NUMERIC, maximum=3
    )
    assert rq.field_of("x", "categorical", '{"options": ["a", "b"]}').choices() == ["a", "b"]
    assert rq.field_of("x", "text", "not json") == rq.LabelField("x", rq.TEXT)
    assert rq.LabelField("x", rq.PASS_FAIL).choices() == [True, False]
    with pytest.raises(ValueError, match="name"):
        rq.create_queue(None, "1", "Default", FIELDS, [], "ann")  # type: ignore[arg-type]
