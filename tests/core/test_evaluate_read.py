"""Reading evaluations back for the app's Evaluations view: `Store.evaluations`."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import core
from core import context, jsonutil, tracking
from core.entities.evaluation import EvaluationRow
from core.store.store import Store


@pytest.fixture
def tracking_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "mlflow.db"
    core.set_tracking_uri(f"sqlite:///{path}")
    core.set_experiment("reading")
    yield path
    tracking.reset()


@core.scorer
def short(outputs: str) -> bool:
    return len(outputs) < 6


@core.scorer
def moody(outputs: str) -> core.Feedback:
    if outputs.endswith("3"):
        raise ValueError("no threes")
    return core.Feedback(value=0.25, rationale=f"{outputs} is fine")


@core.trace
def helper(word: str) -> str:
    return word


def predict(n: int) -> str:
    with core.start_span("inner"):  # a child span: the row reads only the root
        pass
    return helper(f"row-{n}")


def evaluate(n: int, **kwargs: Any) -> core.EvaluationResult:
    data = [
        {"inputs": {"n": i}, "expectations": {"expected_response": f"row-{i}"}} for i in range(n)
    ]
    return core.evaluate(data=data, predict_fn=predict, scorers=[short, moody], **kwargs)


def test_the_run_list_shows_status_rows_and_scorer_means(tracking_db: Path) -> None:
    first = evaluate(4, run_name="first")
    second = evaluate(2, run_name="second")
    evaluations = context.default_client().store().evaluations
    runs = evaluations.runs(first.experiment_id or "")
    assert [r.name for r in runs] == ["second", "first"]  # newest first
    listed = runs[1]
    assert (listed.run_id, listed.status, listed.row_count) == (first.run_id, "FINISHED", 4)
    assert listed.scorer_means == {"short": 1.0, "moody": 0.25}
    assert listed.metrics == first.metrics
    assert listed.agent_function == f"{__name__}.predict" and listed.user
    assert listed.start_time is not None and listed.end_time is not None
    assert not listed.is_running
    assert evaluations.run(second.run_id).row_count == 2
    assert evaluations.count_rows(first.run_id) == 4
    with pytest.raises(core.NotFoundError):
        evaluations.run("0" * 32)
    assert evaluations.runs("0") == []


def test_rows_have_inputs_outputs_expectations_and_one_score_per_scorer(tracking_db: Path) -> None:
    result = evaluate(4)
    evaluations = context.default_client().store().evaluations
    columns = evaluations.columns(result.run_id)
    assert (columns.scorers, columns.expectations) == (("moody", "short"), ("expected_response",))
    page = evaluations.rows(result.run_id)
    assert page.next_key is None
    by_input = {row.inputs["n"]: row for row in page.rows}
    assert sorted(by_input) == [0, 1, 2, 3]
    row = by_input[1]
    assert row.outputs == "row-1" and row.expectations == {"expected_response": "row-1"}
    assert row.request_preview == '{"n": 1}' and row.state == "OK"
    assert row.value("short") is True and row.scores["short"].source_id == "short"
    mood = row.scores["moody"]
    assert (mood.value, mood.rationale, mood.failed, mood.source_type) == (
        0.25,
        "row-1 is fine",
        False,
        "CODE",
    )
    failed = by_input[3].scores["moody"]
    assert failed.failed and failed.value is None and by_input[3].value("moody") is None
    assert (failed.error_code, failed.error_message) == ("SCORER_ERROR", "no threes")
    assert by_input[3].value("missing") is None


def test_paging_is_by_keyset_in_trace_order_without_gaps(tracking_db: Path) -> None:
    result = evaluate(10, max_workers=3)
    evaluations = context.default_client().store().evaluations
    seen: list[EvaluationRow] = []
    key = None
    while True:
        page = evaluations.rows(result.run_id, after=key, limit=3)
        seen.extend(page.rows)
        key = page.next_key
        if key is None:
            break
        assert len(page.rows) == 3
    assert len(seen) == 10 and len({r.trace_id for r in seen}) == 10
    order = [(r.request_time, r.trace_id) for r in seen]
    assert order == sorted(order)


def test_a_rescore_run_shows_its_own_scores_and_the_traces_expectations(tracking_db: Path) -> None:
    first = evaluate(3)
    rescore = core.evaluate(
        data=first.result_df["trace_id"].tolist(), scorers=[core.scorers.exact_match]
    )
    evaluations = context.default_client().store().evaluations
    rows = evaluations.rows(rescore.run_id).rows
    assert len(rows) == 3
    for row in rows:
        assert set(row.scores) == {"exact_match"} and row.value("exact_match") is True
        assert row.expectations == {"expected_response": row.outputs}
    assert evaluations.columns(rescore.run_id).scorers == ("exact_match",)
    assert {frozenset(r.scores) for r in evaluations.rows(first.run_id).rows} == {
        frozenset({"short", "moody"})
    }


def test_only_root_spans_are_read_and_decoded_on_use(
    tracking_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = evaluate(2)
    decoded: list[str] = []
    decode = jsonutil.decode  # what a span decodes its document with

    def counting_decode(text: str | bytes) -> tuple[Any, bool]:
        if isinstance(text, str) and '"span_id"' in text:
            decoded.append(text)
        return decode(text)

    monkeypatch.setattr(jsonutil, "decode", counting_decode)
    store = context.default_client().store()
    statements: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", spy)
    try:
        (row, _) = store.evaluations.rows(result.run_id).rows
    finally:
        event.remove(store.engine, "before_cursor_execute", spy)
    span_queries = [s for s in statements if "FROM spans" in s]
    assert len(span_queries) == 1 and "parent_span_id IS NULL" in span_queries[0]
    assert row.root is not None and row.root.name == "predict"
    assert decoded == []  # the page is built without decoding any span
    assert row.outputs == f"row-{row.inputs['n']}"
    assert len(decoded) == 1  # the root's document, once


def test_a_large_run_opens_as_fast_as_a_small_one(tracking_db: Path) -> None:
    def fast(n: int) -> str:
        return f"row-{n}"

    def make(n: int) -> str:
        data = [{"inputs": {"n": i}, "expectations": {"expected_response": "x"}} for i in range(n)]
        return core.evaluate(data=data, predict_fn=fast, scorers=[short, moody]).run_id

    small, large = make(10), make(1000)
    evaluations = context.default_client().store().evaluations

    def open_grid(run_id: str) -> float:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            evaluations.columns(run_id)
            page = evaluations.rows(run_id, limit=10)
            assert [r.outputs for r in page.rows]
            best = min(best, time.perf_counter() - start)
        return best

    assert evaluations.count_rows(large) == 1000
    assert open_grid(large) < 5 * open_grid(small) + 0.05


def test_a_running_run_is_listed_as_running(tracking_db: Path) -> None:
    seen: list[str] = []

    def look(done: int, total: int, errors: int) -> None:
        (run,) = (
            context.default_client()
            .store()
            .evaluations.runs(core.set_experiment("reading").experiment_id)
        )
        seen.append(run.status)
        assert run.is_running and run.end_time is None

    evaluate(2, progress=look, max_workers=1)
    assert seen == ["RUNNING", "RUNNING"]


def test_deleted_runs_are_not_listed(tracking_db: Path) -> None:
    result = evaluate(1)
    connection = sqlite3.connect(tracking_db)
    with connection:
        connection.execute("UPDATE runs SET lifecycle_stage = 'deleted'")
    connection.close()
    assert context.default_client().store().evaluations.runs(result.experiment_id or "") == []


def test_older_layouts_have_no_evaluations(fixture_db: Path) -> None:
    store = Store.open(fixture_db)
    try:
        experiments = [e.experiment_id for e in store.reader.experiments()]
        runs = [r for e in experiments for r in store.evaluations.runs(e)]
        expected = 2 if "3.18" in str(fixture_db) else 0
        assert len(runs) == expected
        for run in runs:
            assert store.evaluations.columns(run.run_id).scorers
    finally:
        store.close()


def test_runs_of_the_same_table_share_their_dataset(tracking_db: Path) -> None:
    first, again, other = evaluate(3), evaluate(3), evaluate(2)
    evaluations = context.default_client().store().evaluations
    datasets = [evaluations.datasets(r.run_id) for r in (first, again, other)]
    assert len(datasets[0]) == 1 and datasets[0] == datasets[1]
    assert not datasets[0] & datasets[2]  # two rows, another digest
    assert evaluations.datasets("0" * 32) == frozenset()


def test_the_dataset_real_mlflow_logged_for_a_run(db318: Path) -> None:
    with Store.open(db318) as store:
        assert store.evaluations.datasets("d5b2747922674d6f94c58663cc62ba9c") == {
            ("dataset", "c9f31245")
        }
