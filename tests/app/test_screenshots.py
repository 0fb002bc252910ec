"""Every state of the window renders offscreen; with TRACEDESK_SHOTS=dir the images are kept.

TRACEDESK_SHOTS=shots QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest tests/app -k shot
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from tests.app import helpers
from tests.app.helpers import (
    WAIT_MS,
    clone_trace,
    fail_to_open,
    open_and_wait,
    select_experiment,
)
from tests.app.synthetic import LOAD_TEST, SyntheticDb


def test_shot_welcome(shown: MainWindow, shot: Callable[..., Path]) -> None:
    shot(shown, "welcome")


def test_shot_fixture(
    qtbot: QtBot, shown: MainWindow, fixture_db: Path, shot: Callable[..., Path]
) -> None:
    open_and_wait(qtbot, shown, fixture_db)
    qtbot.waitUntil(lambda: shown.trace_model.total is not None, timeout=WAIT_MS)
    if shown.trace_model.rowCount() > 1:  # a lone row stays unselected: its colours show
        shown.trace_view.select_row(1)
    shot(shown, f"fixture-{fixture_db.parent.name.removeprefix('mlflow-')}")


def test_shot_synthetic(
    qtbot: QtBot, shown: MainWindow, synthetic: SyntheticDb, shot: Callable[..., Path]
) -> None:
    open_and_wait(qtbot, shown, synthetic.path)
    select_experiment(qtbot, shown, LOAD_TEST)
    qtbot.waitUntil(lambda: shown.trace_model.total == 3000, timeout=WAIT_MS)
    shown.trace_view.select_row(3)
    shot(shown, "synthetic")


def test_shot_empty_experiment(
    qtbot: QtBot, shown: MainWindow, synthetic: SyntheticDb, shot: Callable[..., Path]
) -> None:
    open_and_wait(qtbot, shown, synthetic.path)
    select_experiment(qtbot, shown, "0")
    assert shown.trace_view.placeholder_text() == "No traces in this experiment yet."
    shot(shown, "empty-experiment")


def test_shot_newer_layout_and_error(
    qtbot: QtBot, shown: MainWindow, db318: Path, tmp_path: Path, shot: Callable[..., Path]
) -> None:
    open_and_wait(qtbot, shown, helpers.newer_layout_copy(db318))
    shot(shown, "newer-layout")
    fail_to_open(qtbot, shown, helpers.unrelated_sqlite(tmp_path))
    box = shown.findChild(QMessageBox, "errorBox")
    assert isinstance(box, QMessageBox)
    shot(box, "error-box")
    box.close()


def test_shot_explorer_nested_trace(
    qtbot: QtBot, shown: MainWindow, db318: Path, shot: Callable[..., Path]
) -> None:
    open_and_wait(qtbot, shown, db318)
    select_experiment(qtbot, shown, "1")
    with qtbot.waitSignal(shown.explorer.trace_loaded, timeout=WAIT_MS):
        shown.trace_view.select_row(0)  # outer_span > innder_span
    shown.trace_view.setFocus()
    shot(shown, "explorer-nested-318")


def test_shot_explorer_below(
    qtbot: QtBot, shown: MainWindow, db318: Path, shot: Callable[..., Path]
) -> None:
    open_and_wait(qtbot, shown, db318)
    shown.menu_actions.explorer_below.trigger()
    with qtbot.waitSignal(shown.explorer.trace_loaded, timeout=WAIT_MS):
        shown.trace_view.select_row(1)
    shot(shown, "explorer-below-318")


def test_shot_query_error(
    qtbot: QtBot, shown: MainWindow, db318: Path, shot: Callable[..., Path]
) -> None:
    open_and_wait(qtbot, shown, db318)
    select_experiment(qtbot, shown, "1")
    with qtbot.waitSignal(shown.explorer.trace_loaded, timeout=WAIT_MS):
        shown.trace_view.select_row(1)
    edit = shown.query_bar.edit
    edit.setFocus()
    qtbot.keyClicks(edit, "span.type = 'LLM' AND trace.execution_time_ms > 'slow'")
    edit.completer_popup.popup().hide()
    with qtbot.waitSignal(shown.trace_model.query_rejected, timeout=WAIT_MS):
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert shown.query_bar.error_text
    shot(shown, "query-error")


def test_shot_query_help_and_completer(
    qtbot: QtBot, shown: MainWindow, db318: Path, shot: Callable[..., Path]
) -> None:
    open_and_wait(qtbot, shown, db318)
    shown.query_bar.help_button.click()
    shot(shown.query_bar.help, "query-help")
    shown.query_bar.help.hide()
    edit = shown.query_bar.edit
    edit.setFocus()
    qtbot.keyClicks(edit, "trace.status = 'OK' AND sp")
    assert edit.completer_popup.popup().isVisible()
    shot(edit.completer_popup.popup(), "query-completer")
    edit.completer_popup.popup().hide()


def test_shot_live_mode(
    qtbot: QtBot, shown: MainWindow, db318: Path, shot: Callable[..., Path]
) -> None:
    shown.live.interval_ms = 40
    open_and_wait(qtbot, shown, db318)
    select_experiment(qtbot, shown, "1")
    with qtbot.waitSignal(shown.explorer.trace_loaded, timeout=WAIT_MS):
        shown.trace_view.select_row(1)
    qtbot.waitUntil(lambda: shown.live.is_polling, timeout=WAIT_MS)
    with qtbot.waitSignal(shown.trace_model.rows_merged, timeout=WAIT_MS):
        for n, name in enumerate(("nightly eval", "retry with tools", "late answer")):
            clone_trace(
                db318,
                "tr-a5680d8a83e0c24b8a431f69a6dc3cad",
                f"tr-{hashlib.md5(name.encode()).hexdigest()}",
                1795677603144 + 1000 * (n + 1),
                trace_name=name,
            )
    shot(shown, "live-mode")


def test_shot_dialogs(
    qtbot: QtBot, shown: MainWindow, db318: Path, shot: Callable[..., Path]
) -> None:
    open_and_wait(qtbot, shown, db318)
    shown.show_shortcuts()
    dialog = shown.findChild(QDialog, "shortcutsDialog")
    assert isinstance(dialog, QDialog)
    shot(dialog, "shortcuts")
    dialog.close()
    goto = shown.commands.ask_trace_id()
    assert goto is not None
    qtbot.keyClicks(goto.id_edit, "tr-nope")
    qtbot.keyClick(goto.id_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(goto.message.isVisible, timeout=WAIT_MS)
    shot(goto, "go-to-trace")
    goto.close()
