"""Noticing that another program wrote to a store, cheaply enough to ask every second.

SQLite's `PRAGMA data_version` changes when another connection commits, but only as seen by
one and the same connection, so the detector keeps its own; it costs no I/O and is read on
every call. A database server is asked at most every `SERVER_MIN_INTERVAL_S` seconds, and less
often while nothing changes (the interval grows to `SERVER_MAX_INTERVAL_S`, and drops back at
the first change), with `dialect.change_marker()`: one index descent plus the server's write
counters, whatever the size of the store. Calls in between answer False without a query.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select

from core.store import schema as t
from core.store.connection import DEFAULT_BUSY_TIMEOUT_S, StoreLocation, database_errors
from core.store.dialect import change_marker
from core.store.sqlite_files import connect_reader, plan_reading

#: A server is asked no more often than this (seconds)...
SERVER_MIN_INTERVAL_S = 2.0
#: ... and, after a run of answers that nothing changed, only this often.
SERVER_MAX_INTERVAL_S = 15.0
#: How much the interval grows after each unchanged answer.
BACKOFF_FACTOR = 1.5


class ChangeDetector:
    """`changed()` is True when the store was written since the previous reading."""

    def __init__(
        self,
        location: StoreLocation,
        engine: Engine,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._location = location
        self._engine = engine
        self._clock = clock
        self._connection: sqlite3.Connection | None = None
        self._last: Any = None
        self._interval_s = SERVER_MIN_INTERVAL_S
        self._next_reading = 0.0
        #: Readings taken (queries sent), for tests and benchmarks.
        self.readings = 0
        self.changed()  # take the first reading

    @property
    def interval_s(self) -> float:
        """Seconds until a server is asked again (0 for an SQLite file: always asked)."""
        return 0.0 if self._location.is_sqlite else self._interval_s

    def _reading(self) -> Any:
        self.readings += 1
        if self._location.path is not None:
            if self._connection is None:  # read as the store's engine reads (sqlite_files)
                reading = plan_reading(self._location.path)
                self._connection = connect_reader(reading, DEFAULT_BUSY_TIMEOUT_S)
            return self._connection.execute("PRAGMA data_version").fetchone()[0]
        with self._engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                return tuple(connection.execute(change_marker()).one())
            summary = select(func.max(t.trace_info.c.timestamp_ms), func.count())
            return tuple(connection.execute(summary).one())

    def changed(self) -> bool:
        now = self._clock()
        if not self._location.is_sqlite and now < self._next_reading:
            return False  # a server is not asked again yet
        with database_errors(self._location.display):
            reading = self._reading()
        first = self._last is None
        changed = not first and reading != self._last
        self._last = reading
        if not self._location.is_sqlite:
            grown = min(self._interval_s * BACKOFF_FACTOR, SERVER_MAX_INTERVAL_S)
            self._interval_s = SERVER_MIN_INTERVAL_S if changed or first else grown
            self._next_reading = now + self._interval_s
        return changed

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
