"""Comparing two runs: the join on inputs, verdicts and their counts, deltas, the word diff."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

import core
from app.evaluations.compare import compare_runs
from app.evaluations.compare_model import REGRESSIONS, ComparisonModel
from app.evaluations.look import HTML_ROLE, TRACE_ID_ROLE
from app.evaluations.page import EvaluationsPage
from app.main_window import MainWindow
from core.scorers import ExactMatch
from core.store.store import Store
from tests.app.evaluations import runs
from tests.app.evaluations.conftest import open_experiment
from tests.app.helpers import WAIT_MS

ANSWERS_A = {0: "a0", 1: "x", 2: "a2", 3: "x", 4: "a4"}
ANSWERS_B = {0: "x", 1: "a1", 2: "a2", 3: "x", 5: "<b>a5</b> & more"}


@core.scorer
def length(outputs: str) -> int:
    return len(outputs)


@dataclass(frozen=True)
class TwoRuns:
    db: Path
    experiment_id: str
    a: str
    b: str


def _run(db: Path, answers: dict[int, str], name: str) -> str:
    data = [
        {"inputs": {"question": f"q{i}", "n": i}, "expectations": {"expected_response": f"a{i}"}}
        for i in answers
    ]
    data.reverse()  # the join does not depend on the order of the rows

    def predict(question: str, n: int) -> str:
        return answers[n]

    return runs.make_run(db, data, predict, [ExactMatch(), length], name).run_id


@pytest.fixture
def two_runs(tmp_path: Path) -> TwoRuns:
    """Run B against run A: q0 regressed, q1 improved, q2 and q3 unchanged, q4 only in A, q5
    only in B."""
    db = tmp_path / "compare.db"
    first = _run(db, ANSWERS_A, "baseline")
    second = _run(db, ANSWERS_B, "candidate")
    return TwoRuns(db, runs.experiment_id(db), first, second)


@pytest.fixture
def store(two_runs: TwoRuns) -> Iterator[Store]:
    with Store.open(two_runs.db) as opened:
        yield opened


def test_join_verdicts_and_counts(two_runs: TwoRuns, store: Store) -> None:
    comparison = compare_runs(store.evaluations, two_runs.a, two_runs.b)
    assert comparison.summary() == "1 improved, 1 regressed, 2 unchanged, 1 only in A, 1 only in B"
    assert comparison.scorers == ("exact_match", "length")
    by_question = {p.inputs: p for p in comparison.pairs}
    regressed = by_question['{"question": "q0", "n": 0}']
    assert regressed.verdict == "regressed" and regressed.deltas == (-1.0, -1.0)
    improved = by_question['{"question": "q1", "n": 1}']
    assert improved.verdict == "improved" and improved.deltas == (1.0, 1.0)
    assert by_question['{"question": "q2", "n": 2}'].deltas == (0.0, 0.0)
    assert by_question['{"question": "q4", "n": 4}'].b is None
    only_b = by_question['{"question": "q5", "n": 5}']
    assert only_b.a is None and only_b.b is not None and only_b.deltas == (None, None)


def test_comparison_model_passes_the_tester(
    qtmodeltester: ModelTester, two_runs: TwoRuns, store: Store
) -> None:
    model = ComparisonModel()
    qtmodeltester.check(model, force_py=True)
    model.set_comparison(compare_runs(store.evaluations, two_runs.a, two_runs.b))
    model.set_filter(REGRESSIONS)
    model.sort(0, Qt.SortOrder.DescendingOrder)
    model.set_filter("All rows")
    model.sort(model.columnCount() - 1, Qt.SortOrder.AscendingOrder)
    assert model.rowCount() == 6 and model.pair(0).verdict == "regressed"  # type: ignore[union-attr]


def test_compare_two_runs_in_the_page(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, two_runs: TwoRuns
) -> None:
    window.show()
    open_experiment(qtbot, window, page, two_runs.db, two_runs.experiment_id)
    assert not page.compare_button.isEnabled()
    page.runs_view.select_runs([two_runs.a, two_runs.b])
    assert page.compare_button.isEnabled() and not page.rerun_button.isEnabled()
    with qtbot.waitSignal(page.comparison_shown, timeout=WAIT_MS):
        page.compare_button.click()
    panel = page.comparison
    assert page.tabs.currentWidget() is panel
    summary = panel.summary.text()
    for count in ("1 improved", "1 regressed", "2 unchanged", "1 only in A", "1 only in B"):
        assert count in summary
    assert "A: baseline" in panel.runs_label.text() and "B: candidate" in panel.runs_label.text()
    model = panel.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Inputs", "Output A", "Output B", "exact_match", "length", "Change"]
    panel.show_regressions_only()
    assert model.rowCount() == 1
    assert [model.index(0, c).data() for c in (1, 2, 3, 4, 5)] == [
        "a0",
        "x",
        "Pass → Fail",
        "2 → 1 (-1)",
        "Regressed",
    ]
    assert model.index(0, 5).data(Qt.ItemDataRole.ForegroundRole) == QColor("#dc2626")
    assert model.index(0, 3).data(Qt.ItemDataRole.ForegroundRole) == QColor("#dc2626")
    html_a, html_b = model.index(0, 1).data(HTML_ROLE), model.index(0, 2).data(HTML_ROLE)
    assert "line-through" in html_a and ">a0<" in html_a and ">x<" in html_b
    with qtbot.waitSignal(page.trace_requested, timeout=WAIT_MS) as requested:
        panel.view.doubleClicked.emit(model.index(0, 1))
    assert requested.args == [model.index(0, 1).data(TRACE_ID_ROLE)]


def test_untrusted_outputs_are_escaped(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, two_runs: TwoRuns
) -> None:
    open_experiment(qtbot, window, page, two_runs.db, two_runs.experiment_id)
    with qtbot.waitSignal(page.comparison_shown, timeout=WAIT_MS):
        page.compare(two_runs.a, two_runs.b)
    panel = page.comparison
    panel.filter_box.setCurrentText("Rows in one run only")
    row = next(r for r in range(panel.model.rowCount()) if panel.model.pair(r).a is None)  # type: ignore[union-attr]
    assert panel.model.index(row, 2).data() == "<b>a5</b> & more"  # plain text, shown as is
    assert panel.model.index(row, 1).data() == "— not in run A"
    panel.filter_box.setCurrentText("All rows")
    improved = next(
        r
        for r in range(panel.model.rowCount())
        if panel.model.pair(r).verdict == "improved"  # type: ignore[union-attr]
    )
    with qtbot.waitSignal(panel.detail_shown, timeout=WAIT_MS):
        panel.view.selectRow(improved)
    assert "a1" in panel.detail_b.toPlainText() and "x" in panel.detail_a.toPlainText()
