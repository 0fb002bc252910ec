"""The trace list model over a real store: lazy paging, order, stale pages, broken rows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.tasks import Task, TaskRunner
from app.traces.model import TRACE_ID_ROLE, TraceListModel
from app.traces.rows import Column, TraceQuery
from app.traces.view import TraceListView
from core.entities import TraceRow
from core.errors import StoreLockedError
from core.store.store import Store
from core.store.trace_pages import TracePage
from tests.app.helpers import WAIT_MS
from tests.app.synthetic import LOAD_TEST, SMALL, SyntheticDb


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown()


@pytest.fixture
def store(synthetic: SyntheticDb) -> Iterator[Store]:
    opened = Store.open(synthetic.path)
    yield opened
    opened.close()


@pytest.fixture
def page_calls(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Records every page query (experiment ids, limit) the model makes."""
    calls: list[tuple[Any, ...]] = []
    real = store.reader.trace_page

    def spy(experiment_ids: Any, **kwargs: Any) -> TracePage:
        calls.append((tuple(experiment_ids), kwargs["limit"]))
        return real(experiment_ids, **kwargs)

    monkeypatch.setattr(store.reader, "trace_page", spy)
    return calls


def ids(model: TraceListModel) -> list[str]:
    return [str(model.trace_id(row)) for row in range(model.rowCount())]


def load(qtbot: QtBot, model: TraceListModel, store: Store, experiment_id: str) -> None:
    with qtbot.waitSignal(model.page_loaded, timeout=WAIT_MS):
        model.load(store, TraceQuery((experiment_id,)))


def test_pages_arrive_one_by_one_newest_first(
    qtbot: QtBot, runner: TaskRunner, store: Store, synthetic: SyntheticDb, page_calls: list[Any]
) -> None:
    model = TraceListModel(runner)
    with qtbot.waitSignals([model.page_loaded, model.total_changed], timeout=WAIT_MS):
        model.load(store, TraceQuery((LOAD_TEST,)))
    assert model.rowCount() == 100 and model.canFetchMore(QModelIndex())
    assert model.total == 3000
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())  # a second request while one is pending asks nothing more
    assert model.rowCount() == 100 and model.is_loading  # rows come with the page, not before
    pages = 1
    while model.canFetchMore(QModelIndex()):
        with qtbot.waitSignal(model.page_loaded, timeout=WAIT_MS):
            model.fetchMore(QModelIndex())
        pages += 1
        assert model.rowCount() == min(pages * 100, 3000)  # never more than was fetched
    assert pages == len(page_calls) == 30
    assert ids(model) == [trace_id for trace_id, _ in synthetic.traces[LOAD_TEST]]


def test_the_view_fetches_only_what_it_shows(
    qtbot: QtBot, runner: TaskRunner, store: Store, page_calls: list[Any]
) -> None:
    model = TraceListModel(runner)
    view = TraceListView(model)
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.show()
    load(qtbot, model, store, LOAD_TEST)
    qtbot.wait(50)  # give the view its chance to ask for more: it must not
    assert model.rowCount() == 100 and len(page_calls) == 1
    for expected in (200, 300):
        with qtbot.waitSignal(model.page_loaded, timeout=WAIT_MS):
            view.scrollToBottom()  # reaching the end asks for the next page
        assert model.rowCount() == expected
    assert len(page_calls) == 3


