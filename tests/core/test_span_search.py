"""`StoreReader.search_spans`: the spans of one trace whose stored JSON holds a text, found in
SQL on copies of the real fixtures and on PostgreSQL, in every spelling the JSON stores it in
(quotes, newlines, backslashes and non-ASCII letters are escaped there, twice inside
attributes), and in `traces.json` for the older layouts."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import core
from core import tracking
from core.store.span_search import stored_forms
from core.store.store import Store

NESTED = "tr-8994d05b63f61f086eee7e8a1d4106e8"  # my_cool_span -> my_span, reranker_span
MY_SPAN, RERANKER = "179ea617e5d7e4c4", "d15a633cbabb7478"
ERROR_31 = "3ea16b8d2d41430ca5ca3c7ab14f4cf8"  # traces.json: an exception event
OLLAMA_222 = "23c76afab90f482ab6d30c8b382db042"

#: Stored escaped in the span JSON: quotes, a newline, backslashes, non-ASCII, LIKE wildcards.
TRICKY = 'She said "hi"\nthen paid 5 € at the Café Ünter, C:\\temp\\new, 100% of it_all'


def write_tricky_trace(uri: str) -> tuple[str, dict[str, str]]:
    """A trace written with core's tracing API: (trace id, span name -> span id)."""
    core.set_tracking_uri(uri)
    try:
        with core.start_span("agent", span_type="AGENT") as root:
            root.set_inputs({"question": "where to eat?"})
            with core.start_span("lookup", "TOOL") as lookup:
                lookup.set_inputs({"query": "plain words"})
                lookup.set_outputs({"answer": TRICKY})
            with core.start_span("notify", "CHAIN") as notify:
                notify.add_event("retry", {"reason": "rate limited by the gateway"})
                notify.set_attribute("channel", "Ωmega pager")
            ids = {"agent": root.span_id, "lookup": lookup.span_id, "notify": notify.span_id}
            trace_id = root.trace_id
        assert core.flush_trace_async_logging(60)
    finally:
        tracking.reset()
    return trace_id, ids


#: (text typed, span names expected): what the tricky trace must answer on every engine.
TRICKY_CASES = [
    ('said "hi"', ["lookup"]),  # quotes: stored as \\\" inside the output attribute
    ('SAID "HI"\nTHEN', ["lookup"]),  # any case; the newline is stored as \\n
    ("Café", ["lookup"]),
    ("café", ["lookup"]),  # SQLite folds only ASCII: the lower-case spelling is searched too
    ("CAFÉ ÜNTER", ["lookup"]),
    ("5 €", ["lookup"]),
    ("C:\\temp\\new", ["lookup"]),  # backslashes are stored doubled, twice
    ("100%", ["lookup"]),
    ("it_all", ["lookup"]),
    ("%", ["lookup"]),  # a LIKE wildcard is an ordinary character
    ("t_all", ["lookup"]),
    ("i_all", []),  # `_` matches itself only, not any one character
    ("rate limited", ["notify"]),  # only in an event's attributes
    ("ωMEGA", ["notify"]),  # non-ASCII in another case: only as typed or lower/upper
    ("where to eat", ["agent"]),
    ("TOOL", ["lookup"]),  # the span type is in the JSON too
    ("no such text anywhere", []),
]


@pytest.fixture
def tricky318(db318: Path) -> Iterator[tuple[Store, str, dict[str, str]]]:
    trace_id, ids = write_tricky_trace(f"sqlite:///{db318}")
    store = Store.open(db318)
    yield store, trace_id, ids
    store.close()


def test_the_spellings_of_a_text_in_json() -> None:
    assert stored_forms("plain") == ["plain"]
    assert stored_forms('say "hi"') == ['say "hi"', 'say \\"hi\\"', 'say \\\\\\"hi\\\\\\"']
    forms = stored_forms("é")
    assert {"é", "\\u00e9", "\\\\u00e9", "É", "\\u00c9", "\\\\u00c9"} == set(forms)
    assert stored_forms("a\x00b") == ["a\\u0000b", "a\\\\u0000b"]  # no raw NUL for PostgreSQL


