"""Span JSON read a few spans at a time, by the `spans` primary key `(trace_id, span_id)`.

A trace of 100,000 spans keeps about 120 MB of JSON; a window shows a few dozen rows and one
span's detail. These statements read only the spans asked for: their whole JSON, or one
attribute of it (the token usage of a tree row) extracted by the database, so the rest of the
document never leaves it.

`span_attribute` renders, on SQLite, `json_extract(content, '$.attributes."key"')` guarded by
`json_valid` (a malformed row gives NULL instead of failing the query); on PostgreSQL,
`content::jsonb -> 'attributes' ->> 'key'` (guarded by `IS JSON` from PostgreSQL 16; on 15 a
malformed row fails the query and the caller reads those spans' JSON instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from core.store import schema as t


def payloads_of(trace_id: str, span_ids: Sequence[str]) -> Select[Any]:
    """`(span_id, content)` of the given spans of one trace (a primary-key lookup each)."""
    s = t.spans
    return select(s.c.span_id, s.c.content).where(
        s.c.trace_id == trace_id, s.c.span_id.in_(list(span_ids))
    )


def attribute_of(trace_id: str, span_ids: Sequence[str], key: str) -> Select[Any]:
    """`(span_id, value)`: attribute `key` of the given spans as stored (JSON text), only for
    the spans that have it."""
    s = t.spans
    value = span_attribute(s.c.content, key)
    return select(s.c.span_id, value).where(
        s.c.trace_id == trace_id, s.c.span_id.in_(list(span_ids)), value.is_not(None)
    )


def span_attribute(content: ColumnElement[Any], key: str) -> ColumnElement[Any]:
    """Attribute `key` of a span document stored as text: the attribute's own text (MLflow
    stores every value as JSON text), NULL when absent or when the document is malformed.

    `key` is a constant chosen by `core` (e.g. `mlflow.chat.tokenUsage`), never user text; it
    is still sent as a bound parameter.
    """
    return SpanAttribute(content, key)


class SpanAttribute(FunctionElement[Any]):
    """The SQL construct behind `span_attribute`, compiled per dialect below."""

    name = "span_attribute"
    inherit_cache = True

    def __init__(self, content: ColumnElement[Any], key: str) -> None:
        # SQLite wants a JSON path, PostgreSQL the bare key: both travel as bound clauses.
        super().__init__(content, literal(f'$.attributes."{key}"'), literal(key))


@compiles(SpanAttribute)
def _span_attribute_sqlite(element: SpanAttribute, compiler: SQLCompiler, **kw: Any) -> str:
    content, path, _key = element.clauses.clauses
    guarded = case((func.json_valid(content), func.json_extract(content, path)))
    return compiler.process(guarded, **kw)


@compiles(SpanAttribute, "postgresql")
def _span_attribute_postgresql(element: SpanAttribute, compiler: SQLCompiler, **kw: Any) -> str:
    content, _path, key = element.clauses.clauses
    document = cast(content, JSONB)
    value = compiler.process(document.op("->")(literal("attributes")).op("->>")(key), **kw)
    version = getattr(compiler.dialect, "server_version_info", None) or (0,)
    if version < (16,):
        return value
    return f"CASE WHEN ({compiler.process(content, **kw)} IS JSON OBJECT) THEN {value} END"
