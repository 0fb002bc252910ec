"""`Store.runs` (start_run / end_run / set_tag rows), `StoreWriter.ensure_default_experiment`,
and `RegisteredModels.log_model` into an existing run or none, on SQLite and on PostgreSQL.

The expected rows are those real MLflow 3.18 wrote for the same calls (see core/store/runs.py
and core/store/models.py); tests/interop/test_runs_interop.py compares against MLflow itself.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, insert, select, text, update

from core.entities import Run, RunData, RunInfo
from core.entities.logged_model import NewLoggedModel
from core.errors import NotFoundError, ReadOnlyStoreError, StoreError
from core.run_context import source_metadata
from core.store import schema as t
from core.store.ddl import DEFAULT_WORKSPACE_DESCRIPTION, schema_sql
from core.store.revisions import HEAD_REVISION
from core.store.runs import MAX_TAG_VALUE_LENGTH, start_run_tags
from core.store.store import Store

GENERATED_NAME = re.compile(r"^[a-z]+-[a-z]+-\d{1,4}$")  # 0 to 1000, as MLflow


def sqlite_without_default(path: Path) -> Path:
    """A SQLite store as `mlflow db upgrade` leaves it: MLflow's tables, the `default`
    workspace, no experiment."""
    connection = sqlite3.connect(path)
    connection.executescript(f"BEGIN;\n{schema_sql()}\nCOMMIT;")
    with connection:
        connection.execute("INSERT INTO alembic_version VALUES (?)", (HEAD_REVISION,))
        connection.execute(
            "INSERT INTO workspaces (name, description) VALUES ('default', ?)",
            (DEFAULT_WORKSPACE_DESCRIPTION,),
        )
    connection.close()
    return path


def postgres_without_default(url: str) -> str:
    """The MLflow-made PostgreSQL template minus Default: what `mlflow db upgrade` leaves (the
    template's Default was inserted with an explicit id, so its sequence is untouched)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(delete(t.experiments).where(t.experiments.c.experiment_id == 0))
        state = connection.execute(
            text("SELECT last_value, is_called FROM experiments_experiment_id_seq")
        ).one()
    engine.dispose()
    assert tuple(state) == (1, False)  # nothing was ever drawn from the sequence
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh writable MLflow 3.18 store with experiment `runs` (id returned by `.exp`)."""
    if request.param == "sqlite":
        uri: str = str(tmp_path / "mlflow.db")
        opened = Store.open(uri, read_only=False, create=True)
    else:
        opened = Store.open(request.getfixturevalue("pg_url"), read_only=False)
    yield opened
    opened.close()


@pytest.fixture
def experiment(store: Store) -> str:
    return store.writer.create_experiment("runs")


def rows(store: Store, table: Any, *where: Any) -> list[dict[str, Any]]:
    with store.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(table).where(*where))]


def location_of(store: Store, experiment_id: str) -> str:
    return store.writer.experiment_artifact_location(experiment_id)


# -- the Default experiment ---------------------------------------------------------------------


def test_default_experiment_is_made_beside_a_sqlite_file(tmp_path: Path) -> None:
    path = sqlite_without_default(tmp_path / "upgraded.db")
    with Store.open(path, read_only=False) as store:
        # a SQLite file's root is known without Default: beside the file
        assert store.writer.transaction(store.writer.artifact_root) == str(tmp_path / "mlruns")
        location = store.writer.ensure_default_experiment()
        assert location == str(tmp_path / "mlruns" / "0")
        assert store.writer.ensure_default_experiment() == location  # idempotent
        [default] = rows(store, t.experiments)
        assert default["experiment_id"] == 0 and default["name"] == "Default"
        assert default["lifecycle_stage"] == "active" and default["workspace"] == "default"
        assert default["creation_time"] == default["last_update_time"] > 0
        assert store.writer.transaction(store.writer.artifact_root) == str(tmp_path / "mlruns")
        assert store.writer.create_experiment("next") == "1"
        assert location_of(store, "1") == str(tmp_path / "mlruns" / "1")


def test_create_experiment_makes_default_first_as_mlflow_does(tmp_path: Path) -> None:
    path = sqlite_without_default(tmp_path / "upgraded.db")
    with Store.open(path, read_only=False) as store:
        assert store.writer.create_experiment("first") == "1"
        names = {r["experiment_id"]: r["name"] for r in rows(store, t.experiments)}
        assert names == {0: "Default", 1: "first"}


def test_default_keeps_an_existing_one_and_a_given_root(tmp_path: Path) -> None:
    path = sqlite_without_default(tmp_path / "upgraded.db")
    with Store.open(path, read_only=False) as store:
        assert store.writer.ensure_default_experiment("relative/root") == str(
            Path.cwd() / "relative/root/0"
        )
        assert store.writer.ensure_default_experiment("s3://other") == str(
            Path.cwd() / "relative/root/0"
        )  # the first one stays
    path2 = sqlite_without_default(tmp_path / "second.db")
    with Store.open(path2, read_only=False) as store:
        assert store.writer.ensure_default_experiment("s3://bucket/root/") == "s3://bucket/root/0"


def test_default_refuses_when_another_experiment_has_its_name(tmp_path: Path) -> None:
    path = sqlite_without_default(tmp_path / "upgraded.db")
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO experiments (experiment_id, name, lifecycle_stage, workspace)"
            " VALUES (5, 'Default', 'active', 'default')"
        )
    with Store.open(path, read_only=False) as store, pytest.raises(StoreError, match="not 0"):
        store.writer.ensure_default_experiment()


def test_default_also_adds_a_missing_workspace_row(tmp_path: Path) -> None:
    path = sqlite_without_default(tmp_path / "upgraded.db")
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM workspaces")
    with Store.open(path, read_only=False) as store:
        store.writer.ensure_default_experiment()
        with store.engine.connect() as connection:
            found = connection.execute(text("SELECT name, description FROM workspaces")).all()
    assert [tuple(r) for r in found] == [("default", DEFAULT_WORKSPACE_DESCRIPTION)]


def race_for_default(uri: str, writers: int = 6) -> list[str]:
    """Open `writers` stores on `uri` and make them all create Default at the same moment."""
    stores = [Store.open(uri, read_only=False) for _ in range(writers)]
    start = threading.Barrier(writers)
    results: list[str] = []
    errors: list[BaseException] = []

    def make(store: Store) -> None:
        try:
            start.wait()
            results.append(store.writer.ensure_default_experiment())
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=make, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert not errors, errors
    return results


def test_writers_racing_for_default_make_one(tmp_path: Path) -> None:
    path = sqlite_without_default(tmp_path / "upgraded.db")
    results = race_for_default(str(path))
    assert set(results) == {str(tmp_path / "mlruns" / "0")}
    with Store.open(path) as store:
        assert [r["experiment_id"] for r in rows(store, t.experiments)] == [0]


@pytest.mark.postgres
def test_default_on_postgres_leaves_the_sequence_to_later_experiments(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    results = race_for_default(postgres_without_default(pg_url))
    assert set(results) == {str(tmp_path / "mlruns" / "0")}  # MLflow's ./mlruns of a server
    with Store.open(pg_url, read_only=False) as store:
        [default] = rows(store, t.experiments)
        assert (default["experiment_id"], default["name"]) == (0, "Default")
        assert store.writer.create_experiment("after") == "1"
        assert store.writer.create_experiment("again") == "2"
        assert location_of(store, "2") == str(tmp_path / "mlruns" / "2")


@pytest.mark.postgres
def test_default_on_postgres_after_experiments_drawn_from_the_sequence(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An experiment made by another writer before Default took id 1: Default still gets 0."""
    monkeypatch.chdir(tmp_path)
    url = postgres_without_default(pg_url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO experiments (name, artifact_location, lifecycle_stage) "
                "VALUES ('early', '/elsewhere/1', 'active')"
            )
        )
    engine.dispose()
    with Store.open(url, read_only=False) as store:
        store.writer.ensure_default_experiment()
        assert store.writer.create_experiment("later") == "2"
        assert sorted(r["experiment_id"] for r in rows(store, t.experiments)) == [0, 1, 2]


