"""A store made by real `mlflow db upgrade <url>` (MLflow's tables, no experiment yet): `core`
makes the Default experiment, an experiment and a trace in it, and real MLflow 3.18 then reads
them back without re-creating anything, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from core.store.store import Store
from tests.interop.conftest import MlflowRunner
from tests.interop.test_runs_interop import add_hand_trace
from tests.postgres import PostgresCluster

pytestmark = pytest.mark.interop


def mlflow_db_upgrade(runner: MlflowRunner, url: str) -> None:
    """Run the real `mlflow db upgrade <url>` CLI of the MLflow virtualenv."""
    cli = runner.python.parent / "mlflow"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    done = subprocess.run(
        [str(cli), "db", "upgrade", url],
        cwd=runner.workdir,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]


def experiment_rows(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT * FROM experiments ORDER BY experiment_id"))
            return [dict(r._mapping) for r in found]
    finally:
        engine.dispose()


READ_BACK = """
import mlflow
from mlflow import MlflowClient
mlflow.set_tracking_uri(ARGS["uri"])
default = mlflow.get_experiment("0")
out = {
    "default": {"name": default.name, "lifecycle_stage": default.lifecycle_stage,
                "artifact_location": default.artifact_location,
                "workspace": getattr(default, "workspace", None)},
    "experiments": sorted([e.experiment_id, e.name] for e in mlflow.search_experiments()),
    "traces": mlflow.search_traces(locations=[ARGS["experiment_id"]],
                                   return_type="list"),
}
out["traces"] = [[t.info.trace_id, t.info.experiment_id, [s.name for s in t.data.spans]]
                 for t in out["traces"]]
out["new"] = MlflowClient().create_experiment("made-by-mlflow")
print(json.dumps(out))
"""


def core_then_mlflow(url: str, run_mlflow: MlflowRunner, expected_default: str) -> None:
    """The shared steps: ensure Default with core, add an experiment and a trace, read back."""
    assert experiment_rows(url) == []  # `mlflow db upgrade` makes no experiment
    with Store.open(url, read_only=False) as store:
        assert store.layout.is_head and store.layout.writable
        location = store.writer.ensure_default_experiment()
        assert location == expected_default
        assert store.writer.ensure_default_experiment() == location
        experiment_id = store.writer.create_experiment("core-made")
        assert experiment_id == "1"
        trace = add_hand_trace(store, experiment_id)
    before = experiment_rows(url)
    [default, made] = before
    assert (default["experiment_id"], default["name"]) == (0, "Default")
    assert (default["lifecycle_stage"], default["workspace"]) == ("active", "default")
    assert default["creation_time"] == default["last_update_time"]
    assert made["artifact_location"] == expected_default[: -len("/0")] + "/1"

    seen = run_mlflow(READ_BACK, uri=url, experiment_id=experiment_id)
    assert seen["default"] == {
        "name": "Default",
        "lifecycle_stage": "active",
        "artifact_location": location,
        "workspace": "default",
    }
    assert seen["experiments"] == [["0", "Default"], ["1", "core-made"]]
    assert seen["traces"] == [[trace.trace_id, experiment_id, ["root", "child"]]]
    # MLflow re-created nothing, and its own next experiment follows ours
    assert seen["new"] == "2"
    after = experiment_rows(url)
    assert after[:2] == before
    with Store.open(url, read_only=False) as store:
        assert store.writer.create_experiment("core-again") == "3"


def test_sqlite_store_made_by_mlflow_db_upgrade(tmp_path: Path, run_mlflow: MlflowRunner) -> None:
    path = tmp_path / "store" / "upgraded.db"
    path.parent.mkdir()
    url = f"sqlite:///{path}"
    mlflow_db_upgrade(run_mlflow, url)
    with sqlite3.connect(path) as connection:
        workspaces = connection.execute("SELECT name, description FROM workspaces").fetchall()
    assert workspaces == [("default", "Default workspace for legacy resources")]
    # TraceDesk's rule for a file: mlruns/ beside it (MLflow's client would use its cwd)
    core_then_mlflow(url, run_mlflow, str(path.parent / "mlruns" / "0"))


@pytest.mark.postgres
def test_postgres_store_made_by_mlflow_db_upgrade(
    pg_cluster: PostgresCluster,
    run_mlflow: MlflowRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = f"upgraded_{os.getpid()}_{tmp_path.name[-12:]}".replace("-", "_").lower()
    url = pg_cluster.create_database(name)
    try:
        mlflow_db_upgrade(run_mlflow, url)
        sequence = pg_cluster.execute(
            "SELECT last_value, is_called FROM experiments_experiment_id_seq", database=name
        )
        assert sequence == [(1, False)]
        workspaces = pg_cluster.execute("SELECT name FROM workspaces", database=name)
        assert workspaces == [("default",)]
        monkeypatch.chdir(tmp_path)  # a server URL: MLflow's ./mlruns of the current folder
        core_then_mlflow(url, run_mlflow, str(tmp_path / "mlruns" / "0"))
        # the sequence handed out 1 (core), 2 (MLflow), 3 (core); 0 was never drawn from it
        sequence = pg_cluster.execute(
            "SELECT last_value, is_called FROM experiments_experiment_id_seq", database=name
        )
        assert sequence == [(3, True)]
    finally:
        pg_cluster.drop_database(name)


TUTORIAL_WRITES = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
trace = mlflow.get_trace(ARGS["trace_id"])
run = mlflow.get_run(ARGS["run_id"])
prompt = mlflow.genai.load_prompt("prompts:/greeting/1")
print(json.dumps({
    "experiments": sorted(e.name for e in mlflow.search_experiments()),
    "trace": [trace.info.experiment_id, [s.name for s in trace.data.spans],
              trace.info.trace_metadata.get("mlflow.sourceRun")],
    "run": [run.info.status, run.info.experiment_id],
    "prompt": prompt.template,
}))
"""


