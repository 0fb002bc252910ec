"""Opening a tracking database: URL parsing, file checks, engines, error translation.

A store is an SQLite file (opened `mode=ro` for reading) or a PostgreSQL database (opened with
`default_transaction_read_only` for reading, so the server itself refuses any write). A URL's
password is taken out of it at once: `StoreLocation` keeps it apart, never shows it, and only
the engine's connections see it; without one, libpq's own `PGPASSWORD` / `~/.pgpass` apply.

Every failure becomes one of `core.errors`' store errors with a sentence a user can act on.
Nothing here writes to a database opened for reading, except what any SQLite reader that may
write does: undoing a write that was interrupted mid-transaction, and removing the WAL files
the reading created (`core.store.sqlite_files`). A server that stops answering ends the waits
on it (`core.store.server_watch`).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import re
import sqlite3
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.pool import QueuePool

from core.errors import (
    CorruptStoreError,
    LoginRefusedError,
    NotSQLiteError,
    ReadOnlyStoreError,
    StoreError,
    StoreLockedError,
    StoreNotFoundError,
    UnreachableStoreError,
    WriteConflictError,
)
from core.store import sqlite_files
from core.store.server_watch import ServerWatch

SQLITE_MAGIC = b"SQLite format 3\x00"
DEFAULT_BUSY_TIMEOUT_S = 5.0


#: Seconds to wait for a database server to answer a connection attempt.
CONNECT_TIMEOUT_S = 10
#: TCP keepalives of server connections (libpq): an idle connection whose peer vanished (a
#: network partition, a host gone) is noticed after idle + interval * count seconds...
KEEPALIVE_IDLE_S, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT = 10, 5, 3
#: ... and one whose sent data stays unacknowledged this long is given up (libpq >= 12).
TCP_USER_TIMEOUT_S = 20
#: PostgreSQL drivers SQLAlchemy knows, preferred first, for a URL that names none.
POSTGRES_DRIVERS = (("psycopg", "psycopg"), ("psycopg2", "psycopg2"))


@dataclass(frozen=True)
class StoreLocation:
    """Where a store lives: a SQLite file, or a server URL.

    `url` never holds a password: one given in the URL is kept in `password`, which is left
    out of `repr`, comparisons and everything shown or logged.
    """

    url: URL
    path: Path | None
    password: str | None = field(default=None, repr=False, compare=False)

    @property
    def is_sqlite(self) -> bool:
        return self.path is not None

    @property
    def display(self) -> str:
        """Text safe to show, log or keep in settings: a path, or the URL with no password."""
        if self.path is not None:
            return str(self.path)
        return self.url.render_as_string(hide_password=True)

    def connect_url(self) -> URL:
        """The URL the engine connects with: the password put back, a driver chosen."""
        url = self.url.set(password=self.password) if self.password else self.url
        if url.drivername == "postgresql":  # SQLAlchemy would assume psycopg2
            url = url.set(drivername=f"postgresql+{_postgres_driver(self.display)}")
        return url


def parse_location(uri: str | Path) -> StoreLocation:
    """Accept `sqlite:///path`, a plain path, or any SQLAlchemy URL."""
    text = str(uri).strip()
    if not text:
        raise StoreError("No tracking database was given.")
    if text.startswith("file:"):
        text = text.removeprefix("file://").removeprefix("file:")
    if "://" not in text:
        path = Path(text).expanduser().resolve()
        return StoreLocation(URL.create("sqlite", database=str(path)), path)
    try:
        url = make_url(text)
    except sa_exc.ArgumentError as exc:
        raise StoreError(f"{text!r} is neither a file path nor a database URL.") from exc
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise StoreError("An in-memory SQLite database holds no MLflow data to open.")
        path = Path(url.database).expanduser().resolve()
        return StoreLocation(url.set(database=str(path)), path)
    return StoreLocation(_without_password(url), None, url.password or None)


def _without_password(url: URL) -> URL:
    """`url` with no password at all (`URL.set(password=None)` would keep it)."""
    return URL.create(
        url.drivername,
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )


def _postgres_driver(where: str) -> str:
    """The installed PostgreSQL driver (psycopg 3 first), or a message saying what to install."""
    for module, driver in POSTGRES_DRIVERS:
        if importlib.util.find_spec(module) is not None:
            return driver
    raise StoreError(
        f"Cannot open {where}: opening a PostgreSQL database needs the psycopg driver. "
        "Install it with: pip install 'tracedesk[postgres]'"
    )


def check_sqlite_file(path: Path) -> None:
    """Refuse, with a clear reason, a path that cannot be an intact SQLite database."""
    try:
        _check_header(path)
    except PermissionError as exc:
        raise sqlite_files.permission_error(path, "read") from exc


def _check_header(path: Path) -> None:
    if not path.exists():
        raise StoreNotFoundError(f"{path} does not exist.")
    if path.is_dir():
        raise StoreNotFoundError(
            f"{path} is a folder. Open the tracking database file inside it (often mlflow.db)."
        )
    size = path.stat().st_size
    if size == 0:
        raise NotSQLiteError(f"{path} is empty: it is not an MLflow tracking database.")
    with path.open("rb") as handle:
        header = handle.read(100)
    if not header.startswith(SQLITE_MAGIC):
        raise NotSQLiteError(f"{path} is not an SQLite database, so not an MLflow tracking store.")
    if len(header) < 100:
        raise CorruptStoreError(f"{path} is truncated: its SQLite header is incomplete.")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change_counter, page_count, valid_for = (
        struct.unpack(">I", header[24:28])[0],
        struct.unpack(">I", header[28:32])[0],
        struct.unpack(">I", header[92:96])[0],
    )
    # The in-header page count is reliable when "version-valid-for" matches the change counter.
    if page_count and valid_for == change_counter and size < page_count * page_size:
        raise CorruptStoreError(
            f"{path} is truncated: SQLite expects {page_count * page_size:,} bytes but the file "
            f"has {size:,}. It was probably copied while being written; copy it again."
        )


def create_store_engine(
    location: StoreLocation, *, read_only: bool, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
) -> Engine:
    """An engine for `location`; SQLite files opened with `mode=ro` when reading only.

    Reading a SQLite file first undoes an interrupted write when that is allowed, and leaves
    no WAL file behind once the engine is disposed (`core.store.sqlite_files`).
    """
    if location.path is None:
        return _create_server_engine(location, read_only=read_only)
    path = location.path
    check_sqlite_file(path)
    if read_only:
        reading = sqlite_files.plan_reading(path)

        def connect() -> sqlite3.Connection:
            return sqlite_files.connect_reader(reading, busy_timeout_s)

    else:
        uri = f"file:{quote(str(path))}?mode=rw"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, timeout=busy_timeout_s, check_same_thread=False)

    engine = create_engine(
        "sqlite://", creator=connect, poolclass=QueuePool, pool_size=2, max_overflow=8
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "handle_error", _drop_after_interrupted_write)
    if read_only:
        event.listen(engine, "engine_disposed", lambda _engine: sqlite_files.tidy_up(reading))
    else:
        # Take the write lock when the transaction starts: two writers then wait for each
        # other on the busy timeout instead of one failing when it upgrades a read lock.
        event.listen(engine, "connect", _autocommit_driver)
        event.listen(engine, "begin", _begin_immediate)
    return engine


def _drop_after_interrupted_write(context: ExceptionContext) -> None:
    """A write interrupted while the store is open: drop the pooled connections, so that the
    next read opens a new one, which undoes it (`sqlite_files.connect_reader`)."""
    error = context.original_exception
    if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_READONLY_ROLLBACK:
        context.is_disconnect = True


def _autocommit_driver(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


#: Memory-mapped reads skip a system call per page: reading a 5,000-span trace takes a third
#: less time. SQLite keeps this safe while other processes write to the file. Pages past the
#: mapped size are read the slow way, so map as much as SQLite allows (its default cap,
#: SQLITE_MAX_MMAP_SIZE): a 100,000-trace file is 1.6 GB. Only address space is reserved.
MMAP_BYTES = 0x7FFF0000


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    cursor.close()


#: PostgreSQL settings of TraceDesk's sessions. Parallel workers only for queries costly enough
#: to repay starting them (the planner's default setup cost is 1,000): TraceDesk mostly asks for
#: pages (`LIMIT 101`), and on a million traces the planner gave a tag-filtered page two workers
#: that took 5-10 ms to start for a 2 ms query. Counts and scans of the whole table keep theirs
#: (BENCHMARKS.md, PostgreSQL).
SESSION_SETTINGS = ("parallel_setup_cost=10000",)


def _create_server_engine(location: StoreLocation, *, read_only: bool) -> Engine:
    """An engine for a database server; PostgreSQL reading sessions are read-only server-side."""
    url = location.connect_url()
    connect_args: dict[str, object] = {}
    if url.get_backend_name() == "postgresql":
        options = list(SESSION_SETTINGS)
        if read_only:
            # The server refuses every write of every transaction of these sessions.
            options.append("default_transaction_read_only=on")
        connect_args = {
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": "TraceDesk",
            "options": " ".join(f"-c {option}" for option in options),
            "keepalives": 1,
            "keepalives_idle": KEEPALIVE_IDLE_S,
            "keepalives_interval": KEEPALIVE_INTERVAL_S,
            "keepalives_count": KEEPALIVE_COUNT,
        }
        if _libpq_version(url.get_driver_name()) >= 120000:
            connect_args["tcp_user_timeout"] = TCP_USER_TIMEOUT_S * 1000
    try:
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"Cannot open {location.display}: {exc}. For PostgreSQL install the driver with "
            "pip install 'tracedesk[postgres]'."
        ) from exc
    if url.get_backend_name() == "postgresql":
        ServerWatch(location.display).attach(engine)
    return engine


def _libpq_version(driver: str) -> int:
    """The version of the libpq the PostgreSQL `driver` uses (120000 for 12.0), 0 if unknown."""
    with contextlib.suppress(Exception):
        if driver == "psycopg":
            return int(importlib.import_module("psycopg").pq.version())
        if driver == "psycopg2":
            return int(importlib.import_module("psycopg2.extensions").libpq_version())
    return 0


#: (words in the driver's message, error class, what to tell the user), checked in order.
_DIAGNOSES: tuple[tuple[tuple[str, ...], type[StoreError], str], ...] = (
    (
        ("locked", "busy"),
        StoreLockedError,
        "{where} is locked by another program that is writing to it. "
        "Try again when it has finished.",
    ),
    (
        ("malformed", "disk image", "corrupt"),
        CorruptStoreError,
        "{where} is damaged (SQLite: {text}).",
    ),
    (
        ("not a database", "file is encrypted"),
        NotSQLiteError,
        "{where} is not an SQLite database ({text}).",
    ),
    (("unable to open",), StoreNotFoundError, "{where} cannot be opened ({text})."),
    (("readonly", "read-only"), StoreError, "{where} is read-only here ({text})."),
)


#: SQLSTATEs of a PostgreSQL write that lost a race and may simply be run again.
_RETRY_STATES = {"40001": "a serialization failure", "40P01": "a deadlock", "55P03": "a lock"}
_UNIQUE_VIOLATION = "23505"


def _server_error(orig: BaseException, text: str, where: str) -> StoreError | None:
    """A database server's error (PostgreSQL's, through psycopg) in words, or None."""
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in _RETRY_STATES:
        return StoreLockedError(f"{where} is busy: the write met {_RETRY_STATES[state]}.")
    if state == _UNIQUE_VIOLATION:
        return WriteConflictError(f"{where}: another writer added the same row first ({text}).")
    lowered = text.lower()
    missing_db = re.search(r'database "([^"]*)" does not exist', text)
    if missing_db:
        return StoreNotFoundError(
            f"The server of {where} has no database {missing_db.group(1)!r}. "
            "Check the database name at the end of the URL."
        )
    for words, make in _SERVER_DIAGNOSES:
        if any(word in lowered for word in words):
            return make(where, _first_line(text))
    return None


def _first_line(text: str) -> str:
    """The driver's message without its prefix and hints, on one line."""
    line = text.strip().splitlines()[0] if text.strip() else text
    return re.sub(r"^connection failed: |^connection to server at [^:]*: ", "", line).strip()


