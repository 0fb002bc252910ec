"""The files SQLite keeps beside a database, and reading it without leaving any behind.

A rollback journal (`mlflow.db-journal`) that a writer left when it was stopped mid-transaction
(Ctrl+C, an out-of-memory kill, a restart) is "hot": the database file may hold half of that
write, and SQLite lets nobody read it until the journal is played back. Any connection that may
write does that on its first read (MLflow does); one opened `mode=ro` refuses instead
(SQLITE_READONLY_ROLLBACK, "attempt to write a readonly database"). `connect_reader` therefore
lets a brief read-write connection play it back, as MLflow would, when this user may write the
file and the journal: the journal is deleted, or, in a folder the user may not write, its header
is zeroed (exclusive locking mode) so that it is no longer hot. Otherwise `InterruptedWriteError`
says what happened and what to do; reading the file as it is (`immutable=1`) would show the half
write, which SQLite reports as corrupt.

A WAL-mode database is read through `-wal` and `-shm` files. A `mode=ro` connection creates them
when they are missing and never removes them (only a connection that may write checkpoints and
deletes them when it is the last to close), and next to a file the user may not write they get
that file's read-only mode, which later breaks its owner's writes; in a folder the user may not
write SQLite cannot create them and cannot read at all. So (`plan_reading`):

* with no `-wal` (or an empty one: every write is in the file) and a file or folder this user
  may not write, the file is read as a snapshot, `immutable=1`: no lock, no file created. The
  price: writes that other programs make later are not seen until it is opened again (and one
  made while a page is read could look like damage), which the store says in a notice;
* otherwise it is read the usual way, and when the reading created `-wal`/`-shm`, `tidy_up`
  (run when the engine is disposed) closes a brief read-write connection, which lets SQLite
  remove them when no other program has the database open, as it does for its own writers;
* a `-wal` holding writes with no `-shm` beside it, in a folder the user may not write, cannot
  be read (SQLite ≥ 3.22 reads a read-only WAL database only when both files exist or can be
  created): `StorePermissionError` says what to do.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from core.errors import InterruptedWriteError, StoreError, StorePermissionError

log = logging.getLogger(__name__)

#: Byte 19 of the SQLite header, the file format's read version: 2 for a WAL-mode database.
WAL_READ_VERSION = 2
#: How long the read-write connection that removes `-wal`/`-shm` waits for a lock (seconds).
TIDY_TIMEOUT_S = 1.0


def sidecar(path: Path, suffix: str) -> Path:
    """`path` with `-journal`, `-wal` or `-shm` appended to its name."""
    return path.with_name(f"{path.name}{suffix}")


def may_write(path: Path) -> bool:
    """True when this user may write `path` (a file, or a folder: create and delete in it)."""
    wanted = os.W_OK | os.X_OK if os.path.isdir(path) else os.W_OK
    return os.access(path, wanted)


@dataclass(frozen=True)
class SqliteReading:
    """How the read-only engine of a file opens it.

    `snapshot`: read `immutable=1` (see the module docstring). `sidecars`: the WAL files that
    existed before the reading began, which `tidy_up` leaves alone.
    """

    path: Path
    wal_mode: bool
    snapshot: bool
    sidecars: frozenset[str]

    @property
    def uri(self) -> str:
        extra = "&immutable=1" if self.snapshot else ""
        return f"file:{quote(str(self.path))}?mode=ro{extra}"


def plan_reading(path: Path) -> SqliteReading:
    """How to read the SQLite file `path` leaving nothing behind."""
    with path.open("rb") as handle:
        header = handle.read(20)
    if len(header) < 20 or header[19] != WAL_READ_VERSION:
        return SqliteReading(path, wal_mode=False, snapshot=False, sidecars=frozenset())
    present = frozenset(s for s in ("-wal", "-shm") if sidecar(path, s).exists())
    wal = sidecar(path, "-wal")
    wal_has_writes = "-wal" in present and _size(wal) > 0
    folder_writable = may_write(path.parent)
    if not wal_has_writes and not (folder_writable and may_write(path)):
        return SqliteReading(path, wal_mode=True, snapshot=True, sidecars=present)
    if wal_has_writes and "-shm" not in present and not folder_writable:
        raise StorePermissionError(
            f"{path} is a WAL-mode database whose latest writes are still in {wal.name}, and "
            f"SQLite can read them only with a {path.name}-shm file, which it may not create in "
            f"{path.parent}. Open it once where you may write that folder (any SQLite or MLflow "
            f"program then folds {wal.name} into the file when it closes), or copy {path.name} "
            f"and {wal.name} together into a folder of yours and open the copy."
        )
    return SqliteReading(path, wal_mode=True, snapshot=False, sidecars=present)


def snapshot_notice(reading: SqliteReading) -> str | None:
    """What the user should know about a file read as a snapshot, or None."""
    if not reading.snapshot:
        return None
    return (
        f"{reading.path.name} is a WAL-mode database in a place where you may not write, so it "
        "is read as it is now: writes other programs make later show after opening it again."
    )


def connect_reader(reading: SqliteReading, timeout_s: float) -> sqlite3.Connection:
    """A read-only connection to `reading.path`; an interrupted write is rolled back first.

    The first read (of the schema version) is made here, so a hot journal is met, and dealt
    with, before the connection is handed out.
    """
    try:
        return _first_read(reading, timeout_s)
    except sqlite3.Error as error:
        if error.sqlite_errorcode != sqlite3.SQLITE_READONLY_ROLLBACK:
            raise
    roll_back_interrupted_write(reading.path, timeout_s)
    return _first_read(reading, timeout_s)


def _first_read(reading: SqliteReading, timeout_s: float) -> sqlite3.Connection:
    connection = sqlite3.connect(reading.uri, uri=True, timeout=timeout_s, check_same_thread=False)
    try:
        connection.execute("PRAGMA schema_version").fetchone()
    except BaseException:
        connection.close()
        raise
    return connection


def roll_back_interrupted_write(path: Path, timeout_s: float) -> None:
    """Play back the hot journal beside `path`, as any SQLite writer would on its first read.

    Raises `InterruptedWriteError` when this user may not write the file or the journal.
    """
    journal = sidecar(path, "-journal")
    if not (may_write(path) and os.access(journal, os.R_OK | os.W_OK)):
        raise InterruptedWriteError(interrupted_write_message(path))
    connection = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, timeout=timeout_s)
    try:
        if not may_write(path.parent):
            # SQLite deletes a played-back journal; in exclusive locking mode it zeroes the
            # journal's header instead, which needs no right to delete files in the folder.
            connection.execute("PRAGMA locking_mode = EXCLUSIVE")
        connection.execute("PRAGMA schema_version").fetchone()  # plays the journal back
    except sqlite3.Error as error:
        raise InterruptedWriteError(
            f"{path}: undoing a write that was interrupted (left in {journal.name}) failed "
            f"(SQLite: {error}). Open it once with MLflow or the sqlite3 program, which undo it "
            f"too, or copy both {path.name} and {journal.name} together into a folder of yours "
            "and open the copy."
        ) from error
    finally:
        connection.close()
    log.warning("Undid an interrupted write to %s (played back %s)", path, journal.name)


def interrupted_write_message(path: Path) -> str:
    """Why `path` cannot be read while its hot journal is there, and what to do."""
    journal = sidecar(path, "-journal")
    cause = (
        f"{path}: a program was stopped in the middle of writing to it (Ctrl+C, a crash or a "
        f"killed process) and left its unfinished write in {journal.name} beside it. SQLite "
        "must undo that write before anyone can read the file"
    )
    if may_write(path) and os.access(journal, os.R_OK | os.W_OK):
        return f"{cause}; TraceDesk does that when it reads the file again."
    missing = [str(p) for p in (path, journal) if p.exists() and not may_write(p)]
    needs = f"write permission on {' and '.join(missing)}" if missing else "write permission"
    return (
        f"{cause}, which needs {needs}, and you do not have it here. Open it once where you "
        "may write it (any MLflow or SQLite program undoes the write), or copy both "
        f"{path.name} and {journal.name} together into a folder of yours and open the copy. "
        f"Do not delete {journal.name}: the file would stay half-written."
    )


def tidy_up(reading: SqliteReading) -> None:
    """After the reading connections closed: remove the `-wal`/`-shm` files the reading created.

    A brief read-write connection does it: SQLite checkpoints and deletes them when its last
    connection that may write closes, and leaves them while any other program still has the
    database open. Never raises: a file left behind is no reason to fail closing.
    """
    if not reading.wal_mode or reading.snapshot or reading.sidecars == {"-wal", "-shm"}:
        return
    created = [s for s in ("-wal", "-shm") if s not in reading.sidecars]
    if not any(sidecar(reading.path, s).exists() for s in created):
        return
    if not (may_write(reading.path) and may_write(reading.path.parent)):
        return
    uri = f"file:{quote(str(reading.path))}?mode=rw"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=TIDY_TIMEOUT_S)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as error:
        log.info("Could not remove the WAL files of %s: %s", reading.path, error)


def describe_error(error: sqlite3.Error, path: Path) -> StoreError | None:
    """An SQLite error on `path` whose cause is an interrupted write or a permission, in words;
    None for any other."""
    code = getattr(error, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_READONLY_ROLLBACK:
        return InterruptedWriteError(interrupted_write_message(path))
    if code == sqlite3.SQLITE_READONLY_DIRECTORY:
        return folder_permission_error(path)
    if code == sqlite3.SQLITE_READONLY and os.path.exists(path) and not may_write(path):
        return permission_error(path, "write")
    if code == sqlite3.SQLITE_CANTOPEN and _unreadable(path):
        return permission_error(path, "read")
    return None


def _unreadable(path: Path) -> bool:
    """True when `path` exists but this user may not read it (or reach it)."""
    try:
        path.stat()
    except PermissionError:  # a folder on the way may not be entered
        return True
    except OSError:
        return False
    return not os.access(path, os.R_OK)


def permission_error(path: Path, action: Literal["read", "write"]) -> StorePermissionError:
    """The error for a permission denied reading (or writing) `path`: which permission this
    user lacks, on the file or on a folder above it, and whom to ask."""
    for folder in reversed(path.parents):
        if not os.access(folder, os.X_OK) and os.path.isdir(folder):
            return StorePermissionError(
                f"Cannot {action} {path}: you may not enter the folder {folder} "
                f"({_owner_and_mode(folder)}). Ask its owner for access, or open a copy."
            )
    if os.access(path, os.R_OK if action == "read" else os.W_OK):
        return StorePermissionError(f"Cannot {action} {path}: permission denied.")
    return StorePermissionError(
        f"Cannot {action} {path}: you have no {action} permission on it "
        f"({_owner_and_mode(path)}). Ask its owner for {action} access, or open a copy."
    )


def folder_permission_error(path: Path) -> StorePermissionError:
    """The error for a write to `path` that needs a journal its folder may not hold."""
    return StorePermissionError(
        f"Cannot write {path}: SQLite keeps a journal beside the file while it writes, and you "
        f"may not create files in {path.parent} ({_owner_and_mode(path.parent)})."
    )


def _owner_and_mode(path: Path) -> str:
    """'owned by alice, -rw-------': enough to know whom to ask and for what."""
    try:
        info = path.stat()
    except OSError:
        return "its details cannot be read"
    try:
        owner = path.owner()
    except (KeyError, NotImplementedError, OSError):
        owner = f"user id {info.st_uid}"
    return f"owned by {owner}, {stat.filemode(info.st_mode)}"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
