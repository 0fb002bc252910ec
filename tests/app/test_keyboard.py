"""Keyboard first: j/k and arrows, Enter, `/`, Ctrl+L, Ctrl+C on a span, F1, on the real window."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QLabel
from pytestqt.qtbot import QtBot

from app.dialogs import GoToTraceDialog
from app.main_window import MainWindow
from tests.app.helpers import WAIT_MS, open_and_wait, select_experiment, show_window, shown_ids

CUSTOM_TRACING = "1"
NESTED_TRACE = "tr-8a3d93a26e8534bbd41731f1c1a5d860"  # outer_span > innder_span
DEFAULT_TRACE = "tr-6a0851c5009984c0295519cd96b86728"  # in experiment 0


@pytest.fixture
def active(qtbot: QtBot, window: MainWindow, db318: Path) -> MainWindow:
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, CUSTOM_TRACING)
    return window


def select_first_trace(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.trace_view.select_row(0)
    window.trace_view.setFocus()


def focused(window: MainWindow) -> object:
    qtbot_focus = QApplication.focusWidget()
    assert qtbot_focus is not None and window.isAncestorOf(qtbot_focus)
    return qtbot_focus


def test_j_and_k_move_between_traces_in_the_list(qtbot: QtBot, active: MainWindow) -> None:
    select_first_trace(qtbot, active)
    view, ids = active.trace_view, shown_ids(active)
    with qtbot.waitSignal(view.trace_selected, timeout=WAIT_MS) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_J)
    assert blocker.args == [ids[1]] and view.selected_trace_id() == ids[1]
    qtbot.keyClick(view, Qt.Key.Key_J)
    qtbot.keyClick(view, Qt.Key.Key_K)
    assert view.selected_trace_id() == ids[1]
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.selected_trace_id() == ids[2]
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.selected_trace_id() == ids[1]
    assert active.status.trace_label.text() == ids[1]


def test_the_list_has_the_focus_and_the_first_j_selects_the_first_trace(
    qtbot: QtBot, active: MainWindow
) -> None:
    """Opened, the window's j/k work at once; the first press selects row 1, not row 2."""
    view = active.trace_view
    assert focused(active) is view and view.selected_trace_id() is None
    with qtbot.waitSignal(view.trace_selected, timeout=WAIT_MS) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_J)
    assert blocker.args == [shown_ids(active)[0]]
    view.clearSelection()
    qtbot.keyClick(view, Qt.Key.Key_Down)  # the arrow does the same
    assert view.selected_trace_id() == shown_ids(active)[0]


def test_ctrl_end_reads_every_page_and_selects_the_last_trace(
    qtbot: QtBot, active: MainWindow
) -> None:
    model, view = active.trace_model, active.trace_view
    model.page_size = 2
    select_experiment(qtbot, active, "0")
    select_experiment(qtbot, active, CUSTOM_TRACING)  # read again, two rows a page
    assert model.rowCount() == 2 and model.canFetchMore(QModelIndex())
    total = active.store.reader.trace_counts()[CUSTOM_TRACING]
    qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: view.selected_trace_id() is not None, timeout=WAIT_MS)
    assert model.rowCount() == total and not model.canFetchMore(QModelIndex())
    assert view.selected_trace_id() == shown_ids(active)[-1]


def test_esc_in_the_explorer_goes_back_to_the_list(qtbot: QtBot, active: MainWindow) -> None:
    select_first_trace(qtbot, active)
    qtbot.keyClick(active.trace_view, Qt.Key.Key_Return)
    tree = active.explorer.spans.view
    assert focused(active) is tree
    qtbot.keyClick(tree, Qt.Key.Key_Escape)
    assert focused(active) is active.trace_view


def test_alt_digits_pick_the_span_detail_tab(qtbot: QtBot, active: MainWindow) -> None:
    select_first_trace(qtbot, active)
    qtbot.keyClick(active.trace_view, Qt.Key.Key_Return)
    detail = active.explorer.detail
    for number, name in ((3, "Outputs"), (6, "Raw JSON"), (2, "Inputs")):
        qtbot.keyClick(focused(active), str(number), Qt.KeyboardModifier.AltModifier)
        assert detail.current_tab() == name