_SERVER_DIAGNOSES: tuple[tuple[tuple[str, ...], Callable[[str, str], StoreError]], ...] = (
    (
        ("no password supplied",),
        lambda where, text: LoginRefusedError(
            f"{where} needs a password. Type it when TraceDesk asks for it, or let libpq find "
            "it: set PGPASSWORD, or add the server to ~/.pgpass.",
            needs_password=True,
        ),
    ),
    (
        ("password authentication failed",),
        lambda where, text: LoginRefusedError(
            f"{where} refused the login: the password is wrong for this user ({text}).",
            needs_password=True,
        ),
    ),
    (
        ('role "', "no pg_hba.conf entry", "authentication failed"),
        lambda where, text: LoginRefusedError(f"{where} refused the login ({text})."),
    ),
    (
        (
            "connection refused", "could not translate host name", "name or service not known",
            "timeout expired", "no route to host", "network is unreachable", "timed out",
            "could not connect", "server closed the connection",
        ),
        lambda where, text: UnreachableStoreError(
            f"Cannot reach the database server of {where}: {text}. Is the server running, "
            "and are the host name and port right?"
        ),
    ),
    (
        ("read-only transaction",),
        lambda where, text: ReadOnlyStoreError(f"{where} is open read-only here ({text})."),
    ),
    (
        ("permission denied",),
        lambda where, text: StoreError(f"{where}: the database user may not do this ({text})."),
    ),
)  # fmt: skip


