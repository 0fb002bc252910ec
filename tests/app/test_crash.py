"""An unexpected exception is logged and shown; the window keeps working."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app import crash


@pytest.fixture
def handler(tmp_path: Path) -> Iterator[crash.CrashHandler]:
    root = logging.getLogger()
    before = list(root.handlers)
    crash.configure_logging(tmp_path)
    installed = crash.CrashHandler()
    sys.excepthook = installed.handle
    threading.excepthook = installed.handle_thread
    yield installed
    installed.uninstall()
    for box in boxes():  # a box left open would keep a later test's application from quitting
        box.close()
    for extra in [h for h in root.handlers if h not in before]:
        extra.close()
        root.removeHandler(extra)


def boxes() -> list[QMessageBox]:
    """The message boxes on screen (a closed one lives on, hidden, until Python drops it)."""
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


def test_an_exception_in_a_slot_is_logged_and_shown(
    qtbot: QtBot, handler: crash.CrashHandler, tmp_path: Path
) -> None:
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())  # what Qt does with an exception escaping a slot
    qtbot.waitUntil(lambda: bool(boxes()))
    (box,) = boxes()
    assert "tracedesk.log" in box.text()
    assert "RuntimeError: boom in a slot" in box.detailedText()
    box.close()
    logged = (tmp_path / crash.LOG_NAME).read_text("utf-8")
    assert "boom in a slot" in logged and "Traceback" in logged


def test_an_exception_in_a_thread_reaches_the_gui(
    qtbot: QtBot, handler: crash.CrashHandler
) -> None:
    def fail() -> None:
        raise ValueError("boom in a worker")

    worker = threading.Thread(target=fail)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(boxes()))
    (box,) = boxes()
    assert "boom in a worker" in box.detailedText() and "boom in a worker" in handler.reports[-1]
    box.close()
