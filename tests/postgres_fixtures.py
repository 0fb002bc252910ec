"""Pytest plugin: one throwaway PostgreSQL cluster per test session, with MLflow's own schema.

Enabled for the whole suite from `tests/conftest.py` (`pytest_plugins`). Fixtures:

* `pg_cluster` (session): the running cluster (tests/postgres.py), stopped at the end of the
  session, also when tests failed. Where PostgreSQL is not installed every test that uses it
  is skipped with the reason (and fails instead when `TRACEDESK_REQUIRE_POSTGRES` is set, as
  `.ci/run` does, so a CI machine without PostgreSQL cannot pass by skipping).
* `pg_template` (session): a database whose empty schema real MLflow 3.18 created (the
  `.venv-mlflow` interpreter); every other database is a `CREATE DATABASE ... TEMPLATE` copy.
* `pg_url` (per test): a fresh, writable copy of the template, dropped after the test.
* `pg_fixture318` (session): the rows of tests/fixtures/mlflow-3.18-tutorial copied into an
  MLflow-made PostgreSQL schema: the same data as the SQLite fixture, for exact comparisons.
* `pg_tutorial` (session): a database where real MLflow replayed the tutorial
  (tests/interop/replay_tutorial_postgres.py) against the stand-in Ollama server, with what
  MLflow itself then returned for it (`golden`).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.interop.conftest import MlflowRunner, mlflow_python
from tests.ollama_server import OllamaStandIn
from tests.postgres import PostgresCluster, copy_sqlite_store, missing_reason, running_cluster

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE = "mlflow_template"
REPLAY = Path(__file__).parent / "interop" / "replay_tutorial_postgres.py"
_names = itertools.count(1)

CREATE_SCHEMA = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
mlflow.MlflowClient().search_experiments()
print(json.dumps({"ok": True}))
"""


def _unavailable(reason: str) -> None:
    """Skip, saying why; fail when the run demanded PostgreSQL (CI)."""
    if os.environ.get("TRACEDESK_REQUIRE_POSTGRES"):
        pytest.fail(f"PostgreSQL tests were required but cannot run: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    reason = missing_reason()
    if reason is not None:
        _unavailable(reason)
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def session_mlflow(tmp_path_factory: pytest.TempPathFactory) -> MlflowRunner:
    """Real MLflow 3.18 for session fixtures (the interop runner, in a session folder)."""
    python = mlflow_python()
    if python is None:
        if os.environ.get("TRACEDESK_MLFLOW_PYTHON"):
            pytest.fail(f"TRACEDESK_MLFLOW_PYTHON={os.environ['TRACEDESK_MLFLOW_PYTHON']} missing")
        _unavailable("real MLflow 3.18 creates the schema: run `make mlflow-venv`")
    assert python is not None
    return MlflowRunner(python, tmp_path_factory.mktemp("mlflow-pg"))


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PostgresCluster, session_mlflow: MlflowRunner) -> str:
    """The name of a database holding MLflow 3.18's empty schema, made by MLflow itself."""
    pg_cluster.create_database(TEMPLATE)
    try:
        session_mlflow(CREATE_SCHEMA, uri=pg_cluster.url(TEMPLATE))
    except AssertionError as error:
        if "psycopg" in str(error):
            _unavailable("the MLflow virtualenv has no psycopg: run `make mlflow-venv` again")
        raise
    return TEMPLATE


def new_database(cluster: PostgresCluster, prefix: str) -> tuple[str, str]:
    """(name, URL) of a fresh copy of the template."""
    name = f"{prefix}_{os.getpid()}_{next(_names)}"
    return name, cluster.create_database(name, template=TEMPLATE)


@pytest.fixture
def pg_url(pg_cluster: PostgresCluster, pg_template: str) -> Iterator[str]:
    """A fresh MLflow 3.18 database for one test (URL without a password); dropped after."""
    name, url = new_database(pg_cluster, "t")
    yield url
    pg_cluster.drop_database(name)


@pytest.fixture(scope="session")
def pg_fixture318(pg_cluster: PostgresCluster, pg_template: str) -> str:
    """URL of a database holding exactly the rows of the 3.18 tutorial fixture (read only)."""
    _name, url = new_database(pg_cluster, "fixture318")
    copy_sqlite_store(FIXTURES / "mlflow-3.18-tutorial" / "mlflow.db", url)
    return url


@dataclass(frozen=True)
class TutorialStore:
    """A PostgreSQL store MLflow wrote the tutorial into, and what MLflow reads back from it."""

    url: str
    golden: dict[str, Any]
    workdir: Path


@pytest.fixture(scope="session")
def pg_tutorial(
    pg_cluster: PostgresCluster,
    pg_template: str,
    session_mlflow: MlflowRunner,
    tmp_path_factory: pytest.TempPathFactory,
) -> TutorialStore:
    _name, url = new_database(pg_cluster, "tutorial")
    workdir = tmp_path_factory.mktemp("pg-tutorial")
    out = workdir / "golden.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    with OllamaStandIn() as ollama:
        done = subprocess.run(
            [
                *(str(session_mlflow.python), str(REPLAY), "--tracking-uri", url),
                *("--ollama-url", ollama.url, "--out", str(out)),
            ],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
            check=False,
        )
    if done.returncode != 0:
        raise AssertionError(f"the MLflow tutorial replay failed:\n{done.stdout[-6000:]}")
    return TutorialStore(url, json.loads(out.read_text("utf-8")), workdir)
