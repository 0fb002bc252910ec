"""`core` on a real PostgreSQL server: the same MLflow layout, read and written as on SQLite.

The cluster, MLflow's schema and the copies of the 3.18 tutorial fixture come from
tests/postgres_fixtures.py (one cluster per session). `pg_fixture318` holds exactly the rows of
tests/fixtures/mlflow-3.18-tutorial/mlflow.db, so every read must give what the SQLite file
gives, and what MLflow 3.18 returned for it (golden.json).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql

import core
from core import tracking
from core.errors import (
    LoginRefusedError,
    NotMLflowStoreError,
    ReadOnlyStoreError,
    StoreError,
    StoreNotFoundError,
    UnreachableStoreError,
)
from core.store import dialect
from core.store import schema as t
from core.store.changes import SERVER_MAX_INTERVAL_S, SERVER_MIN_INTERVAL_S, ChangeDetector
from core.store.connection import database_errors, parse_location
from core.store.order_sql import compile_order_by
from core.store.store import Store
from core.store.trace_pages import PageQuery
from tests.conftest import FIXTURES, copy_fixture
from tests.postgres import SECRET_PASSWORD, SECRET_USER, PostgresCluster, free_port

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg318(pg_fixture318: str) -> Iterator[Store]:
    store = Store.open(pg_fixture318)
    yield store
    store.close()


@pytest.fixture(scope="module")
def sqlite318(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(copy_fixture("mlflow-3.18-tutorial", tmp_path_factory.mktemp("s318")))
    yield store
    store.close()


@pytest.fixture
def tracking_pg(pg_url: str) -> Iterator[str]:
    core.set_tracking_uri(pg_url)
    yield pg_url
    tracking.reset()


# -- opening ---------------------------------------------------------------------------------


def test_layout_is_detected_through_the_inspector(pg318: Store) -> None:
    assert pg318.layout.is_head and pg318.layout.writable
    assert {"trace_info", "spans", "assessments", "workspaces"} <= pg318.layout.tables
    assert "duration_ns" in pg318.layout.columns["spans"]
    assert pg318.location.path is None and not pg318.location.is_sqlite
    assert pg318.display_name.startswith("postgresql+psycopg://tracedesk@127.0.0.1:")


def test_a_url_without_a_driver_uses_psycopg(pg_cluster: PostgresCluster, pg318: Store) -> None:
    url = pg318.display_name.replace("postgresql+psycopg://", "postgresql://")
    with Store.open(url) as store:
        assert store.engine.dialect.driver == "psycopg"
        assert store.display_name == url  # shown as the user typed it
        assert len(store.reader.experiments()) == 3


def test_sessions_start_parallel_workers_only_for_costly_queries(
    pg318: Store, pg_fixture318: str
) -> None:
    """Pages are too quick to repay starting workers; reading and writing sessions agree."""
    with Store.open(pg_fixture318, read_only=False) as writable:
        for store in (pg318, writable):
            with store.engine.connect() as connection:
                setting = connection.exec_driver_sql("SHOW parallel_setup_cost").scalar()
            assert setting == "10000"


def test_reading_never_writes(pg318: Store) -> None:
    """The read engine's sessions are read-only on the server: a write fails, nothing changes."""
    before = pg318.reader.trace_counts()
    with (
        pytest.raises(ReadOnlyStoreError, match="read-only"),
        database_errors(pg318.display_name),
        pg318.engine.begin() as connection,
    ):
        connection.execute(insert(t.experiment_tags).values(key="k", value="v", experiment_id=0))
    with (
        pytest.raises(ReadOnlyStoreError),
        database_errors(pg318.display_name),
        pg318.engine.connect() as connection,
    ):
        connection.exec_driver_sql("DELETE FROM trace_tags")  # the driver's own statement
    assert pg318.reader.trace_counts() == before
    with pytest.raises(ReadOnlyStoreError):
        pg318.writer  # noqa: B018 - the store was opened for reading


