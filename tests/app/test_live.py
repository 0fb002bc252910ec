"""Live mode on the real window: traces written by another program appear, nothing is lost."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from app.main_window import SETTINGS_LIVE, MainWindow
from app.traces.live import plan_inserts
from app.traces.rows import Column, TraceItem
from app.traces.sorting import SortSpec
from tests.app.helpers import (
    WAIT_MS,
    apply_filter,
    clone_trace,
    open_and_wait,
    select_experiment,
    show_window,
    shown_ids,
)
from tests.app.synthetic import LOAD_TEST, build_synthetic_db

CUSTOM_TRACING = "1"
NESTED_TRACE = "tr-8a3d93a26e8534bbd41731f1c1a5d860"  # the newest of custom_tracing
NEWEST_MS = 1795677603144


def new_id(n: int) -> str:
    return f"tr-{n:032x}"


@contextmanager
def one_write(window: MainWindow) -> Iterator[None]:
    """Write several traces that live mode must see at once (as one program's burst would
    arrive between two polls): polling waits until the block ends."""
    window.live.set_enabled(False)
    yield
    window.live.set_enabled(True)


def experiment_count(window: MainWindow, experiment_id: str) -> int | None:
    model = window.experiment_model
    row = model.row_of(experiment_id)
    item = model.item(row) if row is not None else None
    return item.trace_count if item is not None else None


@pytest.fixture
def live(qtbot: QtBot, window: MainWindow, db318: Path) -> MainWindow:
    window.live.interval_ms = 40
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, CUSTOM_TRACING)
    qtbot.waitUntil(lambda: window.live.is_polling, timeout=WAIT_MS)
    return window


def test_new_traces_appear_at_the_top_and_the_selection_stays(
    qtbot: QtBot, live: MainWindow, db318: Path
) -> None:
    assert live.menu_actions.live.isChecked() and live.status.live_label.text() == "● Live"
    with qtbot.waitSignal(live.explorer.trace_loaded, timeout=WAIT_MS):
        live.trace_view.select_row(2)
    selected = live.trace_view.selected_trace_id()
    before = shown_ids(live)
    with (
        qtbot.waitSignal(live.trace_model.rows_merged, timeout=WAIT_MS) as blocker,
        one_write(live),
    ):
        clone_trace(db318, NESTED_TRACE, new_id(1), NEWEST_MS + 1000, trace_name="late one")
        clone_trace(db318, NESTED_TRACE, new_id(2), NEWEST_MS + 2000, trace_name="later one")
    assert blocker.args == [2]
    assert shown_ids(live) == [new_id(2), new_id(1), *before]
    assert live.trace_model.index(0, Column.NAME).data() == "later one"
    assert live.trace_view.selected_trace_id() == selected  # same trace, two rows lower
    assert live.trace_view.currentIndex().row() == 4
    assert live.shown_trace_id == selected  # the explorer was not reloaded or cleared
    qtbot.waitUntil(lambda: experiment_count(live, CUSTOM_TRACING) == 7, timeout=WAIT_MS)
    assert live.trace_model.total == 7 and live.status.count_label.text() == "7 traces"
    assert live.experiment_view.current_experiment_id == CUSTOM_TRACING
    assert "2 new traces" in live.status.currentMessage()
    model = live.trace_model
    assert model.is_new(new_id(1)) and not model.is_new(selected)  # new rows are bold
    assert model.index(0, Column.NAME).data(Qt.ItemDataRole.FontRole).bold()
    live.trace_view.select_row(0)
    assert not model.is_new(new_id(2)) and model.is_new(new_id(1))  # seen once selected
    assert model.index(0, Column.NAME).data(Qt.ItemDataRole.FontRole) is None


def test_a_trace_in_another_experiment_only_updates_its_count(
    qtbot: QtBot, live: MainWindow, db318: Path
) -> None:
    before = shown_ids(live)
    with qtbot.waitSignal(live.experiment_model.loaded, timeout=WAIT_MS):
        clone_trace(db318, NESTED_TRACE, new_id(3), NEWEST_MS + 10, experiment_id=0)
    assert experiment_count(live, "0") == 2
    assert shown_ids(live) == before


def test_live_rows_follow_the_filter(qtbot: QtBot, live: MainWindow, db318: Path) -> None:
    apply_filter(qtbot, live, "trace.name LIKE 'keep%'")
    assert shown_ids(live) == []
    with qtbot.waitSignal(live.trace_model.page_loaded, timeout=WAIT_MS), one_write(live):
        clone_trace(db318, NESTED_TRACE, new_id(4), NEWEST_MS + 10, trace_name="keep me")
        clone_trace(db318, NESTED_TRACE, new_id(5), NEWEST_MS + 20, trace_name="drop me")
    assert shown_ids(live) == [new_id(4)]
    with qtbot.waitSignal(live.trace_model.rows_merged, timeout=WAIT_MS), one_write(live):
        clone_trace(db318, NESTED_TRACE, new_id(6), NEWEST_MS + 30, trace_name="keep too")
        clone_trace(db318, NESTED_TRACE, new_id(7), NEWEST_MS + 40, trace_name="drop too")
    assert shown_ids(live) == [new_id(6), new_id(4)]


def test_a_finished_trace_updates_its_row(qtbot: QtBot, live: MainWindow, db318: Path) -> None:
    with qtbot.waitSignal(live.trace_model.rows_merged, timeout=WAIT_MS):
        clone_trace(db318, NESTED_TRACE, new_id(8), NEWEST_MS + 50, status="IN_PROGRESS")
    assert live.trace_model.index(0, Column.STATE).data() == "In progress"
    with qtbot.waitSignal(live.trace_model.dataChanged, timeout=WAIT_MS):
        with sqlite3.connect(db318) as writer:
            writer.execute("UPDATE trace_info SET status = 'OK' WHERE request_id = ?", (new_id(8),))
        writer.close()
    assert live.trace_model.index(0, Column.STATE).data() == "OK"


def test_more_than_a_page_reads_the_list_again(qtbot: QtBot, live: MainWindow, db318: Path) -> None:
    live.trace_view.select_row(0)
    live.trace_model.page_size = 2
    with qtbot.waitSignal(live.trace_model.modelReset, timeout=WAIT_MS), one_write(live):
        for n in range(3):
            clone_trace(db318, NESTED_TRACE, new_id(10 + n), NEWEST_MS + 100 + n)
    # Read again from the top (the view then pages on by itself to fill its height).
    qtbot.waitUntil(lambda: shown_ids(live)[:3] == [new_id(12), new_id(11), new_id(10)])
    assert len(set(shown_ids(live))) == len(shown_ids(live))


def test_another_order_recounts_without_moving_rows(
    qtbot: QtBot, live: MainWindow, db318: Path
) -> None:
    with qtbot.waitSignal(live.queries.applied, timeout=WAIT_MS):
        live.trace_view.sort_requested.emit(SortSpec(Column.NAME, Qt.SortOrder.AscendingOrder))
    qtbot.waitUntil(lambda: live.trace_model.total == 5, timeout=WAIT_MS)
    before = shown_ids(live)
    with qtbot.waitSignal(live.trace_model.total_changed, timeout=WAIT_MS) as blocker:
        clone_trace(db318, NESTED_TRACE, new_id(20), NEWEST_MS + 10)
    assert blocker.args == [6] and shown_ids(live) == before


def test_a_failed_count_is_shown_and_asked_again(
    qtbot: QtBot, live: MainWindow, db318: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with qtbot.waitSignal(live.queries.applied, timeout=WAIT_MS):
        live.trace_view.sort_requested.emit(SortSpec(Column.NAME, Qt.SortOrder.AscendingOrder))
    qtbot.waitUntil(lambda: live.trace_model.total == 5, timeout=WAIT_MS)
    store = live.store
    assert store is not None
    real = store.reader.count_traces
    failures = [OSError("disk I/O error")]

    def flaky(*args: object, **kwargs: object) -> int:
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store.reader, "count_traces", flaky)
    with qtbot.waitSignal(live.error_reported, timeout=WAIT_MS) as reported:
        clone_trace(db318, NESTED_TRACE, new_id(30), NEWEST_MS + 10)
    assert reported.args == ["Counting the traces failed: disk I/O error"]
    assert "Counting the traces failed" in live.notice_bar.text
    with qtbot.waitSignal(live.trace_model.total_changed, timeout=WAIT_MS) as blocker:
        clone_trace(db318, NESTED_TRACE, new_id(31), NEWEST_MS + 11)  # the next change
    assert blocker.args == [7]


def test_a_failing_poll_is_said_once_and_polling_goes_on(
    qtbot: QtBot, live: MainWindow, db318: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    detector = live.live._detector
    assert detector is not None
    real, calls = detector.changed, [0]

    def broken() -> bool:
        calls[0] += 1
        if calls[0] <= 5:
            raise OSError("database disk image is malformed")
        return real()

    reported: list[str] = []
    live.error_reported.connect(reported.append)
    monkeypatch.setattr(detector, "changed", broken)
    qtbot.waitUntil(lambda: calls[0] > 5, timeout=WAIT_MS)  # five failed polls, then fine
    assert reported == ["Looking for new traces failed: database disk image is malformed"]
    with qtbot.waitSignal(live.trace_model.rows_merged, timeout=WAIT_MS):
        clone_trace(db318, NESTED_TRACE, new_id(32), NEWEST_MS + 12)
    assert live.live.is_polling


def test_the_scroll_position_is_kept(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    db = build_synthetic_db(tmp_path / "mlflow.db", load_traces=400, small_traces=2)
    window.live.interval_ms = 40
    window.resize(1100, 500)
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db.path)
    select_experiment(qtbot, window, LOAD_TEST)
    view = window.trace_view
    with qtbot.waitSignal(window.trace_model.page_loaded, timeout=WAIT_MS):
        view.scrollToBottom()
    view.scrollTo(window.trace_model.index(120, 0), view.ScrollHint.PositionAtTop)
    view.select_row(125)
    top = window.trace_model.trace_id(view.rowAt(0))
    newest_id, newest_ms = db.traces[LOAD_TEST][0]
    with qtbot.waitSignal(window.trace_model.rows_merged, timeout=WAIT_MS), one_write(window):
        for n in range(3):
            clone_trace(db.path, newest_id, new_id(900 + n), newest_ms + 1 + n)
    assert window.trace_model.trace_id(view.rowAt(0)) == top  # the same rows are in view
    assert view.currentIndex().row() == 128


def test_ctrl_shift_l_turns_live_mode_off_and_on(qtbot: QtBot, live: MainWindow) -> None:
    qtbot.keyClick(
        live.trace_view,
        Qt.Key.Key_L,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert not live.menu_actions.live.isChecked() and not live.live.is_polling
    assert live.status.live_label.text() == "Live off"
    assert str(QSettings().value(SETTINGS_LIVE)).lower() == "false"
    live.menu_actions.live.trigger()
    assert live.live.is_polling and live.status.live_label.text() == "● Live"


def test_writes_made_while_live_was_off_show_when_it_is_on(
    qtbot: QtBot, live: MainWindow, db318: Path
) -> None:
    live.menu_actions.live.trigger()
    clone_trace(db318, NESTED_TRACE, new_id(30), NEWEST_MS + 10)
    qtbot.wait(150)  # several poll intervals: nothing may poll or appear
    assert new_id(30) not in shown_ids(live)
    with qtbot.waitSignal(live.trace_model.rows_merged, timeout=WAIT_MS):
        live.menu_actions.live.trigger()
    assert shown_ids(live)[0] == new_id(30)


def test_polling_stops_when_hidden_closed_or_the_store_closes(
    qtbot: QtBot, live: MainWindow, db318: Path
) -> None:
    live.hide()
    assert not live.live.is_polling
    live.show()
    qtbot.waitExposed(live)
    assert live.live.is_polling
    live.close_database()
    assert not live.live.is_polling
    qtbot.waitUntil(
        lambda: live.live.open_detectors == 0, timeout=WAIT_MS
    )  # closed in the DB thread
    open_and_wait(qtbot, live, db318)
    qtbot.waitUntil(lambda: live.live.is_polling, timeout=WAIT_MS)
    live.close()
    assert not live.live.is_polling and live.live.open_detectors == 0


def test_a_closed_window_closes_a_detector_still_opening(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    window.close()  # whatever state the detector was in, it ends closed
    assert window.live.open_detectors == 0 and not window.live.is_polling


def item(trace_id: str) -> TraceItem:
    return TraceItem(trace_id, "OK", (), ())


def test_plan_inserts() -> None:
    fresh = [item(i) for i in ("n1", "n2", "a", "n3", "b", "c", "n4")]
    runs = plan_inserts(["a", "b", "c"], fresh)
    assert [(row, [i.trace_id for i in items]) for row, items in runs] == [
        (0, ["n1", "n2"]),
        (3, ["n3"]),
        (6, ["n4"]),
    ]
    assert plan_inserts(["a"], [item("a")]) == []
    assert [r for r, _ in plan_inserts([], [item("x"), item("y")])] == [0]
