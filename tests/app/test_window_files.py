"""Getting a database into the window: Open…, Open Recent (kept in QSettings), drag and drop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.recent import MAX_RECENT, RecentFiles
from tests.app.helpers import WAIT_MS, open_and_wait


def test_open_dialog(
    qtbot: QtBot, window: MainWindow, db318: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(db318), ""))
    with qtbot.waitSignal(window.trace_model.page_loaded, timeout=WAIT_MS):
        window.menu_actions.open.trigger()
    assert window.store is not None and window.store.display_name == str(db318)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    window.menu_actions.open.trigger()  # cancelled: nothing changes
    assert window.store.display_name == str(db318)


def test_recent_files_persist_across_windows(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    db318: Path,
    db31: Path,
    temporary_settings: Path,
) -> None:
    first = make_window()
    open_and_wait(qtbot, first, db318)
    open_and_wait(qtbot, first, db31)
    first.close()
    assert list(temporary_settings.rglob("*.ini"))  # written to the temporary scope
    second = make_window()
    menu = second.menu_actions.recent_menu
    menu.rebuild()
    assert menu.locations() == [str(db31), str(db318)]  # newest first
    action = next(a for a in menu.actions() if a.data() == str(db318))
    assert "mlflow.db" in action.text() and "3.18" in action.text()
    with qtbot.waitSignal(second.store_opened, timeout=WAIT_MS):
        action.trigger()
    assert second.store is not None and second.store.display_name == str(db318)


def test_missing_recent_files_are_pruned_with_a_message(
    qtbot: QtBot, window: MainWindow, db318: Path, db31: Path
) -> None:
    recent = RecentFiles()
    recent.add(str(db31))
    recent.add(str(db318))
    db31.unlink()
    menu = window.menu_actions.recent_menu
    with qtbot.waitSignal(menu.pruned, timeout=WAIT_MS) as blocker:
        menu.rebuild()
    assert blocker.args == [[str(db31)]]
    assert "no longer exist" in window.status.currentMessage()
    assert menu.locations() == [str(db318)]
    assert RecentFiles().entries() == [str(db318)]


def test_a_recent_file_that_vanished_is_reported_and_forgotten(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    RecentFiles().add(str(db318))
    db318.unlink()
    with qtbot.waitSignal(window.error_reported, timeout=WAIT_MS):
        window.menu_actions.recent_menu.file_chosen.emit(str(db318))
    assert RecentFiles().entries() == []


def test_recent_list_is_capped_and_deduplicated() -> None:
    recent = RecentFiles(QSettings())
    for i in range(MAX_RECENT + 3):
        recent.add(f"/data/{i}/mlflow.db")
    recent.add("/data/5/mlflow.db")
    entries = recent.entries()
    assert len(entries) == MAX_RECENT and entries[0] == "/data/5/mlflow.db"
    assert entries.count("/data/5/mlflow.db") == 1
    recent.clear()
    assert recent.entries() == []


def test_single_entry_round_trips_through_ini() -> None:
    RecentFiles().add("/only/one.db")
    assert RecentFiles().entries() == ["/only/one.db"]


def drag_events(
    path: Path | None, target: MainWindow
) -> tuple[QDragEnterEvent, QDropEvent, QMimeData]:
    """The events of dropping `path` (or text) on `target`; keep the returned QMimeData alive
    while they are used (the events only point to it)."""
    mime = QMimeData()
    if path is None:
        mime.setText("just some text")
    else:
        mime.setUrls([QUrl.fromLocalFile(str(path))])
    centre = target.rect().center()
    enter = QDragEnterEvent(
        centre,  # QPoint: PySide6 6.11 has no QPointF overload for drag-enter events
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    drop = QDropEvent(
        QPointF(centre),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    return enter, drop, mime


def test_dropping_a_db_file_opens_it(qtbot: QtBot, window: MainWindow, db31: Path) -> None:
    enter, drop, _mime = drag_events(db31, window)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    with qtbot.waitSignals([window.store_opened, window.trace_model.page_loaded], timeout=WAIT_MS):
        QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    assert window.store is not None and window.store.display_name == str(db31)


def test_dropping_text_is_refused(window: MainWindow) -> None:
    enter, drop, _mime = drag_events(None, window)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()
    QApplication.sendEvent(window, drop)
    assert window.store is None


def test_a_file_being_opened_is_named_instead_of_the_invitation(
    qtbot: QtBot, window: MainWindow, db318: Path, tmp_path: Path
) -> None:
    """`tracedesk mlflow.db` shows "Opening …" until the rows come, never "Open a database"
    (which flashed before); a file that fails to open gives the invitation back."""
    welcome = window.welcome
    window.show()
    with qtbot.waitSignal(window.store_opened, timeout=WAIT_MS):
        window.open_location(db318)
        assert welcome.title.text() == f"Opening {db318}…"
        assert not welcome.button.isVisible() and not welcome.hint.isVisible()
    assert window.stack.currentWidget() is window.modes
    window.close_database()
    missing = tmp_path / "gone.db"
    with qtbot.waitSignal(window.error_reported, timeout=WAIT_MS):
        window.open_location(missing)
        assert welcome.title.text().startswith("Opening ")
    assert welcome.title.text() == "Open an MLflow tracking database"
    assert welcome.button.isVisible()
