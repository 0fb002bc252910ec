"""File → Receive OpenTelemetry…: enable editing, start, spans from the official SDK appear
live (in progress until the root comes), the status bar counts them, stop."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.otlp.dialog import ReceiveOtlpDialog
from app.theme import ThemeApplier
from app.traces.rows import Column
from tests.app.helpers import WAIT_MS, open_and_wait, select_experiment, show_window
from tests.core.otlp.sdk import agent_turn, otlp_protobuf, post, recorded_spans

SHOTS = Path("/tmp/h")


@pytest.fixture
def look(qapp: QApplication) -> Iterator[ThemeApplier]:
    applier = ThemeApplier(qapp)
    yield applier
    applier.apply("system", None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def open_dialog(qtbot: QtBot, window: MainWindow) -> ReceiveOtlpDialog:
    """File → Receive OpenTelemetry… by keyboard: Alt+F, then its mnemonic P."""
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    assert window.menu_actions.receive_otlp in file_menu.actions()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(file_menu.isVisible, timeout=WAIT_MS)
    qtbot.keyClick(file_menu, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: window.otlp.dialog is not None, timeout=WAIT_MS)
    dialog = window.otlp.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def chat_text(window: MainWindow) -> str:
    """The text of every widget of the span detail (the chat among them)."""
    from PySide6.QtWidgets import QTextBrowser

    return "\n".join(b.toPlainText() for b in window.explorer.findChildren(QTextBrowser))


def row_state(window: MainWindow, trace_id: str) -> str | None:
    model = window.trace_model
    for row in range(model.rowCount()):
        if model.trace_id(row) == trace_id:
            return str(model.index(row, Column.STATE).data())
    return None


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_receive_from_the_sdk_into_the_open_window(
    qtbot: QtBot, window: MainWindow, db318: Path, look: ThemeApplier, theme: str
) -> None:
    look.apply(theme, None)
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, "0")
    assert window.store is not None and window.store.read_only

    dialog = open_dialog(qtbot, window)  # read-only: it says so and offers editing
    assert not dialog.start_stop.isEnabled()
    assert "read-only" in dialog.state.text()
    dialog.grab().save(str(SHOTS / f"otlp_dialog_read_only_{theme}.png"))
    with qtbot.waitSignal(window.store_opened, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.enable, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.otlp.dialog is not None, timeout=WAIT_MS)  # shown again
    dialog = window.otlp.dialog
    assert dialog is not None and window.store is not None and not window.store.read_only
    assert dialog.experiment.currentText() == "Default"

    port = free_port()
    dialog.port.setFocus()
    dialog.port.selectAll()
    qtbot.keyClicks(dialog.port, str(port))
    assert dialog.port.value() == port
    with qtbot.waitSignal(window.otlp.receiving.running_changed, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.start_stop, Qt.MouseButton.LeftButton)
    label = window.otlp.receiving.label
    assert window.otlp.status_field.isVisible()
    assert label.text() == f"Receiving OTLP on 127.0.0.1:{port} · 0 spans"
    assert dialog.start_stop.text() == "Stop" and not dialog.port.isEnabled()

    found: list[str] = []
    # the root starts 5 ms before its children: when it comes, the trace moves earlier
    spans = recorded_spans(lambda tracer: found.append(agent_turn(tracer, pause_s=0.005)))
    trace_id = found[0]
    url = f"http://127.0.0.1:{port}/v1/traces"
    children = [s for s in spans if s.parent is not None]
    assert post(url, otlp_protobuf(children), "application/x-protobuf")[0] == 200
    qtbot.waitUntil(lambda: row_state(window, trace_id) == "In progress", timeout=WAIT_MS)
    assert label.text() == f"Receiving OTLP on 127.0.0.1:{port} · 3 spans"
    assert "3 spans in 1 trace so far" in dialog.state.text()
    dialog.grab().save(str(SHOTS / f"otlp_dialog_running_{theme}.png"))
    window.grab().save(str(SHOTS / f"otlp_in_progress_{theme}.png"))

    root = [s for s in spans if s.parent is None]
    assert post(url, otlp_protobuf(root), "application/x-protobuf")[0] == 200
    qtbot.waitUntil(lambda: row_state(window, trace_id) == "OK", timeout=WAIT_MS)
    assert label.text() == f"Receiving OTLP on 127.0.0.1:{port} · 4 spans"
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.commands.go_to_trace(trace_id)
    window.explorer.focus_tree()
    tree = window.explorer.spans.view
    qtbot.keyClick(tree, Qt.Key.Key_Down)  # agent.run -> the GenAI chat span under it
    qtbot.waitUntil(lambda: "You are a shop assistant." in chat_text(window), timeout=WAIT_MS)
    window.grab().save(str(SHOTS / f"otlp_window_{theme}.png"))

    with qtbot.waitSignal(window.otlp.receiving.running_changed, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.start_stop, Qt.MouseButton.LeftButton)
    assert not window.otlp.status_field.isVisible()
    assert dialog.start_stop.text() == "Start"
    qtbot.waitUntil(lambda: not listening(port), timeout=WAIT_MS)  # stopped in the job pool
    dialog.close()
