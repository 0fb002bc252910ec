"""Fixtures of the Evaluations page tests: a window with the page, databases with runs."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.evaluations import page as page_module
from app.evaluations.page import EvaluationsPage
from app.main_window import MainWindow
from tests.app.evaluations import runs
from tests.app.helpers import WAIT_MS, open_and_wait

FIXTURE_EXPERIMENT = "2"
SOME_CHECK_RUN = "d5b2747922674d6f94c58663cc62ba9c"
EXP_OUT_RUN = "7082f33920df4ef19608054f671777a9"


@dataclass(frozen=True)
class SizedDb:
    path: Path
    experiment_id: str
    big: str  # 1,000 rows
    small: str  # 10 rows


@pytest.fixture(scope="session")
def sized_db(tmp_path_factory: pytest.TempPathFactory) -> SizedDb:
    """One database with a 1,000-row run and a 10-row run (shared; tests only read it)."""
    path = tmp_path_factory.mktemp("sized") / "mlflow.db"
    big = runs.sized_run(path, 1000, "thousand-rows")
    small = runs.sized_run(path, 10, "ten-rows")
    return SizedDb(path, runs.experiment_id(path), big.run_id, small.run_id)


@pytest.fixture
def sized_copy(sized_db: SizedDb, tmp_path: Path) -> SizedDb:
    """A copy of `sized_db` a test may write to."""
    target = tmp_path / "sized" / "mlflow.db"
    target.parent.mkdir()
    shutil.copy2(sized_db.path, target)
    return SizedDb(target, sized_db.experiment_id, sized_db.big, sized_db.small)


@pytest.fixture(autouse=True)
def cancel_reruns_on_close(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Closing a window with a rerun running asks modally; here the answer is always yes."""
    asked: list[bool] = []

    def answer(_parent: object) -> bool:
        asked.append(True)
        return True

    monkeypatch.setattr(page_module, "ask_to_cancel_rerun", answer)
    return asked


@pytest.fixture
def page(window: MainWindow) -> EvaluationsPage:
    """The Evaluations page of a real window (closed and joined after the test), shown."""
    window.modes.setCurrentWidget(window.evaluations_page)
    return window.evaluations_page


def open_experiment(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, db: Path, experiment_id: str
) -> None:
    """Open `db`, pick the experiment in the sidebar, wait for the page's runs."""
    open_and_wait(qtbot, window, db)
    assert window.experiment_view.select_experiment(experiment_id)  # may be selected already
    qtbot.waitUntil(
        lambda: page.experiment_id == experiment_id and not page.runs_model.is_loading,
        timeout=WAIT_MS,
    )


def select_run(qtbot: QtBot, page: EvaluationsPage, run_id: str) -> None:
    """Select one run and wait for the first page of its grid."""
    with qtbot.waitSignal(page.grid.model.page_loaded, timeout=WAIT_MS):
        assert page.runs_view.select_runs([run_id])
