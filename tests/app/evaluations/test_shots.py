"""The Evaluations page renders offscreen in each state; with TRACEDESK_SHOTS=dir the images
are kept (runs and grid, comparison, rerun dialog, rerun in progress).

    TRACEDESK_SHOTS=shots QT_QPA_PLATFORM=offscreen \
        .venv/bin/python -m pytest tests/app/evaluations -k shot
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

import core
from app import settings
from app.evaluations.page import EvaluationsPage
from app.main_window import MainWindow
from core.scorers import ExactMatch, Feedback, MaxLength
from core.store.store import Store
from tests.app.evaluations import runs
from tests.app.evaluations.conftest import open_experiment
from tests.app.helpers import WAIT_MS
from tests.ollama_server import OllamaStandIn

CAPITALS = {
    "France": "Paris",
    "Japan": "Tokyo",
    "Australia": "Canberra",
    "Canada": "Ottawa",
    "Brazil": "Brasília",
    "Egypt": "Cairo",
    "India": "New Delhi",
    "Kenya": "Nairobi",
    "Norway": "Oslo",
    "Peru": "Lima",
    "Turkey": "Ankara",
    "Vietnam": "Hanoi",
}
WRONG_A = {"Australia": "Sydney", "Canada": "Toronto", "Turkey": "Istanbul"}
WRONG_B = {"Canada": "Toronto", "Kenya": "Mombasa"}


@core.scorer
def grounded(inputs: dict[str, str], outputs: str) -> Feedback:
    """A judge-like verdict with a rationale."""
    good = CAPITALS[inputs["country"]] in outputs
    why = f"The answer {'names' if good else 'does not name'} the capital of {inputs['country']}."
    return Feedback(value="yes" if good else "no", rationale=why)


@core.scorer
def words(outputs: str) -> int:
    return len(outputs.split())


@core.scorer
def citation(outputs: str) -> bool:
    if "Brasília" in outputs:
        raise ValueError("the citation service timed out after 30 s")
    return "capital" in outputs


def _answers(wrong: dict[str, str], verbose: bool) -> Callable[..., str]:
    def predict(country: str) -> str:
        city = wrong.get(country, CAPITALS[country])
        return f"The capital of {country} is {city}." if verbose else city

    return predict


def build_showcase(db: Path) -> tuple[str, str]:
    data = [
        {"inputs": {"country": c}, "expectations": {"expected_response": city}}
        for c, city in CAPITALS.items()
    ]
    scorers = [ExactMatch(), MaxLength(12), grounded, words, citation]
    first = runs.make_run(db, data, _answers(WRONG_A, False), scorers, "capitals-baseline")
    second = runs.make_run(db, data, _answers(WRONG_B, True), scorers, "capitals-verbose")
    with Store.open(db, read_only=False) as store:
        store.prompt_registry.register_version(
            "capitals",
            [
                {"role": "system", "content": "Answer with the city name only."},
                {"role": "user", "content": "What is the capital of {{ country }}?"},
            ],
            commit_message="chat prompt",
            experiment_id=runs.experiment_id(db),
        )
    return first.run_id, second.run_id


@pytest.fixture
def shown(make_window: Callable[..., MainWindow], qtbot: QtBot) -> MainWindow:
    window = make_window(read_only=False)
    window.resize(1400, 820)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def showcase(qtbot: QtBot, shown: MainWindow, tmp_path: Path) -> tuple[EvaluationsPage, str, str]:
    db = tmp_path / "showcase.db"
    first, second = build_showcase(db)
    page = shown.evaluations_page
    shown.modes.setCurrentWidget(page)
    open_experiment(qtbot, shown, page, db, runs.experiment_id(db))
    return page, first, second


def test_shot_runs_and_grid(
    qtbot: QtBot,
    shown: MainWindow,
    showcase: tuple[EvaluationsPage, str, str],
    shot: Callable[..., Path],
) -> None:
    page, first, _second = showcase
    with qtbot.waitSignal(page.grid.model.page_loaded, timeout=WAIT_MS):
        page.runs_view.select_runs([first])
    page.grid.view.selectRow(2)
    shot(shown, "evaluations-grid")
    with qtbot.waitSignal(page.grid.model.matched, timeout=WAIT_MS):
        page.grid.bar.show_box.setCurrentIndex(1)
    shot(shown, "evaluations-grid-failing")


def test_shot_comparison(
    qtbot: QtBot,
    shown: MainWindow,
    showcase: tuple[EvaluationsPage, str, str],
    shot: Callable[..., Path],
) -> None:
    page, first, second = showcase
    page.runs_view.select_runs([first, second])
    with qtbot.waitSignal(page.comparison_shown, timeout=WAIT_MS):
        page.compare_button.click()
    with qtbot.waitSignal(page.comparison.detail_shown, timeout=WAIT_MS):
        page.comparison.view.selectRow(2)
    shot(shown, "evaluations-comparison")
    page.comparison.show_regressions_only()
    shot(shown, "evaluations-comparison-regressions")


def test_shot_rerun_dialog_and_progress(
    qtbot: QtBot,
    shown: MainWindow,
    showcase: tuple[EvaluationsPage, str, str],
    shot: Callable[..., Path],
    ollama_server: OllamaStandIn,
) -> None:
    page, first, _second = showcase
    settings.set_ollama(ollama_server.url, "llama3.2:1b")
    page.runs_view.select_runs([first])
    page.rerun_button.click()
    qtbot.waitUntil(lambda: page.reruns.dialog is not None, timeout=WAIT_MS)
    dialog = page.reruns.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: "Asking" not in dialog.server_status.text(), timeout=WAIT_MS)
    dialog.judge_check.setChecked(True)
    shot(dialog, "evaluations-rerun-dialog")
    ollama_server.configure(chunk_delay=0.1)
    with qtbot.waitSignal(page.reruns.started, timeout=WAIT_MS) as started:
        dialog.run_button.click()
    for _ in range(2):
        with qtbot.waitSignal(started.args[0].progress, timeout=60_000):
            pass
    shot(shown, "evaluations-rerun-progress")
    with qtbot.waitSignal(page.reruns.finished, timeout=60_000):
        page.strip.cancel.click()
    shot(shown, "evaluations-rerun-cancelled")
