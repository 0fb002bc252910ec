"""Comparing runs whose rows were stored differently: pairing by dataset record and by
normalised inputs, and scorer directions (a shorter answer is a change, not a regression)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

import core
from app import settings
from app.evaluations.compare import compare_runs
from app.evaluations.compare_view import ComparePanel
from app.evaluations.page import EvaluationsPage
from app.evaluations.pairing import RowKeys, match, normalised
from app.main_window import MainWindow
from core.store.store import Store
from tests.app.evaluations import runs
from tests.app.evaluations.conftest import open_experiment
from tests.app.helpers import WAIT_MS, Shot

ROWS = 60
LONG = "MLflow is an open source platform for the machine learning lifecycle. " * 2
CHANGED_BLUE = QColor("#2563eb")
REGRESSED_RED = QColor("#dc2626")


def question(i: int) -> str:
    return f"What is feature {i} of MLflow?"


def dataset(count: int = ROWS) -> list[dict[str, object]]:
    return [
        {"inputs": {"question": question(i)}, "expectations": {"expected_response": f"fact {i}"}}
        for i in range(count)
    ]


@core.scorer
def answer_length(outputs: str) -> int:
    return len(outputs)


@core.scorer
def on_topic(outputs: str) -> bool:
    return "MLflow" in outputs


def chain_on_a_string(question: str) -> str:
    """Calls a 'chain' with the bare question: its span (the row's root) holds a string."""
    with core.start_span("chain") as span:
        span.set_inputs(question)
        span.set_outputs(LONG)
    return LONG


def keyword_answer(question: str) -> str:
    """Traced by the evaluation itself: the root holds {"question": ...}."""
    return "MLflow"


def prompted(question: str) -> str:
    """Calls a model with a prompt made of the question: no inputs in common with the others."""
    with core.start_span("llm") as span:
        span.set_inputs({"prompt": f"Answer briefly. Q: {question}", "temperature": 0})
        span.set_outputs("MLflow")
    return "MLflow"


@dataclass(frozen=True)
class Runs:
    db: Path
    experiment_id: str
    a: str
    b: str


@pytest.fixture
def string_vs_keyword(db318: Path) -> Runs:
    """On a copy of the 3.18 tutorial database: the same 60-record dataset evaluated by a
    function whose trace holds the bare question, then by one holding {"question": ...}."""
    scorers = [answer_length, on_topic]
    a = runs.make_run(db318, dataset(), chain_on_a_string, scorers, "bare-string").run_id
    b = runs.make_run(db318, dataset(), keyword_answer, scorers, "keyword").run_id
    return Runs(db318, runs.experiment_id(db318), a, b)


@pytest.fixture
def store(string_vs_keyword: Runs) -> Iterator[Store]:
    with Store.open(string_vs_keyword.db) as opened:
        yield opened


def compare_in_page(qtbot: QtBot, window: MainWindow, page: EvaluationsPage, two: Runs) -> None:
    open_experiment(qtbot, window, page, two.db, two.experiment_id)
    with qtbot.waitSignal(page.comparison_shown, timeout=WAIT_MS):
        page.compare(two.a, two.b)


def column_of(panel: ComparePanel, title: str) -> int:
    model = panel.model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return titles.index(title)


def type_into_menus(qtbot: QtBot, steps: list[tuple[str, Qt.Key]]) -> list[str]:
    """From timers, type each key into the open menu titled as said, once it is the active
    popup (a menu may run its own event loop); returns the titles typed into so far. Past
    `WAIT_MS` every popup is closed, so a menu that never showed cannot hang the test."""
    typed: list[str] = []
    deadline = time.monotonic() + WAIT_MS / 1000

    def step() -> None:
        popup = QApplication.activePopupWidget()
        title, key = steps[len(typed)]
        if isinstance(popup, QMenu) and popup.title() == title:
            typed.append(title)
            qtbot.keyClick(popup, key)
        elif time.monotonic() > deadline:
            while (stuck := QApplication.activePopupWidget()) is not None:
                stuck.close()
            return
        if len(typed) < len(steps):
            QTimer.singleShot(20, step)

    QTimer.singleShot(0, step)
    return typed


# -- normalised inputs ------------------------------------------------------------------------


def test_a_bare_string_is_a_one_key_dict_holding_it() -> None:
    assert normalised("Why?") == normalised({"question": "Why?"}) == "Why?"
    assert normalised('{"question": "Why?"}') == "Why?"  # JSON text decoded
    assert normalised('"Why?"') == "Why?"
    assert normalised("  Why\n  so? ") == normalised({"q": "Why so?"})
    assert normalised({"a": 1, "b": " x  y"}) == normalised('{"b": "x y", "a": 1}')
    assert normalised({"a": "x", "b": "y"}) != normalised("x")  # two keys: not one question
    assert normalised({"n": 3}) == {"n": 3}  # a one-key dict of a number stays a dict
    assert normalised("[not json") == "[not json"


def test_inputs_pair_occurrence_by_occurrence_and_records_first() -> None:
    a = [RowKeys("x", "r1"), RowKeys("x", "r2"), RowKeys("y", None)]
    b = [RowKeys("x", None), RowKeys("z", "r2"), RowKeys("y", None), RowKeys("x", None)]
    assert match(a, b, by_record=False) == {0: (0, "inputs"), 1: (3, "inputs"), 2: (2, "inputs")}
    assert match(a, b, by_record=True) == {
        1: (1, "dataset record"),
        0: (0, "inputs"),
        2: (2, "inputs"),
    }
    twice = [RowKeys("p", "r"), RowKeys("q", "r")]  # a record seen twice names no single row
    assert match(twice, [RowKeys("q", "r")], by_record=True) == {1: (0, "inputs")}


# -- pairing stored runs ----------------------------------------------------------------------


def test_runs_of_one_dataset_pair_by_record(string_vs_keyword: Runs, store: Store) -> None:
    a_row = store.evaluations.rows(string_vs_keyword.a).rows[0]
    b_row = store.evaluations.rows(string_vs_keyword.b).rows[0]
    assert isinstance(a_row.inputs, str) and isinstance(b_row.inputs, dict)  # as stored
    comparison = compare_runs(store.evaluations, string_vs_keyword.a, string_vs_keyword.b)
    assert comparison.pairing_text() == "Paired 60 rows by dataset record"
    assert comparison.counts["only in A"] == comparison.counts["only in B"] == 0
    b_inputs = {r.trace_id: r.inputs for r in store.evaluations.rows(string_vs_keyword.b).rows}
    met = {
        (normalised(p.inputs), b_inputs[p.b.trace_id]["question"]) for p in comparison.pairs if p.b
    }
    assert met == {(question(i), question(i)) for i in range(ROWS)}  # each its own record's


def test_a_record_pairs_rows_whose_inputs_have_nothing_in_common(db318: Path) -> None:
    a = runs.make_run(db318, dataset(8), keyword_answer, [on_topic], "keyword").run_id
    b = runs.make_run(db318, dataset(8), prompted, [on_topic], "prompted").run_id
    other = runs.make_run(db318, dataset(7), prompted, [on_topic], "smaller dataset").run_id
    with Store.open(db318) as opened:
        same = compare_runs(opened.evaluations, a, b)
        different = compare_runs(opened.evaluations, a, other)
    assert same.pairing_text() == "Paired 8 rows by dataset record"
    assert same.summary() == "0 improved, 0 regressed, 8 unchanged, 0 only in A, 0 only in B"
    # another dataset: expectations prove nothing, and the inputs differ
    assert different.pairing_text() == "No rows paired"
    assert different.counts["only in A"] == 8 and different.counts["only in B"] == 7


def test_runs_of_different_datasets_pair_by_normalised_inputs(db318: Path) -> None:
    spaced = [{"inputs": {"question": f"  {question(i)}\n"}} for i in range(5)]
    a = runs.make_run(db318, dataset(6), chain_on_a_string, [on_topic], "six").run_id
    b = runs.make_run(db318, spaced, keyword_answer, [on_topic], "five, spaced").run_id
    with Store.open(db318) as opened:
        comparison = compare_runs(opened.evaluations, a, b)
    assert comparison.pairing_text() == "Paired 5 rows by inputs"
    assert comparison.counts["only in A"] == 1 and comparison.counts["only in B"] == 0


# -- the compare view -------------------------------------------------------------------------


def test_the_view_says_how_rows_were_paired_and_a_shorter_answer_is_a_change(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, string_vs_keyword: Runs, shot: Shot
) -> None:
    window.show()
    compare_in_page(qtbot, window, page, string_vs_keyword)
    panel = page.comparison
    assert panel.pairing_label.text() == "Paired 60 rows by dataset record"
    summary = panel.summary.text()
    for count in ("0 improved", "0 regressed", "60 changed", "0 unchanged", "0 only in A"):
        assert count in summary
    model = panel.model
    length = column_of(panel, "answer_length")
    verdict = model.columnCount() - 1
    assert model.index(0, length).data() == f"{len(LONG)} → 6 (-{len(LONG) - 6})"
    assert model.index(0, length).data(Qt.ItemDataRole.ForegroundRole) == CHANGED_BLUE
    assert model.index(0, verdict).data() == "Changed"
    assert model.index(0, column_of(panel, "on_topic")).data() == "Pass"  # unchanged
    panel.filter_box.setCurrentText("Regressions only")
    assert model.rowCount() == 0
    panel.filter_box.setCurrentText("Changed rows")
    assert model.rowCount() == ROWS
    panel.resize(1280, 700)
    shot(panel, "evaluations-comparison-changed")


def test_a_direction_set_from_the_header_is_applied_and_remembered(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, string_vs_keyword: Runs, shot: Shot
) -> None:
    window.show()
    compare_in_page(qtbot, window, page, string_vs_keyword)
    panel = page.comparison
    header = panel.view.horizontalHeader()
    length = column_of(panel, "answer_length")
    spot = QPoint(header.sectionViewportPosition(length) + 5, header.height() // 2)
    header.customContextMenuRequested.emit(spot)
    menu = panel.header_menu
    assert menu is not None and menu.title() == "answer_length"
    checked = [a.text() for a in menu.actions() if a.isChecked()]
    assert checked == ["Pass/fail (a number that moves is only a change)"]
    higher = next(a for a in menu.actions() if a.text() == "Higher is better")
    higher.trigger()
    menu.close()
    assert settings.scorer_directions() == {"answer_length": "higher"}
    assert panel.model.comparison is not None
    summary = "0 improved, 60 regressed, 0 unchanged, 0 only in A, 0 only in B"
    assert panel.model.comparison.summary() == summary
    assert "60 regressed" in panel.summary.text()
    length = column_of(panel, "answer_length ↑")
    model = panel.model
    assert model.index(0, length).data(Qt.ItemDataRole.ForegroundRole) == REGRESSED_RED
    assert model.index(0, model.columnCount() - 1).data() == "Regressed"
    with qtbot.waitSignal(page.comparison_shown, timeout=WAIT_MS):  # compared again: kept
        page.compare(string_vs_keyword.a, string_vs_keyword.b)
    assert "60 regressed" in panel.summary.text()
    panel.resize(1280, 700)
    shot(panel, "evaluations-comparison-higher-is-better")


def test_directions_are_reachable_by_keyboard(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, string_vs_keyword: Runs
) -> None:
    window.show()
    qtbot.waitExposed(window)
    compare_in_page(qtbot, window, page, string_vs_keyword)
    panel = page.comparison
    button = panel.directions_button
    assert button.isEnabled() and button.focusPolicy() & Qt.FocusPolicy.TabFocus
    window.activateWindow()
    button.setFocus()
    qtbot.waitUntil(button.hasFocus, timeout=WAIT_MS)
    # Space opens the menu; Down to the first scorer (answer_length), Right into it, Down twice
    # to "Lower is better", Return.
    typed = type_into_menus(
        qtbot,
        [
            ("", Qt.Key.Key_Down),
            ("", Qt.Key.Key_Right),
            ("answer_length", Qt.Key.Key_Down),
            ("answer_length", Qt.Key.Key_Down),
            ("answer_length", Qt.Key.Key_Return),
        ],
    )
    qtbot.keyClick(button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: len(typed) == 5 and QApplication.activePopupWidget() is None)
    assert typed == ["", "", "answer_length", "answer_length", "answer_length"]
    assert settings.scorer_directions() == {"answer_length": "lower"}
    assert "60 improved" in panel.summary.text()
    assert column_of(panel, "answer_length ↓") == 3