def test_a_stale_page_is_dropped(
    qtbot: QtBot, runner: TaskRunner, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()
    real = store.reader.trace_page
    asked: list[tuple[str, ...]] = []

    def slow_for_load_test(experiment_ids: Any, **kwargs: Any) -> TracePage:
        asked.append(tuple(experiment_ids))
        if tuple(experiment_ids) == (LOAD_TEST,):
            started.set()
            release.wait(WAIT_MS / 1000)
        return real(experiment_ids, **kwargs)

    monkeypatch.setattr(store.reader, "trace_page", slow_for_load_test)
    # Without cancellation only the task group's stale check stands between the page and the list.
    monkeypatch.setattr(Task, "cancel", lambda self: None)
    model = TraceListModel(runner)
    model.load(store, TraceQuery((LOAD_TEST,)))
    assert started.wait(WAIT_MS / 1000)  # its page is being read right now
    with qtbot.waitSignal(model.page_loaded, timeout=WAIT_MS) as blocker:
        model.load(store, TraceQuery((SMALL,)))  # the user picked another experiment
        release.set()
    assert blocker.args == [40]
    assert asked == [(LOAD_TEST,), (SMALL,)]  # the stale page was read, then ignored
    assert model.rowCount() == 40 and all(i.startswith("tr-") for i in ids(model))
    qtbot.waitUntil(lambda: model.total == 40, timeout=WAIT_MS)


def test_switching_cancels_the_pending_page(
    qtbot: QtBot, runner: TaskRunner, store: Store, page_calls: list[Any]
) -> None:
    gate = threading.Event()
    runner.submit(gate.wait, WAIT_MS / 1000)  # keep the database thread busy
    model = TraceListModel(runner)
    model.load(store, TraceQuery((LOAD_TEST,)))
    model.load(store, TraceQuery((SMALL,)))
    with qtbot.waitSignal(model.page_loaded, timeout=WAIT_MS):
        gate.set()
    assert [c[0] for c in page_calls] == [(SMALL,)]  # the superseded page never ran


def test_a_row_that_cannot_be_read_is_disabled(
    qtbot: QtBot, runner: TaskRunner, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = TraceRow("tr-good", SMALL, 1_795_677_585_718, 12, "ERROR", "n", "q", "a", None, 7)
    bad = TraceRow("tr-bad", SMALL, 10**20, None, "OK", None, None, None, None, None)
    monkeypatch.setattr(store.reader, "trace_page", lambda *a, **k: TracePage((good, bad), None))
    model = TraceListModel(runner)
    view = TraceListView(model)
    qtbot.addWidget(view)
    load(qtbot, model, store, SMALL)
    assert model.rowCount() == 2
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEnabled
    assert not model.flags(model.index(1, 0)) & Qt.ItemFlag.ItemIsEnabled
    assert "Could not read this trace" in model.index(1, Column.NAME).data()
    assert model.index(1, 0).data(TRACE_ID_ROLE) == "tr-bad"
    assert model.index(0, Column.STATE).data() == "Error"
    assert model.index(0, Column.STATE).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert not view.grab().isNull()  # painting a broken row does not raise


def test_a_page_that_fails_stops_paging_and_says_why(
    qtbot: QtBot, runner: TaskRunner, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_args: Any, **_kwargs: Any) -> TracePage:
        raise StoreLockedError("mlflow.db is locked by another program.")

    monkeypatch.setattr(store.reader, "trace_page", locked)
    model = TraceListModel(runner)
    view = TraceListView(model)
    qtbot.addWidget(view)
    with qtbot.waitSignal(model.load_failed, timeout=WAIT_MS) as blocker:
        model.load(store, TraceQuery((SMALL,)))
    assert "locked" in blocker.args[0]
    assert model.failed and not model.canFetchMore(QModelIndex())
    assert view.placeholder_text() == "The trace list could not be read."


def test_cells_and_tooltips(qtbot: QtBot, runner: TaskRunner, store: Store) -> None:
    model = TraceListModel(runner)
    load(qtbot, model, store, LOAD_TEST)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert headers == [
        "Trace ID",
        "Name",
        "State",
        "Request time",
        "Duration",
        "Tokens",
        "Request",
        "Response",
        "Session",  # these three are hidden until chosen (test_trace_columns.py)
        "User",
        "Cost",
    ]
    row = model.row_of(f"tr-{0:032x}")  # trace 0: a multi-line, long request
    assert row == 1  # trace 1 has the same timestamp and the larger id
    request = model.index(row, Column.REQUEST)
    assert "\n" not in request.data() and request.data().endswith("…")
    assert len(request.data()) <= 240
    assert "line two with" in request.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, Column.DURATION).data(Qt.ItemDataRole.TextAlignmentRole) & (
        Qt.AlignmentFlag.AlignRight
    )


def test_empty_model_and_clear(qtbot: QtBot, runner: TaskRunner, store: Store) -> None:
    model = TraceListModel(runner)
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())
    load(qtbot, model, store, "0")  # Default: no traces
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())
    model.clear()
    assert model.query is None and model.data(model.index(0, 0)) is None


def test_model_passes_qtmodeltester_while_paging(
    qtbot: QtBot, qtmodeltester: ModelTester, runner: TaskRunner, store: Store
) -> None:
    model = TraceListModel(runner)
    load(qtbot, model, store, LOAD_TEST)
    qtmodeltester.check(model, force_py=True)
    with qtbot.waitSignal(model.page_loaded, timeout=WAIT_MS):
        model.fetchMore(QModelIndex())
    load(qtbot, model, store, SMALL)
    model.clear()


@pytest.mark.qt_log_level_fail("WARNING")
def test_model_passes_qts_own_tester(
    qtbot: QtBot, qtmodeltester: ModelTester, runner: TaskRunner, store: Store
) -> None:
    model = TraceListModel(runner)
    qtmodeltester.check(model)
    load(qtbot, model, store, LOAD_TEST)
    with qtbot.waitSignal(model.page_loaded, timeout=WAIT_MS):
        model.fetchMore(QModelIndex())
    load(qtbot, model, store, SMALL)


def test_apply_keeps_the_rows_until_the_new_first_page(
    qtbot: QtBot, runner: TaskRunner, store: Store
) -> None:
    model = TraceListModel(runner)
    load(qtbot, model, store, LOAD_TEST)
    before = ids(model)
    gate = threading.Event()
    runner.submit(gate.wait, WAIT_MS / 1000)  # hold the database thread
    errors = TraceQuery((LOAD_TEST,), "trace.status = 'ERROR'")
    model.apply(errors)
    assert ids(model) == before and model.is_applying and model.wanted_query == errors
    assert not model.canFetchMore(QModelIndex()) or model.query != errors
    with qtbot.waitSignal(model.query_applied, timeout=WAIT_MS) as blocker:
        gate.set()
    assert blocker.args == [errors] and model.query == errors and not model.is_applying
    assert model.rowCount() == 100 and ids(model) != before


