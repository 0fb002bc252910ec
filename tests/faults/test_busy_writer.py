"""A busy traced loop (issue 15): memory stays bounded, every trace arrives, a kill loses at
most what was waiting.

The loop is the one of the report: 21 nested `@core.trace` spans with ~10 KB of inputs each,
as fast as Python goes, in a child process (its own memory, and a process that can be killed).
"""

from __future__ import annotations

import json
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import core
from core import context, tracking
from core.tracing.encode import span_document
from core.tracing.live_span import LiveSpan
from core.tracing.writer import MAX_PENDING_BYTES, MAX_PENDING_TRACES

REPO = Path(__file__).resolve().parents[2]
DEPTH = 21
PAYLOAD_CHARS = 10_000
#: No more traces than this can wait in memory: each holds at least DEPTH x PAYLOAD_CHARS.
QUEUE_BOUND = min(MAX_PENDING_TRACES, MAX_PENDING_BYTES // (DEPTH * PAYLOAD_CHARS))

LOOP = f"""
import json, os, sys
import core

path, count, wait_for_go = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "wait"
core.set_tracking_uri(f"sqlite:///{{path}}")
core.set_experiment("busy")
payload = "x" * {PAYLOAD_CHARS}


@core.trace
def step(level: int, text: str) -> str:
    if level + 1 < {DEPTH}:
        step(level + 1, text)
    return "done"


def peak_kb() -> int:  # VmHWM (Linux): ru_maxrss would start from the parent's peak
    if not os.path.exists("/proc/self/status"):
        return 0
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1])


step(0, payload)  # the database, the experiment and the writer exist before the loop
assert core.flush_trace_async_logging(60)
baseline_kb = peak_kb()
print("ready", flush=True)
if wait_for_go:
    sys.stdin.readline()
finished = 0
while count == 0 or finished < count:
    step(0, payload)
    finished += 1
    if finished % 10 == 0:
        print("finished", finished, flush=True)
growth_mb = (peak_kb() - baseline_kb) / 1024
flushed = core.flush_trace_async_logging(300)
print("result", json.dumps({{"growth_mb": growth_mb, "flushed": flushed}}))
"""


class Child:
    """The loop in a child process; its stdout lines are read by a thread as they come."""

    def __init__(self, path: Path, count: int, *, wait_for_go: bool) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", LOOP, str(path), str(count), "wait" if wait_for_go else "-"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.finished = 0
        self.result: dict[str, float] | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def next_line(self, timeout_s: float) -> str | None:
        """The next line (progress is noted on the way), None at the end of the output."""
        line = self.lines.get(timeout=timeout_s)
        if line is not None and line.startswith("finished "):
            self.finished = int(line.split()[1])
        if line is not None and line.startswith("result "):
            self.result = json.loads(line.removeprefix("result "))
        return line

    def read_for(self, seconds: float) -> None:
        """Take in what the child prints for `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                if self.next_line(left) is None:
                    return
            except queue.Empty:
                return

    def wait_ready(self) -> None:
        assert self.next_line(120) == "ready", self.stderr()

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def read_to_end(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self.next_line(max(0.1, deadline - time.monotonic())) is not None:
            pass
        self.process.wait(timeout=max(1.0, deadline - time.monotonic()))

    def stderr(self) -> str:
        if self.process.poll() is None:
            return "(still running)"
        assert self.process.stderr is not None
        return self.process.stderr.read()[-3000:]

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


@contextmanager
def child_loop(path: Path, count: int, *, wait_for_go: bool = False) -> Iterator[Child]:
    child = Child(path, count, wait_for_go=wait_for_go)
    try:
        yield child
    finally:
        child.kill()


def on_disk(path: Path) -> tuple[int, int, str]:
    """(traces, spans, integrity check) of the database; a hot journal is rolled back first."""
    with sqlite3.connect(path) as connection:
        traces = connection.execute("SELECT count(*) FROM trace_info").fetchone()[0]
        spans = connection.execute("SELECT count(*) FROM spans").fetchone()[0]
        check = connection.execute("PRAGMA integrity_check").fetchone()[0]
    return traces, spans, check


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_a_busy_loop_on_a_locked_database_waits_instead_of_piling_up(tmp_path: Path) -> None:
    """While the database is locked, the loop is held once the queue is full; memory stays
    bounded; when the lock goes, every trace is written (none dropped)."""
    path = tmp_path / "busy.db"
    count = 2_500
    with child_loop(path, count, wait_for_go=True) as child:
        child.wait_ready()
        locker = sqlite3.connect(path, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another program writing: nothing can be written
        try:
            child.go()
            child.read_for(4.0)
            held_at = child.finished
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        child.read_to_end(240)
        assert child.process.returncode == 0, child.stderr()
    assert held_at <= QUEUE_BOUND
    assert child.result is not None
    assert child.result["flushed"]
    # An unbounded queue holds all 2,500 traces (~230 KB each) by the time the lock goes: the
    # peak grew by 558 MB; the bounded queue's by ~100 MB (64 MB of traces and a batch).
    assert child.result["growth_mb"] < 250, child.result
    assert on_disk(path) == (count + 1, (count + 1) * DEPTH, "ok")


def test_a_killed_busy_loop_loses_at_most_the_queue(tmp_path: Path) -> None:
    """Traces are committed while the loop runs: after SIGKILL the database holds every trace
    the loop had finished, except at most the ones still waiting in the queue."""
    path = tmp_path / "killed.db"
    with child_loop(path, 0) as child:
        child.wait_ready()
        deadline = time.monotonic() + 90
        while child.finished < 2 * QUEUE_BOUND:  # well past a full queue
            assert time.monotonic() < deadline, f"the loop is too slow: {child.finished}"
            assert child.next_line(30) is not None, child.stderr()
        child.read_for(1.0)
        child.kill()
        child.read_to_end(30)  # the progress printed before the kill
    finished = child.finished
    traces, spans, check = on_disk(path)
    assert check == "ok"
    assert spans == traces * DEPTH  # only whole traces are committed
    assert traces - 1 >= finished - QUEUE_BOUND, (traces - 1, finished, QUEUE_BOUND)


def test_span_documents_are_written_as_json_dumps_writes_them() -> None:
    """The fast span document is byte for byte `json.dumps(content, ensure_ascii=False)`."""
    texts = [
        "x" * 10_000,
        'quotes " and \\ backslashes \n\t\x00\x1f \u2028 \x7f',
        "日本語 and emoji 😀 " * 300,
        "lone surrogate \ud800 " * 200,
        "",
    ]
    for text in texts:
        span = LiveSpan("tr-" + "ab" * 16, "cd" * 8, None, 'naïve "name"', "CHAIN", 1)
        span.set_inputs({"text": text, "n": [1, 2.5, None, True]})
        span.set_attribute("big", text * 3)
        span.add_event("tick", {"token": text[:50], "n": 3})
        span.record_exception(ValueError(text[:100]))
        span.end(outputs=text)
        content = span.to_content()
        assert span_document(content) == json.dumps(content, ensure_ascii=False)


def test_a_trace_that_cannot_be_stored_fails_alone_not_its_batch(tmp_path: Path) -> None:
    """A lone surrogate cannot be stored as UTF-8: that trace fails, with the reason, and
    flush says so once; the traces batched with it are written."""
    path = tmp_path / "one bad.db"
    core.set_tracking_uri(path)
    try:
        client = context.default_client()
        with core.start_span("warm-up"):
            pass
        assert core.flush_trace_async_logging(60)
        locker = sqlite3.connect(path, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # the traces wait, and are then written in a batch
        ids = []
        for i in range(5):
            with core.start_span(f"job {i}") as span:
                span.set_inputs("bad \ud800" if i == 2 else "fine")
            ids.append(span.trace_id)
        locker.execute("ROLLBACK")
        locker.close()
        assert core.flush_trace_async_logging(60) is False
        reasons = [client.trace_failure(trace_id) for trace_id in ids]
        assert core.flush_trace_async_logging(60) is True  # reported once
    finally:
        tracking.reset()
    assert reasons[:2] == reasons[3:] == [None, None]
    assert reasons[2] is not None and "surrogates not allowed" in reasons[2]
    with sqlite3.connect(path) as connection:
        stored = {r[0] for r in connection.execute("SELECT request_id FROM trace_info")}
    assert set(ids) - stored == {ids[2]}


@pytest.mark.parametrize("terminate", [False, True])
def test_flush_takes_mlflows_terminate_argument(tmp_path: Path, terminate: bool) -> None:
    """`flush_trace_async_logging(terminate=True)` (MLflow's signature) ends the writer
    threads after writing; a later trace starts them again."""
    path = tmp_path / "terminate.db"
    core.set_tracking_uri(path)
    try:
        with core.start_span("before"):
            pass
        assert core.flush_trace_async_logging(terminate=terminate)
        names = {t.name for t in threading.enumerate()}
        assert any(n.startswith("tracedesk-trace-writer") for n in names) is not terminate
        with core.start_span("after"):
            pass
        assert core.flush_trace_async_logging(60)
    finally:
        tracking.reset()
    with sqlite3.connect(path) as connection:
        names_on_disk = {r[0] for r in connection.execute("SELECT trace_name FROM trace_info")}
    assert names_on_disk == {"before", "after"}
