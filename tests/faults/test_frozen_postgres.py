"""A frozen PostgreSQL server: reads end with `UnreachableStoreError` in bounded time, and work
again once the server does.

The fault is staged for real on a throwaway cluster of this module's own (holding the rows of
the 3.18 fixture): its postmaster and every backend are SIGSTOPped, as a paused host or a
server swapped out would be; their kernel still acknowledges TCP, so only the client can tell.
PostgreSQL puts each backend in a process group of its own, so they are stopped one by one
(children of the postmaster), the postmaster first so that it forks none meanwhile.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.main_window import MainWindow
from core.errors import UnreachableStoreError
from core.store import server_watch
from core.store.connection import CONNECT_TIMEOUT_S, database_errors
from core.store.store import Store
from tests.app.helpers import open_and_wait
from tests.postgres import SUPERUSER, PostgresCluster, running_cluster

pytestmark = pytest.mark.postgres

#: A read must end within this long (the watch needs about 9 s, a reconnect 10 s more).
BOUND_S = 60.0
#: What the watch alone takes to free a waiting query, with room to spare.
WATCH_S = server_watch.PATIENCE_S + server_watch.TICK_S + server_watch.PROBE_TIMEOUT_S


@pytest.fixture(scope="module")
def server(
    pg_cluster: PostgresCluster, pg_fixture318: str
) -> Iterator[tuple[PostgresCluster, str]]:
    """A cluster of this module's own with the 3.18 fixture's rows, and its URL.

    The session cluster (`pg_cluster`) lends the rows (pg_dump) and says whether PostgreSQL is
    here at all; it is never frozen."""
    source = make_url(pg_fixture318)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    client = ["-h", "127.0.0.1", "-U", SUPERUSER]
    with running_cluster() as cluster:
        dump = subprocess.run(
            [str(cluster.bindir / "pg_dump"), *client, "-p", str(source.port), "--no-owner",
             "-d", str(source.database)],
            capture_output=True, text=True, check=True, env=env, timeout=120,
        )  # fmt: skip
        cluster.create_database("frozen")
        subprocess.run(
            [str(cluster.bindir / "psql"), *client, "-p", str(cluster.port), "-d", "frozen",
             "-q", "-v", "ON_ERROR_STOP=1"],
            input=dump.stdout, capture_output=True, text=True, check=True, env=env, timeout=120,
        )  # fmt: skip
        yield cluster, cluster.url("frozen")


def server_processes(cluster: PostgresCluster) -> list[int]:
    """The postmaster's pid, then those of its children (backends and helpers)."""
    postmaster = int((cluster.datadir / "postmaster.pid").read_text().split()[0])
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # Fields after the command name (which may hold spaces): state, ppid, ...
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == postmaster:
                    children.append(int(entry.name))
    return [postmaster, *children]


@contextlib.contextmanager
def frozen(cluster: PostgresCluster) -> Iterator[None]:
    """The whole server stopped (SIGSTOP) inside the block, running again (SIGCONT) after."""
    stopped: list[int] = []
    try:
        for pid in server_processes(cluster):
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        yield
    finally:
        for pid in reversed(stopped):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def test_a_read_on_a_frozen_server_ends_and_works_again_after(
    server: tuple[PostgresCluster, str],
) -> None:
    cluster, url = server
    with Store.open(url) as store:
        assert store.reader.count_traces(None) == 12
        with frozen(cluster):
            started = time.monotonic()
            with pytest.raises(UnreachableStoreError) as raised:
                store.reader.count_traces(None)
            waited = time.monotonic() - started
        assert waited < BOUND_S
        assert "127.0.0.1" in str(raised.value)
        assert store.reader.count_traces(None) == 12  # the pool dropped the dead connections


def test_a_query_already_waiting_is_freed_with_the_reason(
    server: tuple[PostgresCluster, str],
) -> None:
    cluster, url = server
    with Store.open(url) as store, store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM trace_info")).scalar() == 12
        with frozen(cluster):
            started = time.monotonic()
            with (
                pytest.raises(UnreachableStoreError, match="stopped answering"),
                database_errors(store.display_name),
            ):
                connection.execute(text("SELECT count(*) FROM spans")).scalar()
            waited = time.monotonic() - started
        assert server_watch.PATIENCE_S <= waited < WATCH_S + 5
    with Store.open(url) as store:
        assert store.reader.count_traces(None) == 12


def test_opening_a_frozen_server_ends_at_the_connect_timeout(
    server: tuple[PostgresCluster, str],
) -> None:
    cluster, url = server
    with frozen(cluster):
        started = time.monotonic()
        with pytest.raises(UnreachableStoreError, match="Cannot reach the database server"):
            Store.open(url)
        assert time.monotonic() - started < CONNECT_TIMEOUT_S + WATCH_S


def test_a_slow_query_on_a_live_server_is_left_alone(
    server: tuple[PostgresCluster, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server answers the watch's probe: a query longer than the patience is not cut."""
    monkeypatch.setattr(server_watch, "PATIENCE_S", 1.0)
    _cluster, url = server
    with Store.open(url) as store, store.engine.connect() as connection:
        assert connection.execute(text("SELECT pg_sleep(4), 1")).one()[1] == 1


def test_the_window_stays_responsive_and_recovers(
    server: tuple[PostgresCluster, str], window: MainWindow, qtbot: QtBot
) -> None:
    cluster, url = server
    open_and_wait(qtbot, window, url)
    ticks: list[float] = []
    timer = QTimer(window)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(100)
    with frozen(cluster), qtbot.waitSignal(window.error_reported, timeout=BOUND_S * 1000) as shown:
        window.refresh()  # F5: the experiments and the trace list are read again
    timer.stop()
    assert "127.0.0.1" in str(shown.args[0])
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert len(ticks) > 20 and max(gaps) < 5  # the GUI thread never waited on the server
    with qtbot.waitSignal(window.trace_model.page_loaded, timeout=30_000):
        window.refresh()
    assert window.trace_model.rowCount() > 0
