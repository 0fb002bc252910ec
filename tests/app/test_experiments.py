"""The experiments sidebar: rows, counts, selection, escaping, and the model tester."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.experiments.model import EXPERIMENT_ID_ROLE, TRACE_COUNT_ROLE, ExperimentListModel
from app.experiments.view import ExperimentListView
from app.tasks import TaskRunner
from core.store.store import Store
from tests.app.helpers import WAIT_MS
from tests.app.synthetic import SyntheticDb


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown()


def rows(model: ExperimentListModel) -> list[tuple[str, int]]:
    return [
        (model.index(r).data(), model.index(r).data(TRACE_COUNT_ROLE))
        for r in range(model.rowCount())
    ]


def load(qtbot: QtBot, model: ExperimentListModel, store: Store | None) -> None:
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        model.load(store)


def test_fixture_experiments_newest_first_with_counts(
    qtbot: QtBot, runner: TaskRunner, db318: Path
) -> None:
    model = ExperimentListModel(runner)
    with Store.open(db318) as store:
        load(qtbot, model, store)
    assert rows(model) == [("evaluation_test", 6), ("custom_tracing", 5), ("Default", 1)]
    assert [model.index(r).data(EXPERIMENT_ID_ROLE) for r in range(3)] == ["2", "1", "0"]


def test_deleted_experiments_are_left_out_and_names_escaped(
    qtbot: QtBot, runner: TaskRunner, synthetic: SyntheticDb
) -> None:
    model = ExperimentListModel(runner)
    with Store.open(synthetic.path) as store:
        load(qtbot, model, store)
    names = [name for name, _ in rows(model)]
    assert "scratch-old" not in names
    assert rows(model)[0] == ("small <b>i18n</b> ✨ 多言語", 40)
    assert rows(model)[-1] == ("Default", 0)
    tooltip = model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;b&gt;i18n&lt;/b&gt;" in tooltip and "<b>i18n" not in tooltip


def test_view_selects_first_then_keeps_the_selection(
    qtbot: QtBot, runner: TaskRunner, db318: Path
) -> None:
    model = ExperimentListModel(runner)
    view = ExperimentListView(model)
    qtbot.addWidget(view)
    with Store.open(db318) as store:
        with qtbot.waitSignal(view.experiment_selected, timeout=WAIT_MS) as first:
            model.load(store)
        assert first.args == ["2"]
        with qtbot.waitSignal(view.experiment_selected, timeout=WAIT_MS) as picked:
            view.select_experiment("0")
        assert picked.args == ["0"]
        with qtbot.waitSignal(view.experiment_selected, timeout=WAIT_MS) as again:
            model.load(store)  # read again (F5): the same experiment stays current
        assert again.args == ["0"]
    with qtbot.waitSignal(view.experiment_selected, timeout=WAIT_MS) as cleared:
        model.load(None)
    assert cleared.args == [""]
    assert not view.grab().isNull()


def test_model_passes_qtmodeltester(
    qtbot: QtBot, qtmodeltester: ModelTester, runner: TaskRunner, db318: Path
) -> None:
    model = ExperimentListModel(runner)
    qtmodeltester.check(model, force_py=True)
    with Store.open(db318) as store:
        load(qtbot, model, store)
        assert model.rowCount() == 3
        load(qtbot, model, None)
