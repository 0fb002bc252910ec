"""The Insights tab opened on a copy of the demo database (`demo`, tests/app/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.insights.page import InsightsPage
from app.main_window import MainWindow
from tests.app.helpers import WAIT_MS, open_and_wait, select_experiment, show_window

#: The demo's support agent: traces over two weeks, chat sessions, several trace names.
AGENT = "1"


@pytest.fixture
def open_insights(
    qtbot: QtBot, make_window: Callable[..., MainWindow], demo: Path
) -> Callable[..., tuple[MainWindow, InsightsPage]]:
    """A shown window on the demo copy, the support agent selected, the Insights tab opened
    with Alt+G and its first answer drawn."""

    def opened(size: tuple[int, int] = (1280, 780)) -> tuple[MainWindow, InsightsPage]:
        window = make_window()
        window.resize(*size)
        show_window(qtbot, window)
        open_and_wait(qtbot, window, demo)
        select_experiment(qtbot, window, AGENT)
        window.trace_view.setFocus()
        qtbot.keyClick(window.trace_view, "g", Qt.KeyboardModifier.AltModifier)
        page = window.modes.currentWidget()
        assert isinstance(page, InsightsPage)
        qtbot.waitUntil(lambda: page.shown is not None and page.shown.tables_read, timeout=WAIT_MS)
        return window, page

    return opened
