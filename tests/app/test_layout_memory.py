"""Layout memory: a dock squeezed by a small window comes back, handles are easy to grab."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter
from pytestqt.qtbot import QtBot

from app.main_window import DOCK_MIN_WIDTH, DOCK_WIDTH, MainWindow
from tests.app.helpers import open_and_wait


def dock_width(window: MainWindow) -> int:
    return window.experiments_dock.width()


def test_a_squeezed_experiments_panel_grows_back_and_is_not_kept_squeezed(
    qtbot: QtBot, make_window: Callable[..., MainWindow], db318: Path
) -> None:
    """Squeezed to its minimum (as a small window does), the panel gets its usual width back
    when the window grows, and again at the next start after the squeezed state was saved."""
    window = make_window()
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    open_and_wait(qtbot, window, db318)
    dock = window.experiments_dock
    window.resizeDocks([dock], [DOCK_MIN_WIDTH], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: dock_width(window) <= DOCK_MIN_WIDTH + 4, timeout=5000)
    window.resize(1500, 950)
    qtbot.waitUntil(lambda: dock_width(window) >= DOCK_WIDTH - 8, timeout=5000)
    window.resizeDocks([dock], [DOCK_MIN_WIDTH], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: dock_width(window) <= DOCK_MIN_WIDTH + 4, timeout=5000)
    window.close()  # saves the squeezed state
    again = make_window()
    again.show()
    qtbot.waitExposed(again)
    qtbot.waitUntil(lambda: dock_width(again) >= DOCK_WIDTH - 8, timeout=5000)


def test_a_width_the_user_chose_stays(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    chosen = DOCK_MIN_WIDTH + 40
    window.resizeDocks([window.experiments_dock], [chosen], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: abs(dock_width(window) - chosen) <= 4, timeout=5000)
    window.resize(1500, 950)
    qtbot.wait(50)
    assert abs(dock_width(window) - chosen) <= 4


def test_splitter_handles_are_wide_enough_to_grab(qtbot: QtBot, window: MainWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    for page in (window.evaluations_page, window.prompts_page, window.agents_page):
        assert page is not None  # built when first shown (or asked for), like here
    splitters = window.findChildren(QSplitter)
    assert len(splitters) >= 4  # the workspace, the explorer, and the pages' own
    for splitter in splitters:
        handle = splitter.handle(1)
        if handle is None or not handle.isVisible():
            continue
        horizontal = splitter.orientation() == Qt.Orientation.Horizontal
        thickness = handle.width() if horizontal else handle.height()
        assert thickness >= 6, splitter.objectName()
