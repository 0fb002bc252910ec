"""Hostile filter, order-by and experiment-search strings: each fails as `QuerySyntaxError`.

Issue 15, item 3. What a user can type in the query bar, or a script pass to `search_traces`,
used to escape as RecursionError (300 parentheses, 1,000 NOTs), OverflowError (integers above
2⁶³, a 400-digit feedback value), ValueError (1e999, a 5,000-digit number), UnicodeEncodeError
(a lone surrogate) or a raw database message (SQLite's LIKE, variable and expression-depth
limits; PostgreSQL refusing NUL in text). Each is now a `QuerySyntaxError` whose position the
query bar underlines and whose reason is a plain sentence.

Every case runs for real on a copy of the MLflow 3.18 tutorial database, through every read
that takes a filter (a trace list page, its count, `search_traces`), on SQLite and PostgreSQL.
Limits only the database finds are staged with a real SQLite connection whose limits are set
lower, as a SQLite built with smaller defaults has them (999 variables before 3.32).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from core.client import Client
from core.errors import QuerySyntaxError
from core.query.parser import MAX_COMPARISONS, MAX_LIST_VALUES, MAX_NESTING, MAX_PATTERN
from core.store.experiment_search import search_experiments
from core.store.order_sql import MAX_ORDER_ITEMS
from core.store.store import Store
from tests.conftest import copy_fixture

STATUS = "trace.status = 'OK'"
BIG = 2**63  # one past BIGINT


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """The 3.18 tutorial data on each engine, opened once per module (SQLite: a copy)."""
    if request.param == "sqlite":
        folder = request.getfixturevalue("tmp_path_factory").mktemp("hostile")
        location: str | Path = copy_fixture("mlflow-3.18-tutorial", folder)
    else:
        location = request.getfixturevalue("pg_fixture318")
    opened = Store.open(location)
    yield opened
    opened.close()


def experiment_ids(store: Store) -> list[str]:
    return [e.experiment_id for e in store.reader.experiments()]


def every_read(store: Store, text: str) -> list[Callable[[], Any]]:
    """Each way a filter reaches the database: a page of all experiments (SQLite merges one
    subquery per experiment), its count, and MLflow's `search_traces`."""
    ids = experiment_ids(store)
    client = Client(store=store)
    return [
        lambda: store.reader.trace_page(ids, filter_string=text, limit=5),
        lambda: store.reader.count_traces(ids, text),
        lambda: client.search_traces(ids, filter_string=text, return_type="list"),
    ]


def assert_plain(
    error: QuerySyntaxError, text: str, position: int, words: str, *, capital: bool = True
) -> None:
    """The error points at `position` of `text` and says `words` in a sentence, not a trace.
    (The experiment filter words its errors in lower case, as MLflow does: `capital`.)"""
    assert error.text == text
    assert error.position == position, (error.position, error.reason)
    assert words in error.reason, error.reason
    assert "\n" not in error.reason
    assert not re.search(r"Error|Exception|sqlite|psycopg|int\(\)|\(Background", error.reason)
    assert error.reason[0].isupper() or not capital


def nested(depth: int) -> str:
    return "(" * depth + STATUS + ")" * depth


def listed(count: int) -> str:
    return ", ".join(f"'v{i}'" for i in range(count))