# -- runs ---------------------------------------------------------------------------------------


def test_start_run_row_and_tags_as_mlflow_writes_them(store: Store, experiment: str) -> None:
    run = store.runs.create_run(experiment)
    context = source_metadata()
    [row] = rows(store, t.runs, t.runs.c.run_uuid == run.info.run_id)
    assert re.fullmatch(r"[0-9a-f]{32}", row["run_uuid"])
    assert GENERATED_NAME.match(row["name"]) and len(row["name"]) <= 20
    assert row == {
        "run_uuid": run.info.run_id,
        "name": row["name"],
        "source_type": "UNKNOWN",
        "source_name": "",
        "entry_point_name": "",
        "user_id": context["mlflow.user"],
        "status": "RUNNING",
        "start_time": row["start_time"],
        "end_time": None,
        "source_version": "",
        "lifecycle_stage": "active",
        "artifact_uri": f"{location_of(store, experiment)}/{run.info.run_id}/artifacts",
        "experiment_id": int(experiment),
        "deleted_time": None,
    }
    tags = {r["key"]: r["value"] for r in rows(store, t.run_tags)}
    assert tags["mlflow.runName"] == row["name"]
    assert tags["mlflow.user"] == context["mlflow.user"]
    assert tags["mlflow.source.name"] == context["mlflow.source.name"]
    assert tags["mlflow.source.type"] == "LOCAL"
    assert set(tags) - {"mlflow.source.git.commit", "mlflow.source.git.branch"} - {
        "mlflow.source.git.repoURL"
    } == {"mlflow.runName", "mlflow.user", "mlflow.source.name", "mlflow.source.type"}
    assert not rows(store, t.params) and not rows(store, t.metrics)
    assert run == store.runs.get_run(run.info.run_id)


