"""Noticing that another program wrote to a store, cheaply enough to ask every second.

SQLite's `PRAGMA data_version` changes when another connection commits, but only as seen by
one and the same connection, so the detector keeps its own. Other databases compare a cheap
summary of `trace_info` (the newest timestamp and the row count).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, func, select

from core.store import schema as t
from core.store.connection import StoreLocation, database_errors


class ChangeDetector:
    """`changed()` is True when the store was written since the previous call."""

    def __init__(self, location: StoreLocation, engine: Engine) -> None:
        self._location = location
        self._engine = engine
        self._connection: sqlite3.Connection | None = None
        self._last: Any = None
        self.changed()  # take the first reading

    def _reading(self) -> Any:
        if self._location.path is not None:
            if self._connection is None:
                uri = f"file:{self._location.path}?mode=ro"
                self._connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            return self._connection.execute("PRAGMA data_version").fetchone()[0]
        statement = select(func.max(t.trace_info.c.timestamp_ms), func.count())
        with self._engine.connect() as connection:
            return tuple(connection.execute(statement).one())

    def changed(self) -> bool:
        with database_errors(self._location.display):
            reading = self._reading()
        changed = self._last is not None and reading != self._last
        self._last = reading
        return changed

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
