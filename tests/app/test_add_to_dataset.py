"""Issue 22: "Add to Dataset…" from the trace list's row menu — the selected traces become
records of a new or existing evaluation dataset (MLflow 3.18's rows, read back with
`core.genai.datasets`), written in the job pool with progress; a read-only database offers
Enable Editing instead of writing. Screenshots of the dialog, light and dark."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.tasks import TaskRunner
from app.theme import dark_palette
from app.traces.dataset_dialog import AddToDatasetDialog
from app.traces.datasets import AddResult
from core.genai.datasets import get_dataset
from core.store.store import Store
from tests.app.helpers import WAIT_MS, open_and_wait, select_experiment, show_window

EXPERIMENT = "2"  # six traces: one labelled, one whose root span recorded no inputs
LABELLED = "tr-028977f65e7df04108efc43f2c04dcc3"
NO_INPUTS = "tr-503509ec4d75959611014d375fa152ab"


def dialog_from_menu(qtbot: QtBot, window: MainWindow) -> AddToDatasetDialog:
    """Select every listed trace, open the row menu with the menu key, press D."""
    view = window.trace_view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Home)
    qtbot.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(view.selected_trace_ids()) == 6
    center = view.visualRect(view.currentIndex()).center()
    QApplication.sendEvent(
        view.viewport(),
        QContextMenuEvent(
            QContextMenuEvent.Reason.Keyboard, center, view.viewport().mapToGlobal(center)
        ),
    )
    menu = window.list_menus.last_menu
    assert isinstance(menu, QMenu)
    texts = [a.text() for a in menu.actions()]
    assert "Add 6 Traces to &Dataset…" in texts
    qtbot.keyClick(menu, Qt.Key.Key_D)

    def shown() -> list[AddToDatasetDialog]:
        return [d for d in window.findChildren(AddToDatasetDialog) if d.isVisible()]

    qtbot.waitUntil(lambda: len(shown()) == 1, timeout=WAIT_MS)
    (dialog,) = shown()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.status.text() != "Reading the datasets…", timeout=WAIT_MS)
    return dialog


def test_traces_into_a_dataset_from_the_row_menu(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, EXPERIMENT)

    # Read-only: the dialog says so and offers Enable Editing, which reopens for writing.
    dialog = dialog_from_menu(qtbot, window)
    assert "read-only — Enable Editing" in dialog.status.text()
    assert not dialog.add.isEnabled() and dialog.enable.isVisible()
    with qtbot.waitSignal(window.store_opened, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.enable, Qt.MouseButton.LeftButton)
    assert window.store is not None and not window.store.read_only
    select_experiment(qtbot, window, EXPERIMENT)

    dialog = dialog_from_menu(qtbot, window)
    assert dialog.status.text() == "No datasets yet: type a name for a new one."
    qtbot.keyClicks(dialog.name, "golden")
    assert dialog.choice.text() == "A new dataset, in the traces' experiments."
    with qtbot.waitSignal(dialog.finished_adding, timeout=WAIT_MS) as added:
        qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    result = added.args[0]
    assert isinstance(result, AddResult)
    assert (result.created, result.inserted, result.updated) == (True, 5, 0)
    assert result.skipped == [NO_INPUTS]
    assert dialog.status.text() == (
        "Added 5 traces to “golden” (new dataset); 1 trace skipped: no dict of inputs."
    )
    assert dialog.progress.value() == dialog.progress.maximum()
    dataset = get_dataset(name="golden", store=window.store)
    assert dataset.experiment_ids == [EXPERIMENT]
    records = {r.source_id: r for r in dataset.records}
    assert set(records) == set(window.trace_view.selected_trace_ids()) - {NO_INPUTS}
    assert records[LABELLED].expectations == {"expected_response": "Wright Brothers"}
    assert records[LABELLED].source_type == "TRACE"
    dialog.close()

    # Again into the same dataset: the records are updated, none added.
    dialog = dialog_from_menu(qtbot, window)
    qtbot.keyClicks(dialog.name, "golden")
    assert dialog.choice.text() == "An existing dataset of 5 records."
    with qtbot.waitSignal(dialog.finished_adding, timeout=WAIT_MS) as added:
        qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    assert (added.args[0].created, added.args[0].inserted, added.args[0].updated) == (False, 0, 5)
    assert "5 already there, updated" in dialog.status.text()
    assert len(get_dataset(name="golden", store=window.store).records) == 5
    dialog.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_add_to_dataset_screenshots(qtbot: QtBot, db318: Path, theme: str) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    if theme == "dark":
        app.setPalette(dark_palette())
    tasks = TaskRunner()
    store = Store.open(db318, read_only=False)
    try:
        ids = [LABELLED, "tr-a92633126425ff7dc2c1b46ac10ea751"]
        dialog = AddToDatasetDialog(tasks, store, ids)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        qtbot.waitUntil(lambda: "Reading" not in dialog.status.text(), timeout=WAIT_MS)
        qtbot.keyClicks(dialog.name, "qa_golden_v2")
        with qtbot.waitSignal(dialog.finished_adding, timeout=WAIT_MS):
            qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
        qtbot.wait(50)
        dialog.grab().save(f"/tmp/h/add_to_dataset_{theme}.png")
    finally:
        tasks.shutdown()
        store.close()
        app.setPalette(before)
