"""The real main window on copies of the fixture databases: what the user sees and does."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app import formatting as fmt
from app.main_window import MainWindow
from app.traces.rows import Column
from tests.app.helpers import WAIT_MS, open_and_wait, select_experiment

EXPECTED_318 = [("evaluation_test", 6), ("custom_tracing", 5), ("Default", 1)]


def experiments(window: MainWindow) -> list[tuple[str, int]]:
    model = window.experiment_model
    items = [model.item(r) for r in range(model.rowCount())]
    return [(item.name, item.trace_count) for item in items if item is not None]


def shown_ids(window: MainWindow) -> list[str]:
    model = window.trace_model
    return [str(model.trace_id(r)) for r in range(model.rowCount())]


def experiments_in_database(db: Path) -> list[tuple[str, str, int]]:
    """Active experiments, newest first, with their trace counts, read with plain SQL."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT e.experiment_id, e.name, (SELECT count(*) FROM trace_info t"
            " WHERE t.experiment_id = e.experiment_id) FROM experiments e"
            " WHERE coalesce(e.lifecycle_stage, 'active') != 'deleted'"
            " ORDER BY e.creation_time DESC, e.experiment_id DESC"
        ).fetchall()
    connection.close()
    return [(str(i), name, count) for i, name, count in rows]


def most_active_in_database(db: Path) -> str:
    """The experiment holding the newest trace, read with plain SQL."""
    with sqlite3.connect(db) as connection:
        (experiment_id,) = connection.execute(
            "SELECT experiment_id FROM trace_info ORDER BY timestamp_ms DESC LIMIT 1"
        ).fetchone()
    connection.close()
    return str(experiment_id)


def ids_in_database(db: Path, experiment_id: str) -> list[str]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT request_id FROM trace_info WHERE experiment_id = ?"
            " ORDER BY timestamp_ms DESC, request_id DESC",
            (int(experiment_id),),
        ).fetchall()
    connection.close()
    return [r[0] for r in rows]


def cell(window: MainWindow, row: int, column: Column) -> str:
    return str(window.trace_model.index(row, column).data())


def test_opens_each_fixture(qtbot: QtBot, window: MainWindow, fixture_db: Path) -> None:
    store = open_and_wait(qtbot, window, fixture_db)
    expected = experiments_in_database(fixture_db)
    assert experiments(window) == [(name, count) for _, name, count in expected]
    active = most_active_in_database(fixture_db)  # a file opens on its latest work
    assert window.experiment_view.current_experiment_id == active
    assert shown_ids(window) == ids_in_database(fixture_db, active)  # newest first
    qtbot.waitUntil(lambda: window.trace_model.total is not None, timeout=WAIT_MS)
    status = window.status
    assert status.file_label.text() == str(fixture_db)
    assert status.layout_label.text() == store.layout.label
    assert status.mode_label.text() == "Read-only"
    count = len(shown_ids(window))
    assert status.count_label.text() == ("1 trace" if count == 1 else f"{count} traces")
    assert window.notice_bar.isHidden()
    assert window.windowTitle().startswith(f"mlflow.db — {fixture_db.parent.name}")
    assert window.stack.currentWidget() is window.modes


def test_values_of_the_318_default_trace(qtbot: QtBot, window: MainWindow, db318: Path) -> None:
    open_and_wait(qtbot, window, db318)
    assert experiments(window) == EXPECTED_318
    select_experiment(qtbot, window, "0")
    assert shown_ids(window) == ["tr-6a0851c5009984c0295519cd96b86728"]
    assert cell(window, 0, Column.NAME) == "ChatOllama"
    assert cell(window, 0, Column.STATE) == "OK"
    assert cell(window, 0, Column.REQUEST_TIME) == fmt.local_time(1795677585718)
    assert cell(window, 0, Column.DURATION) == "10 ms"
    assert cell(window, 0, Column.TOKENS) == "60"
    assert cell(window, 0, Column.REQUEST) == "Hello how are you?"
    assert cell(window, 0, Column.RESPONSE).startswith("Hello! I'm just a language model")