def test_named_run_with_tags_and_end_statuses(store: Store, experiment: str) -> None:
    run = store.runs.create_run(experiment, run_name="named", tags={"a": 1, "b": "x"})
    assert run.info.run_name == "named" and run.data.tags["a"] == "1"
    assert list(run.data.tags)[-3:] == ["a", "b", "mlflow.runName"]  # MLflow's order
    ended = store.runs.end_run(run.info.run_id)
    assert ended.info.status == "FINISHED" and ended.info.end_time is not None
    assert ended.info.end_time >= ended.info.start_time  # type: ignore[operator]
    failed = store.runs.create_run(experiment, run_name="boom", start_time_ms=1_000)
    store.runs.end_run(failed.info.run_id, status="FAILED", end_time_ms=2_000)
    got = store.runs.get_run(failed.info.run_id).info
    assert (got.status, got.start_time, got.end_time) == ("FAILED", 1_000, 2_000)
    assert store.runs.end_run(failed.info.run_id, "KILLED").info.status == "KILLED"
    with pytest.raises(ValueError, match="not a run status"):
        store.runs.end_run(run.info.run_id, status="DONE")
    with pytest.raises(NotFoundError):
        store.runs.end_run(uuid.uuid4().hex)
    statuses = {r["name"]: r["status"] for r in rows(store, t.runs)}
    assert statuses == {"named": "FINISHED", "boom": "KILLED"}


def test_run_name_rules(store: Store, experiment: str) -> None:
    tagged = store.runs.create_run(experiment, tags={"mlflow.runName": "from-tag"})
    assert tagged.info.run_name == "from-tag"
    same = store.runs.create_run(experiment, "same", tags={"mlflow.runName": "same"})
    assert same.info.run_name == "same"
    # start_run puts run_name over the tag; MlflowClient.create_run refuses the mismatch
    wins = store.runs.create_run(experiment, "one", tags={"mlflow.runName": "other"})
    assert wins.info.run_name == wins.data.tags["mlflow.runName"] == "one"
    with pytest.raises(ValueError, match="different values"):
        store.runs.create_run(
            experiment, "one", tags={"mlflow.runName": "other"}, context_tags=False
        )


def test_client_create_run_has_no_context_tags(store: Store, experiment: str) -> None:
    run = store.runs.create_run(experiment, tags={"k": "v"}, context_tags=False)
    assert run.info.user_id == "unknown"
    assert set(run.data.tags) == {"k", "mlflow.runName"}
    mine = store.runs.create_run(experiment, user="alice", context_tags=False)
    assert mine.info.user_id == "alice" and "mlflow.user" not in mine.data.tags
    context = store.runs.create_run(experiment, user="bob")
    assert context.info.user_id == "bob" and context.data.tags["mlflow.user"] == "bob"


