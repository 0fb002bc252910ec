"""The task runner: results on the GUI thread, order, cancellation, progress, clean shutdown."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.tasks import DB_THREAD_NAME, JOB_THREAD_NAME, JobToken, Task, TaskRunner
from tests.app.helpers import WAIT_MS, dangling_threads


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown()


def test_result_arrives_on_the_gui_thread(qtbot: QtBot, runner: TaskRunner) -> None:
    seen: list[str] = []

    def work(a: int, b: int) -> int:
        seen.append(threading.current_thread().name)
        return a + b

    task = runner.submit(work, 2, 3)
    with qtbot.waitSignal(task.finished, timeout=WAIT_MS) as blocker:
        pass
    assert blocker.args == [5]
    assert seen[0].startswith(DB_THREAD_NAME)
    assert threading.current_thread() is threading.main_thread()
    assert task.done and runner.pending == 0


def test_failure_carries_the_exception(qtbot: QtBot, runner: TaskRunner) -> None:
    def boom() -> None:
        raise ValueError("bad input")

    task = runner.submit(boom)
    with qtbot.waitSignal(task.failed, timeout=WAIT_MS) as blocker:
        pass
    assert isinstance(blocker.args[0], ValueError)
    assert str(blocker.args[0]) == "bad input"


def test_database_work_runs_in_submission_order_on_one_thread(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    order: list[int] = []
    threads: set[str] = set()

    def record(i: int) -> int:
        order.append(i)
        threads.add(threading.current_thread().name)
        return i

    tasks = [runner.submit(record, i) for i in range(20)]
    with qtbot.waitSignal(tasks[-1].finished, timeout=WAIT_MS):
        pass
    assert order == list(range(20))
    assert len(threads) == 1


def test_a_task_cancelled_before_it_starts_never_runs(qtbot: QtBot, runner: TaskRunner) -> None:
    gate = threading.Event()
    ran: list[str] = []
    blocker_task = runner.submit(gate.wait, WAIT_MS / 1000)
    doomed = runner.submit(ran.append, "doomed")
    doomed.finished.connect(lambda _: ran.append("delivered"))
    doomed.cancel()
    after = runner.submit(ran.append, "after")
    gate.set()
    with qtbot.waitSignals([blocker_task.finished, after.finished], timeout=WAIT_MS):
        pass
    assert ran == ["after"]
    assert doomed.cancelled and doomed.done


def test_a_result_that_arrives_after_cancel_is_dropped(qtbot: QtBot, runner: TaskRunner) -> None:
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(WAIT_MS / 1000)
        return "stale"

    task = runner.submit(slow)
    delivered: list[object] = []
    task.finished.connect(delivered.append)
    task.failed.connect(delivered.append)
    assert started.wait(WAIT_MS / 1000)
    task.cancel()  # already running: it finishes, but nobody hears about it
    release.set()
    marker = runner.submit(lambda: "next")
    with qtbot.waitSignal(marker.finished, timeout=WAIT_MS):
        pass
    # Deliveries are queued in completion order, so the stale one was handled before this.
    assert delivered == []


def test_jobs_run_on_the_pool_and_report_progress(qtbot: QtBot, runner: TaskRunner) -> None:
    def job(token: JobToken, total: int) -> str:
        for done in range(1, total + 1):
            token.report(done, total)
        return threading.current_thread().name

    task = runner.submit_job(job, 5)
    progress: list[tuple[int, int]] = []
    task.progress.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(task.finished, timeout=WAIT_MS) as blocker:
        pass
    assert str(blocker.args[0]).startswith(JOB_THREAD_NAME)
    qtbot.waitUntil(lambda: len(progress) == 5, timeout=WAIT_MS)
    assert progress == [(i, 5) for i in range(1, 6)]


def test_a_cancelled_job_stops_and_shutdown_joins_it(runner: TaskRunner) -> None:
    running = threading.Event()

    def long_job(token: JobToken) -> None:
        running.set()
        while not token.cancelled:
            running.wait(0.01)  # a worker thread's pause between chunks of work

    task = runner.submit_job(long_job)
    assert running.wait(WAIT_MS / 1000)
    task.cancel()
    runner.shutdown()  # would hang if the job ignored its token
    assert runner.is_shut_down and runner.pending == 0


def test_shutdown_drops_pending_work_and_joins_threads(qtbot: QtBot) -> None:
    before = set(threading.enumerate())
    runner = TaskRunner()
    gate = threading.Event()
    runner.submit(gate.wait, 0.2)
    pending = runner.submit(lambda: "never")
    delivered: list[object] = []
    pending.finished.connect(delivered.append)
    gate.set()
    runner.shutdown()
    qtbot.waitUntil(lambda: runner.pending == 0)
    assert delivered == []
    assert dangling_threads(before, grace_s=0.1) == []
    with pytest.raises(RuntimeError):
        runner.submit(lambda: None)
    runner.shutdown()  # twice is fine


def test_the_thread_leak_check_sees_a_running_thread() -> None:
    before = set(threading.enumerate())
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="leaky", daemon=True)
    thread.start()
    try:
        assert [t.name for t in dangling_threads(before, grace_s=0.05)] == ["leaky"]
    finally:
        stop.set()
        thread.join()
    assert dangling_threads(before, grace_s=0.05) == []


def test_a_group_delivers_only_the_newest(qtbot: QtBot, runner: TaskRunner) -> None:
    gate = threading.Event()
    done: list[str] = []
    failed: list[BaseException] = []
    reads = runner.group()

    def slow(value: str) -> str:
        gate.wait(WAIT_MS / 1000)
        return value

    def read(value: str) -> None:
        reads.drop()
        reads.submit(slow, value).on_finished(done.append).on_failed(failed.append)

    read("older")
    read("newer")
    assert reads.pending
    gate.set()
    qtbot.waitUntil(lambda: not reads.pending, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT_MS)
    assert done == ["newer"] and not failed


def test_a_group_reports_a_failure_and_can_be_dropped(qtbot: QtBot, runner: TaskRunner) -> None:
    failed: list[BaseException] = []
    reads = runner.group()

    def boom() -> None:
        raise ValueError("unreadable")

    reads.submit(boom).on_finished(lambda _: None).on_failed(failed.append)
    qtbot.waitUntil(lambda: bool(failed), timeout=WAIT_MS)
    assert str(failed[0]) == "unreadable" and not reads.pending
    reads.submit(boom).on_finished(lambda _: None).on_failed(failed.append)
    reads.drop()
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT_MS)
    assert len(failed) == 1 and not reads.pending


def test_a_failure_nobody_handles_goes_to_the_runner(qtbot: QtBot, runner: TaskRunner) -> None:
    def count() -> int:
        raise OSError("disk I/O error")

    handled: list[BaseException] = []
    runner.submit(count).describe("Counting the traces")
    with qtbot.waitSignal(runner.failure, timeout=WAIT_MS) as blocker:
        pass
    assert blocker.args[0] == "Counting the traces"
    assert isinstance(blocker.args[1], OSError) and str(blocker.args[1]) == "disk I/O error"
    unnamed = runner.submit(count)
    with qtbot.waitSignal(runner.failure, timeout=WAIT_MS) as blocker:
        pass
    assert "count" in blocker.args[0] and unnamed.done
    reported: list[str] = []
    runner.failure.connect(lambda what, _error: reported.append(what))
    task = runner.submit(count).on_failed(handled.append)
    qtbot.waitUntil(lambda: task.done, timeout=WAIT_MS)
    assert [str(e) for e in handled] == ["disk I/O error"] and reported == []
    runner.report_failure("Live mode", handled[0])  # a handler passing a failure on
    assert reported == ["Live mode"]


def test_progress_carries_the_jobs_payload(qtbot: QtBot, runner: TaskRunner) -> None:
    class Counts:
        def __init__(self, done: int, errors: int) -> None:
            self.done, self.errors = done, errors

    def job(token: JobToken) -> None:
        for done in range(1, 4):
            token.report(done, 3, Counts(done, done // 2))

    seen: list[tuple[int, int, Counts]] = []
    task = runner.submit_job(job).on_progress(lambda *args: seen.append(args))
    with qtbot.waitSignal(task.finished, timeout=WAIT_MS):
        pass
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=WAIT_MS)
    assert [(d, t) for d, t, _ in seen] == [(1, 3), (2, 3), (3, 3)]
    assert all(isinstance(p, Counts) for _, _, p in seen)  # the object itself, its type kept
    assert [(p.done, p.errors) for _, _, p in seen] == [(1, 0), (2, 1), (3, 1)]


def test_a_dropped_group_never_delivers_even_a_running_task(
    qtbot: QtBot, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(value: str) -> str:
        started.set()
        release.wait(WAIT_MS / 1000)
        return value

    group = runner.group()
    delivered: list[object] = []
    reported: list[str] = []
    runner.failure.connect(lambda what, _error: reported.append(what))
    stale = group.submit(slow, "stale").on_finished(delivered.append)
    stale.on_failed(delivered.append)
    assert started.wait(WAIT_MS / 1000) and group.pending
    monkeypatch.setattr(Task, "cancel", lambda self: None)  # the group's check alone drops it
    group.drop()
    assert not group.pending and stale.stale and not stale.cancelled
    fresh = group.submit(lambda: "fresh").on_finished(delivered.append)
    release.set()
    with qtbot.waitSignal(fresh.finished, timeout=WAIT_MS):
        pass
    assert delivered == ["fresh"] and stale.done and not group.pending


def test_a_dropped_group_cancels_what_has_not_started(qtbot: QtBot, runner: TaskRunner) -> None:
    gate = threading.Event()
    ran: list[str] = []
    runner.submit(gate.wait, WAIT_MS / 1000)  # hold the database thread
    group = runner.group()
    doomed = group.submit(ran.append, "doomed")
    job = group.submit_job(lambda token: ran.append(f"job cancelled={token.cancelled}"))
    group.drop()
    assert doomed.cancelled
    after = group.submit(ran.append, "after")
    gate.set()
    with qtbot.waitSignal(after.finished, timeout=WAIT_MS):
        pass
    qtbot.waitUntil(lambda: job.done, timeout=WAIT_MS)
    assert "doomed" not in ran and "after" in ran
    assert all(entry == "job cancelled=True" for entry in ran if entry.startswith("job"))


def test_a_stale_result_goes_to_the_groups_release(qtbot: QtBot, runner: TaskRunner) -> None:
    started, release = threading.Event(), threading.Event()
    released: list[object] = []
    group = runner.group(release=released.append)

    def open_thing(name: str) -> str:
        if name == "first":
            started.set()
            release.wait(WAIT_MS / 1000)
        return f"{name} handle"

    shown: list[str] = []
    group.submit(open_thing, "first").on_finished(shown.append)
    assert started.wait(WAIT_MS / 1000)
    group.drop()  # the user opened something else meanwhile
    second = group.submit(open_thing, "second").on_finished(shown.append)
    release.set()
    with qtbot.waitSignal(second.finished, timeout=WAIT_MS):
        pass
    assert shown == ["second handle"] and released == ["first handle"]
    failing = group.submit(lambda: 1 / 0).on_failed(shown.append)
    group.drop()
    qtbot.waitUntil(lambda: failing.done, timeout=WAIT_MS)
    assert released == ["first handle"] and shown == ["second handle"]  # nothing else came
