"""The life of an evaluation run: workers, row order, progress, cancellation, failure.

Nothing here sleeps: rows are held back and released with events and barriers (each wait has a
timeout only so that a broken test fails instead of hanging).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import core
from core import context, tracking
from core.evaluation.evaluate import max_workers_from

WAIT_S = 10.0


@pytest.fixture
def tracking_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "mlflow.db"
    core.set_tracking_uri(f"sqlite:///{path}")
    core.set_experiment("runs")
    yield path
    tracking.reset()


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(db)
    try:
        return list(connection.execute(sql))
    finally:
        connection.close()


def numbered(n: int) -> list[dict[str, Any]]:
    return [{"inputs": {"n": i}, "expectations": {"expected_response": str(i)}} for i in range(n)]


@core.scorer
def even(outputs: int) -> bool:
    return outputs % 2 == 0


def test_rows_run_concurrently_and_results_keep_the_data_order(tracking_db: Path) -> None:
    last_started = threading.Event()
    threads: set[str] = set()

    def slow_first(n: int) -> int:
        threads.add(threading.current_thread().name)
        if n == 0:  # the first row finishes last
            assert last_started.wait(WAIT_S)
        if n == 3:
            last_started.set()
        return n

    result = core.evaluate(data=numbered(4), predict_fn=slow_first, scorers=[even], max_workers=4)
    assert result.result_df["outputs"].tolist() == [0, 1, 2, 3]
    assert result.result_df["even/value"].tolist() == [True, False, True, False]
    assert len(threads) > 1 and all(t.startswith("tracedesk-evaluate") for t in threads)


def test_max_workers_bounds_the_rows_in_flight(tracking_db: Path) -> None:
    together = threading.Barrier(3, timeout=WAIT_S)

    def meet(n: int) -> int:
        together.wait()  # passes only when three rows run at once
        return n

    result = core.evaluate(data=numbered(6), predict_fn=meet, max_workers=3)
    assert result.result_df["error_message"].isna().all()
    with pytest.raises(ValueError, match="1 or more"):
        core.evaluate(data=numbered(1), predict_fn=meet, max_workers=0)


def test_the_worker_count_comes_from_mlflows_variable(
    tracking_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert max_workers_from(None) == 4
    monkeypatch.setenv("MLFLOW_GENAI_EVAL_MAX_WORKERS", "1")
    assert max_workers_from(None) == 1 and max_workers_from(7) == 7
    threads: set[str] = set()

    def where(n: int) -> int:
        threads.add(threading.current_thread().name)
        return n

    core.evaluate(data=numbered(5), predict_fn=where)
    assert len(threads) == 1
    monkeypatch.setenv("MLFLOW_GENAI_EVAL_MAX_WORKERS", "many")
    with pytest.raises(ValueError, match="whole number"):
        max_workers_from(None)


def test_progress_reports_done_total_and_errors(tracking_db: Path) -> None:
    seen: list[tuple[int, int, int]] = []

    @core.scorer
    def picky(outputs: int) -> bool:
        if outputs == 1:
            raise ValueError("not one")
        return True

    def spy(done: int, total: int, errors: int) -> None:
        seen.append((done, total, errors))
        (run,) = (
            context.default_client()
            .store()
            .evaluations.runs(core.set_experiment("runs").experiment_id)
        )
        assert run.status == "RUNNING" and run.end_time is None

    core.evaluate(
        data=numbered(3), predict_fn=lambda n: n, scorers=[picky], progress=spy, max_workers=1
    )
    assert seen == [(1, 3, 0), (2, 3, 1), (3, 3, 1)]


@pytest.mark.parametrize("as_callable", [False, True])
def test_cancelling_skips_the_rest_and_kills_the_run(tracking_db: Path, as_callable: bool) -> None:
    stop = threading.Event()
    calls: list[int] = []

    def predict(n: int) -> int:
        calls.append(n)
        if n == 1:
            stop.set()  # the user presses Cancel while row 1 runs
        return n

    cancel: Any = stop.is_set if as_callable else stop
    result = core.evaluate(
        data=numbered(5), predict_fn=predict, scorers=[even], cancel=cancel, max_workers=1
    )
    assert calls == [0, 1]
    assert result.status == "KILLED" and result.cancelled
    assert result.result_df["outputs"].tolist() == [0, 1]
    ((status, end_time),) = rows(tracking_db, "SELECT status, end_time FROM runs")
    assert status == "KILLED" and end_time is not None
    assert rows(tracking_db, "SELECT * FROM metrics") == []
    assert rows(tracking_db, "SELECT count(*) FROM assessments WHERE name = 'even'") == [(2,)]
    (run,) = context.default_client().store().evaluations.runs(result.experiment_id or "")
    assert (run.status, run.row_count, run.metrics) == ("KILLED", 2, {})


def test_cancelling_after_the_last_row_still_finishes(tracking_db: Path) -> None:
    stop = threading.Event()

    def predict(n: int) -> int:
        if n == 2:
            stop.set()
        return n

    result = core.evaluate(data=numbered(3), predict_fn=predict, cancel=stop, max_workers=1)
    assert result.status == "FINISHED"


def test_an_evaluation_that_raises_leaves_a_failed_run(tracking_db: Path) -> None:
    def broken_progress(done: int, total: int, errors: int) -> None:
        raise RuntimeError("the progress bar broke")

    with pytest.raises(RuntimeError, match="progress bar"):
        core.evaluate(data=numbered(3), predict_fn=lambda n: n, progress=broken_progress)
    ((status, end_time),) = rows(tracking_db, "SELECT status, end_time FROM runs")
    assert status == "FAILED" and end_time is not None


def test_ctrl_c_kills_the_run(tracking_db: Path) -> None:
    def interrupted(done: int, total: int, errors: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        core.evaluate(data=numbered(2), predict_fn=lambda n: n, progress=interrupted)
    assert rows(tracking_db, "SELECT status FROM runs") == [("KILLED",)]


@pytest.mark.parametrize(
    ("data", "kwargs", "error", "message"),
    [
        ([], {}, ValueError, "empty"),
        ("text", {}, TypeError, "list of dicts"),
        ([{"question": "no inputs"}], {}, ValueError, "inputs"),
        ([{"inputs": "a string"}], {"predict_fn": print}, ValueError, "dict of its keyword"),
        ([{"inputs": {"q": 1}, "expectations": "x"}], {}, ValueError, "expectations"),
        ([{"inputs": {"q": 1}}, "x"], {}, TypeError, "only dicts"),
        ([{"inputs": {"q": 1}}], {"scorers": [even, even]}, ValueError, "Two scorers"),
        ([{"inputs": {"q": 1}}], {"scorers": ["nope"]}, TypeError, "not a scorer"),
        ([{"inputs": {"q": 1}}], {"cancel": 3}, TypeError, "cancel"),
    ],
)
def test_bad_arguments_are_refused_before_any_run(
    tracking_db: Path, data: Any, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        core.evaluate(data=data, **kwargs)
    assert not tracking_db.exists() or rows(tracking_db, "SELECT * FROM runs") == []


def test_an_unknown_experiment_is_refused(tracking_db: Path) -> None:
    with pytest.raises(core.NotFoundError):
        core.evaluate(data=numbered(1), predict_fn=lambda n: n, experiment_id="42")
    assert rows(tracking_db, "SELECT * FROM runs") == []


def test_runs_go_to_the_experiment_asked_for(tracking_db: Path) -> None:
    other = core.set_experiment("other")
    core.set_experiment("runs")
    result = core.evaluate(
        data=numbered(2), predict_fn=lambda n: n, experiment_id=other.experiment_id, run_name="mine"
    )
    assert result.run_name == "mine" and result.experiment_id == other.experiment_id
    assert rows(tracking_db, "SELECT name, experiment_id FROM runs") == [
        ("mine", int(other.experiment_id))
    ]
    experiments = {r[0] for r in rows(tracking_db, "SELECT DISTINCT experiment_id FROM trace_info")}
    assert experiments == {int(other.experiment_id)}
    assert rows(tracking_db, "SELECT DISTINCT experiment_id FROM assessments") == [
        (int(other.experiment_id),)
    ]
