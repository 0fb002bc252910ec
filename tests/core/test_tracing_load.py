"""Nothing is lost: many threads, a normal process exit, a database locked for a while."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import core
from core import tracking
from core.store.store import Store

THREADS = 8
TRACES_PER_THREAD = 2_500


def test_twenty_thousand_traces_from_eight_threads_all_arrive(tmp_path: Path) -> None:
    path = tmp_path / "load.db"
    core.set_tracking_uri(path)
    core.set_experiment("load")

    def produce(worker: int) -> None:
        for i in range(TRACES_PER_THREAD):
            with core.start_span(f"request-{worker}", span_type="CHAIN") as span:
                span.set_inputs({"worker": worker, "i": i})
                with core.start_span("step", span_type="TOOL") as step:
                    step.set_outputs(i)

    try:
        workers = [threading.Thread(target=produce, args=(w,)) for w in range(THREADS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert core.flush_trace_async_logging(timeout_s=600)
    finally:
        tracking.reset()
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM trace_info").fetchone()[0] == 20_000
        assert connection.execute("SELECT count(*) FROM spans").fetchone()[0] == 40_000
        orphans = connection.execute(
            "SELECT count(*) FROM trace_info t WHERE NOT EXISTS "
            "(SELECT 1 FROM spans s WHERE s.trace_id = t.request_id AND s.parent_span_id IS NULL)"
        ).fetchone()[0]
        assert orphans == 0


EXIT_WITHOUT_FLUSH = """
import sys, core
core.set_tracking_uri(sys.argv[1])
for i in range(500):
    with core.start_span("job") as span:
        span.set_inputs(i)
"""


def test_normal_exit_flushes_everything(tmp_path: Path) -> None:
    path = tmp_path / "exit.db"
    subprocess.run([sys.executable, "-c", EXIT_WITHOUT_FLUSH, str(path)], check=True, timeout=120)
    with Store.open(path) as store:
        assert store.reader.count_traces(None) == 500


def test_a_locked_database_is_waited_for_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    core.set_tracking_uri(path)
    try:
        with core.start_span("first"):
            pass
        assert core.flush_trace_async_logging(timeout_s=60)
        locker = sqlite3.connect(path, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        with core.start_span("while locked"):
            pass
        assert not core.flush_trace_async_logging(timeout_s=0.5)  # still waiting for the lock
        locker.execute("ROLLBACK")
        locker.close()
        assert core.flush_trace_async_logging(timeout_s=60)
    finally:
        tracking.reset()
    with Store.open(path) as store:
        names = sorted(r.name or "" for r in store.reader.trace_page(None).rows)
    assert names == ["first", "while locked"]
