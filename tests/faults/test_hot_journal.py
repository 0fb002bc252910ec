"""A writer killed mid-transaction leaves a hot journal: TraceDesk opens the file as MLflow does.

The fault is staged for real: a child process starts a write transaction on a copy of the 3.18
fixture with a one-page cache, so SQLite spills half the write into the database file, and is
SIGKILLed inside it, leaving `mlflow.db-journal`. The file is then unreadable as it is; SQLite
plays the journal back on the first read of any connection that may write.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

import core
from app.main_window import MainWindow
from core.errors import InterruptedWriteError
from core.store.store import Store
from tests.app.helpers import open_and_wait
from tests.conftest import copy_fixture
from tests.faults import unprivileged

#: Deletes and rewrites enough pages to spill a one-page cache, then dies inside the transaction.
KILLED_WRITER = """
import os, signal, sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("PRAGMA journal_mode = DELETE")
connection.execute("PRAGMA cache_size = 1")
connection.execute("BEGIN IMMEDIATE")
connection.execute("DELETE FROM spans")
connection.execute("DELETE FROM trace_tags")
connection.execute("UPDATE trace_info SET request_preview = NULL, response_preview = NULL")
os.kill(os.getpid(), signal.SIGKILL)
"""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def traces_of(db: Path) -> list[tuple[str, int]]:
    """(trace id, span count) of every trace, read by core's client as MLflow code would."""
    client = core.Client(f"sqlite:///{db}")
    try:
        traces = client.search_traces(locations=["0", "1", "2"], return_type="list")
        return sorted((t.info.trace_id, len(t.data.spans)) for t in traces)
    finally:
        client.close()


def kill_a_writer(db: Path) -> Path:
    """Stage the fault on `db`; the hot journal it left."""
    before = digest(db)
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(db)], check=False)
    assert done.returncode == -9  # SIGKILLed inside the transaction
    journal = db.with_name(f"{db.name}-journal")
    assert journal.is_file() and journal.stat().st_size > 0
    assert digest(db) != before  # half of the write is in the file
    return journal


@pytest.fixture
def interrupted(tmp_path: Path) -> tuple[Path, list[tuple[str, int]]]:
    """A 3.18 fixture copy with a hot journal, and its traces before the write began."""
    db = copy_fixture("mlflow-3.18-tutorial", tmp_path / "store")
    expected = traces_of(db)
    assert len(expected) == 12 and all(spans for _id, spans in expected)
    kill_a_writer(db)
    return db, expected


def test_the_file_cannot_be_read_as_it_is(
    interrupted: tuple[Path, list[tuple[str, int]]],
) -> None:
    """What TraceDesk used to do, and what the fault really is: a read-only connection is
    refused, and ignoring the journal shows a damaged file."""
    db, _expected = interrupted
    plain = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as refused:
        plain.execute("SELECT count(*) FROM spans").fetchone()
    plain.close()
    assert refused.value.sqlite_errorcode == sqlite3.SQLITE_READONLY_ROLLBACK
    ignoring = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    assert ignoring.execute("PRAGMA quick_check").fetchone() != ("ok",)
    ignoring.close()


def test_core_reads_the_traces_as_before_the_write(
    interrupted: tuple[Path, list[tuple[str, int]]],
) -> None:
    db, expected = interrupted
    assert traces_of(db) == expected
    assert not db.with_name(f"{db.name}-journal").exists()  # played back and deleted


def test_a_read_only_store_rolls_the_write_back_too(
    interrupted: tuple[Path, list[tuple[str, int]]],
) -> None:
    db, expected = interrupted
    with Store.open(db) as store:
        assert store.read_only
        assert store.reader.count_traces(None) == len(expected)
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_tracedesk_cli_lists_the_traces(
    interrupted: tuple[Path, list[tuple[str, int]]],
) -> None:
    db, expected = interrupted
    cli = Path(sys.executable).with_name("tracedesk-cli")
    done = subprocess.run(
        [str(cli), "traces", str(db), "--json", "--limit", "100"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listed = sorted(json.loads(line)["trace_id"] for line in done.stdout.splitlines())
    assert listed == [trace_id for trace_id, _spans in expected]


def test_the_window_opens_it(
    interrupted: tuple[Path, list[tuple[str, int]]], window: MainWindow, qtbot: QtBot
) -> None:
    db, _expected = interrupted
    store = open_and_wait(qtbot, window, db)
    assert store.reader.count_traces(None) == 12
    assert window.trace_model.rowCount() > 0
    assert not db.with_name(f"{db.name}-journal").exists()


def test_a_write_interrupted_while_the_store_is_open(
    interrupted: tuple[Path, list[tuple[str, int]]],
) -> None:
    """Live mode: the writer dies while TraceDesk reads. That read says so; the next one
    undoes the write and reads on."""
    db, expected = interrupted
    with Store.open(db) as store:
        assert store.reader.count_traces(None) == len(expected)
        kill_a_writer(db)
        with pytest.raises(InterruptedWriteError, match="stopped in the middle of writing"):
            store.reader.count_traces(None)
        assert store.reader.count_traces(None) == len(expected)


@pytest.mark.skipif(unprivileged.skip_reason() is not None, reason=str(unprivileged.skip_reason()))
def test_in_a_folder_the_user_may_not_write(
    interrupted: tuple[Path, list[tuple[str, int]]],
) -> None:
    """The file and journal are writable: SQLite plays the journal back and zeroes its header
    instead of deleting it (exclusive locking mode)."""
    db, expected = interrupted
    db.parent.chmod(0o555)
    try:
        found = unprivileged.run_python(unprivileged.OPEN_AND_LIST, str(db))
    finally:
        db.parent.chmod(0o755)
    assert found == {"traces": [trace_id for trace_id, _spans in expected]}
    journal = db.with_name(f"{db.name}-journal")
    assert journal.read_bytes()[:28] == bytes(28)  # no longer hot


@pytest.mark.skipif(unprivileged.skip_reason() is not None, reason=str(unprivileged.skip_reason()))
def test_where_the_user_may_not_write_the_message_names_the_cause(
    interrupted: tuple[Path, list[tuple[str, int]]],
) -> None:
    db, _expected = interrupted
    journal = db.with_name(f"{db.name}-journal")
    before = digest(db), digest(journal)
    for path in (db, journal):
        path.chmod(0o444)
    db.parent.chmod(0o555)
    try:
        found = unprivileged.run_python(unprivileged.OPEN_AND_LIST, str(db))
    finally:
        db.parent.chmod(0o755)
    assert found["error"] == "InterruptedWriteError"
    message = found["message"]
    assert "stopped in the middle of writing" in message and "mlflow.db-journal" in message
    assert "copy both mlflow.db and mlflow.db-journal together" in message
    assert "Do not delete mlflow.db-journal" in message
    assert "read-only here" not in message and "readonly database" not in message
    assert (digest(db), digest(journal)) == before  # nothing touched