def test_ctrl_f_finds_text_in_a_payload(qtbot: QtBot, active: MainWindow) -> None:
    select_first_trace(qtbot, active)
    qtbot.keyClick(active.trace_view, Qt.Key.Key_Return)
    qtbot.keyClick(focused(active), "6", Qt.KeyboardModifier.AltModifier)  # Raw JSON
    raw = active.explorer.detail.values["Raw JSON"]
    assert focused(active) is active.explorer.spans.view  # Ctrl+F works from the span tree too
    qtbot.keyClick(focused(active), Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    bar = raw.find_bar
    assert bar.isVisible() and focused(active) is bar.edit
    qtbot.keyClicks(bar.edit, "span_id")
    assert raw.browser.textCursor().selectedText() == "span_id"
    assert bar.result.text().endswith("found")
    qtbot.keyClicks(bar.edit, "-not-there")
    assert bar.result.text() == "Not found"
    qtbot.keyClick(bar.edit, Qt.Key.Key_Escape)
    assert not bar.isVisible() and focused(active) is raw.browser


def test_j_types_a_j_in_the_filter_bar(qtbot: QtBot, active: MainWindow) -> None:
    select_first_trace(qtbot, active)
    edit = active.query_bar.edit
    edit.setFocus()
    qtbot.keyClick(edit, "j")
    assert edit.text() == "j" and active.trace_view.selected_trace_id() == shown_ids(active)[0]


def test_enter_opens_the_trace_in_the_explorer(qtbot: QtBot, active: MainWindow) -> None:
    select_first_trace(qtbot, active)
    qtbot.keyClick(active.trace_view, Qt.Key.Key_Return)
    assert active.explorer.isAncestorOf(focused(active))
    assert active.explorer.current_trace() is not None
    assert active.explorer.current_trace().info.trace_id == NESTED_TRACE


def test_slash_focuses_the_filter_bar(qtbot: QtBot, active: MainWindow) -> None:
    select_first_trace(qtbot, active)
    qtbot.keyClick(active.trace_view, "/")
    assert focused(active) is active.query_bar.edit
    assert active.query_bar.edit.text() == ""  # the slash opened the bar, it is not typed
    qtbot.keyClick(active.query_bar.edit, "/")
    assert active.query_bar.edit.text() == "/"  # inside the bar it is an ordinary character


def go_to_dialog(qtbot: QtBot, window: MainWindow) -> GoToTraceDialog:
    qtbot.keyClick(window.trace_view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(GoToTraceDialog, "goToTraceDialog")
    assert isinstance(dialog, GoToTraceDialog) and dialog.isVisible()
    return dialog


def test_ctrl_l_selects_a_loaded_trace(qtbot: QtBot, active: MainWindow) -> None:
    select_first_trace(qtbot, active)
    dialog = go_to_dialog(qtbot, active)
    target = shown_ids(active)[3]
    qtbot.keyClicks(dialog.id_edit, f"  {target} ")
    with qtbot.waitSignal(active.trace_view.trace_selected, timeout=WAIT_MS):
        qtbot.keyClick(dialog.id_edit, Qt.Key.Key_Return)
    assert active.trace_view.selected_trace_id() == target
    assert active.shown_trace_id == target
    qtbot.waitUntil(lambda: active.commands.goto_dialog is None, timeout=WAIT_MS)  # closed


def test_ctrl_l_loads_a_trace_of_another_experiment(qtbot: QtBot, active: MainWindow) -> None:
    select_first_trace(qtbot, active)
    dialog = go_to_dialog(qtbot, active)
    qtbot.keyClicks(dialog.id_edit, DEFAULT_TRACE)
    with qtbot.waitSignal(active.explorer.trace_loaded, timeout=WAIT_MS) as blocker:
        qtbot.keyClick(dialog.id_edit, Qt.Key.Key_Return)
    assert blocker.args[0].info.trace_id == DEFAULT_TRACE
    # the sidebar switched to the trace's experiment, whose list shows it selected
    assert active.experiment_view.current_experiment_id == "0"
    qtbot.waitUntil(lambda: active.trace_view.selected_trace_id() == DEFAULT_TRACE, timeout=WAIT_MS)
    assert active.status.trace_label.text() == DEFAULT_TRACE
    assert active.status.currentMessage() == "Switched to the experiment “Default”."
    qtbot.waitUntil(lambda: active.commands.goto_dialog is None, timeout=WAIT_MS)  # closed


def test_ctrl_l_with_an_unknown_id_says_so_inline(qtbot: QtBot, active: MainWindow) -> None:
    select_first_trace(qtbot, active)
    dialog = go_to_dialog(qtbot, active)
    qtbot.keyClicks(dialog.id_edit, "tr-does-not-exist")
    qtbot.keyClick(dialog.id_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.message.isVisible, timeout=WAIT_MS)
    assert dialog.message.text() == "No trace with the id tr-does-not-exist in this database."
    assert dialog.isVisible()  # the user can correct the id
    assert active.shown_trace_id == NESTED_TRACE  # nothing else changed
    qtbot.keyClick(dialog.id_edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: active.commands.goto_dialog is None, timeout=WAIT_MS)


def test_ctrl_c_in_the_span_tree_copies_the_span_json(qtbot: QtBot, active: MainWindow) -> None:
    select_first_trace(qtbot, active)
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(active.trace_view, Qt.Key.Key_Return)  # into the explorer's tree
    tree = focused(active)
    span = active.explorer.selected_span()
    assert span is not None
    qtbot.keyClick(tree, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = json.loads(QGuiApplication.clipboard().text())
    assert copied == span.to_dict()
    assert copied["name"] == "outer_span"


def test_edit_menu_copies_span_json_and_trace_id(qtbot: QtBot, active: MainWindow) -> None:
    select_first_trace(qtbot, active)
    actions = active.menu_actions
    assert actions.copy_span.text().endswith("\tCtrl+C")
    actions.copy_span.trigger()
    assert json.loads(QGuiApplication.clipboard().text())["name"] == "outer_span"
    qtbot.keyClick(
        active.trace_view,
        Qt.Key.Key_C,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert QGuiApplication.clipboard().text() == NESTED_TRACE


def test_f1_lists_the_shortcuts(qtbot: QtBot, active: MainWindow) -> None:
    qtbot.keyClick(active.trace_view, Qt.Key.Key_F1)
    dialog = active.findChild(QDialog, "shortcutsDialog")
    assert dialog is not None and dialog.isVisible()
    label = dialog.findChild(QLabel, "shortcutsText")
    assert label is not None
    every = ("Ctrl+L", "Ctrl+E", "F5", "Ctrl+Shift+L", "Ctrl+C", "J / ↓", "/", "Alt+1 … Alt+6")
    every = (*every, "Ctrl+F")
    for keys in (*every, "Home / Ctrl+End", "Ctrl+Tab / Ctrl+Shift+Tab"):
        assert f"<b>{keys}</b>" in label.text()
    dialog.close()


def test_shortcuts_of_the_actions(window: MainWindow) -> None:
    actions = window.menu_actions
    keys = {
        actions.go_to_trace: "Ctrl+L",
        actions.export_trace: "Ctrl+E",
        actions.find: "/",
        actions.refresh: "F5",
        actions.live: "Ctrl+Shift+L",
        actions.copy_trace_id: "Ctrl+Shift+C",
        actions.shortcuts: "F1",
    }
    for action, key in keys.items():
        assert action.shortcut().toString() == key
    assert not actions.go_to_trace.isEnabled()  # nothing open yet


def test_every_alt_letter_opens_one_thing(window: MainWindow) -> None:
    """On every tab, the menus', the tabs' and that page's own mnemonics differ: Alt+E is the
    Edit menu and nothing else, Alt+U the Evaluations tab, Alt+C its Compare."""

    def letter(text: str) -> str | None:
        found = re.search(r"&([^&])", text.replace("&&", ""))
        return found.group(1).lower() if found else None

    pages = (window.evaluations_page, window.prompts_page, window.agents_page)
    for page in (*pages, window.insights_page):
        assert window.modes.indexOf(page) >= 0  # built (they are, the first time shown)
    menus = [a.text() for a in window.menuBar().actions()]
    tabs = [window.modes.tabText(i) for i in range(window.modes.count())]
    assert all(letter(text) for text in (*menus, *tabs))
    for index in range(window.modes.count()):
        page = window.modes.widget(index)
        buttons = [b.text() for b in page.findChildren(QAbstractButton) if letter(b.text())]
        texts = [*menus, *tabs, *buttons]
        letters = [letter(text) for text in texts]
        clashes = {t: c for t, c in zip(texts, letters, strict=True) if letters.count(c) > 1}
        assert clashes == {}, (tabs[index], clashes)


def test_ctrl_shift_f_searches_the_trace_from_the_list_too(
    qtbot: QtBot, active: MainWindow
) -> None:
    """With the focus still in the trace list, Ctrl+Shift+F goes to the open trace's search
    box; Edit → Search in Trace does the same; with no trace shown it does nothing."""
    view = active.trace_view
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(view, Qt.Key.Key_F, ctrl_shift)  # no trace open yet
    assert QApplication.focusWidget() is view
    select_first_trace(qtbot, active)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F, ctrl_shift)
    field = active.explorer.spans.search_bar.edit
    qtbot.waitUntil(field.hasFocus, timeout=WAIT_MS)
    qtbot.keyClicks(field, "span")
    qtbot.waitUntil(
        lambda: "of" in active.explorer.spans.search_bar.count_label.text(), timeout=WAIT_MS
    )
    view.setFocus()
    active.menu_actions.search_trace.trigger()
    assert field.hasFocus()


def test_tab_leaves_the_trace_list_rather_than_walking_its_cells(
    qtbot: QtBot, active: MainWindow
) -> None:
    select_first_trace(qtbot, active)
    view = active.trace_view
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not view
    assert view.selected_trace_id() is not None  # the trace stays selected


def test_enter_in_the_experiments_list_goes_on_to_its_traces(
    qtbot: QtBot, active: MainWindow
) -> None:
    experiments = active.experiment_view
    experiments.setFocus()
    qtbot.waitUntil(experiments.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(experiments, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is active.trace_view
