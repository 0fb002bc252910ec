"""`Store.trace_edits`: trace tags and logged feedback / expectations, on SQLite and PostgreSQL.

The expected rows are what real MLflow 3.18's `set_trace_tag`, `delete_trace_tag`,
`log_feedback` and `log_expectation` wrote (see core/store/trace_edits.py);
tests/interop/test_runs_interop.py compares against MLflow itself.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from core.errors import NotFoundError
from core.store import schema as t
from core.store.store import Store
from core.store.trace_edits import error_dict, source_type_of

TRACE_TIME = 1_700_000_000_123


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = Store.open(tmp_path / "mlflow.db", read_only=False, create=True)
    else:
        opened = Store.open(request.getfixturevalue("pg_url"), read_only=False)
    yield opened
    opened.close()


@pytest.fixture
def trace_id(store: Store) -> str:
    """A finished trace (its trace_info row and one tag) in a new experiment."""
    experiment = int(store.writer.create_experiment("edits"))
    trace = f"tr-{uuid.uuid4().hex}"

    def add(connection: Any) -> None:
        connection.execute(
            insert(t.trace_info).values(
                request_id=trace,
                experiment_id=experiment,
                timestamp_ms=TRACE_TIME,
                execution_time_ms=5,
                status="OK",
                trace_name="root",
            )
        )
        connection.execute(
            insert(t.trace_tags).values(
                key="mlflow.trace.spansLocation", value="TRACKING_STORE", request_id=trace
            )
        )

    store.writer.transaction(add)
    return trace


def tags_of(store: Store, trace_id: str) -> dict[str, str]:
    tt = t.trace_tags
    with store.engine.connect() as connection:
        found = connection.execute(
            select(tt.c.key, tt.c.value).where(tt.c.request_id == trace_id)
        ).all()
    return dict((key, value) for key, value in found)


def trace_name_of(store: Store, trace_id: str) -> str | None:
    ti = t.trace_info
    with store.engine.connect() as connection:
        return connection.execute(
            select(ti.c.trace_name).where(ti.c.request_id == trace_id)
        ).scalar()


def assessment_row(store: Store, assessment_id: str) -> dict[str, Any]:
    a = t.assessments
    with store.engine.connect() as connection:
        row = connection.execute(select(a).where(a.c.assessment_id == assessment_id)).one()
    return dict(row._mapping)


# -- tags -----------------------------------------------------------------------------------------


def test_set_replace_and_delete_a_trace_tag(store: Store, trace_id: str) -> None:
    edits = store.trace_edits
    edits.set_trace_tag(trace_id, "k", "v1")
    edits.set_trace_tag(trace_id, "k", "v2")
    edits.set_trace_tag(trace_id, "n", 3)
    edits.set_trace_tag(trace_id, "long", "x" * 9000)
    tags = tags_of(store, trace_id)
    assert tags["k"] == "v2" and tags["n"] == "3" and len(tags["long"]) == 8000
    edits.delete_trace_tag(trace_id, "k")
    assert "k" not in tags_of(store, trace_id)
    with pytest.raises(NotFoundError, match="no tag 'k'"):
        edits.delete_trace_tag(trace_id, "k")
    assert store.reader.trace_info(trace_id).tags["n"] == "3"


def test_trace_name_tag_is_the_column(store: Store, trace_id: str) -> None:
    edits = store.trace_edits
    edits.set_trace_tag(trace_id, "mlflow.traceName", "renamed")
    assert trace_name_of(store, trace_id) == "renamed"
    assert "mlflow.traceName" not in tags_of(store, trace_id)
    with pytest.raises(ValueError, match="4096"):
        edits.set_trace_tag(trace_id, "mlflow.traceName", "x" * 4097)
    edits.delete_trace_tag(trace_id, "mlflow.traceName")
    assert trace_name_of(store, trace_id) is None
    with pytest.raises(NotFoundError):
        edits.delete_trace_tag(trace_id, "mlflow.traceName")


def test_tags_refused_as_mlflow_refuses_them(store: Store, trace_id: str) -> None:
    edits = store.trace_edits
    for immutable in ("mlflow.user", "mlflow.artifactLocation", "mlflow.trace.spansLocation"):
        with pytest.raises(ValueError, match="immutable"):
            edits.set_trace_tag(trace_id, immutable, "x")
        with pytest.raises(ValueError, match="immutable"):
            edits.delete_trace_tag(trace_id, immutable)
    with pytest.raises(NotFoundError):  # deletable although immutable, but not there
        edits.delete_trace_tag(trace_id, "mlflow.trace.archivalFailure")
    for bad in ("a\nb", "../x", "a" * 251):
        with pytest.raises(ValueError):
            edits.set_trace_tag(trace_id, bad, "v")
    with pytest.raises(NotFoundError, match="does not exist"):
        edits.set_trace_tag("tr-missing", "k", "v")
    assert tags_of(store, trace_id) == {"mlflow.trace.spansLocation": "TRACKING_STORE"}


# -- assessments ----------------------------------------------------------------------------------


def test_feedback_with_defaults(store: Store, trace_id: str) -> None:
    before = int(time.time() * 1000)
    assessment_id = store.trace_edits.log_feedback(trace_id, "fb_default", True)
    row = assessment_row(store, assessment_id)
    assert re.fullmatch(r"a-[0-9a-f]{32}", assessment_id)
    assert row["created_timestamp"] == row["last_updated_timestamp"] >= before
    assert row == {
        "assessment_id": assessment_id,
        "trace_id": trace_id,
        "name": "fb_default",
        "assessment_type": "feedback",
        "value": "true",
        "error": None,
        "created_timestamp": row["created_timestamp"],
        "last_updated_timestamp": row["created_timestamp"],
        "source_type": "CODE",
        "source_id": "default",
        "run_id": None,
        "span_id": None,
        "rationale": None,
        "overrides": None,
        "valid": True,
        "assessment_metadata": None,
        "experiment_id": row["experiment_id"],
        "trace_timestamp_ms": TRACE_TIME,
        "aggregate_value": 1.0,
        "is_numeric_value": False,
    }
    back = store.trace_edits.assessment(trace_id, assessment_id)
    assert (back.name, back.value, back.source_type, back.valid) == (
        "fb_default",
        True,
        "CODE",
        True,
    )


def test_feedback_with_everything(store: Store, trace_id: str) -> None:
    assessment_id = store.trace_edits.log_feedback(
        trace_id,
        "fb_full",
        0.5,
        source_type="llm_judge",
        source_id="gpt",
        rationale="because",
        metadata={"m": "1", "n": 2},
        span_id="4de410ef8579d8de",
    )
    row = assessment_row(store, assessment_id)
    assert (row["value"], row["source_type"], row["source_id"]) == ("0.5", "LLM_JUDGE", "gpt")
    assert (row["rationale"], row["span_id"]) == ("because", "4de410ef8579d8de")
    assert json.loads(row["assessment_metadata"]) == {"m": "1", "n": 2}
    assert (row["aggregate_value"], row["is_numeric_value"]) == (0.5, True)


def test_feedback_errors(store: Store, trace_id: str) -> None:
    edits = store.trace_edits
    given = edits.log_feedback(
        trace_id, "fb_err", error={"error_code": "E", "error_message": "boom"}
    )
    row = assessment_row(store, given)
    assert row["value"] == "null" and row["aggregate_value"] is None
    assert row["error"] == '{"error_code": "E", "error_message": "boom", "stack_trace": null}'
    raised = edits.log_feedback(trace_id, "fb_exc", error=ValueError("bad"))
    error = json.loads(assessment_row(store, raised)["error"])
    assert error == {
        "error_code": "ValueError",
        "error_message": "bad",
        "stack_trace": "ValueError('bad')ValueError: bad",
    }
    texted = json.loads(assessment_row(store, edits.log_feedback(trace_id, error="oops"))["error"])
    assert texted == {
        "error_code": "ASSESSMENT_ERROR",
        "error_message": "oops",
        "stack_trace": None,
    }
    assert assessment_row(store, edits.log_feedback(trace_id))["name"] == "feedback"
    with pytest.raises(ValueError, match="error_code"):
        edits.log_feedback(trace_id, "x", error={"error_message": "no code"})


def test_expectations(store: Store, trace_id: str) -> None:
    edits = store.trace_edits
    plain = assessment_row(store, edits.log_expectation(trace_id, "exp_default", "yes"))
    assert (plain["assessment_type"], plain["value"]) == ("expectation", '"yes"')
    assert (plain["source_type"], plain["source_id"], plain["error"]) == ("HUMAN", "default", None)
    assert (plain["aggregate_value"], plain["is_numeric_value"]) == (1.0, False)
    full = assessment_row(
        store,
        edits.log_expectation(
            trace_id,
            "exp_full",
            {"a": [1, 2]},
            source_type="CODE",
            source_id="me",
            metadata={"x": "y"},
            span_id="abc",
        ),
    )
    assert (full["value"], full["assessment_metadata"]) == ('{"a": [1, 2]}', '{"x": "y"}')
    assert (full["source_type"], full["source_id"], full["span_id"]) == ("CODE", "me", "abc")
    assert full["aggregate_value"] is None
    with pytest.raises(ValueError, match="needs a value"):
        edits.log_expectation(trace_id, "none", None)


def test_source_run_in_metadata_is_the_run_id(store: Store, trace_id: str) -> None:
    run = "0" * 32
    row = assessment_row(
        store,
        store.trace_edits.log_feedback(
            trace_id, "x", 1, metadata={"mlflow.assessment.sourceRunId": run}
        ),
    )
    assert row["run_id"] == run


def test_assessments_refused(store: Store, trace_id: str) -> None:
    edits = store.trace_edits
    with pytest.raises(NotFoundError, match="does not exist"):
        edits.log_feedback("tr-missing", "x", 1)
    with pytest.raises(ValueError, match="source type"):
        edits.log_feedback(trace_id, "x", 1, source_type="ROBOT")
    with pytest.raises(ValueError, match="JSON"):
        edits.log_feedback(trace_id, "x", object())
    with pytest.raises(NotFoundError):
        edits.assessment(trace_id, "a-missing")
    assert not store.reader.assessments([trace_id])


def test_ai_judge_is_llm_judge_and_errors_are_dicts() -> None:
    assert source_type_of("ai_judge") == "LLM_JUDGE" and source_type_of("Human") == "HUMAN"
    assert error_dict(None) is None
    assert error_dict({"error_code": "X"}) == {
        "error_code": "X",
        "error_message": None,
        "stack_trace": None,
    }
