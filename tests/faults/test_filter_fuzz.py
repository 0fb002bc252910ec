"""Fuzzing the filter languages: whatever the text, only `QuerySyntaxError` comes out.

Issue 15, item 3. Hypothesis writes thousands of filter strings: comparisons built from the
grammar's own pieces (every field of `core.query.fields`, every operator, literals among them
hostile ones: huge and non-finite numbers, NUL, lone surrogates, LIKE wildcards, deep nesting),
the filters of tests/core/test_query.py mutated (characters inserted, deleted, runs of them
repeated), and arbitrary text. Each string is parsed, compiled and run for real: a page of the
trace list over every experiment of a copy of the MLflow 3.18 tutorial database (SQLite merges
one subquery per experiment), and a count on the 3.1 layout (no spans or assessments tables).
The order-by items and `search_experiments` filters get the same treatment.

A filter either runs or fails as `QuerySyntaxError` whose position lies within the text, and
no example may take more than a few seconds. The runs are derandomized (the same examples on
every run) and keep no example database, so CI is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.errors import QuerySyntaxError
from core.mlflow_keys import LINKED_PROMPTS_TAG, SESSION_METADATA, SOURCE_RUN_METADATA
from core.query.fields import (
    MEMBERSHIP,
    NULLNESS,
    OPERATORS,
    ORDERING,
    PATTERN,
    SCOPED_FIELDS,
    SCOPES,
    TRACE_FIELDS,
    FieldSpec,
    Values,
)
from core.query.parser import MAX_NESTING, MAX_PATTERN
from core.query.tokens import KEYWORDS
from core.store.experiment_search import ATTRIBUTES, search_experiments
from core.store.store import Store
from tests.conftest import copy_fixture
from tests.core.test_query import INJECTIONS, MLFLOW_3_18

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FIXTURES = ("mlflow-3.18-tutorial", "mlflow-3.1-tutorial")


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Store]]:
    """The 3.18 and 3.1 tutorial databases, copied and opened once for every example."""
    folder = tmp_path_factory.mktemp("fuzz")
    new, old = (Store.open(copy_fixture(name, folder)) for name in FIXTURES)
    yield new, old
    new.close()
    old.close()


def only_syntax_errors(text: str, run: Callable[[], Any]) -> None:
    """`run` succeeds, or fails as a `QuerySyntaxError` pointing into `text`."""
    try:
        run()
    except QuerySyntaxError as error:
        assert error.text == text
        assert 0 <= error.position <= len(text), (error.position, len(text))
        assert error.reason.strip()
        event("a syntax error")  # `pytest --hypothesis-show-statistics` counts the outcomes
    else:
        event("ran")


# -- the pieces of the trace filter language ---------------------------------------------------

#: Hostile text: the characters no database takes, wildcards, quotes, escapes, wide characters.
WILD = ["%", "_", "*", "?", "[", "]", "\\", "'", '"', "`", "😀", "\n", "a", "é"]
NASTY = ["\x00", "\ud800", "\udfff", *WILD]
PREFIXES = sorted({*SCOPES, ""})
SPAN_KEYS = ["name", "type", "status", "content", "attributes.model", "attributes.`a.b`"]
RESERVED = ["mlflow.traceName", LINKED_PROMPTS_TAG, SESSION_METADATA, SOURCE_RUN_METADATA]
#: Numbers at and beyond every range: BIGINT's ends and a float's (`long_numbers` the rest).
NUMBERS = [
    "0",
    "-0",
    "1.5",
    ".5",
    "1e3",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "1e308",
    "1e999",
    "-1e999",
    "1e-999",
    "1" + "0" * 30 + ".0",
]


def repeated(piece: str, *counts: int) -> st.SearchStrategy[str]:
    """`piece` many times over, built when drawn (so the strategy's repr stays short)."""
    return st.sampled_from(counts).map(lambda count: piece * count)


def long_numbers() -> st.SearchStrategy[str]:
    """Beyond any range, and past Python's 4,300-digit int-string limit (leading zeros too)."""
    return st.one_of(repeated("9", 20, 400, 5000), repeated("0", 5000).map(lambda z: z + "1"))


def keys() -> st.SearchStrategy[str]:
    """A key as written after a prefix: a word, a dotted path, or quoted hostile text."""
    word = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
    quoted = st.text(st.sampled_from([*NASTY, "a", ".", " "]), max_size=8).map(
        lambda t: "`" + t.replace("`", "``") + "`"
    )
    return st.one_of(word, quoted, st.sampled_from(RESERVED + SPAN_KEYS))


def fields() -> st.SearchStrategy[str]:
    trace = [spelling for spec in TRACE_FIELDS for spelling in spec.spellings]
    scoped = [
        spec.name.replace("<key>", "env").replace("<name>", "relevance") for spec in SCOPED_FIELDS
    ]
    return st.one_of(
        st.builds(
            lambda p, f: f"{p}.{f}" if p else f, st.sampled_from(PREFIXES), st.sampled_from(trace)
        ),
        st.sampled_from(scoped),
        st.builds(lambda p, k: f"{p}.{k}", st.sampled_from(PREFIXES[1:]), keys()),
        st.from_regex(r"[A-Za-z_][\w.]{0,20}", fullmatch=True),
    )


def strings() -> st.SearchStrategy[str]:
    """Quoted text: mostly ordinary, some of it hostile, some past the pattern limit."""
    text = st.one_of(
        st.text(st.characters(), max_size=20),
        st.text(st.sampled_from(WILD), max_size=20),
        st.text(st.sampled_from(NASTY), max_size=6),
        st.sampled_from(["a%", "[%"]),
        repeated("x", 20_000),
        repeated("%", MAX_PATTERN, MAX_PATTERN + 1),
        st.sampled_from(NUMBERS) | long_numbers(),
    )
    quote = st.sampled_from(["'", '"'])
    return st.builds(lambda q, t: q + t.replace(q, q + q) + q, quote, text)


def numbers() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NUMBERS),
        long_numbers(),
        st.integers().map(str),
        st.floats(allow_nan=False).map(repr),
        st.sampled_from(NUMBERS).map(lambda n: f"'{n}'"),  # MLflow takes quoted numbers too
    )