def user_code_then_mlflow(url: str, run_mlflow: MlflowRunner) -> None:
    """What a user runs right after `mlflow db upgrade`: `import core as mlflow` and write."""
    import core as mlflow
    from core import tracking

    mlflow.set_tracking_uri(url)
    try:
        experiment = mlflow.set_experiment("first-steps")
        with mlflow.start_run() as run, mlflow.start_span("hello") as span:
            span.set_inputs({"name": "world"})
        mlflow.genai.register_prompt("greeting", "Hello {{ name }}")
        mlflow.flush_trace_async_logging()
        assert [e.name for e in mlflow.search_experiments()] == ["first-steps", "Default"]
    finally:
        tracking.reset()
    seen = run_mlflow(TUTORIAL_WRITES, uri=url, trace_id=span.trace_id, run_id=run.info.run_id)
    assert seen == {
        "experiments": ["Default", "first-steps"],
        "trace": [experiment.experiment_id, ["hello"], run.info.run_id],
        "run": ["FINISHED", experiment.experiment_id],
        "prompt": "Hello {{ name }}",
    }


def test_user_code_writes_to_a_sqlite_store_fresh_from_upgrade(
    tmp_path: Path, run_mlflow: MlflowRunner
) -> None:
    url = f"sqlite:///{tmp_path / 'upgraded.db'}"
    mlflow_db_upgrade(run_mlflow, url)
    user_code_then_mlflow(url, run_mlflow)


@pytest.mark.postgres
def test_user_code_writes_to_a_postgres_store_fresh_from_upgrade(
    pg_cluster: PostgresCluster,
    run_mlflow: MlflowRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = f"fresh_{os.getpid()}_{tmp_path.name[-12:]}".replace("-", "_").lower()
    url = pg_cluster.create_database(name)
    try:
        mlflow_db_upgrade(run_mlflow, url)
        monkeypatch.chdir(tmp_path)
        user_code_then_mlflow(url, run_mlflow)
    finally:
        pg_cluster.drop_database(name)