def test_a_rejected_filter_keeps_the_rows_and_their_paging(
    qtbot: QtBot, runner: TaskRunner, store: Store
) -> None:
    model = TraceListModel(runner)
    load(qtbot, model, store, LOAD_TEST)
    before, shown = ids(model), model.query
    with qtbot.waitSignal(model.query_rejected, timeout=WAIT_MS) as blocker:
        model.apply(TraceQuery((LOAD_TEST,), "trace.status = 'OK' AND"))
    assert blocker.args[0].position == 23
    assert ids(model) == before and model.query == shown and not model.failed
    with qtbot.waitSignal(model.page_loaded, timeout=WAIT_MS):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 200
    qtbot.waitUntil(lambda: model.total == 3000, timeout=WAIT_MS)


def test_only_the_newest_applied_query_lands(
    qtbot: QtBot, runner: TaskRunner, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = TraceListModel(runner)
    load(qtbot, model, store, LOAD_TEST)
    monkeypatch.setattr(Task, "cancel", lambda self: None)  # only the group's check is left
    applied: list[TraceQuery] = []
    model.query_applied.connect(applied.append)
    model.apply(TraceQuery((LOAD_TEST,), None, ("name ASC",)))
    model.apply(TraceQuery((LOAD_TEST,), "trace.status = 'ERROR'", ("execution_time_ms DESC",)))
    newest = TraceQuery((LOAD_TEST,), "trace.status = 'ERROR'", ("request_id ASC",))
    with qtbot.waitSignal(model.query_applied, timeout=WAIT_MS):
        model.apply(newest)
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT_MS)
    assert applied == [newest] and model.query == newest
    assert ids(model) == sorted(ids(model))


@pytest.mark.qt_log_level_fail("WARNING")
def test_qts_model_tester_through_apply_and_live_merge(
    qtbot: QtBot, qtmodeltester: ModelTester, runner: TaskRunner, tmp_path: Any
) -> None:
    from tests.app.helpers import clone_trace
    from tests.app.synthetic import build_synthetic_db

    db = build_synthetic_db(tmp_path / "mlflow.db", load_traces=250, small_traces=3)
    opened = Store.open(db.path)
    try:
        model = TraceListModel(runner)
        qtmodeltester.check(model)  # Qt's tester stays attached and checks every change
        load(qtbot, model, opened, LOAD_TEST)
        with qtbot.waitSignal(model.query_applied, timeout=WAIT_MS):
            model.apply(TraceQuery((LOAD_TEST,), "trace.total_tokens > 100"))
        newest_id, newest_ms = db.traces[LOAD_TEST][0]
        clone_trace(db.path, newest_id, "tr-new-1", newest_ms + 5, total_tokens=500)
        clone_trace(db.path, newest_id, "tr-new-2", newest_ms + 9, total_tokens=5)
        with qtbot.waitSignal(model.rows_merged, timeout=WAIT_MS) as blocker:
            model.fetch_newer()
        assert blocker.args == [1] and model.trace_id(0) == "tr-new-1"
        qtmodeltester.check(model, force_py=True)  # it fetches the remaining page itself
        qtbot.waitUntil(lambda: not model.canFetchMore(QModelIndex()), timeout=WAIT_MS)
        assert (
            model.rowCount()
            == model.total
            == opened.reader.count_traces([LOAD_TEST], "trace.total_tokens > 100")
        )
        model.clear()
    finally:
        runner.shutdown()
        opened.close()


def test_width_plan_steps_down_as_the_room_shrinks() -> None:
    from app.traces.widths import MIN_PREVIEW, compact_time, plan_widths

    natural, compact = {0: 120, 1: 150, 2: 100}, {0: 80, 1: 100}
    wide = plan_widths(natural, compact, [6, 7], 370 + 2 * 200)
    assert wide.widths == {0: 120, 1: 150, 2: 100, 6: 200, 7: 200}
    assert not wide.compact and not wide.squeezed
    middle = plan_widths(natural, compact, [6, 7], 280 + 2 * MIN_PREVIEW)
    assert middle.compact and middle.widths[0] == 80 and middle.widths[6] == MIN_PREVIEW
    named = plan_widths(natural, compact, [6, 7], 330 + 2 * MIN_PREVIEW, stretch=1)
    assert named.compact and named.widths[1] == 150 and named.widths[0] == 80  # name kept
    narrow = plan_widths(natural, compact, [6, 7], 300, stretch=1)
    assert narrow.squeezed == {6, 7}
    assert narrow.widths == {0: 80, 1: 120, 2: 100}  # the name takes what is left
    assert plan_widths(natural, compact, [], 370).widths == natural
    assert compact_time("2026-11-26 07:19:45") == "11-26 07:19"
    assert compact_time("—") == "—"