def test_start_run_tags_override_context_in_place() -> None:
    tags = start_run_tags({"mlflow.source.name": "mine", "x": 1}, "name")
    assert tags["mlflow.source.name"] == "mine" and tags["x"] == "1"
    assert list(tags)[:3] == ["mlflow.user", "mlflow.source.name", "mlflow.source.type"]
    assert list(tags)[-1] == "mlflow.runName"


def test_runs_need_an_active_experiment(store: Store, experiment: str) -> None:
    with pytest.raises(NotFoundError):
        store.runs.create_run("9999")
    store.writer.transaction(
        lambda c: c.execute(
            update(t.experiments)
            .where(t.experiments.c.experiment_id == int(experiment))
            .values(lifecycle_stage="deleted")
        )
    )
    with pytest.raises(ValueError, match="deleted"):
        store.runs.create_run(experiment)


def test_set_and_delete_tags(store: Store, experiment: str) -> None:
    run_id = store.runs.create_run(experiment, run_name="before").info.run_id
    store.runs.set_tag(run_id, "k", "v1")
    store.runs.set_tag(run_id, "k", "v2")
    store.runs.set_tag(run_id, "long", "x" * 9000)
    store.runs.set_tag(run_id, "mlflow.runName", "after")
    got = store.runs.get_run(run_id)
    assert got.data.tags["k"] == "v2" and got.info.run_name == "after"
    assert len(got.data.tags["long"]) == MAX_TAG_VALUE_LENGTH
    assert got.data.tags["mlflow.runName"] == "after"
    assert [r["name"] for r in rows(store, t.runs)] == ["after"]
    store.runs.delete_tag(run_id, "k")
    assert "k" not in store.runs.get_run(run_id).data.tags
    with pytest.raises(NotFoundError):
        store.runs.delete_tag(run_id, "k")
    for bad in ("bad\nkey", "../up", "/abs", "a" * 251):
        with pytest.raises(ValueError):
            store.runs.set_tag(run_id, bad, "v")
    with pytest.raises(NotFoundError):
        store.runs.set_tag(uuid.uuid4().hex, "k", "v")


def test_get_run_reads_params_and_latest_metrics(store: Store, experiment: str) -> None:
    run_id = store.runs.create_run(experiment, run_name="data").info.run_id

    def fill(connection: Any) -> None:
        connection.execute(insert(t.params).values(key="p", value="1", run_uuid=run_id))
        connection.execute(
            insert(t.latest_metrics),
            [
                {"key": "acc", "value": 0.7, "timestamp": 5, "step": 1, "is_nan": False,
                 "run_uuid": run_id},
                {"key": "loss", "value": 0.0, "timestamp": 5, "step": 0, "is_nan": True,
                 "run_uuid": run_id},
            ],
        )  # fmt: skip

    store.writer.transaction(fill)
    data = store.runs.get_run(run_id).data
    assert data.params == {"p": "1"}
    assert data.metrics["acc"] == 0.7 and data.metrics["loss"] != data.metrics["loss"]
    with pytest.raises(NotFoundError):
        store.runs.get_run(uuid.uuid4().hex)


def test_runs_refuse_a_read_only_store(tmp_path: Path) -> None:
    path = tmp_path / "mlflow.db"
    Store.open(path, read_only=False, create=True).close()
    with Store.open(path) as store, pytest.raises(ReadOnlyStoreError):
        store.runs.create_run("0")


def test_run_entities_print_as_mlflows() -> None:
    info = RunInfo("ab", "n", "1", "FINISHED", 1, 2, "root", "/x/ab/artifacts", "active")
    run = Run(info, RunData(tags={"b": "2", "a": "1"}))
    assert repr(info) == (
        "<RunInfo: artifact_uri='/x/ab/artifacts', end_time=2, experiment_id='1', "
        "lifecycle_stage='active', run_id='ab', run_name='n', start_time=1, "
        "status='FINISHED', user_id='root'>"
    )
    assert repr(run) == (
        f"<Run: data=<RunData: metrics={{}}, params={{}}, tags={{'a': '1', 'b': '2'}}>, "
        f"info={info!r}>"
    )
    assert info.run_uuid == "ab"


