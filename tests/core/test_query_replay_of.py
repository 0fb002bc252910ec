"""`trace.replay_of`: TraceDesk's field for the replays of a trace (the tag a replay carries)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from core import query
from core.client import Client
from core.errors import QuerySyntaxError
from core.store.filter_sql import compile_filter
from core.store.schema import trace_info
from tests.core.test_query import LAYOUT_318


def _sql(text: str) -> tuple[str, list[object]]:
    expression = compile_filter(text, LAYOUT_318)
    assert expression is not None
    compiled = select(trace_info.c.request_id).where(expression).compile(dialect=sqlite.dialect())
    return str(compiled), [compiled.params[name] for name in compiled.positiontup or []]


def test_replay_of_compiles_to_the_replay_tag() -> None:
    sql, params = _sql("trace.replay_of = 'tr-abc'")
    assert "FROM trace_tags" in sql
    assert params == [query.REPLAY_OF_TRACE_TAG, "tr-abc"]


@pytest.mark.parametrize("text", ["replay_of IS NULL", "attributes.replay_of IN ('a', 'b')"])
def test_replay_of_is_a_trace_field_with_every_spelling(text: str) -> None:
    sql, params = _sql(text)
    assert "FROM trace_tags" in sql
    assert params[0] == query.REPLAY_OF_TRACE_TAG


def test_replay_of_takes_string_operators_only() -> None:
    with pytest.raises(QuerySyntaxError, match="cannot be compared with >"):
        compile_filter("trace.replay_of > 'a'", LAYOUT_318)


def test_the_field_table_lists_replay_of() -> None:
    assert "trace.replay_of" in [spec.name for spec in query.TRACE_FIELDS]


def test_a_tagged_trace_is_found_by_replay_of(db318: Path) -> None:
    client = Client(f"sqlite:///{db318}")
    source = client.store().reader.search_trace_ids(None, max_results=1)[0]
    with client.start_span("replay: ChatOllama") as span:
        client.set_trace_tag(span.trace_id, query.REPLAY_OF_TRACE_TAG, source)
        client.set_trace_tag(span.trace_id, query.REPLAY_OF_SPAN_TAG, "0123456789abcdef")
    assert client.flush_traces(30)
    reader = client.store().reader
    found = reader.search_trace_ids(None, filter_string=f"trace.replay_of = '{source}'")
    assert found == [span.trace_id]
    assert reader.count_traces(None, f"trace.replay_of = '{source}'") == 1
    assert reader.count_traces(None, "trace.replay_of = 'tr-none'") == 0
    assert reader.count_traces(None, "trace.replay_of IS NOT NULL") == 1
    client.close()