# (text, position, words in the reason)
HOSTILE = {
    "300 parentheses": (nested(300), MAX_NESTING, f"more than {MAX_NESTING} levels"),
    "1,000 NOTs": ("NOT " * 1000 + STATUS, 4 * MAX_NESTING, f"more than {MAX_NESTING} levels"),
    "NOT and parentheses": (
        "(NOT " * 40 + STATUS + ")" * 40,
        5 * (MAX_NESTING // 2),
        "nest more than",
    ),
    "integer above 2**63": (f"trace.timestamp_ms > {BIG}", 21, "out of range"),
    "integer below -2**63": (f"trace.execution_time_ms >= -{BIG + 1}", 27, "out of range"),
    "quoted integer above 2**63": (f"trace.timestamp_ms > '{BIG}'", 21, "out of range"),
    "1e999": ("trace.timestamp_ms < 1e999", 21, "too large"),
    "quoted -1e999": ("trace.end_time_ms > '-1e999'", 20, "too large"),
    "5,000 digits": ("trace.total_tokens = " + "9" * 5000, 21, "out of range"),
    "5,000 zeros then 1": ("trace.total_tokens = " + "0" * 4999 + "1.5e99999", 21, "too large"),
    "400-digit feedback": ("feedback.relevance > " + "9" * 400, 21, "out of range"),
    "400-digit feedback equality": ("feedback.relevance = 1" + "0" * 400, 21, "out of range"),
    "feedback 1e999": ("expectation.x = 1e999", 16, "too large"),
    "lone surrogate in a string": ("trace.name = 'a\ud800b'", 15, "U+D800"),
    "lone surrogate in a key": ("tag.`\udfff` = 'x'", 5, "U+DFFF"),
    "surrogate pair halves": ("span.name = '\ud83d\ude00'", 13, "U+D83D"),
    "NUL in a string": ("trace.name = 'a\x00b'", 15, "NUL"),
    "NUL in a LIKE pattern": ("trace.text LIKE '%\x00%'", 18, "NUL"),
    "NUL in a tag key": ("tag.`k\x00` IS NULL", 6, "NUL"),
    "LIKE pattern of 60,000 characters": (
        "trace.name LIKE '" + "%" * 60_000 + "'",
        16,
        f"at most {MAX_PATTERN:,}",
    ),
    "span attribute pattern of brackets": (
        "span.attributes.model ILIKE '" + "[" * 20_000 + "'",
        28,
        "too long",
    ),
    "2,000 comparisons": (
        " AND ".join([STATUS] * 2000),
        MAX_COMPARISONS * len(f"{STATUS} AND "),
        f"more than {MAX_COMPARISONS} comparisons",
    ),
    "20,000 listed values": (
        f"tag.env IN ({listed(20_000)})",
        len("tag.env IN (") + len(listed(MAX_LIST_VALUES)) + 2,
        f"more than {MAX_LIST_VALUES:,} values",
    ),
}


@pytest.mark.parametrize(("text", "position", "words"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_filter_is_a_syntax_error(store: Store, text: str, position: int, words: str):
    for read in every_read(store, text):
        with pytest.raises(QuerySyntaxError) as raised:
            read()
        assert_plain(raised.value, text, position, words)


# The largest values each limit lets through run as ordinary filters (here matching nothing).
BOUNDARIES = [
    f"trace.timestamp_ms > {BIG - 1}",
    f"trace.timestamp_ms < -{BIG}",
    f"trace.timestamp_ms > '{BIG - 1}'",
    "trace.execution_time_ms > 1e300",
    f"feedback.relevance > {BIG - 1}",
    "feedback.relevance >= 1.7e308",
    "trace.total_tokens = 000000000000000000000000000000000000000000000000000000000001000000000",
    "trace.name LIKE '" + "[%" * (MAX_PATTERN // 2) + "'",
    f"tag.env IN ({listed(MAX_LIST_VALUES)})",
    " OR ".join(["trace.name = 'nothing'"] * MAX_COMPARISONS),
    "NOT " * (MAX_NESTING - 2) + "((trace.name = 'nothing'))",
    "trace.name = 'snow ☃ and 😀 are text'",
]


@pytest.mark.parametrize("text", BOUNDARIES, ids=range(len(BOUNDARIES)))
def test_filters_at_the_limits_still_run(store: Store, text: str):
    ids = experiment_ids(store)
    assert store.reader.trace_page(ids, filter_string=text, limit=5).rows == ()
    assert store.reader.count_traces(ids, text) == 0


# -- limits only the database knows ------------------------------------------------------------


@pytest.fixture
def small_sqlite(tmp_path: Path) -> Iterator[Store]:
    """SQLite whose limits are SQLite's older or smaller build-time ones: 999 variables, a
    100-byte LIKE pattern, expressions 25 deep."""
    store = Store.open(copy_fixture("mlflow-3.18-tutorial", tmp_path))

    def small_limits(connection: sqlite3.Connection, *_pool_records: Any) -> None:
        connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
        connection.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 100)
        connection.setlimit(sqlite3.SQLITE_LIMIT_EXPR_DEPTH, 25)

    # On every checkout: the pool already holds connections from opening the store.
    event.listen(store.engine, "checkout", small_limits)
    yield store
    store.close()


def deep_or(depth: int) -> str:
    """`a OR (a AND (a OR (...)))`: SQLite's expression tree grows with every level."""
    text = "trace.name = 'deepest'"
    for level in range(depth):
        text = f"{STATUS} {'AND' if level % 2 else 'OR'} ({text})"
    return text


LIMITED = {
    "too many SQL variables": (
        f"trace.name = 'x' OR tag.env IN ('a') OR tag.env IN ({listed(1200)})",
        len("trace.name = 'x' OR tag.env IN ('a') OR tag.env IN "),
        "too many values",
    ),
    "LIKE pattern too complex": (
        "trace.name LIKE 'a%' OR trace.name LIKE '" + "a" * 200 + "' OR trace.name LIKE 'b'",
        len("trace.name LIKE 'a%' OR trace.name LIKE "),
        "too long for the database",
    ),
    "expression tree too large": (
        deep_or(25),
        deep_or(25).rindex(STATUS),  # the innermost group
        "too complex for the database",
    ),
    "long flat chain": (" AND ".join([STATUS] * 60), 0, "too complex for the database"),
}


@pytest.mark.parametrize(("text", "position", "words"), LIMITED.values(), ids=LIMITED.keys())
def test_database_limits_are_syntax_errors(
    small_sqlite: Store, text: str, position: int, words: str
):
    for read in every_read(small_sqlite, text):
        with pytest.raises(QuerySyntaxError) as raised:
            read()
        assert_plain(raised.value, text, position, words)
        assert "SQLite" not in raised.value.reason
    # The store stays usable: the next filter runs.
    assert small_sqlite.reader.count_traces(None, STATUS) > 0


# -- the order-by language and search_experiments ----------------------------------------------

ORDER = {
    "lone surrogate": ("tag.`\ud800`", 5, "U+D800"),
    "NUL": ("name\x00", 4, "NUL"),
    "5,000 digits": ("9" * 5000, 0, "out of range"),
    "1e999": ("timestamp_ms 1e999", 13, "too large"),
}


@pytest.mark.parametrize(("item", "position", "words"), ORDER.values(), ids=ORDER.keys())
def test_hostile_order_by_is_a_syntax_error(store: Store, item: str, position: int, words: str):
    with pytest.raises(QuerySyntaxError) as raised:
        store.reader.trace_page(None, order_by=["status", item], limit=5)
    assert_plain(raised.value, item, position, words)


def test_order_by_takes_a_bounded_number_of_fields(store: Store):
    items = [f"tag.k{i}" for i in range(MAX_ORDER_ITEMS + 1)]
    with pytest.raises(QuerySyntaxError) as raised:
        store.reader.search_trace_ids(None, order_by=items)
    assert_plain(raised.value, items[-1], 0, f"at most {MAX_ORDER_ITEMS} fields")
    page = store.reader.trace_page(None, order_by=items[:-1], limit=1)
    assert page.next_key is not None  # ten keys page as before
    store.reader.trace_page(None, order_by=items[:-1], limit=1, after=page.next_key)


EXPERIMENTS = {
    "integer above 2**63": (f"creation_time > {BIG}", 16, "out of range"),
    "5,000 digits": ("experiment_id = " + "1" * 5000, 16, "out of range"),
    "a decimal for a whole number": ("last_update_time < 1.5", 19, "whole number"),
    "listed id not a number": ("experiment_id IN ('1', 'abc')", 23, "whole number"),
    "listed id above 2**63": (f"experiment_id IN ('{BIG}')", 18, "out of range"),
    "lone surrogate": ("name = '\ud800'", 8, "U+D800"),
    "NUL": ("tags.team = 'a\x00'", 14, "NUL"),
    "LIKE on a number": ("creation_time LIKE '1%'", 0, "is a number"),
    "LIKE pattern of 60,000 characters": ("name LIKE '" + "%" * 60_000 + "'", 10, "at most"),
    "2,000 comparisons": (
        " AND ".join(["name = 'x'"] * 2000),
        MAX_COMPARISONS * len("name = 'x' AND "),
        "more than",
    ),
    "20,000 listed ids": (
        f"experiment_id IN ({', '.join(str(i) for i in range(20_000))})",
        len("experiment_id IN (") + len(", ".join(str(i) for i in range(MAX_LIST_VALUES))) + 2,
        "at most",
    ),
}


@pytest.mark.parametrize(
    ("text", "position", "words"), EXPERIMENTS.values(), ids=EXPERIMENTS.keys()
)
def test_hostile_experiment_filter_is_a_syntax_error(
    store: Store, text: str, position: int, words: str
):
    with pytest.raises(QuerySyntaxError) as raised:
        search_experiments(store, "ALL", filter_string=text)
    assert_plain(raised.value, text, position, words, capital=False)


def test_experiment_filter_database_limits(small_sqlite: Store):
    text = "name LIKE '" + "a" * 200 + "'"
    with pytest.raises(QuerySyntaxError) as raised:
        search_experiments(small_sqlite, "ALL", filter_string=text)
    assert_plain(raised.value, text, 0, "too long for the database")
    assert search_experiments(small_sqlite, "ALL", filter_string=f"creation_time < {BIG - 1}")