def string_lists() -> st.SearchStrategy[str]:
    return st.lists(strings(), min_size=1, max_size=4).map(lambda v: f"({', '.join(v)})")


def values() -> st.SearchStrategy[str]:
    return st.one_of(
        strings(),
        numbers(),
        st.sampled_from(["TRUE", "false", "NULL", "NOT NULL", "()", "(1, 2)"]),
        string_lists(),
    )


def comparisons() -> st.SearchStrategy[str]:
    """Any field, any operator, any value: mostly nonsense the parser must refuse."""
    operators = st.sampled_from([*OPERATORS, "==", "<>", "RLIKE", "IS", "NOT", "IN"])
    return st.builds(
        lambda f, o, v: f"{f} {o} {v}" if not o.startswith("IS") else f"{f} {o}",
        fields(),
        operators,
        values(),
    )


def typed_value(spec: FieldSpec, operator: str) -> st.SearchStrategy[str]:
    """A value of the kind `spec` takes with `operator` (hostile within that kind)."""
    if operator in NULLNESS:
        return st.just("")
    if operator in MEMBERSHIP:
        return string_lists()
    if spec.values is Values.NUMBER or (spec.values is Values.ASSESSMENT and operator in ORDERING):
        return numbers()
    if spec.values is Values.ASSESSMENT and operator not in PATTERN:
        return st.one_of(strings(), numbers(), st.sampled_from(["TRUE", "false"]))
    return strings()


def typed_comparisons() -> st.SearchStrategy[str]:
    """A field with one of its own operators and a value of its kind: these mostly run."""

    @st.composite
    def comparison(draw: st.DrawFn) -> str:
        spec = draw(st.sampled_from(TRACE_FIELDS + SCOPED_FIELDS))
        name = spec.name.replace("<key>", draw(keys())).replace("<name>", draw(keys()))
        operator = draw(st.sampled_from(spec.operators))
        return f"{name} {operator} {draw(typed_value(spec, operator))}".rstrip()

    return comparison()


def filters() -> st.SearchStrategy[str]:
    """Comparisons joined by AND / OR, negated and grouped, sometimes nested past the limit."""
    joined = st.recursive(
        st.one_of(typed_comparisons(), typed_comparisons(), comparisons()),
        lambda inner: st.one_of(
            st.builds(
                lambda a, j, b: f"{a} {j} {b}", inner, st.sampled_from(["AND", "or", "OR"]), inner
            ),
            inner.map(lambda c: f"NOT {c}"),
            inner.map(lambda c: f"({c})"),
        ),
        max_leaves=8,
    )
    depth = st.integers(0, MAX_NESTING + 8)
    return st.one_of(
        joined,
        st.builds(lambda n, c: "(" * n + c + ")" * n, depth, joined),
        st.builds(lambda n, c: "NOT (" * n + c + ")" * n, depth, joined),
    )


