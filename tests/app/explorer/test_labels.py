"""Issue 22: labelling the shown trace from the keyboard in the labels window — add a feedback,
override it (the old value stays as history), add expected facts, delete with confirmation —
each written in the database thread as MLflow 3.18 stores it; a read-only database refuses
with the Enable Editing hint. Screenshots of the panel and the form, light and dark."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.explorer import TraceExplorer
from app.explorer.label_dialog import LabelDialog
from app.explorer.label_writes import current_user
from app.explorer.labels import LabelPanel
from app.theme import dark_palette
from core.entities import Assessment
from core.store import assessment_edits
from core.store.store import Store
from tests.app.explorer.data import ASSESSED, NESTED
from tests.app.helpers import WAIT_MS, save_shot

ALT, CTRL, SHIFT = (
    Qt.KeyboardModifier.AltModifier,
    Qt.KeyboardModifier.ControlModifier,
    Qt.KeyboardModifier.ShiftModifier,
)
ShowTrace = Callable[[Store, str], TraceExplorer]


@pytest.fixture
def writable(db318: Path) -> Iterator[Store]:
    store = Store.open(db318, read_only=False)
    yield store
    store.close()


def keys(
    qtbot: QtBot, key: Qt.Key | str, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    """A key where the focus is, as a user types it."""
    focused = QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClick(focused, key, modifier)


def open_labels(qtbot: QtBot, explorer: TraceExplorer) -> LabelPanel:
    explorer.header.labels.setFocus()
    keys(qtbot, Qt.Key.Key_A, CTRL | SHIFT)
    window = explorer.labels
    assert window is not None
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    assert QApplication.focusWidget() is window.panel.tree  # the labels, ready for keys
    return window.panel


def open_form(qtbot: QtBot, panel: LabelPanel, key: Qt.Key) -> LabelDialog:
    panel.tree.setFocus()
    keys(qtbot, key, ALT)
    qtbot.waitUntil(lambda: panel.dialog is not None and panel.dialog.isVisible(), timeout=WAIT_MS)
    assert panel.dialog is not None
    panel.dialog.activateWindow()
    qtbot.waitUntil(panel.dialog.isActiveWindow, timeout=WAIT_MS)
    return panel.dialog


def save(qtbot: QtBot, panel: LabelPanel) -> None:
    """Ctrl+Enter in the form; then the labels window is active again (as a desktop makes the
    window under a closed dialog), the focus on the list."""
    with qtbot.waitSignal(panel.assessments_changed, timeout=WAIT_MS):
        keys(qtbot, Qt.Key.Key_Return, CTRL)
    back_to(qtbot, panel)


def back_to(qtbot: QtBot, panel: LabelPanel) -> None:
    panel.window().activateWindow()
    qtbot.waitUntil(panel.window().isActiveWindow, timeout=WAIT_MS)
    assert QApplication.focusWidget() is panel.tree


def stored(store: Store, name: str) -> list[Assessment]:
    found = store.reader.assessments([ASSESSED])[ASSESSED]
    return [a for a in found if a.name == name]


def top_rows(panel: LabelPanel) -> list[list[str]]:
    rows = []
    for index in range(panel.tree.topLevelItemCount()):
        item = panel.tree.topLevelItem(index)
        assert item is not None
        rows.append([item.text(c) for c in range(3)])
    return rows


def test_labelling_a_trace_from_the_keyboard(
    qtbot: QtBot, show: ShowTrace, writable: Store
) -> None:
    explorer = show(writable, ASSESSED)
    panel = open_labels(qtbot, explorer)
    assert [r[0] for r in top_rows(panel)] == ["some_check", "expected_response"]
    assert top_rows(panel)[0][2] == "code · some_check"

    # Alt+F: a new feedback — name, Fail, a rationale; Ctrl+Enter saves.
    form = open_form(qtbot, panel, Qt.Key.Key_F)
    keys(qtbot, Qt.Key.Key_N, ALT)
    qtbot.keyClicks(QApplication.focusWidget(), "correctness")
    keys(qtbot, Qt.Key.Key_F, ALT)  # the Fail button (a mnemonic clicks after a flash)
    qtbot.waitUntil(form.failed.isChecked, timeout=WAIT_MS)
    keys(qtbot, Qt.Key.Key_R, ALT)
    qtbot.keyClicks(QApplication.focusWidget(), "The year is wrong")
    save(qtbot, panel)
    assert not form.isVisible()
    (first,) = stored(writable, "correctness")
    assert (first.value, first.rationale, first.source_type, first.source_id) == (
        False,
        "The year is wrong",
        "HUMAN",
        current_user(),
    )
    assert explorer.header.assessment_section.toggle.text() == "Assessments (3)"
    assert top_rows(panel)[-1] == ["correctness", "Fail", f"human · {current_user()}"]

    # Enter on the row edits it: Pass overrides the Fail, which stays as history.
    keys(qtbot, Qt.Key.Key_End)  # the new label, last
    keys(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.dialog is not None and panel.dialog.isVisible(), timeout=WAIT_MS)
    assert panel.dialog is not None
    panel.dialog.activateWindow()
    qtbot.waitUntil(panel.dialog.isActiveWindow, timeout=WAIT_MS)
    keys(qtbot, Qt.Key.Key_P, ALT)
    qtbot.waitUntil(panel.dialog.passed.isChecked, timeout=WAIT_MS)
    save(qtbot, panel)
    versions = {a.valid: a for a in stored(writable, "correctness")}
    assert versions[True].value is True and versions[True].overrides == first.assessment_id
    assert versions[False].assessment_id == first.assessment_id
    item = panel.tree.topLevelItem(2)
    assert item is not None and item.text(1) == "Pass" and item.childCount() == 1
    child = item.child(0)
    assert child is not None and child.text(1) == "Fail  (overridden)"

    # Alt+X: expected facts, one per line.
    open_form(qtbot, panel, Qt.Key.Key_X)
    keys(qtbot, Qt.Key.Key_K, ALT)
    keys(qtbot, Qt.Key.Key_Down)
    keys(qtbot, Qt.Key.Key_V, ALT)
    qtbot.keyClicks(QApplication.focusWidget(), "Orville and Wilbur")
    keys(qtbot, Qt.Key.Key_Return)
    qtbot.keyClicks(QApplication.focusWidget(), "1903")
    save(qtbot, panel)
    (facts,) = stored(writable, "expected_facts")
    assert facts.value == ["Orville and Wilbur", "1903"] and facts.source_type == "HUMAN"

    # Delete the override (confirmed): the Fail it replaced is current again.
    keys(qtbot, Qt.Key.Key_Home)
    keys(qtbot, Qt.Key.Key_Down)
    keys(qtbot, Qt.Key.Key_Down)  # correctness: Pass, over the Fail
    assert panel.selected() is not None and panel.selected().value is True
    keys(qtbot, Qt.Key.Key_Delete)
    qtbot.waitUntil(
        lambda: panel.confirm is not None and panel.confirm.isVisible(), timeout=WAIT_MS
    )
    assert panel.confirm is not None
    assert "overrode becomes current again" in panel.confirm.informativeText()
    with qtbot.waitSignal(panel.assessments_changed, timeout=WAIT_MS):
        qtbot.keyClick(panel.confirm, Qt.Key.Key_Return)
    (back,) = stored(writable, "correctness")
    assert back.assessment_id == first.assessment_id and back.valid is True
    assert panel.status.text() == "Deleted."


def test_a_read_only_database_refuses_with_the_enable_editing_hint(
    qtbot: QtBot, show: ShowTrace, db318: Path
) -> None:
    with Store.open(db318) as store:
        explorer = show(store, ASSESSED)
        panel = open_labels(qtbot, explorer)
        panel.tree.setFocus()
        keys(qtbot, Qt.Key.Key_F, ALT)
        qtbot.waitUntil(panel.bar.isVisible, timeout=WAIT_MS)
        assert panel.dialog is None  # no form: nothing could be saved
        assert "read-only — Enable Editing to add or change labels" in panel.bar_text.text()
        with qtbot.waitSignal(explorer.editing_requested, timeout=WAIT_MS):
            keys(qtbot, Qt.Key.Key_N, ALT)  # E&nable Editing
        assert [a.name for a in store.reader.assessments([ASSESSED])[ASSESSED]] == [
            "some_check",
            "expected_response",
        ]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_label_screenshots(qtbot: QtBot, show: ShowTrace, writable: Store, theme: str) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    if theme == "dark":
        app.setPalette(dark_palette())
    try:
        explorer = show(writable, ASSESSED)
        judge = writable.trace_edits.log_feedback(
            ASSESSED,
            "relevance",
            0.4,
            source_type="LLM_JUDGE",
            source_id="gpt-4o-mini",
            rationale="Misses the year",
        )
        assessment_edits.override_feedback(
            writable,
            ASSESSED,
            judge,
            0.9,
            rationale="It is right",
            source_type="HUMAN",
            source_id="ann",
        )
        with qtbot.waitSignal(explorer.trace_loaded, timeout=WAIT_MS):
            explorer.show_trace(writable, ASSESSED)
        panel = open_labels(qtbot, explorer)
        panel.tree.expandAll()
        save_shot(qtbot, panel.window(), Path(f"/tmp/h/labels_panel_{theme}.png"))
        form = open_form(qtbot, panel, Qt.Key.Key_F)
        qtbot.keyClicks(QApplication.focusWidget(), "correctness")
        save_shot(qtbot, form, Path(f"/tmp/h/labels_form_{theme}.png"))
        form.close()
    finally:
        app.setPalette(before)


def test_a_label_on_the_selected_span(qtbot: QtBot, show: ShowTrace, writable: Store) -> None:
    explorer = show(writable, NESTED)
    view = explorer.spans.view
    view.setFocus()
    with qtbot.waitSignal(explorer.span_selected, timeout=WAIT_MS):
        qtbot.keyClick(view, Qt.Key.Key_Down)
    span = explorer.selected_span()
    assert span is not None and span.parent_id is not None
    panel = open_labels(qtbot, explorer)
    assert panel.on_span.isVisible() and span.name in panel.on_span.text()
    keys(qtbot, Qt.Key.Key_S, ALT)
    qtbot.waitUntil(panel.on_span.isChecked, timeout=WAIT_MS)
    form = open_form(qtbot, panel, Qt.Key.Key_F)
    assert form.intro.text().startswith(f"On the span {span.name}")
    qtbot.keyClicks(QApplication.focusWidget(), "relevance")
    keys(qtbot, Qt.Key.Key_K, ALT)
    keys(qtbot, Qt.Key.Key_Down)  # Number
    keys(qtbot, Qt.Key.Key_V, ALT)
    qtbot.keyClicks(QApplication.focusWidget(), "3")
    save(qtbot, panel)
    (label,) = [a for a in writable.reader.assessments([NESTED])[NESTED] if a.name == "relevance"]
    assert (label.span_id, label.value) == (span.span_id, 3)
    assert top_rows(panel)[-1][0] == "relevance"
    item = panel.tree.topLevelItem(panel.tree.topLevelItemCount() - 1)
    assert item is not None and item.text(3) == f"span {span.name}"
