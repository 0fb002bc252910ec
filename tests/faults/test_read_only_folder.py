"""WAL-mode databases read without leaving files behind, also where the user may not write.

A read-only SQLite connection to a WAL-mode file creates `-wal` and `-shm` and never removes
them; next to a file the user may not write they are left read-only, and in a folder the user
may not write SQLite cannot read at all. The permission cases run in a child process that
permissions bind (tests/faults/unprivileged.py).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.store.store import Store
from tests.conftest import copy_fixture
from tests.faults import unprivileged

needs_permissions = pytest.mark.skipif(
    unprivileged.skip_reason() is not None, reason=str(unprivileged.skip_reason())
)

#: Deletes one trace and dies without closing: its write stays in `-wal`, with `-shm` beside.
UNFINISHED_WAL_WRITER = """
import os, sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
connection.execute("PRAGMA wal_autocheckpoint = 0")
connection.execute("DELETE FROM trace_info WHERE request_id = ?", (sys.argv[2],))
connection.commit()
os._exit(0)
"""

#: The file's owner writes to it (WAL mode: through `-wal` and `-shm`).
OWNER_WRITES = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
connection.execute("UPDATE experiments SET name = name")
connection.commit()
connection.close()
"""


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Name -> (size, mode) of every file in `folder`."""
    return {p.name: (p.stat().st_size, p.stat().st_mode) for p in folder.iterdir()}


def trace_ids(db: Path) -> list[str]:
    with Store.open(db) as store:
        return sorted(row.trace_id for row in store.reader.trace_page(None, limit=1000).rows)


@pytest.fixture
def wal_db(tmp_path: Path) -> Path:
    """A copy of the 3.18 fixture switched to WAL mode (by a writer that then closed)."""
    db = copy_fixture("mlflow-3.18-tutorial", tmp_path)
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
    connection.close()
    assert not db.with_name("mlflow.db-wal").exists()
    return db


def test_reading_leaves_the_folder_as_it_was(wal_db: Path) -> None:
    before = listing(wal_db.parent)
    with Store.open(wal_db) as store:
        assert store.reader.count_traces(None) == 12
        assert wal_db.with_name("mlflow.db-shm").exists()  # SQLite reads WAL through it
        detector = store.change_detector()  # live mode's own connection
        assert not detector.changed()
        detector.close()
        assert store.notices == []
    assert listing(wal_db.parent) == before


def test_a_writer_still_open_keeps_its_files(wal_db: Path) -> None:
    """The WAL files are removed only when nobody else has the database open."""
    writer = sqlite3.connect(wal_db)
    writer.execute("UPDATE experiments SET name = name")
    writer.commit()
    try:
        with Store.open(wal_db) as store:
            assert store.reader.count_traces(None) == 12
        assert wal_db.with_name("mlflow.db-wal").exists()
        assert writer.execute("SELECT count(*) FROM trace_info").fetchone() == (12,)
    finally:
        writer.close()
    assert not wal_db.with_name("mlflow.db-wal").exists()  # the writer, last, removed them


@needs_permissions
def test_a_read_only_file_leaves_nothing_that_breaks_its_owner(wal_db: Path) -> None:
    expected = trace_ids(wal_db)
    wal_db.chmod(0o444)
    before = listing(wal_db.parent)
    found = unprivileged.run_python(unprivileged.OPEN_AND_LIST, str(wal_db))
    assert found == {"traces": expected}
    assert listing(wal_db.parent) == before
    wal_db.chmod(0o644)  # the owner writes again
    done = subprocess.run(
        [*unprivileged.bound_python(), "-c", OWNER_WRITES, str(wal_db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@needs_permissions
def test_a_folder_the_user_may_not_write(wal_db: Path) -> None:
    expected = trace_ids(wal_db)
    before = listing(wal_db.parent)
    wal_db.parent.chmod(0o555)
    try:
        found = unprivileged.run_python(unprivileged.OPEN_AND_LIST, str(wal_db))
        notices = unprivileged.run_python(NOTICES, str(wal_db))
    finally:
        wal_db.parent.chmod(0o755)
    assert found == {"traces": expected}
    assert "read as it is now" in notices[0]
    assert listing(wal_db.parent) == before


@needs_permissions
def test_unfinished_writes_in_the_wal_are_read_in_a_read_only_folder(wal_db: Path) -> None:
    expected = trace_ids(wal_db)
    gone = expected[0]
    subprocess.run([sys.executable, "-c", UNFINISHED_WAL_WRITER, str(wal_db), gone], check=True)
    assert wal_db.with_name("mlflow.db-wal").stat().st_size > 0
    assert wal_db.with_name("mlflow.db-shm").exists()
    before = listing(wal_db.parent)
    wal_db.parent.chmod(0o555)
    try:
        found = unprivileged.run_python(unprivileged.OPEN_AND_LIST, str(wal_db))
    finally:
        wal_db.parent.chmod(0o755)
    assert found == {"traces": expected[1:]}
    assert listing(wal_db.parent) == before


@needs_permissions
def test_a_wal_without_its_shm_in_a_read_only_folder_says_what_to_do(wal_db: Path) -> None:
    gone = trace_ids(wal_db)[0]
    subprocess.run([sys.executable, "-c", UNFINISHED_WAL_WRITER, str(wal_db), gone], check=True)
    wal_db.with_name("mlflow.db-shm").unlink()
    wal_db.parent.chmod(0o555)
    try:
        found = unprivileged.run_python(unprivileged.OPEN_AND_LIST, str(wal_db))
    finally:
        wal_db.parent.chmod(0o755)
    assert found["error"] == "StorePermissionError"
    assert "latest writes are still in mlflow.db-wal" in found["message"]
    assert "copy mlflow.db and mlflow.db-wal together" in found["message"]


NOTICES = """
import json, sys
from core.store.store import Store
with Store.open(sys.argv[1]) as store:
    print(json.dumps(store.notices))
"""
