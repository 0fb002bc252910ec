"""The runs list and the result grid: cells, colours, tooltips, lazy pages, filters, sorts,
opening a row's trace."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor, QIcon
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

import core
from app.evaluations.cell_text import FAIL, PASS
from app.evaluations.grid_model import ResultGridModel
from app.evaluations.look import KIND_ROLE, PILL_COLOURS, TRACE_ID_ROLE
from app.evaluations.page import EvaluationsPage
from app.evaluations.rows import GridQuery, Show
from app.evaluations.runs_model import FIXED, RunListModel
from app.evaluations.runs_view import RUNS_SHOWN
from app.main_window import MainWindow
from app.tasks import TaskRunner
from core.store.store import Store
from tests.app.evaluations import runs
from tests.app.evaluations.conftest import (
    EXP_OUT_RUN,
    FIXTURE_EXPERIMENT,
    SOME_CHECK_RUN,
    SizedDb,
    open_experiment,
    select_run,
)
from tests.app.helpers import WAIT_MS

DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole


def cell(model: ResultGridModel, row: int, title: str, role: int = DISPLAY) -> object:
    column = next(c for c in range(model.columnCount()) if model.columns.title(c) == title)
    return model.index(row, column).data(role)


def column_texts(model: ResultGridModel, title: str) -> list[object]:
    return [cell(model, row, title) for row in range(model.rowCount())]


def test_runs_of_the_fixture_experiment(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, db318: Path
) -> None:
    open_experiment(qtbot, window, page, db318, FIXTURE_EXPERIMENT)
    model = page.runs_model
    assert model.rowCount() == 2 and model.scorers == ("exp_out", "some_check")
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Run", "Started", "Status", "Rows", "exp_out", "some_check"]
    sassy = model.row_of(SOME_CHECK_RUN)
    assert sassy is not None
    texts = [model.index(sassy, c).data() for c in range(model.columnCount())]
    assert texts[0] == "sassy-elk-4" and texts[2:] == ["Finished", "3", "—", "0.333"]
    assert model.index(sassy, 2).data(FOREGROUND) == QColor("#15803d")
    assert SOME_CHECK_RUN in model.index(sassy, 0).data(TOOLTIP)
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        page.refresh_button.click()
    assert page.runs_view.selected_runs() == [] and model.rowCount() == 2
    assert page.grid.view.placeholder_text().startswith("Select a run above")
    page.runs_view.select_runs([SOME_CHECK_RUN])
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        page.refresh_button.click()
    assert [run.run_id for run in page.runs_view.selected_runs()] == [SOME_CHECK_RUN]
    window.experiment_view.select_experiment("1")  # no evaluation runs there
    qtbot.waitUntil(lambda: page.experiment_id == "1" and model.rowCount() == 0, timeout=WAIT_MS)
    assert page.grid.view.placeholder_text() == ""  # no run to select: the list says so


def test_grid_of_the_fixture_run(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, db318: Path
) -> None:
    open_experiment(qtbot, window, page, db318, FIXTURE_EXPERIMENT)
    select_run(qtbot, page, SOME_CHECK_RUN)
    model = page.grid.model
    assert model.total == 3 and model.rowCount() == 3
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert titles == ["#", "Inputs", "Output", "expected_response", "some_check"]
    assert column_texts(model, "Output") == ["Wright Brothers", "Unicorn", "William Shakespeare"]
    assert column_texts(model, "some_check") == ["Fail", "Pass", "Fail"]
    kinds = [cell(model, r, "some_check", KIND_ROLE) for r in range(3)]
    assert kinds == [FAIL, PASS, FAIL]
    assert cell(model, 1, "some_check", FOREGROUND) == QColor("#15803d")
    assert cell(model, 0, "some_check", FOREGROUND) == QColor("#dc2626")
    assert PILL_COLOURS == {PASS: "#15803d", FAIL: "#dc2626"}
    tip = str(cell(model, 0, "some_check", TOOLTIP))
    assert "some_check: false" in tip and "Source: CODE · some_check" in tip
    assert cell(model, 0, "Inputs") == "Who was the first person to build an airplane?"
    assert cell(model, 2, "expected_response") == "William Shakespeare"
    assert model.index(0, 0).data(TRACE_ID_ROLE) == "tr-028977f65e7df04108efc43f2c04dcc3"
    assert page.grid.bar.count.text() == "3 rows"


def test_scorer_errors_and_numbers(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, tmp_path: Path
) -> None:
    from core.scorers import Feedback, scorer

    @scorer
    def judged(outputs: str) -> Feedback:
        return Feedback(value="yes" if "1" in outputs else "no", rationale=f"<b>{outputs}</b>")

    @scorer
    def length(outputs: str) -> int:
        return len(outputs)

    db = tmp_path / "errors.db"
    data = runs.questions(2)
    result = runs.make_run(
        db, data, lambda question: question, [judged, length, runs.never_works], "mixed"
    )
    open_experiment(qtbot, window, page, db, runs.experiment_id(db))
    select_run(qtbot, page, result.run_id)
    model = page.grid.model
    assert sorted(column_texts(model, "judged")) == ["no", "yes"]  # type: ignore[type-var]
    assert column_texts(model, "length") == ["10", "10"]
    assert cell(model, 0, "length", Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    assert sorted(column_texts(model, "never_works")) == [  # type: ignore[type-var]
        "cannot judge 'question 0'",
        "cannot judge 'question 1'",
    ]
    assert isinstance(cell(model, 0, "never_works", Qt.ItemDataRole.DecorationRole), QIcon)
    assert "Error (SCORER_ERROR)" in str(cell(model, 0, "never_works", TOOLTIP))
    rationale_tip = str(cell(model, 0, "judged", TOOLTIP))
    assert "&lt;b&gt;question" in rationale_tip and "<b>question" not in rationale_tip


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown()


@pytest.fixture
def sized_store(sized_db: SizedDb) -> Iterator[Store]:
    with Store.open(sized_db.path) as store:
        yield store


def test_run_list_passes_the_model_tester(
    qtbot: QtBot, qtmodeltester: ModelTester, runner: TaskRunner, sized_store: Store
) -> None:
    runs = RunListModel(runner)
    qtmodeltester.check(runs, force_py=True)
    experiment = sized_store.reader.experiments()[0].experiment_id
    with qtbot.waitSignal(runs.loaded, timeout=WAIT_MS):
        runs.load(sized_store, experiment)
    assert runs.rowCount() == 2
    with qtbot.waitSignal(runs.loaded, timeout=WAIT_MS):
        runs.load(None, None)


@pytest.mark.parametrize("show", [Show.ALL, Show.FAILING])
def test_grid_passes_the_model_tester(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    runner: TaskRunner,
    sized_store: Store,
    sized_db: SizedDb,
    show: Show,
) -> None:
    """Checked while it opens, pages in (from the database or the index) and sorts."""
    grid = ResultGridModel(runner)
    qtmodeltester.check(grid, force_py=True)
    grid.apply(GridQuery(show=show))
    with qtbot.waitSignal(grid.page_loaded, timeout=WAIT_MS):
        grid.open(sized_store, sized_db.big)
    for _ in range(2):
        with qtbot.waitSignal(grid.page_loaded, timeout=WAIT_MS):
            grid.fetchMore(QModelIndex())
    assert grid.rowCount() >= 250
    with qtbot.waitSignal(grid.matched, timeout=WAIT_MS):
        grid.sort(3, Qt.SortOrder.DescendingOrder)
    assert grid.matching == (1000 if show is Show.ALL else 934)
    assert grid.rowCount() >= 100  # the tester's own fetchMore calls may reveal more pages
    grid.open(None, None)  # nothing left in flight for the tester to see after the test


def test_a_thousand_rows_open_lazily(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, sized_db: SizedDb
) -> None:
    open_experiment(qtbot, window, page, sized_db.path, sized_db.experiment_id)
    model = page.grid.model
    timings: dict[str, list[float]] = {}
    for run_id in (sized_db.small, sized_db.big, sized_db.small, sized_db.big):
        started = time.perf_counter()
        select_run(qtbot, page, run_id)
        timings.setdefault(run_id, []).append(time.perf_counter() - started)
    assert model.total == 1000 and model.rowCount() == 50  # one page, not the run
    assert model.canFetchMore(QModelIndex())
    with qtbot.waitSignal(model.page_loaded, timeout=WAIT_MS):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 150
    assert [model.row(i).number for i in (0, 149)] == [1, 150]  # type: ignore[union-attr]
    # Same time class: opening 1,000 rows costs about what 10 do (a generous bound).
    assert min(timings[sized_db.big]) < 5 * min(timings[sized_db.small]) + 0.05


def test_filters_search_and_sorts(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, sized_db: SizedDb
) -> None:
    open_experiment(qtbot, window, page, sized_db.path, sized_db.experiment_id)
    select_run(qtbot, page, sized_db.big)
    model, bar = page.grid.model, page.grid.bar
    with qtbot.waitSignal(model.matched, timeout=WAIT_MS):
        bar.show_box.setCurrentIndex(bar.show_box.findData(Show.FAILING))
    assert model.matching == 934  # wrong answers, and answers over 3 characters (a100...)
    with qtbot.waitSignal(model.matched, timeout=WAIT_MS):
        bar.scorer_box.setCurrentText("exact_match")
    assert model.matching == 334 and model.rowCount() == 100  # revealed a page at a time
    assert set(column_texts(model, "exact_match")) == {"Fail"}
    assert bar.count.text() == "334 of 1,000 rows"
    with qtbot.waitSignal(model.matched, timeout=WAIT_MS):
        bar.search.setText("question 99")
    wanted = [f"question: question {i}" for i in range(0, 1000, 3) if "99" in str(i)]
    assert sorted(column_texts(model, "Inputs")) == sorted(wanted)  # every word searched for
    with qtbot.waitSignal(model.matched, timeout=WAIT_MS):
        page.grid.view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    assert column_texts(model, "Inputs")[0] == "question: question 999"
    with qtbot.waitSignal(model.matched, timeout=WAIT_MS):
        bar.show_box.setCurrentIndex(bar.show_box.findData(Show.ERRORS))
        bar.search.clear()
        bar.apply_now()
    assert model.matching == 0 and page.grid.view.placeholder_text() == "No rows match the filter."
    with qtbot.waitSignal(model.page_loaded, timeout=WAIT_MS):
        bar.show_box.setCurrentIndex(bar.show_box.findData(Show.ALL))
        page.grid.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert model.query.natural and model.matching is None and model.rowCount() == 50


def test_sort_by_a_scorer_puts_passes_last_when_ascending(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, sized_db: SizedDb
) -> None:
    open_experiment(qtbot, window, page, sized_db.path, sized_db.experiment_id)
    select_run(qtbot, page, sized_db.small)
    model = page.grid.model
    column = next(c for c in range(model.columnCount()) if model.columns.title(c) == "exact_match")
    with qtbot.waitSignal(model.matched, timeout=WAIT_MS):
        page.grid.view.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    assert column_texts(model, "exact_match") == ["Fail"] * 4 + ["Pass"] * 6


def test_a_row_opens_its_trace(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, db318: Path
) -> None:
    window.show()
    open_experiment(qtbot, window, page, db318, FIXTURE_EXPERIMENT)
    select_run(qtbot, page, SOME_CHECK_RUN)
    view = page.grid.view
    index = page.grid.model.index(1, 1)
    wanted = str(index.data(TRACE_ID_ROLE))
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        view.doubleClicked.emit(index)
    assert window.modes.currentWidget() is window.workspace
    assert window.shown_trace_id == wanted
    window.modes.setCurrentWidget(page)
    view.selectRow(2)
    view.setFocus()
    with qtbot.waitSignal(page.trace_requested, timeout=WAIT_MS) as requested:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert requested.args == [page.grid.model.trace_id(2)]


def test_grid_follows_the_store(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, db318: Path
) -> None:
    open_experiment(qtbot, window, page, db318, FIXTURE_EXPERIMENT)
    select_run(qtbot, page, EXP_OUT_RUN)
    assert page.grid.model.rowCount() == 1
    assert cell(page.grid.model, 0, "Output") == "ouputs value"
    window.close_database()
    assert page.grid.model.rowCount() == 0 and page.runs_model.rowCount() == 0


def test_no_search_timer_runs_while_the_grid_is_hidden(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, sized_db: SizedDb
) -> None:
    window.show()
    open_experiment(qtbot, window, page, sized_db.path, sized_db.experiment_id)
    select_run(qtbot, page, sized_db.small)
    bar, model = page.grid.bar, page.grid.model
    bar.search.setText("question 1")
    page.tabs.setCurrentWidget(page.comparison)
    assert not bar._delay.isActive() and model.query.text == ""
    with qtbot.waitSignal(model.matched, timeout=WAIT_MS):
        page.tabs.setCurrentWidget(page.grid)
    assert model.query.text == "question 1" and model.matching == 1


def test_the_first_arrow_in_the_runs_selects_the_first_run(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, db318: Path
) -> None:
    """Tabbing into the runs puts Qt's cursor on row 1 unselected; Down selects that row,
    it does not skip to row 2 (and the same in every row table)."""
    open_experiment(qtbot, window, page, db318, FIXTURE_EXPERIMENT)
    view = page.runs_view
    view.setFocus(Qt.FocusReason.TabFocusReason)
    view.setCurrentIndex(page.runs_model.index(0, 0))  # where Qt's focus-in puts the cursor
    view.clearSelection()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert [i.row() for i in view.selectionModel().selectedRows()] == [0]
    qtbot.keyClick(view, Qt.Key.Key_Down)  # then arrows move as usual
    assert [i.row() for i in view.selectionModel().selectedRows()] == [1]


def test_the_runs_list_shows_whole_rows(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, db318: Path
) -> None:
    """At the default size, five runs fit whole (it showed three and a half)."""
    window.resize(1280, 780)
    window.show()
    qtbot.waitExposed(window)
    open_experiment(qtbot, window, page, db318, FIXTURE_EXPERIMENT)
    view = page.runs_view
    rows = view.verticalHeader().defaultSectionSize()
    assert view.viewport().height() >= RUNS_SHOWN * rows


@core.scorer
def contains_the_expected_response_exactly(outputs: str) -> bool:
    return "a" in outputs


def test_scorer_columns_are_as_wide_as_their_names(
    qtbot: QtBot, window: MainWindow, page: EvaluationsPage, tmp_path: Path
) -> None:
    """A scorer's column fits its name ("ontains_expected" was cut at the left)."""
    db = tmp_path / "mlflow.db"
    runs.make_run(
        db, runs.questions(3), lambda question: "a", [contains_the_expected_response_exactly], "r"
    )
    open_experiment(qtbot, window, page, db, runs.experiment_id(db))
    view, model = page.runs_view, page.runs_model
    metrics = view.horizontalHeader().fontMetrics()
    titles = [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(len(FIXED), 5)]
    assert titles == ["contains_the_expected_response_exactly"]
    assert view.columnWidth(len(FIXED)) >= metrics.horizontalAdvance(titles[0][:20])
