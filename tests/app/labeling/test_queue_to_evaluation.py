"""Issue 22 end to end, as a user does it on a copy of the demo: 20 traces labelled in a queue
from the keyboard, added to a dataset from the queue, the dataset evaluated from the
Evaluations tab against the stand-in Ollama, that run rerun with another prompt version and the
two runs compared."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app import settings
from app.evaluations.page import EvaluationsPage
from app.evaluations.rerun import DatasetChoice
from app.main_window import MainWindow
from core.entities.evaluation import EvaluationResult
from core.genai.datasets import get_dataset
from core.store import Store
from tests.app.helpers import WAIT_MS, select_experiment
from tests.app.labeling.test_review_window import (
    AGENT,
    label,
    open_start,
    start,
    writable_window,
)
from tests.ollama_server import OllamaStandIn

RUN_MS = 120_000


def evaluate(qtbot: QtBot, page: EvaluationsPage, prompt_index: int) -> EvaluationResult:
    """The dialog the flow opened: a prompt version picked, Run, the run's outcome."""
    qtbot.waitUntil(lambda: page.reruns.dialog is not None, timeout=WAIT_MS)
    dialog = page.reruns.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: "Asking" not in dialog.server_status.text(), timeout=WAIT_MS)
    dialog.prompt_box.setCurrentIndex(prompt_index)
    # The labels are feedback, not expected answers: the scorers are the user's to pick.
    assert not dialog.run_button.isEnabled()
    dialog.length_check.setChecked(True)
    dialog.judge_check.setChecked(True)
    assert dialog.run_button.isEnabled()
    with qtbot.waitSignal(page.reruns.finished, timeout=RUN_MS) as finished:
        dialog.run_button.click()
    result = finished.args[0]
    assert isinstance(result, EvaluationResult)
    return result


def test_label_twenty_then_evaluate_the_dataset_and_compare_a_rerun(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    demo: Path,
    ollama_server: OllamaStandIn,
) -> None:
    settings.set_ollama(ollama_server.url, "llama3.2:1b")
    window = writable_window(qtbot, make_window, demo)
    select_experiment(qtbot, window, AGENT)

    dialog = open_start(qtbot, window)
    dialog.sampled.setFocus()
    qtbot.keyClick(dialog.sampled, Qt.Key.Key_Space)  # a sample of 20
    review = start(qtbot, window, dialog, "ann")
    label(qtbot, review, "p41n" * 20)
    qtbot.waitUntil(lambda: len(review.labelled) == 20, timeout=WAIT_MS)
    qtbot.mouseClick(review.dataset_button, Qt.MouseButton.LeftButton)
    adding = review.dataset_dialog
    assert adding is not None
    qtbot.waitExposed(adding)
    qtbot.keyClicks(adding.name, "labelled")
    with qtbot.waitSignal(adding.finished_adding, timeout=WAIT_MS) as added:
        qtbot.keyClick(adding.name, Qt.Key.Key_Return)
    assert added.args[0].inserted > 0
    adding.close()
    qtbot.keyClick(review, Qt.Key.Key_Escape)
    store = window.store
    assert store is not None
    records = len(get_dataset(name="labelled", store=store).records)

    # Evaluations → Evaluate Dataset…: the experiment's datasets, "labelled" picked.
    page = window.evaluations_page
    window.modes.setCurrentWidget(page)
    offered: list[list[str]] = []

    def choose(found: list[DatasetChoice]) -> DatasetChoice | None:
        offered.append([choice.name for choice in found])
        return next(choice for choice in found if choice.name == "labelled")

    page.choose_dataset = choose  # type: ignore[method-assign]
    window.activateWindow()  # mnemonics fire in the active window (the review had it)
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(page, "d", Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: bool(offered), timeout=WAIT_MS)  # read in the database thread
    assert "labelled" in offered[0]
    dialog_intro = f"{records:,} records of dataset labelled"
    qtbot.waitUntil(lambda: page.reruns.dialog is not None, timeout=WAIT_MS)
    assert page.reruns.dialog is not None
    assert page.reruns.dialog.windowTitle() == "Evaluate Dataset labelled"
    assert (
        page.reruns.dialog.findChild(type(page.heading), "rerunIntro")
        .text()
        .startswith(dialog_intro)
    )
    first = evaluate(qtbot, page, 0)
    assert first.status == "FINISHED"
    assert "Evaluation finished: run" in page.strip.detail.text()
    with Store.open(demo) as reading:
        stored = reading.evaluations.run(first.run_id)
        assert stored.status == "FINISHED" and stored.row_count == records

    # Rerun that run with another prompt version: the comparison of the two opens.
    qtbot.waitUntil(lambda: page.runs_view.select_runs([first.run_id]), timeout=WAIT_MS)
    page.rerun_button.click()
    with qtbot.waitSignal(page.comparison_shown, timeout=RUN_MS) as shown:
        second = evaluate(qtbot, page, 1)
    assert second.status == "FINISHED"
    comparison = shown.args[0]
    assert (comparison.run_a.run_id, comparison.run_b.run_id) == (first.run_id, second.run_id)
    assert comparison.counts["only in A"] == 0 and comparison.counts["only in B"] == 0