def test_text_only_in_an_output_is_found_in_any_case(db318: Path) -> None:
    with Store.open(db318) as store:
        reader = store.reader
        assert reader.search_spans(NESTED, "rerunker") == [RERANKER]  # "output of rerunker span"
        assert reader.search_spans(NESTED, "OUTPUT OF RERUNKER") == [RERANKER]
        assert reader.search_spans(NESTED, "some value") == [MY_SPAN]  # my_span's output
        assert reader.search_spans(NESTED, '"input"') == [MY_SPAN, RERANKER]  # start order
        assert reader.search_spans(NESTED, '"input"', limit=1) == [MY_SPAN]
        assert reader.search_spans(NESTED, "r_nker") == []  # no wildcard: "reranker" stays out
        assert reader.search_spans(NESTED, "nothing like this") == []
        assert reader.search_spans(NESTED, "") == []
        assert reader.search_spans("tr-00000000000000000000000000000000", "span") == []


@pytest.mark.parametrize(("text", "names"), TRICKY_CASES)
def test_escaped_text_is_found_on_sqlite(
    tricky318: tuple[Store, str, dict[str, str]], text: str, names: list[str]
) -> None:
    store, trace_id, ids = tricky318
    assert store.reader.search_spans(trace_id, text) == [ids[n] for n in names]


def test_text_in_json_written_with_ascii_escapes_is_found(
    tricky318: tuple[Store, str, dict[str, str]], db318: Path
) -> None:
    """Other writers escape non-ASCII letters (`\\u00e9`): in the document only, or in the
    attribute values inside it too."""
    store, trace_id, ids = tricky318
    with sqlite3.connect(db318) as connection:
        (content,) = connection.execute(
            "SELECT content FROM spans WHERE span_id = ?", (ids["lookup"],)
        ).fetchone()
        document = json.loads(content)
        outer_only = json.dumps(document)  # ensure_ascii: é as \u00e9 inside the values' JSON
        attributes = {k: json.dumps(json.loads(v)) for k, v in document["attributes"].items()}
        both = json.dumps({**document, "attributes": attributes})  # é as \\u00e9
        assert "\\u00e9" in outer_only and "\\\\u00e9" in both and "é" not in both
        for stored in (outer_only, both):
            connection.execute(
                "UPDATE spans SET content = ? WHERE span_id = ?", (stored, ids["lookup"])
            )
            connection.commit()
            for text in ("café ünter", "CAFÉ", 'said "hi"', "5 €", "C:\\temp"):
                assert store.reader.search_spans(trace_id, text) == [ids["lookup"]], (text, stored)


def test_spans_in_traces_json_are_searched_too(db31: Path, db222: Path) -> None:
    with Store.open(db31) as store:
        (span,) = store.reader.get_trace(ERROR_31).data.spans
        assert store.reader.search_spans(ERROR_31, "importerror") == [span.span_id]
        assert store.reader.search_spans(ERROR_31, "Traceback (most recent") == [span.span_id]
        assert store.reader.search_spans(ERROR_31, "no such text anywhere") == []
    with Store.open(db222) as store:
        spans = store.reader.get_trace(OLLAMA_222).data.spans
        expected = [s.span_id for s in spans if "hello" in json.dumps(s.content).lower()]
        assert expected and store.reader.search_spans(OLLAMA_222, "HELLO") == expected


# -- PostgreSQL ------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_finds_what_sqlite_finds_in_the_fixture(pg_fixture318: str, db318: Path) -> None:
    texts = ["rerunker", "SOME VALUE", '"input"', "r_nker", "%", "ChatOllama", "hello!", "zz"]
    with Store.open(pg_fixture318) as pg, Store.open(db318) as lite:
        for trace_id in lite.reader.search_trace_ids(None):
            for text in texts:
                found = pg.reader.search_spans(trace_id, text)
                assert found == lite.reader.search_spans(trace_id, text), (trace_id, text)
        assert pg.reader.search_spans(NESTED, "RERUNKER") == [RERANKER]


@pytest.mark.postgres
def test_escaped_text_is_found_on_postgresql(pg_url: str) -> None:
    trace_id, ids = write_tricky_trace(pg_url)
    with Store.open(pg_url) as store:
        for text, names in TRICKY_CASES:
            assert store.reader.search_spans(trace_id, text) == [ids[n] for n in names], text
        assert store.reader.search_spans(trace_id, "a\x00b") == []  # NUL never reaches the server
