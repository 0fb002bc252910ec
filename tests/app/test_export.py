"""File → Export Trace writes MLflow's trace JSON; errors are reported, never lost silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.traces import commands
from core.store.store import Store
from tests.app.helpers import WAIT_MS, open_and_wait, select_experiment, show_window, shown_ids


def export_to(
    qtbot: QtBot, window: MainWindow, target: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Press Ctrl+E with the save dialog answered by `target`; return what it suggested."""
    suggested: list[str] = []

    def answer(suggestion: str) -> str:
        suggested.append(suggestion)
        return str(target)

    monkeypatch.setattr(window.commands, "ask_export_path", answer)
    with qtbot.waitSignal(window.commands.exported, timeout=WAIT_MS) as blocker:
        qtbot.keyClick(window.trace_view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args == [str(target)]
    return suggested


@pytest.mark.parametrize("layout", ["db318", "db31", "db222"])
def test_export_writes_the_same_json_as_the_reader(
    qtbot: QtBot,
    window: MainWindow,
    layout: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db: Path = request.getfixturevalue(layout)
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.trace_view.select_row(0)
    trace_id = shown_ids(window)[0]
    target = tmp_path / "exported.json"
    suggested = export_to(qtbot, window, target, monkeypatch)
    assert suggested == [str(db.parent / f"{trace_id}.json")]
    with Store.open(db) as store:
        expected = store.reader.get_trace(trace_id).to_json()
    written = target.read_text("utf-8")
    assert json.loads(written) == json.loads(expected)
    assert written.startswith('{\n  "info": {')  # pretty, like MLflow's to_json(pretty=True)
    assert str(target) in window.status.currentMessage()


def test_export_of_a_nested_318_trace(
    qtbot: QtBot,
    window: MainWindow,
    db318: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, "1")
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.trace_view.select_row(0)
    target = tmp_path / "nested.json"
    export_to(qtbot, window, target, monkeypatch)
    data = json.loads(target.read_text("utf-8"))
    assert data["info"]["trace_id"] == "tr-8a3d93a26e8534bbd41731f1c1a5d860"
    assert [s["name"] for s in data["data"]["spans"]] == ["outer_span", "innder_span"]


def test_export_without_a_trace_says_so(
    qtbot: QtBot, window: MainWindow, db318: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_and_wait(qtbot, window, db318)
    asked: list[str] = []
    monkeypatch.setattr(window.commands, "ask_export_path", asked.append)
    window.menu_actions.export_trace.trigger()
    assert asked == [] and window.status.currentMessage() == "Select a trace to export it."


def test_a_cancelled_save_dialog_writes_nothing(
    qtbot: QtBot, window: MainWindow, db318: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_and_wait(qtbot, window, db318)
    window.trace_view.select_row(0)
    written: list[object] = []
    monkeypatch.setattr(commands, "write_trace_json", lambda *args: written.append(args))
    monkeypatch.setattr(window.commands, "ask_export_path", lambda _suggested: "")
    window.menu_actions.export_trace.trigger()
    qtbot.waitUntil(lambda: window.tasks.pending == 0, timeout=WAIT_MS)
    assert written == []


def test_an_unwritable_target_is_reported(
    qtbot: QtBot,
    window: MainWindow,
    db318: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    open_and_wait(qtbot, window, db318)
    window.trace_view.select_row(0)
    target = tmp_path / "no-such-folder" / "trace.json"
    monkeypatch.setattr(window.commands, "ask_export_path", lambda _suggested: str(target))
    with qtbot.waitSignal(window.error_reported, timeout=WAIT_MS) as blocker:
        window.menu_actions.export_trace.trigger()
    assert str(target) in blocker.args[0]
    box = window.findChild(QMessageBox, "errorBox")
    assert box is not None and box.windowTitle() == "Export Failed"
    box.close()