# -- log_model into an existing run, or none ----------------------------------------------------


def new_model(store: Store, experiment: str, run_id: str | None) -> NewLoggedModel:
    model_id = f"m-{uuid.uuid4().hex}"
    location = location_of(store, experiment)
    return NewLoggedModel(
        model_id=model_id,
        run_id=run_id,
        name="agent",
        experiment_id=experiment,
        artifact_location=f"{location}/models/{model_id}/artifacts",
        tags={"mlflow.user": "root", "mlflow.source.name": "x.py", "mlflow.source.type": "LOCAL"},
        start_ms=1_000,
        end_ms=2_000,
    )


def inputs_rows(store: Store) -> list[tuple[str, str, str, str, int]]:
    return [
        (r["source_type"], r["source_id"], r["destination_type"], r["destination_id"], r["step"])
        for r in rows(store, t.inputs)
    ]


def test_log_model_into_the_active_run(store: Store, experiment: str) -> None:
    run = store.runs.create_run(experiment, run_name="inrun")
    run_id = run.info.run_id

    def fill(connection: Any) -> None:
        connection.execute(insert(t.params).values(key="p", value="1", run_uuid=run_id))
        connection.execute(
            insert(t.metrics),
            [
                {"key": "acc", "value": 0.5, "timestamp": 10, "run_uuid": run_id, "step": 0,
                 "is_nan": False},
                {"key": "acc", "value": 0.7, "timestamp": 11, "run_uuid": run_id, "step": 1,
                 "is_nan": False},
            ],
        )  # fmt: skip

    store.writer.transaction(fill)
    before_tags = store.runs.get_run(run_id).data.tags
    new = new_model(store, experiment, run_id)
    assert store.models.log_model(new, "agent") == 1
    assert [r["run_uuid"] for r in rows(store, t.runs)] == [run_id]  # no run of its own
    assert store.runs.get_run(run_id).data.tags == before_tags  # no run tag either
    [model] = rows(store, t.logged_models)
    assert model["source_run_id"] == run_id and model["experiment_id"] == int(experiment)
    assert inputs_rows(store) == [("RUN_OUTPUT", run_id, "MODEL_OUTPUT", new.model_id, 0)]
    [version] = rows(store, t.model_versions)
    assert version["run_id"] == run_id and version["source"] == f"models:/{new.model_id}"
    params = rows(store, t.logged_model_params)
    assert params == [
        {"model_id": new.model_id, "experiment_id": int(experiment), "param_key": "p",
         "param_value": "1"}
    ]  # fmt: skip
    metrics = rows(store, t.logged_model_metrics)
    assert metrics == [
        {"model_id": new.model_id, "metric_name": "acc", "metric_timestamp_ms": 10,
         "metric_step": 0, "metric_value": 0.5, "experiment_id": int(experiment),
         "run_id": run_id, "dataset_uuid": None, "dataset_name": None, "dataset_digest": None}
    ]  # fmt: skip


def test_log_model_outside_a_run_as_mlflow_318(store: Store, experiment: str) -> None:
    new = new_model(store, experiment, None)
    assert store.models.log_model(new, "agent") == 1
    assert not rows(store, t.runs) and not inputs_rows(store)
    [model] = rows(store, t.logged_models)
    assert model["source_run_id"] is None
    [version] = rows(store, t.model_versions)
    assert version["run_id"] is None


def test_log_model_into_a_run_checks_it(store: Store, experiment: str) -> None:
    with pytest.raises(NotFoundError):
        store.models.log_model(new_model(store, experiment, uuid.uuid4().hex), None)
    other = store.writer.create_experiment("other")
    run_id = store.runs.create_run(other).info.run_id
    with pytest.raises(ValueError, match="belongs to experiment"):
        store.models.log_model(new_model(store, experiment, run_id), None)
    assert not rows(store, t.logged_models)
