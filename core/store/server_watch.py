"""Noticing a database server that stopped answering, and freeing whoever waits on it.

A query sent to a frozen server (its processes stopped, a host paused or swapping) waits
forever: the server's kernel still acknowledges what the client sends, so TCP keepalives and
`tcp_user_timeout` notice nothing, and the server's own `statement_timeout` never fires. A
fixed client-side limit would also end legitimately slow queries. So `ServerWatch` looks at the
connections of one engine every `TICK_S`: when one has waited on its server for `PATIENCE_S`
(libpq says a command is in progress), it asks the server whether it is alive at all: a new
connection to the same address and an `SSLRequest`, which a PostgreSQL server answers with one
byte before any login (no password needed, nothing logged). No answer within
`PROBE_TIMEOUT_S` (a network partition fails the same way) and the waiting connections are cut:
their sockets are shut down, the driver reports a lost connection, SQLAlchemy drops it from the
pool, and the caller gets an `UnreachableStoreError` that says the server stopped answering. An
answer means the query is only slow: it is looked at again after another `PATIENCE_S`.

A frozen read therefore ends after about `PATIENCE_S + TICK_S + PROBE_TIMEOUT_S`, and the pool's
pre-ping, itself a waited-on query, is freed the same way before a new connection is tried
(bounded by the connect timeout). A connection pooler in front of the server (pgbouncer) answers
the probe itself, so behind one only the pooler's own timeouts apply.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.pool import ConnectionPoolEntry

from core.errors import UnreachableStoreError

#: Seconds a connection waits on its server before the server is asked whether it is alive.
PATIENCE_S = 5.0
#: Seconds the server has to answer that question.
PROBE_TIMEOUT_S = 3.0
#: Seconds between two looks at the engine's connections.
TICK_S = 1.0
#: libpq's PQTRANS_ACTIVE: a command was sent and its results are not all in.
_PQTRANS_ACTIVE = 1
#: PostgreSQL's SSLRequest message: a length and a code, answered 'S' or 'N' before any login.
_SSL_REQUEST = struct.pack("!ii", 8, 80877103)
#: Key of a connection record's `info`: seconds its connection waited before it was cut.
_CUT_AFTER = "tracedesk.cut_after_s"


@dataclass(eq=False)
class _Watched:
    connection: Any  # a psycopg (or psycopg2) connection
    record: ConnectionPoolEntry
    peer: tuple[int, Any]  # (address family, address) of the server
    waiting_since: float | None = None


class ServerWatch:
    """Cuts the connections of one engine whose server stopped answering (module docstring)."""

    def __init__(self, where: str) -> None:
        self._where = where
        self._changed = threading.Condition()
        self._watched: dict[int, _Watched] = {}
        self._thread: threading.Thread | None = None

    def attach(self, engine: Engine) -> None:
        """Watch every connection `engine` opens from now on."""
        event.listen(engine, "connect", self._connected)
        event.listen(engine, "close", lambda connection, _record: self._forget(connection))
        event.listen(engine, "close_detached", self._forget)
        event.listen(engine, "handle_error", self._explain)

    # -- the pool's events ----------------------------------------------------------------

    def _connected(self, connection: Any, record: ConnectionPoolEntry) -> None:
        peer = _peer(connection)
        if peer is None:
            return  # no socket to watch
        with self._changed:
            self._watched[id(connection)] = _Watched(connection, record, peer)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="TraceDesk server watch", daemon=True
                )
                self._thread.start()

    def _forget(self, connection: Any) -> None:
        with self._changed:
            if self._watched.pop(id(connection), None) is not None and not self._watched:
                self._changed.notify_all()  # the thread ends at once

    def _explain(self, context: ExceptionContext) -> UnreachableStoreError | None:
        """A statement whose connection was cut fails with the reason, not the driver's."""
        connection = context.connection
        if connection is None or connection.invalidated:
            return None
        waited = connection.info.get(_CUT_AFTER)
        if waited is None:
            return None
        return UnreachableStoreError(
            f"The database server of {self._where} stopped answering: a query waited "
            f"{waited:.0f} s and the server accepted no new connection either (it may be "
            "stopped or overloaded, or the network is cut). The next read tries again."
        )

    # -- the watching thread ---------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._changed:
                if self._watched:
                    self._changed.wait(TICK_S)
                if not self._watched:
                    self._thread = None
                    return
                watched = list(self._watched.values())
            self._look(watched, time.monotonic())

    def _look(self, watched: list[_Watched], now: float) -> None:
        stuck: dict[tuple[int, Any], list[tuple[_Watched, float]]] = {}
        for item in watched:
            since = item.waiting_since
            if not _waiting(item.connection):
                item.waiting_since = None
            elif since is None:
                item.waiting_since = now
            elif now - since >= PATIENCE_S:
                stuck.setdefault(item.peer, []).append((item, since))
        for peer, items in stuck.items():
            alive = _answers(peer)
            for item, since in items:
                if alive:
                    item.waiting_since = now  # slow, not frozen: look again later
                elif item.record.dbapi_connection is item.connection:  # not replaced meanwhile
                    item.record.info[_CUT_AFTER] = now - since
                    _cut(item.connection)


def _waiting(connection: Any) -> bool:
    """True while `connection` waits for its server's answer to a command."""
    try:
        return int(connection.info.transaction_status) == _PQTRANS_ACTIVE
    except Exception:  # a closed or broken connection waits for nothing
        return False


def _peer(connection: Any) -> tuple[int, Any] | None:
    """(family, address) of the server at the other end of `connection`'s socket."""
    try:
        with socket.socket(fileno=os.dup(connection.fileno())) as sock:
            return sock.family, sock.getpeername()
    except Exception:
        return None


def _answers(peer: tuple[int, Any]) -> bool:
    """True when the server at `peer` answers a new connection's SSLRequest in time."""
    family, address = peer
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(PROBE_TIMEOUT_S)
            probe.connect(address)
            probe.sendall(_SSL_REQUEST)
            probe.recv(1)  # 'S' or 'N'; even a close is an answer
    except OSError:
        return False
    return True


def _cut(connection: Any) -> None:
    """Shut down `connection`'s socket: the driver's wait ends with a lost connection."""
    try:
        with socket.socket(fileno=os.dup(connection.fileno())) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except Exception:  # already closed: nothing waits on it
        return
