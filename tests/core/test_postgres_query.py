"""The whole filter-language matrix of tests/core/test_query.py, on PostgreSQL.

Every end-to-end case of test_query.py (what MLflow 3.18 returned for each filter on the 3.18
tutorial database, our extensions, session-level assessments, LIKE special characters and NULL
rules, the order-by keys with keyset paging) runs here against the same rows in an MLflow-made
PostgreSQL schema, and must give the same traces. The cases are read from test_query.py's own
parametrize marks, so a case added there runs here too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.store.store import Store
from tests.conftest import copy_fixture
from tests.core import test_query as q
from tests.postgres import PostgresCluster, copy_sqlite_store
from tests.postgres_fixtures import new_database

pytestmark = pytest.mark.postgres


def cases(test: Callable[..., Any]) -> list[Any]:
    """The parameter sets of a test_query.py test (its `parametrize` mark)."""
    marks = [m for m in getattr(test, "pytestmark", []) if m.name == "parametrize"]
    assert len(marks) == 1, test
    return list(marks[0].args[1])


@pytest.fixture(scope="module")
def pg318(pg_fixture318: str) -> Iterator[Store]:
    store = Store.open(pg_fixture318)
    yield store
    store.close()


def _pg_copy_of(
    cluster: PostgresCluster, folder: Path, prefix: str, change: Callable[[Path], None]
) -> Iterator[Store]:
    """A PostgreSQL copy of the 3.18 fixture after `change` was applied to an SQLite copy."""
    path = copy_fixture("mlflow-3.18-tutorial", folder)
    change(path)
    name, url = new_database(cluster, prefix)
    copy_sqlite_store(path, url)
    store = Store.open(url)
    yield store
    store.close()
    cluster.drop_database(name)


@pytest.fixture(scope="module")
def pg_session_store(
    pg_cluster: PostgresCluster, pg_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    def add_rows(path: Path) -> None:
        with sqlite3.connect(path) as connection:
            connection.executescript(q.SESSION_ROWS)

    yield from _pg_copy_of(pg_cluster, tmp_path_factory.mktemp("qs"), "sessions", add_rows)


@pytest.fixture(scope="module")
def pg_odd_tags_store(
    pg_cluster: PostgresCluster, pg_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    values = {
        q.CHAT: "a*b",
        q.SPAN: "a?b",
        q.SOME_TRACING: "[draft]",
        q.COOL_SPAN: "100%",
        q.MY_SPAN: "x_y",
        q.OUTER: "Prod",
        q.PREDICT: "größe",
        q.LAMBDA: "it's",
    }

    def add_tags(path: Path) -> None:
        with sqlite3.connect(path) as connection:
            connection.executemany(
                "INSERT INTO trace_tags (key, value, request_id) VALUES ('odd', ?, ?)",
                [(value, trace) for trace, value in values.items()],
            )

    yield from _pg_copy_of(pg_cluster, tmp_path_factory.mktemp("qo"), "odd_tags", add_tags)


@pytest.mark.parametrize(("filter_string", "expected"), q.MLFLOW_3_18)
def test_same_traces_as_mlflow(pg318: Store, filter_string: str, expected: set[str]) -> None:
    assert q.ids(pg318, filter_string) == expected


@pytest.mark.parametrize(("filter_string", "expected"), cases(q.test_beyond_mlflow))
def test_beyond_mlflow(pg318: Store, filter_string: str, expected: set[str]) -> None:
    assert q.ids(pg318, filter_string) == expected


@pytest.mark.parametrize(("filter_string", "expected"), cases(q.test_session_level_assessments))
def test_session_level_assessments(
    pg_session_store: Store, filter_string: str, expected: set[str]
) -> None:
    assert q.ids(pg_session_store, filter_string) == expected


@pytest.mark.parametrize(
    ("filter_string", "expected"), cases(q.test_like_special_characters_and_null_rules)
)
def test_like_special_characters_and_null_rules(
    pg_odd_tags_store: Store, filter_string: str, expected: set[str]
) -> None:
    assert q.ids(pg_odd_tags_store, filter_string) == expected


def test_ilike_folds_non_ascii_letters_on_postgresql(pg_odd_tags_store: Store) -> None:
    """The one documented difference: PostgreSQL's ILIKE folds `ß`/`ö` case, SQLite's does not."""
    assert q.ids(pg_odd_tags_store, "tag.odd ILIKE 'GRÖSSE'") == set()  # ß is not SS
    assert q.ids(pg_odd_tags_store, "tag.odd ILIKE 'GRÖßE'") == {q.PREDICT}


def test_filters_combine_with_experiments_and_paging(pg318: Store) -> None:
    q.test_filters_combine_with_experiments_and_paging(pg318)


@pytest.mark.parametrize("order", list(q.MLFLOW_ORDERS))
def test_orders_match_mlflow_and_page_by_keyset(pg318: Store, order: str) -> None:
    q.test_orders_match_mlflow_and_page_by_keyset(pg318, order)


def test_injection_attempts_match_nothing_and_harm_nothing(pg318: Store) -> None:
    q.test_injection_attempts_match_nothing_and_harm_nothing(pg318)
