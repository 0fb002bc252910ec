"""The SQL of the trace filter language that differs between database engines, in one place.

`core.query` builds filters from portable SQLAlchemy constructs plus the helpers below. Anything
whose SQL is engine-specific lives here, so supporting PostgreSQL (MLflow's other common backend)
means editing only this module. Today's stores are SQLite files; each helper says what it renders
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Float, case, cast, func, literal, null
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


def like(expression: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
    """Case-sensitive `expression LIKE pattern` (`%` any run of characters, `_` one character).

    MLflow runs `PRAGMA case_sensitive_like = true` on every SQLite session, so its LIKE is
    case-sensitive there as on PostgreSQL. Rather than depend on that (deprecated) pragma, SQLite
    gets the same match from GLOB with the pattern translated; other engines get a plain LIKE.
    """
    return CaseSensitiveLike(expression, pattern)


def like_to_glob(pattern: str) -> str:
    """The GLOB pattern matching exactly what `pattern` matches under a case-sensitive LIKE."""
    # GLOB's own wildcards become one-character classes so they match themselves.
    special = {"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}
    return "".join(special.get(char, char) for char in pattern)


class CaseSensitiveLike(FunctionElement[bool]):
    """The SQL construct behind `like`, compiled per dialect below."""

    name = "case_sensitive_like"
    inherit_cache = True
    type = Boolean()
    # A comparison already: without this SQLite would render `(x GLOB ?) = 1` in a WHERE.
    _is_implicitly_boolean = True

    def __init__(self, expression: ColumnElement[Any], pattern: str) -> None:
        # Both patterns travel as bound clauses so statement caching sees their values.
        super().__init__(expression, literal(pattern), literal(like_to_glob(pattern)))


@compiles(CaseSensitiveLike)
def _like_default(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    expression, pattern, _glob = element.clauses.clauses
    return compiler.process(expression.like(pattern), **kw)


@compiles(CaseSensitiveLike, "sqlite")
def _like_sqlite(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    expression, _pattern, glob = element.clauses.clauses
    return f"({compiler.process(expression.op('GLOB', is_comparison=True)(glob), **kw)})"


def ilike(expression: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
    """Case-insensitive LIKE.

    SQLAlchemy renders `lower(x) LIKE lower(p)` on SQLite (what MLflow runs there) and a native
    `ILIKE` on PostgreSQL. SQLite's `lower()` and LIKE fold ASCII letters only (without the ICU
    extension), so `'%ÄPFEL%'` does not match `äpfel` there; MLflow on SQLite has the same limit.
    """
    return expression.ilike(pattern)


#: JSON scalars that are not numbers, in the spellings MLflow's numeric filter rules out.
_NOT_NUMBERS = ("true", "false", "null", "nan", "infinity", "-infinity")


def json_number(json_text: ColumnElement[Any]) -> ColumnElement[float]:
    """The number a JSON document holds, or NULL when it holds a string, bool, null or container.

    This is MLflow's own rule for numeric assessment comparisons (`_get_sql_json_comparison_func`):
    the first-character test runs first so long JSON objects are never lower-cased. The CAST is
    safe on PostgreSQL too, because every JSON text left after the two tests is a number.
    """
    return case(
        (func.substr(json_text, 1, 1).in_(['"', "[", "{"]), null()),
        (func.lower(json_text).in_(_NOT_NUMBERS), null()),
        else_=cast(json_text, Float),
    )


def json_member(document: ColumnElement[Any], key: str) -> ColumnElement[Any]:
    """Member `key` of a JSON object stored as text; NULL when the text is not valid JSON.

    `key` is a constant chosen by `core` (e.g. "total_tokens"), never user text; it is still sent
    as a bound parameter. Wrap the result in `type_coerce` to give it a type.
    """
    return JsonMember(document, key)


class JsonMember(FunctionElement[Any]):
    """The SQL construct behind `json_member`, compiled per dialect below."""

    name = "json_member"
    inherit_cache = True

    def __init__(self, document: ColumnElement[Any], key: str) -> None:
        # Both spellings of the key travel as clauses so statement caching sees their values:
        # SQLite wants a JSON path, PostgreSQL the bare key.
        super().__init__(document, literal(f'$."{key}"'), literal(key))


@compiles(JsonMember)
def _json_member_sqlite(element: JsonMember, compiler: SQLCompiler, **kw: Any) -> str:
    document, path, _key = element.clauses.clauses
    # json_extract raises on malformed JSON; json_valid keeps one bad row from failing the query.
    guarded = case((func.json_valid(document), func.json_extract(document, path)))
    return compiler.process(guarded, **kw)


@compiles(JsonMember, "postgresql")
def _json_member_postgresql(element: JsonMember, compiler: SQLCompiler, **kw: Any) -> str:
    document, _path, key = element.clauses.clauses
    # Malformed JSON raises here; PostgreSQL 16's `IS JSON` could guard it like SQLite's json_valid.
    return compiler.process(cast(document, JSONB).op("->>")(key), **kw)


def spans_of_trace(spans: Any, trace_id: str) -> ColumnElement[bool]:
    """The WHERE clause selecting one trace's span rows, as fast as the engine allows.

    On SQLite, `rowid IN (SELECT rowid ... WHERE trace_id = ?)` makes the table visited in
    rowid order — the order a trace's spans were written in — instead of in span-id order, which
    halves the time to read a 5,000-span trace. Other engines get the plain comparison.
    """
    return TraceSpans(spans.c.trace_id, literal(trace_id))


class TraceSpans(FunctionElement[bool]):
    name = "trace_spans"
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True


@compiles(TraceSpans)
def _trace_spans_default(element: TraceSpans, compiler: SQLCompiler, **kw: Any) -> str:
    column, value = element.clauses.clauses
    return compiler.process(column == value, **kw)


@compiles(TraceSpans, "sqlite")
def _trace_spans_sqlite(element: TraceSpans, compiler: SQLCompiler, **kw: Any) -> str:
    column, value = element.clauses.clauses
    lookup = compiler.process(column == value, **kw)
    return f"spans.rowid IN (SELECT rowid FROM spans WHERE {lookup})"


class JsonValid(FunctionElement[bool]):
    """Whether a text column holds well-formed JSON; NULL where the engine cannot say cheaply."""

    name = "json_valid_or_null"
    inherit_cache = True
    type = Boolean()


@compiles(JsonValid)
def _json_valid_default(element: JsonValid, compiler: SQLCompiler, **kw: Any) -> str:
    return "NULL"


@compiles(JsonValid, "sqlite")
def _json_valid_sqlite(element: JsonValid, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses.clauses
    return f"json_valid({compiler.process(column, **kw)})"


def json_valid(column: ColumnElement[Any]) -> ColumnElement[bool]:
    """SQLite checks span JSON in C (far cheaper than parsing it in Python to find out)."""
    return JsonValid(column)