def describe_database_error(error: BaseException, location: str) -> StoreError:
    """Turn a DB-API/SQLAlchemy error into a store error that says what happened."""
    orig = getattr(error, "orig", None) or error
    text = str(orig)
    if isinstance(orig, sqlite3.Error):
        found = sqlite_files.describe_error(orig, Path(location))
        if found is not None:
            return found
    else:
        found = _server_error(orig, text, location)
        if found is not None:
            return found
    lowered = text.lower()
    for words, kind, message in _DIAGNOSES:
        if any(word in lowered for word in words):
            return kind(message.format(where=location, text=text))
    if isinstance(error, sa_exc.OperationalError) and not location.startswith("/"):
        return UnreachableStoreError(f"Cannot reach {location}: {text}")
    return StoreError(f"{location}: {text}")


@contextlib.contextmanager
def database_errors(location: str) -> Iterator[None]:
    """Translate database errors raised inside the block into `StoreError`s."""
    try:
        yield
    except StoreError:
        raise
    except (sa_exc.DBAPIError, sqlite3.Error) as exc:
        raise describe_database_error(exc, location) from exc


#: What Python's sqlite3 says when a TEXT value holds bytes that are not UTF-8.
_UNDECODABLE_TEXT = "Could not decode to UTF-8"


def is_undecodable_text(error: BaseException) -> bool:
    """True when `error` is SQLite text that is not UTF-8 (a byte-level bad row)."""
    orig = getattr(error, "orig", None) or error
    return isinstance(orig, sqlite3.OperationalError) and _UNDECODABLE_TEXT in str(orig)


def _replace_undecodable(data: bytes) -> str:
    return data.decode("utf-8", "replace")


@contextlib.contextmanager
def lenient_text(connection: Connection) -> Iterator[None]:
    """Within the block, read this SQLite connection's text with U+FFFD for bytes that are not
    UTF-8, instead of failing the whole query on one bad row.

    Only for a retry: a Python text factory makes every text value cost a call (about a fifth
    more time to read a 10,000-span trace), so reads start with the default one.
    """
    raw = connection.connection.driver_connection
    if not isinstance(raw, sqlite3.Connection):  # a server decodes text itself
        yield
        return
    raw.text_factory = _replace_undecodable
    try:
        yield
    finally:
        raw.text_factory = str
