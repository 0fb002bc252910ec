"""A full disk while tracing (issue 15): the traced program goes on, `flush` reports the
failures, and the log and `failures()` say why in plain words.

The disk is filled for real: a child process lowers its own file size limit (`RLIMIT_FSIZE`,
`ulimit -f`) just above the database's size, so the kernel refuses the writes that would grow
the file (EFBIG; SIGXFSZ is ignored, as a program that wants to survive it does). SQLite's
own "database or disk is full" is staged with `PRAGMA max_page_count`.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import DiskFullError, StoreError
from core.store.connection import database_errors
from core.store.writer import no_room_error

REPO = Path(__file__).resolve().parents[2]
TRACES = 60

FILL_THE_DISK = f"""
import json, logging, os, resource, signal, sys
import core
from core import context

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
path = sys.argv[1]
core.set_tracking_uri(f"sqlite:///{{path}}")
core.set_experiment("full disk")
with core.start_span("before"):
    pass
assert core.flush_trace_async_logging(60)

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(path) + 256 * 1024, hard))
trace_ids = []
for i in range({TRACES}):
    with core.start_span(f"job {{i}}") as span:
        span.set_inputs({{"i": i, "text": "x" * 20_000}})
        with core.start_span("step") as step:
            step.set_outputs("y" * 5_000)
    trace_ids.append(span.trace_id)
flushed = core.flush_trace_async_logging(120)
client = context.default_client()
reasons = {{tid: client.trace_failure(tid) for tid in trace_ids}}

resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space again
with core.start_span("after"):
    pass
flushed_after = core.flush_trace_async_logging(60)
print(json.dumps({{"flushed": flushed, "reasons": reasons, "flushed_after": flushed_after}}))
"""


def test_a_full_disk_is_reported_by_flush_and_the_program_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    child = subprocess.run(
        [sys.executable, "-c", FILL_THE_DISK, str(path)],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert child.returncode == 0, child.stderr[-3000:]  # the traced program did not crash
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    assert outcome["flushed"] is False
    failed = {tid: why for tid, why in outcome["reasons"].items() if why is not None}
    assert failed, "the file size limit let every trace through"
    for why in failed.values():
        assert "file size limit" in why and str(path) in why, why
    assert "could not be written" in child.stderr and "file size limit" in child.stderr

    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        written = {r[0] for r in connection.execute("SELECT request_id FROM trace_info")}
        names = {r[0] for r in connection.execute("SELECT trace_name FROM trace_info")}
        spans = connection.execute("SELECT count(*) FROM spans").fetchone()[0]
    # Every trace is either in the database, whole, or reported; none vanished silently.
    jobs = set(outcome["reasons"])
    assert jobs - written == set(failed)
    assert spans == 2 * len(jobs & written) + 2  # "before" and "after" have one span each
    # Once there is room again, traces are written and flush says so.
    assert {"before", "after"} <= names
    assert outcome["flushed_after"] is True


def test_sqlites_disk_full_reads_as_a_full_disk(db318: Path) -> None:
    """SQLITE_FULL, the error of a full disk, is staged with a page limit on the connection."""
    connection = sqlite3.connect(db318, isolation_level=None)
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError) as raised, database_errors(str(db318)):
        connection.execute("CREATE TABLE filler (text TEXT)")
        connection.execute("INSERT INTO filler VALUES (?)", ("x" * 1_000_000,))
    connection.close()
    error = no_room_error(raised.value, db318)
    assert isinstance(error, DiskFullError)
    assert str(error).startswith(f"The disk holding {db318} is full.")


def test_other_write_errors_are_not_called_a_full_disk(db318: Path) -> None:
    connection = sqlite3.connect(db318, isolation_level=None)
    with pytest.raises(StoreError) as raised, database_errors(str(db318)):
        connection.execute("INSERT INTO experiments (experiment_id, name) VALUES (0, 'x')")
    connection.close()
    assert no_room_error(raised.value, db318) is raised.value