def mutated(seeds: list[str], pieces: list[str]) -> st.SearchStrategy[str]:
    """A seed with edits: a piece inserted, a slice deleted, or a slice repeated many times."""

    @st.composite
    def edit(draw: st.DrawFn) -> str:
        text = draw(st.sampled_from(seeds))
        for _ in range(draw(st.integers(1, 4))):
            start = draw(st.integers(0, len(text)))
            end = draw(st.integers(start, min(len(text), start + 12)))
            how = draw(st.sampled_from(["insert", "delete", "repeat"]))
            if how == "insert":
                piece = draw(st.one_of(st.sampled_from(pieces), LONG_PIECES, st.text(max_size=3)))
                text = text[:start] + piece + text[start:]
            elif how == "delete":
                text = text[:start] + text[end:]
            else:
                times = draw(st.sampled_from([2, 3, 50, 400]))
                text = text[:start] + text[start:end] * times + text[end:]
        return text

    return edit()


SEEDS = [text for text, _expected in MLFLOW_3_18] + list(INJECTIONS)
PIECES = [
    *NASTY,
    *NUMBERS,
    *OPERATORS,
    *KEYWORDS,
    "(",
    ")",
    ",",
    ".",
    " AND ",
    " OR ",
    "NOT ",
    "tag.",
    "span.",
    "feedback.x",
]
LONG_PIECES = st.one_of(repeated("(", 40), repeated("NOT ", 40), long_numbers())


@settings(FUZZ, max_examples=2000)
@given(
    st.one_of(
        filters(),
        mutated(SEEDS, PIECES),
        st.text(max_size=40),
        st.text(st.sampled_from([*NASTY, *"()'\"` .=<>!,0123456789eE+-ANDORTI"]), max_size=60),
    )
)
def test_any_filter_runs_or_is_a_syntax_error(stores: tuple[Store, Store], text: str) -> None:
    new, old = stores
    experiments = [e.experiment_id for e in new.reader.experiments()]
    only_syntax_errors(
        text, lambda: new.reader.trace_page(experiments, filter_string=text, limit=5)
    )
    only_syntax_errors(text, lambda: old.reader.count_traces(None, text))


# -- order-by items and search_experiments ------------------------------------------------------

ORDER_SEEDS = ["timestamp_ms DESC", "tag.env", "metadata.`mlflow.user` ASC", "total_tokens desc"]


@settings(FUZZ, max_examples=400)
@given(
    st.lists(
        st.one_of(mutated(ORDER_SEEDS, [*PIECES, " ASC", " DESC"]), st.text(max_size=20)),
        min_size=1,
        max_size=4,
    )
)
def test_any_order_by_runs_or_is_a_syntax_error(stores: tuple[Store, Store], items: list[str]):
    new, _old = stores
    try:
        page = new.reader.trace_page(None, order_by=items, limit=2)
        new.reader.trace_page(None, order_by=items, limit=2, after=page.next_key)
    except QuerySyntaxError as error:
        assert error.text in items
        assert 0 <= error.position <= len(error.text)


EXPERIMENT_SEEDS = [
    "name = 'Default'",
    "name LIKE 'tut%' AND tags.team = 'nlp'",
    "attribute.creation_time > 1700000000000 AND last_update_time <= 0",
    "experiment_id IN ('0', '1') AND tags.`a.b` IS NOT NULL",
    "tags.\"x\" ILIKE '%a%' AND experiment_id != 2",
]


@settings(FUZZ, max_examples=500)
@given(
    st.one_of(
        mutated(EXPERIMENT_SEEDS, [*PIECES, *ATTRIBUTES, "tags.", " AND "]),
        st.text(max_size=40),
    )
)
def test_any_experiment_filter_runs_or_is_a_syntax_error(
    stores: tuple[Store, Store], text: str
) -> None:
    new, _old = stores
    only_syntax_errors(text, lambda: search_experiments(new, "ALL", filter_string=text))
