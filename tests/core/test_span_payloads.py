"""Span JSON read span by span: a large trace's spans keep their JSON in the database until one
is asked for, and then only its row is read (by the `spans` primary key); token usage comes
out of the database without the rest of the JSON; `tree_order`'s quick walk orders as the
guarded one does."""

from __future__ import annotations

import contextlib
import random
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from core.entities import Span
from core.store import span_codec
from core.store.reader import BATCH
from core.store.store import Store
from tests.bench.huge import build_huge_trace

Statements = list[tuple[str, tuple[Any, ...]]]


@pytest.fixture(scope="module")
def huge(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A 1,200-span research-agent trace (MLflow 3.18's layout, the bench's builder)."""
    path = tmp_path_factory.mktemp("huge") / "mlflow.db"
    return path, str(build_huge_trace(path, 1_200)["trace_id"])


@pytest.fixture
def store(huge: tuple[Path, str]) -> Iterator[Store]:
    opened = Store.open(huge[0])
    yield opened
    opened.close()


@contextlib.contextmanager
def recording(store: Store) -> Iterator[Statements]:
    """Every statement the store's engine runs meanwhile, with its parameters."""
    seen: Statements = []

    def executed(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_rest: Any) -> None:
        seen.append((sql, tuple(parameters or ())))

    event.listen(store.engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", executed)


@pytest.fixture
def statements(store: Store) -> Iterator[Statements]:
    with recording(store) as seen:
        yield seen


def reading_json(statements: Statements) -> Statements:
    """The statements that bring span JSON (the `content` column itself) out of the database."""
    return [(sql, params) for sql, params in statements if re.search(r"spans\.content\s+FROM", sql)]


def test_a_large_trace_reads_only_the_span_asked_for(
    store: Store, huge: tuple[Path, str], statements: Statements
) -> None:
    trace = store.reader.get_trace(huge[1], payloads_per_span_over=1_000)
    spans = trace.data.spans
    assert len(spans) == 1_200
    assert reading_json(statements) == []  # the tree's columns only
    chat = next(s for s in spans if s.span_type == "CHAT_MODEL")
    usage = chat.token_usage
    assert usage is not None and usage.total_tokens
    (read,) = reading_json(statements)
    assert chat.span_id in read[1] and len(read[1]) == 2  # (trace id, span id): one row
    assert [s for s in spans if s.payload_loaded] == [chat]
    _ = chat.attributes, chat.events  # decoded from what was read: no second read
    assert len(reading_json(statements)) == 1
    whole = store.reader.get_trace(huge[1])  # MLflow's path: the same spans, whole trace read
    assert whole.data.spans[spans.index(chat)].to_dict() == chat.to_dict()


def test_a_trace_under_the_limit_reads_all_its_json_at_once(
    store: Store, huge: tuple[Path, str], statements: Statements
) -> None:
    spans = store.reader.get_trace(huge[1], payloads_per_span_over=5_000).data.spans
    _ = [s.attributes for s in spans]
    (read,) = reading_json(statements)
    assert read[1] == (huge[1],)
    assert all(s.payload_loaded for s in spans)


def test_load_payloads_reads_a_batch_by_primary_key(
    store: Store, huge: tuple[Path, str], statements: Statements
) -> None:
    spans = store.reader.get_trace(huge[1], payloads_per_span_over=1_000).data.spans
    wanted = spans[:3] + spans[-2:]
    store.reader.load_payloads(wanted)
    (read,) = reading_json(statements)
    assert set(read[1]) == {huge[1], *(s.span_id for s in wanted)}
    assert [s for s in spans if s.payload_loaded] == wanted
    store.reader.load_payloads(wanted)  # already there: nothing is read again
    assert len(reading_json(statements)) == 1
    whole = {s.span_id: s for s in store.reader.get_trace(huge[1]).data.spans}
    assert all(s.to_dict() == whole[s.span_id].to_dict() for s in wanted)


def test_many_ids_go_in_batches(
    store: Store, huge: tuple[Path, str], statements: Statements
) -> None:
    spans = store.reader.get_trace(huge[1], payloads_per_span_over=1_000).data.spans
    store.reader.load_payloads(spans[:1_100])
    sizes = [len(params) - 1 for _sql, params in reading_json(statements)]
    assert sizes == [BATCH, BATCH, 1_100 - 2 * BATCH]
    assert sum(s.payload_loaded for s in spans) == 1_100


def test_a_vanished_row_reads_as_empty_json(huge: tuple[Path, str], tmp_path: Path) -> None:
    path = tmp_path / "copy.db"
    path.write_bytes(huge[0].read_bytes())
    with Store.open(path) as store:
        spans = store.reader.get_trace(huge[1], payloads_per_span_over=1_000).data.spans
        gone = spans[7]
        with sqlite3.connect(path) as connection:  # deleted after the tree was read
            connection.execute("DELETE FROM spans WHERE span_id = ?", (gone.span_id,))
        connection.close()
        assert store.reader.span_payloads(huge[1], [gone.span_id, "nope"]) == {}
        store.reader.load_payloads([gone])
        assert gone.decode_error == "the span's content is empty (archived or never written)"


def test_token_usage_comes_from_the_database(
    store: Store, huge: tuple[Path, str], statements: Statements
) -> None:
    spans = store.reader.get_trace(huge[1], payloads_per_span_over=1_000).data.spans
    shown = spans[:60]
    usages = store.reader.token_usages(huge[1], [s.span_id for s in shown])
    assert reading_json(statements) == []  # the attribute was extracted in SQL
    whole = {s.span_id: s for s in store.reader.get_trace(huge[1]).data.spans}
    expected = {
        s.span_id: whole[s.span_id].token_usage
        for s in shown
        if whole[s.span_id].token_usage is not None
    }
    assert expected and usages == expected
    assert {s.span_type for s in shown if s.span_id in usages} == {"CHAT_MODEL"}


def test_token_usage_survives_malformed_and_empty_json(
    huge: tuple[Path, str], tmp_path: Path
) -> None:
    path = tmp_path / "copy.db"
    path.write_bytes(huge[0].read_bytes())
    with Store.open(path) as store:
        spans = store.reader.get_trace(huge[1]).data.spans
        chats = [s for s in spans if s.token_usage is not None][:3]
        with sqlite3.connect(path) as connection:
            connection.execute(
                "UPDATE spans SET content = ? WHERE span_id = ?", ("{oops", chats[0].span_id)
            )
            connection.execute(
                "UPDATE spans SET content = '' WHERE span_id = ?", (chats[1].span_id,)
            )
        connection.close()
        usages = store.reader.token_usages(huge[1], [s.span_id for s in chats])
        assert usages == {chats[2].span_id: chats[2].token_usage}


def test_the_tutorial_traces_read_alike_both_ways(db318: Path) -> None:
    """Every real MLflow trace: per-span reading gives the documents the whole-trace read
    gives, and the database's token usage is the decoded one."""
    with Store.open(db318) as store:
        for trace_id in store.reader.search_trace_ids(None):
            whole = store.reader.get_trace(trace_id)
            light = store.reader.get_trace(trace_id, payloads_per_span_over=0)
            assert [s.to_dict() for s in light.data.spans] == [
                s.to_dict() for s in whole.data.spans
            ]
            ids = [s.span_id for s in whole.data.spans]
            usages = store.reader.token_usages(trace_id, ids)
            assert usages == {
                s.span_id: s.token_usage for s in whole.data.spans if s.token_usage is not None
            }


@pytest.mark.postgres
def test_postgresql_reads_span_by_span_as_sqlite_does(pg_fixture318: str, db318: Path) -> None:
    """The same tutorial rows on a PostgreSQL server: per-span JSON and the database's token
    usage are what the SQLite file gives (`->`/`->>` there, `json_extract` here)."""
    with Store.open(pg_fixture318) as server, Store.open(db318) as sqlite:
        for trace_id in sqlite.reader.search_trace_ids(None):
            light = server.reader.get_trace(trace_id, payloads_per_span_over=0).data.spans
            local = sqlite.reader.get_trace(trace_id).data.spans
            assert [s.to_dict() for s in light] == [s.to_dict() for s in local]
            ids = [s.span_id for s in local]
            with recording(server) as seen:
                usages = server.reader.token_usages(trace_id, ids)
            assert usages == sqlite.reader.token_usages(trace_id, ids)
            assert seen and reading_json(seen) == []  # extracted by the server, not read here


# -- tree order ------------------------------------------------------------------------------


def guarded_order(spans: list[Span]) -> list[Span]:
    """The order by the guarded walk alone (what `tree_order` did for every trace before)."""
    by_start = sorted(spans, key=lambda s: (s.start_time_ns, s.span_id))
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[Span]] = {}
    for span in by_start:
        children.setdefault(span.parent_id if span.parent_id in ids else None, []).append(span)
    return span_codec._walk_guarded(spans, by_start, children)


def random_spans(rng: random.Random, trial: int) -> list[Span]:
    """Spans with repeated ids, loops, missing parents and equal start times, now and then."""
    n = rng.randint(0, 40)
    ids = [f"{rng.randrange(50 if trial % 3 == 0 else 10**9):x}" for _ in range(n)]
    spans = []
    for span_id in ids:
        parent = rng.choice([None, *ids, "missing"]) if rng.random() < 0.9 else None
        start = rng.randrange(4 if trial % 2 else 10**6)
        spans.append(Span("t", span_id, parent, "n", None, "OK", start, None, ""))
    return spans


@pytest.mark.parametrize("seed", range(4))
def test_tree_order_quick_walk_matches_the_guarded_walk(seed: int) -> None:
    rng = random.Random(seed)
    for trial in range(500):
        spans = random_spans(rng, trial)
        ordered = span_codec.tree_order(spans)
        expected = guarded_order(spans)
        assert len(ordered) == len(spans)
        assert all(a is b for a, b in zip(ordered, expected, strict=True)), trial


@pytest.mark.parametrize("chunk", [1, 2, 3, 5])
def test_tree_order_in_chunks_matches_the_guarded_walk(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Passes over many spans go a chunk at a time: runs of equal start times that cross a
    chunk's edge are still ordered by id."""
    monkeypatch.setattr(span_codec, "CHUNK", chunk)
    rng = random.Random(chunk)
    for trial in range(400):
        spans = random_spans(rng, trial)
        ordered = span_codec.tree_order(spans)
        assert all(a is b for a, b in zip(ordered, guarded_order(spans), strict=True)), trial


def test_a_loop_is_still_shown_from_its_earliest_span() -> None:
    def make(span_id: str, parent: str | None, start: int) -> Span:
        return Span("t", span_id, parent, span_id, None, "OK", start, None, "")

    spans = [make("a", None, 0), make("b", "c", 5), make("c", "b", 3), make("d", "a", 1)]
    assert [s.span_id for s in span_codec.tree_order(spans)] == ["a", "d", "c", "b"]
