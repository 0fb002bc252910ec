"""Bad input: a clear message, and the database that was open stays open and usable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from tests.app import helpers
from tests.app.helpers import WAIT_MS, fail_to_open, open_and_wait


def missing(folder: Path) -> Path:
    return folder / "nowhere" / "mlflow.db"


def zero_bytes(folder: Path) -> Path:
    path = folder / "empty.db"
    path.write_bytes(b"")
    return path


def text_file(folder: Path) -> Path:
    path = folder / "notes.db"
    path.write_text("These are my notes, not a database.\n" * 20, "utf-8")
    return path


def a_folder(folder: Path) -> Path:
    path = folder / "just-a-folder"
    path.mkdir()
    return path


BAD_INPUTS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (missing, "does not exist"),
    "zero-byte": (zero_bytes, "empty"),
    "text": (text_file, "not an SQLite database"),
    "unrelated-sqlite": (helpers.unrelated_sqlite, "not an MLflow tracking store"),
    "folder": (a_folder, "is a folder"),
}


def assert_still_usable(qtbot: QtBot, window: MainWindow, before: object) -> None:
    """The store that was open is still the one shown, and it still reads."""
    assert window.store is before
    assert window.experiment_model.rowCount() == 3
    assert window.trace_model.rowCount() > 0
    with qtbot.waitSignal(window.trace_model.page_loaded, timeout=WAIT_MS):
        window.refresh()
    assert window.trace_model.rowCount() > 0


def error_box(window: MainWindow) -> QMessageBox:
    box = window.findChild(QMessageBox, "errorBox")
    assert isinstance(box, QMessageBox) and box.isVisible()
    return box


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_keeps_the_open_database(
    qtbot: QtBot, window: MainWindow, db318: Path, tmp_path: Path, case: str
) -> None:
    store = open_and_wait(qtbot, window, db318)
    make, expected = BAD_INPUTS[case]
    bad = make(tmp_path)
    message = fail_to_open(qtbot, window, bad)
    assert expected in message and str(bad) in message
    box = error_box(window)
    assert box.text() == message
    assert str(db318) in box.informativeText()  # "… is still open."
    box.close()
    assert_still_usable(qtbot, window, store)


def test_truncated_file(qtbot: QtBot, window: MainWindow, db318: Path) -> None:
    store = open_and_wait(qtbot, window, db318)
    message = fail_to_open(qtbot, window, helpers.truncated_copy(db318))
    assert "truncated" in message
    assert_still_usable(qtbot, window, store)


def test_locked_file(qtbot: QtBot, window: MainWindow, db318: Path) -> None:
    store = open_and_wait(qtbot, window, db318)
    locked = helpers.broken_copy(db318, "locked.db")
    holder = helpers.lock_exclusively(locked)
    try:
        message = fail_to_open(qtbot, window, locked)
    finally:
        holder.rollback()
        holder.close()
    assert "locked" in message
    assert_still_usable(qtbot, window, store)
    open_and_wait(qtbot, window, locked)  # once the other program is done, it opens


def test_bad_input_with_nothing_open(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    message = fail_to_open(qtbot, window, text_file(tmp_path))
    assert "not an SQLite database" in message
    assert error_box(window).informativeText() == ""
    assert window.store is None and window.stack.currentWidget() is window.welcome


def test_newer_layout_opens_read_only_with_a_notice(
    qtbot: QtBot, make_window: Callable[..., MainWindow], db318: Path
) -> None:
    window = make_window(read_only=False)  # even when writing was asked for
    store = open_and_wait(qtbot, window, helpers.newer_layout_copy(db318))
    assert store.read_only and store.notices
    assert not window.notice_bar.isHidden()
    assert "newer MLflow" in window.notice_bar.text
    assert window.status.notice_label.text().startswith("⚠")
    assert window.status.mode_label.text() == "Read-only"
    assert window.experiment_model.rowCount() == 3  # and it is fully readable
    assert window.findChild(QMessageBox, "errorBox") is None  # a notice, not a dialog
    window.notice_bar.dismiss()
    assert window.notice_bar.isHidden()


def test_a_failing_list_read_becomes_a_notice(
    qtbot: QtBot, window: MainWindow, db318: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_and_wait(qtbot, window, db318)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk I/O error")

    monkeypatch.setattr(store.reader, "trace_page", broken)
    with qtbot.waitSignal(window.error_reported, timeout=WAIT_MS) as blocker:
        window.experiment_view.select_experiment("1")
    assert "disk I/O error" in blocker.args[0]
    assert "disk I/O error" in window.notice_bar.text and not window.notice_bar.isHidden()
    assert window.store is store


def test_only_the_last_of_two_quick_opens_counts(
    qtbot: QtBot, window: MainWindow, db318: Path, db31: Path
) -> None:
    window.open_location(db318)
    store = open_and_wait(qtbot, window, db31)
    assert store.display_name == str(db31)
    qtbot.waitUntil(lambda: window.tasks.pending == 0, timeout=WAIT_MS)
    assert window.store is store


def test_background_work_that_fails_unhandled_is_shown(qtbot: QtBot, window: MainWindow) -> None:
    def unreadable() -> None:
        raise OSError("disk I/O error")

    with qtbot.waitSignal(window.error_reported, timeout=WAIT_MS) as blocker:
        window.tasks.submit(unreadable).describe("Reading the prompt registry")
    assert blocker.args == ["Reading the prompt registry failed: disk I/O error"]
    assert "Reading the prompt registry failed" in window.notice_bar.text
    assert not window.notice_bar.isHidden()