def test_the_password_is_kept_apart_and_never_shown(pg_cluster: PostgresCluster) -> None:
    url = pg_cluster.url("postgres", user=SECRET_USER, password=SECRET_PASSWORD)
    location = parse_location(url)
    assert SECRET_PASSWORD not in location.display
    assert SECRET_PASSWORD not in repr(location)
    assert location.url.password is None and location.password == SECRET_PASSWORD
    assert location.connect_url().password == SECRET_PASSWORD
    with pytest.raises(NotMLflowStoreError) as caught:  # logged in: the database is empty
        Store.open(url)
    assert SECRET_PASSWORD not in str(caught.value)
    assert "no tables" in str(caught.value) or "empty database" in str(caught.value)


@pytest.mark.parametrize(
    ("password", "needs", "words"),
    [
        ("wrong", True, "password is wrong"),
        (None, True, "needs a password"),
    ],
)
def test_refused_logins_say_so(
    pg_cluster: PostgresCluster,
    monkeypatch: pytest.MonkeyPatch,
    password: str | None,
    needs: bool,
    words: str,
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    with pytest.raises(LoginRefusedError) as caught:
        Store.open(pg_cluster.url("postgres", user=SECRET_USER, password=password))
    assert words in str(caught.value)
    assert caught.value.needs_password is needs
    assert "wrong" not in str(caught.value).split("(")[0] or password == "wrong"


def test_libpq_password_conventions_are_honoured(
    pg_cluster: PostgresCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_cluster.url("postgres", user=SECRET_USER)
    monkeypatch.setenv("PGPASSWORD", SECRET_PASSWORD)
    with pytest.raises(NotMLflowStoreError):  # logged in with PGPASSWORD
        Store.open(url)
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_cluster.port}:*:{SECRET_USER}:{SECRET_PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    with pytest.raises(NotMLflowStoreError):  # logged in with ~/.pgpass (PGPASSFILE)
        Store.open(url)


def test_missing_database_unreachable_server_and_unknown_user(pg_cluster: PostgresCluster) -> None:
    with pytest.raises(StoreNotFoundError, match="has no database 'nope'"):
        Store.open(pg_cluster.url("nope"))
    unreachable = pg_cluster.url("postgres").replace(f":{pg_cluster.port}/", f":{free_port()}/")
    with pytest.raises(UnreachableStoreError, match="Cannot reach the database server"):
        Store.open(unreachable)
    with pytest.raises(LoginRefusedError, match="refused the login"):
        Store.open(pg_cluster.url("postgres", user="nobody_here"))


def test_a_database_that_is_not_an_mlflow_store(pg_cluster: PostgresCluster) -> None:
    pg_cluster.create_database("not_mlflow")
    pg_cluster.execute("CREATE TABLE notes (id integer primary key, body text)", "not_mlflow")
    try:
        with pytest.raises(NotMLflowStoreError, match=r"not an MLflow tracking store.*notes"):
            Store.open(pg_cluster.url("not_mlflow"))
    finally:
        pg_cluster.drop_database("not_mlflow")


# -- reading: the same as on SQLite and as MLflow --------------------------------------------


def test_get_trace_equals_mlflow_on_the_same_rows(pg318: Store) -> None:
    golden = json.loads((FIXTURES / "mlflow-3.18-tutorial" / "golden.json").read_text("utf-8"))
    for trace_id, theirs in golden["get_trace"].items():
        assert json.loads(pg318.reader.get_trace(trace_id).to_json()) == theirs, trace_id


def test_search_traces_equals_sqlite(pg_fixture318: str, sqlite318: Store) -> None:
    core.set_tracking_uri(pg_fixture318)
    try:
        ours = core.search_traces(locations=["0", "1", "2"])
    finally:
        tracking.reset()
    core.set_tracking_uri(sqlite318.location.path or "")
    try:
        theirs = core.search_traces(locations=["0", "1", "2"])
    finally:
        tracking.reset()
    assert ours.to_dict("records") == theirs.to_dict("records")
    assert list(ours.dtypes) == list(theirs.dtypes)


def _walk(store: Store, experiments: list[str] | None = None, **kwargs: Any) -> list[Any]:
    rows: list[Any] = []
    page = store.reader.trace_page(experiments, limit=5, **kwargs)
    while True:
        rows += page.rows
        if page.next_key is None:
            return rows
        page = store.reader.trace_page(experiments, limit=5, after=page.next_key, **kwargs)


@pytest.mark.parametrize(
    "order", [None, ["timestamp_ms ASC"], ["name DESC"], ["execution_time_ms DESC"]]
)
def test_keyset_pages_equal_sqlite(pg318: Store, sqlite318: Store, order: list[str] | None) -> None:
    assert _walk(pg318, order_by=order) == _walk(sqlite318, order_by=order)
    multi = {"filter_string": "trace.status = 'OK'", "limit": 3}
    assert (
        pg318.reader.trace_page(["0", "1", "2"], **multi).rows
        == sqlite318.reader.trace_page(["0", "1", "2"], **multi).rows
    )
    several = ["0", "1", "2"]
    assert _walk(pg318, several, order_by=order) == _walk(sqlite318, several, order_by=order)


def test_several_experiments_are_one_query_on_postgresql(pg318: Store, sqlite318: Store) -> None:
    """SQLite gets a merge of per-experiment pages; PostgreSQL plans `IN (...)` well itself."""
    keys = compile_order_by(None, pg318.layout)

    def sql(store: Store) -> str:
        query = PageQuery(store.layout, ["0", "1", "2"], None, keys)
        statement = query.statement(None, 10, store.engine.dialect.name)
        return str(statement.compile(dialect=store.engine.dialect))

    assert "UNION ALL" not in sql(pg318) and "IN (" in sql(pg318)
    assert sql(sqlite318).count("UNION ALL") == 2


def test_experiments_counts_and_spans_equal_sqlite(pg318: Store, sqlite318: Store) -> None:
    assert pg318.reader.experiments() == sqlite318.reader.experiments()
    assert pg318.reader.trace_counts() == sqlite318.reader.trace_counts()
    ids = pg318.reader.search_trace_ids(None)
    ours, theirs = pg318.reader.traces(ids), sqlite318.reader.traces(ids)
    assert [x.to_json() for x in ours] == [x.to_json() for x in theirs]
    assert pg318.reader.malformed_spans(ids[0]) == []


def test_evaluations_equal_sqlite(pg318: Store, sqlite318: Store) -> None:
    for experiment_id in ("0", "1", "2"):
        runs = pg318.evaluations.runs(experiment_id)
        assert runs == sqlite318.evaluations.runs(experiment_id)
        for run in runs:
            assert pg318.evaluations.columns(run.run_id) == sqlite318.evaluations.columns(
                run.run_id
            )
            ours = pg318.evaluations.rows(run.run_id, limit=2)
            theirs = sqlite318.evaluations.rows(run.run_id, limit=2)
            assert ours == theirs
            assert [r.inputs for r in ours.rows] == [r.inputs for r in theirs.rows]


def test_prompts_and_agents_registry_equal_sqlite(pg318: Store, sqlite318: Store) -> None:
    assert pg318.prompt_registry.prompts() == sqlite318.prompt_registry.prompts()
    for summary in pg318.prompt_registry.prompts():
        assert pg318.prompt_registry.prompt_versions(summary.name) == (
            sqlite318.prompt_registry.prompt_versions(summary.name)
        )

    def facts(store: Store) -> list[dict[str, Any]]:
        out = []
        for model in store.models.registered_models():
            for version in store.models.versions(model.name):
                row = dataclasses.asdict(version)
                row.pop("folder")  # the SQLite copy re-bases artifact folders to its own place
                out.append(row)
        return out

    assert [m.name for m in pg318.models.registered_models()] == ["agent"]
    assert facts(pg318) == facts(sqlite318)


# -- writing ---------------------------------------------------------------------------------


def test_tracing_writes_through_the_writer_thread(tracking_pg: str) -> None:
    experiment = core.set_experiment("pg_writes")
    with core.start_span(name="root", span_type=core.SpanType.CHAIN) as root:
        root.set_inputs({"question": "größe? 'quoted' %_"})
        with core.start_span(name="child", span_type=core.SpanType.LLM) as child:
            child.set_outputs("answer")
    for i in range(30):  # one batch of many traces: bulk_insert with psycopg's paramstyle
        with core.start_span(name=f"bulk_{i}"):
            pass
    assert core.flush_trace_async_logging(60)
    frame = core.search_traces(filter_string="trace.name = 'root'")
    assert len(frame) == 1
    trace = core.get_trace(frame["trace_id"][0])
    assert trace is not None
    assert [s.name for s in trace.data.spans] == ["root", "child"]
    assert trace.info.experiment_id == experiment.experiment_id
    with Store.open(tracking_pg) as store:
        assert store.reader.count_traces([experiment.experiment_id]) == 31
        with store.engine.connect() as connection:  # the server computed the generated column
            durations = connection.execute(select(t.spans.c.duration_ns)).scalars().all()
        assert len(durations) == 32 and all(d is not None and d >= 0 for d in durations)


def test_new_experiments_take_ids_from_the_sequence(
    pg_url: str, pg_cluster: PostgresCluster
) -> None:
    with Store.open(pg_url, read_only=False) as store:
        first = store.writer.create_experiment("one")
        second = store.writer.create_experiment("two")
        assert store.writer.create_experiment("one") == first
    name = pg_url.rsplit("/", 1)[1]
    next_id = pg_cluster.execute("SELECT nextval('experiments_experiment_id_seq')", name)[0][0]
    assert int(second) == int(first) + 1 and next_id == int(second) + 1


REGISTER_MANY = """
import sys, core
core.set_tracking_uri(sys.argv[1])
for i in range(int(sys.argv[3])):
    core.register_prompt("shared", f"{sys.argv[2]} #{i}")
"""


def test_concurrent_processes_get_distinct_gapless_versions(tracking_pg: str) -> None:
    """Three processes number versions of one new prompt at once (also racing to create it)."""
    per_process, names = 10, ("alpha", "beta", "gamma")
    processes = [
        subprocess.Popen([sys.executable, "-c", REGISTER_MANY, tracking_pg, name, str(per_process)])
        for name in names
    ]
    assert [p.wait(timeout=120) for p in processes] == [0, 0, 0]
    with Store.open(tracking_pg) as store:
        versions = store.prompt_registry.prompt_versions("shared")
    assert [v.version for v in versions] == list(range(1, len(names) * per_process + 1))
    for name in names:
        assert [v.template for v in versions if str(v.template).startswith(name)] == [
            f"{name} #{i}" for i in range(per_process)
        ]


def test_a_lost_unique_race_is_run_again(pg_url: str) -> None:
    """A version number taken by another writer between our read and our insert (as MLflow
    would) makes the transaction run again, and it then takes the next number."""
    with Store.open(pg_url, read_only=False) as store:
        store.prompt_registry.register_version("raced", "v1")
        attempts = []

        def work(connection: Any) -> None:
            attempts.append(1)
            mv = t.model_versions
            version = connection.execute(
                select(mv.c.version).where(mv.c.name == "raced").order_by(mv.c.version.desc())
            ).scalar()
            if len(attempts) == 1:  # another writer commits the same number meanwhile
                store.prompt_registry.register_version("raced", "v2 by the other writer")
            row = {"name": "raced", "version": version + 1, "current_stage": "None"}
            connection.execute(insert(mv).values(**row, workspace="default"))

        store.writer.transaction(work)
        assert len(attempts) == 2
        assert [v.version for v in store.prompt_registry.prompt_versions("raced")] == [1, 2, 3]


def test_evaluation_run_writes(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    core.set_tracking_uri(pg_url)
    try:
        core.set_experiment("pg_eval")

        @core.scorer
        def short(outputs: str) -> bool:
            return len(outputs) < 10

        result = core.evaluate(
            data=[{"inputs": {"q": "a"}}, {"inputs": {"q": "bb"}}],
            predict_fn=lambda q: q * 3,
            scorers=[short],
        )
        assert core.flush_trace_async_logging(60)
    finally:
        tracking.reset()
    with Store.open(pg_url) as store:
        run = store.evaluations.run(result.run_id)
        assert run.status == "FINISHED" and run.row_count == 2
        assert run.scorer_means == {"short": 1.0}


# -- live mode -------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_change_detector_is_cheap_and_backs_off(tracking_pg: str) -> None:
    clock = FakeClock()
    with Store.open(tracking_pg) as store:
        detector = ChangeDetector(store.location, store.engine, clock=clock)
        assert detector.readings == 1
        assert detector.changed() is False and detector.readings == 1  # not asked again yet
        intervals = []
        for _ in range(8):
            clock.now += detector.interval_s
            assert detector.changed() is False
            intervals.append(detector.interval_s)
        assert intervals[0] > SERVER_MIN_INTERVAL_S and intervals[-1] == SERVER_MAX_INTERVAL_S
        assert intervals == sorted(intervals) and detector.readings == 9
        with core.start_span(name="written meanwhile"):
            pass
        assert core.flush_trace_async_logging(60)
        clock.now += detector.interval_s
        assert detector.changed() is True
        assert detector.interval_s == SERVER_MIN_INTERVAL_S  # back to quick polls
        detector.close()


def test_change_marker_uses_the_index_not_a_scan(pg318: Store) -> None:
    with pg318.engine.connect() as connection:
        compiled = dialect.change_marker().compile(
            dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
        )
        plan = "\n".join(
            row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
        )
    assert "index_trace_info_timestamp_ms_request_id" in plan
    assert "Seq Scan on trace_info" not in plan


# -- the dialect's SQL -----------------------------------------------------------------------


def _sql(expression: Any) -> str:
    return str(expression.compile(dialect=postgresql.dialect()))


def test_postgresql_renderings() -> None:
    name = t.trace_info.c.trace_name
    assert _sql(dialect.like(name, "a\\%")).endswith("ESCAPE ''")
    assert "ILIKE" in _sql(dialect.ilike(name, "A%")) and "ESCAPE ''" in _sql(
        dialect.ilike(name, "A%")
    )
    assert _sql(dialect.insertion_order(t.assessments)) == "assessments.ctid"
    assert _sql(dialect.json_valid(t.spans.c.content)) == "NULL"  # PostgreSQL 15: no IS JSON
    assert "pg_stat_user_tables" in _sql(dialect.change_marker())


def test_store_errors_never_name_the_password(pg_cluster: PostgresCluster) -> None:
    url = pg_cluster.url("nope", user=SECRET_USER, password=SECRET_PASSWORD)
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    assert SECRET_PASSWORD not in str(caught.value)


def test_without_postgresql_the_tests_say_so_and_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.postgres as pg
    from tests import postgres_fixtures

    monkeypatch.setattr(pg, "pg_bindir", lambda: None)
    reason = pg.missing_reason()
    assert reason is not None and "apt-get install postgresql" in reason
    monkeypatch.delenv("TRACEDESK_REQUIRE_POSTGRES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL tests skipped: PostgreSQL server"):
        postgres_fixtures._unavailable(reason)
    monkeypatch.setenv("TRACEDESK_REQUIRE_POSTGRES", "1")
    with pytest.raises(pytest.fail.Exception, match="were required"):
        postgres_fixtures._unavailable(reason)