def test_error_trace_of_the_31_fixture_is_red(qtbot: QtBot, window: MainWindow, db31: Path) -> None:
    open_and_wait(qtbot, window, db31)
    assert shown_ids(window) == ["3ea16b8d2d41430ca5ca3c7ab14f4cf8"]
    state = window.trace_model.index(0, Column.STATE)
    assert state.data() == "Error"
    color = state.data(Qt.ItemDataRole.ForegroundRole)
    assert color.red() > 150 and color.green() < 120


def test_switching_experiments(qtbot: QtBot, window: MainWindow, db318: Path) -> None:
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, "1")
    assert shown_ids(window) == ids_in_database(db318, "1")
    assert cell(window, 0, Column.NAME) == "outer_span"
    # Two quick switches: only the last experiment's page may land in the list.
    window.experiment_view.select_experiment("2")
    select_experiment(qtbot, window, "0")
    qtbot.waitUntil(lambda: not window.trace_model.is_loading, timeout=WAIT_MS)
    assert shown_ids(window) == ids_in_database(db318, "0")


def test_selecting_a_row_emits_the_trace_id(qtbot: QtBot, window: MainWindow, db318: Path) -> None:
    open_and_wait(qtbot, window, db318)
    with qtbot.waitSignal(window.trace_view.trace_selected, timeout=WAIT_MS) as blocker:
        window.trace_view.select_row(2)
    assert blocker.args == [shown_ids(window)[2]]
    assert window.trace_view.selected_trace_id() == shown_ids(window)[2]


def test_refresh_shows_traces_written_meanwhile(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    open_and_wait(qtbot, window, db318)
    window.trace_view.select_row(1)
    selected = window.trace_view.selected_trace_id()
    with sqlite3.connect(db318) as writer:  # MLflow, still running, logs another trace
        writer.execute(
            "INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms,"
            " status, db_payload_generation, trace_name) VALUES (?, 2, ?, 5, 'OK', 0, 'late')",
            ("tr-ffffffffffffffffffffffffffffffff", 1795677699999),
        )
    writer.close()
    with qtbot.waitSignal(window.trace_model.page_loaded, timeout=WAIT_MS):
        window.menu_actions.refresh.trigger()
    assert shown_ids(window)[0] == "tr-ffffffffffffffffffffffffffffffff"
    assert window.trace_view.selected_trace_id() == selected  # kept across the reload
    assert experiments(window)[0] == ("evaluation_test", 7)
    assert window.menu_actions.refresh.shortcut().toString() == "F5"


def test_close_database_keeps_the_window(qtbot: QtBot, window: MainWindow, db318: Path) -> None:
    open_and_wait(qtbot, window, db318)
    with qtbot.waitSignal(window.store_closed, timeout=WAIT_MS):
        window.menu_actions.close_database.trigger()
    assert window.store is None
    assert window.trace_model.rowCount() == 0 and window.experiment_model.rowCount() == 0
    assert window.stack.currentWidget() is window.welcome
    assert window.status.file_label.text() == "No database open"
    assert not window.menu_actions.refresh.isEnabled()
    open_and_wait(qtbot, window, db318)  # and it opens again


def test_shortcuts_and_menus(window: MainWindow) -> None:
    actions = window.menu_actions
    assert actions.open.shortcut().toString() == "Ctrl+O"
    assert actions.quit.shortcut().toString() == "Ctrl+Q"
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Edit", "&View", "&Help"]


def test_about_box(qtbot: QtBot, window: MainWindow, db318: Path) -> None:
    store = open_and_wait(qtbot, window, db318)
    window.menu_actions.about.trigger()
    box = window.findChild(QMessageBox, "aboutBox")
    assert box is not None and box.isVisible()
    assert "TraceDesk" in box.text() and store.layout.label in box.text()
    box.close()


def test_quit_closes_the_window_and_joins_threads(
    qtbot: QtBot, make_window: Callable[..., MainWindow], db318: Path
) -> None:
    window = make_window()
    window.show()
    open_and_wait(qtbot, window, db318)
    window.menu_actions.quit.trigger()
    assert not window.isVisible()
    assert window.tasks.is_shut_down and window.store is None


@pytest.mark.parametrize("folder", [True, False])
def test_opening_a_folder_opens_its_mlflow_db(
    qtbot: QtBot, window: MainWindow, db318: Path, folder: bool
) -> None:
    store = open_and_wait(qtbot, window, db318.parent if folder else f"sqlite:///{db318}")
    assert store.display_name == str(db318)
