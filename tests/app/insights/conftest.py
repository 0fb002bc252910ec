"""The demo database, built once for the Insights tests; each test works on its own copy."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.insights.page import InsightsPage
from app.main_window import MainWindow
from core import tracking
from core.demo import build
from tests.app.helpers import WAIT_MS, open_and_wait, select_experiment, show_window

#: The demo's support agent: traces over two weeks, chat sessions, several trace names.
AGENT = "1"


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("insights-demo") / "demo.db"
    build.build_demo_database(path)
    yield path
    tracking.reset()  # the build set core's global tracking URI


@pytest.fixture
def demo(built_demo: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "demo.db"
    shutil.copy(built_demo, copy)
    return copy


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
