"""Fixtures for the app tests: offscreen Qt, temporary settings, no leaked threads, windows."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything loads Qt

import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from core import tracking
from core.demo import build
from tests.app.helpers import Shot, dangling_threads, save_shot, shots_folder
from tests.app.synthetic import SyntheticDb, build_synthetic_db


@pytest.fixture(scope="session", autouse=True)
def application_names(qapp: QApplication) -> None:
    """Names for QSettings/QStandardPaths that cannot touch a developer's real ones."""
    qapp.setOrganizationName("TraceDeskTests")
    qapp.setApplicationName("TraceDeskTests")
    QStandardPaths.setTestModeEnabled(True)


@pytest.fixture(autouse=True)
def temporary_settings(tmp_path: Path) -> Path:
    """Every test gets its own empty QSettings (INI files under tmp_path)."""
    folder = tmp_path / "settings"
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    return folder


@pytest.fixture(autouse=True)
def no_dangling_threads() -> Iterator[None]:
    """Fail a test that leaves a thread running (set up first, so checked last)."""
    before = set(threading.enumerate())
    yield
    leaked = dangling_threads(before)
    if leaked:
        pytest.fail(f"threads left running: {', '.join(t.name for t in leaked)}", pytrace=False)


@pytest.fixture
def make_window(qtbot: QtBot) -> Iterator[Callable[..., MainWindow]]:
    """Build real main windows; each is closed (threads joined) when the test ends."""
    windows: list[MainWindow] = []

    def make(read_only: bool = True) -> MainWindow:
        window = MainWindow(read_only=read_only)
        qtbot.addWidget(window)
        window.resize(1280, 760)
        window.database.busy_timeout_s = 0.3
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
        running = [t.objectName() or repr(t) for t in window.findChildren(QTimer) if t.isActive()]
        assert not running, f"timers left running after close: {running}"
        assert window.tasks.is_shut_down


@pytest.fixture
def window(make_window: Callable[..., MainWindow]) -> MainWindow:
    return make_window()


@pytest.fixture
def shown(window: MainWindow, qtbot: QtBot) -> MainWindow:
    """`window` on screen (offscreen), at the size the screenshots use."""
    window.resize(1280, 760)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def shot(qtbot: QtBot, tmp_path: Path) -> Shot:
    """`shot(widget, name)` saves `<name>.png` under $TRACEDESK_SHOTS (kept) or tmp_path."""
    folder = shots_folder(tmp_path)
    return lambda widget, name: save_shot(qtbot, widget, folder / f"{name}.png")


@pytest.fixture
def restore_app_state(qapp: QApplication) -> Iterator[None]:
    """`main` names the application, handles Ctrl+C and runs `qapp.exec()`: undo all three."""
    names = qapp.organizationName(), qapp.applicationName(), qapp.applicationDisplayName()
    handler = signal.getsignal(signal.SIGINT)
    yield
    qapp.setOrganizationName(names[0])
    qapp.setApplicationName(names[1])
    qapp.setApplicationDisplayName(names[2])
    signal.signal(signal.SIGINT, handler)
    clear_pending_quit(qapp)


def clear_pending_quit(qapp: QApplication) -> None:
    """Leave no quit behind `main`'s event loop for the tests that follow.

    Closing the last window posts a Quit event; when the loop ends on another quit first (the
    smoke run's own), that event stays queued. Delivered later outside any `exec()`, it sets
    Qt's "quit now" flag for good, and from then on every event loop — each `qtbot.waitSignal`
    — returns at once, so every later wait times out. One short `exec()` consumes any pending
    quit and clears the flag (Qt resets it when `exec()` returns).
    """
    QTimer.singleShot(0, qapp.quit)
    qapp.exec()


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> SyntheticDb:
    """3,000 + 40 traces; shared by the tests, which only read it."""
    return build_synthetic_db(tmp_path_factory.mktemp("synthetic") / "mlflow.db")


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo database (`tracedesk --demo`'s), built once per session."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build.build_demo_database(path)
    yield path
    tracking.reset()  # the build set core's global tracking URI


@pytest.fixture
def demo(built_demo: Path, tmp_path: Path) -> Path:
    """A copy of the demo database of this test's own (the Insights and labelling tests)."""
    copy = tmp_path / "demo.db"
    shutil.copy(built_demo, copy)
    return copy
