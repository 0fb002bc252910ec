"""Fixtures for the explorer tests: a task runner, explorers, stores on fixture copies, and
the session-wide 10,000-span and hostile-markup databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.explorer import TraceExplorer
from app.tasks import TaskRunner
from core.store.store import Store
from resources import resource_path
from tests.app.explorer.data import build_big_trace, build_hostile_trace
from tests.app.helpers import WAIT_MS, shots_folder


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown()


@pytest.fixture
def open_store() -> Iterator[Callable[[Path], Store]]:
    """Open stores that are closed when the test ends."""
    stores: list[Store] = []

    def open_(path: Path) -> Store:
        store = Store.open(path)
        stores.append(store)
        return store

    yield open_
    for store in stores:
        store.close()


@pytest.fixture
def explorer(qtbot: QtBot, runner: TaskRunner) -> TraceExplorer:
    widget = TraceExplorer(runner)
    widget.setStyleSheet(resource_path("style.qss").read_text("utf-8"))
    qtbot.addWidget(widget)
    widget.resize(1280, 760)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def show(qtbot: QtBot, explorer: TraceExplorer) -> Callable[[Store, str], TraceExplorer]:
    """Show a trace and wait until it is loaded and its first span detail is rendered."""

    def show_(store: Store, trace_id: str) -> TraceExplorer:
        signals = [explorer.trace_loaded, explorer.detail.rendered]
        with qtbot.waitSignals(signals, timeout=WAIT_MS):
            explorer.show_trace(store, trace_id)
        return explorer

    return show_


@pytest.fixture(scope="session")
def big_trace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(database, trace id) of a 10,000-span trace written with core's tracing API."""
    path = tmp_path_factory.mktemp("big") / "mlflow.db"
    return path, build_big_trace(path)


@pytest.fixture(scope="session")
def hostile_trace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("hostile") / "mlflow.db"
    return path, build_hostile_trace(path)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: $TRACEDESK_SHOTS when set (kept), else a temporary folder."""
    return shots_folder(tmp_path / "shots")
