"""Bad input gets a clear error and loses nothing: every way a file can be wrong."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from core.errors import (
    CorruptStoreError,
    NotMLflowStoreError,
    NotSQLiteError,
    StoreLockedError,
    StoreNotFoundError,
)
from core.store.store import Store

CHAT_TRACE = "tr-6a0851c5009984c0295519cd96b86728"
NESTED_TRACE = "tr-8994d05b63f61f086eee7e8a1d4106e8"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError, match="does not exist"):
        Store.open(tmp_path / "nope.db")


def test_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError, match="is a folder"):
        Store.open(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(NotSQLiteError, match="is empty"):
        Store.open(path)


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 10)
    with pytest.raises(NotSQLiteError, match="not an SQLite database"):
        Store.open(path)


def test_sqlite_without_mlflow_tables(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE recipes (name TEXT)")
    with pytest.raises(NotMLflowStoreError, match=r"not an MLflow tracking store.*recipes"):
        Store.open(path)


def test_empty_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "blank.db"
    sqlite3.connect(path).execute("VACUUM").connection.close()
    if path.stat().st_size == 0:  # SQLite writes nothing for an untouched database
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE t (x)")
            connection.execute("DROP TABLE t")
    with pytest.raises(NotMLflowStoreError, match="empty SQLite database"):
        Store.open(path)


def test_truncated_copy(db318: Path) -> None:
    data = db318.read_bytes()
    db318.write_bytes(data[: len(data) // 3])
    with pytest.raises(CorruptStoreError, match="truncated"):
        Store.open(db318)


def test_corrupt_pages_give_a_clear_error(db318: Path) -> None:
    data = bytearray(db318.read_bytes())
    page_size = 4096
    for page in range(2, len(data) // page_size):  # keep page 1 (the schema root) intact
        data[page * page_size : page * page_size + 64] = b"\xff" * 64
    db318.write_bytes(bytes(data))
    with pytest.raises(CorruptStoreError, match="damaged"):
        store = Store.open(db318)
        store.reader.trace_page(None)


def test_locked_file(db318: Path) -> None:
    locker = sqlite3.connect(db318, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreLockedError, match="locked by another program"):
            Store.open(db318, busy_timeout_s=0.05)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    with Store.open(db318) as store:  # usable again once the writer is done
        assert store.reader.count_traces(None) == 12


def test_newer_layout_opens_read_only_with_notice(db318: Path) -> None:
    with sqlite3.connect(db318) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    with Store.open(db318, read_only=False) as store:
        assert store.read_only
        assert store.layout.is_newer
        assert "newer MLflow" in store.notices[0]
        assert store.reader.count_traces(None) == 12


def test_older_layout_is_not_writable(db31: Path) -> None:
    with Store.open(db31, read_only=False) as store:
        assert store.read_only
        assert store.layout.release == "3.1"
        assert "read-only" in store.notices[0]


@pytest.fixture
def malformed_span_db(db318: Path) -> Iterator[Path]:
    with sqlite3.connect(db318) as connection:
        connection.execute(
            'UPDATE spans SET content = \'{"name": "ChatOllama", "attributes": {\' '
            "WHERE trace_id = ?",
            (CHAT_TRACE,),
        )
    yield db318


def test_malformed_span_json_affects_only_that_trace(malformed_span_db: Path) -> None:
    with Store.open(malformed_span_db) as store:
        broken = store.reader.get_trace(CHAT_TRACE)
        assert len(broken.data.spans) == 1
        span = broken.data.spans[0]
        assert span.name == "ChatOllama"  # the columns still say what the span was
        assert span.decode_error is not None and "malformed" in span.decode_error
        assert span.attributes == {}
        assert store.reader.malformed_spans(CHAT_TRACE) == [span.span_id]  # checked in SQL
        fine = store.reader.get_trace(NESTED_TRACE)
        assert fine.problems == ()
        assert len(store.reader.trace_page(None).rows) == 12


def test_trace_without_spans_is_shown_not_dropped(db318: Path) -> None:
    with sqlite3.connect(db318) as connection:
        connection.execute("DELETE FROM spans WHERE trace_id = ?", (CHAT_TRACE,))
    with Store.open(db318) as store:
        assert CHAT_TRACE in [r.trace_id for r in store.reader.trace_page(None).rows]
        trace = store.reader.get_trace(CHAT_TRACE)
        assert trace.data.spans == []
        assert any("No spans were recorded" in p for p in trace.problems)


def test_missing_root_span_keeps_the_children(db318: Path) -> None:
    with sqlite3.connect(db318) as connection:
        connection.execute(
            "DELETE FROM spans WHERE trace_id = ? AND parent_span_id IS NULL", (NESTED_TRACE,)
        )
    with Store.open(db318) as store:
        trace = store.reader.get_trace(NESTED_TRACE)
        assert [s.name for s in trace.data.spans] == ["my_span", "reranker_span"]
        assert trace.data.root_span is None
        assert any("root span is missing" in p for p in trace.problems)


def test_parents_that_loop_neither_hang_nor_hide_spans(db318: Path) -> None:
    with sqlite3.connect(db318) as connection:
        ids = dict(
            connection.execute(
                "SELECT name, span_id FROM spans WHERE trace_id = ?", (NESTED_TRACE,)
            ).fetchall()
        )
        connection.execute(  # each of the two children names the other as its parent
            "UPDATE spans SET parent_span_id = CASE name WHEN 'my_span' THEN ? ELSE ? END"
            " WHERE trace_id = ? AND name IN ('my_span', 'reranker_span')",
            (ids["reranker_span"], ids["my_span"], NESTED_TRACE),
        )
    with Store.open(db318) as store:
        names = [s.name for s in store.reader.get_trace(NESTED_TRACE).data.spans]
    assert sorted(names) == sorted(ids) and len(names) == len(ids)

    with sqlite3.connect(db318) as connection:
        connection.execute(
            "UPDATE spans SET parent_span_id = span_id WHERE trace_id = ?", (NESTED_TRACE,)
        )
    with Store.open(db318) as store:
        trace = store.reader.get_trace(NESTED_TRACE)
    assert sorted(s.name for s in trace.data.spans) == sorted(ids)  # each its own parent
    assert any("root span is missing" in p for p in trace.problems)


def test_missing_traces_json_says_where_it_looked(db31: Path) -> None:
    trace_id = "f83d789b1c264b819a85f69e07088f60"
    shutil.rmtree(db31.parent / "mlruns" / "1" / "traces" / trace_id)
    with Store.open(db31) as store:
        trace = store.reader.get_trace(trace_id)
        assert trace.data.spans == []
        assert "traces.json is missing" in trace.problems[0]
        assert str(db31.parent / "mlruns" / "1" / "traces" / trace_id) in trace.problems[0]
        assert trace.info.state == "OK"


def test_reading_never_writes(fixture_db: Path) -> None:
    before = digest(fixture_db)
    with Store.open(fixture_db) as store:
        for row in store.reader.trace_page(None, limit=1000).rows:
            store.reader.get_trace(row.trace_id)
        with pytest.raises(OperationalError, match="readonly"), store.engine.begin() as connection:
            connection.execute(text("DELETE FROM trace_tags"))
    assert digest(fixture_db) == before
    assert not list(fixture_db.parent.glob("*-journal"))
    assert not list(fixture_db.parent.glob("*-wal"))


def test_sqlite_url_and_plain_path_open_the_same_store(db318: Path) -> None:
    for uri in (str(db318), f"sqlite:///{db318}", f"file:{db318}"):
        with Store.open(uri) as store:
            assert store.location.path == db318.resolve()
            assert store.layout.release == "3.18"
