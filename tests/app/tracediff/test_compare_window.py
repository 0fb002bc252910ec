"""Compare Traces driven like a user: rows picked in the trace list with Shift+arrows, Ctrl+D,
the summary's deltas, Changed only and F8 / N / P, the detail's word diff, Copy as Markdown,
Save as JSON, Compare With… a trace of another database file, a baseline against three."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QLabel
from pytestqt.qtbot import QtBot

from app.evaluations.diff import COLOURS, INSERT
from app.main_window import MainWindow
from app.theme import ThemeApplier
from app.tracediff.model import ROW_ROLE
from app.tracediff.window import TraceDiffWindow
from core.tracediff import diff_markdown
from tests.app.helpers import WAIT_MS, Shot, open_and_wait, select_experiment, show_window
from tests.app.tracediff.conftest import DEFAULT_EXPERIMENT, Runs
from tests.app.tracediff.runs import record_runs

ALT, CTRL, SHIFT = (
    Qt.KeyboardModifier.AltModifier,
    Qt.KeyboardModifier.ControlModifier,
    Qt.KeyboardModifier.ShiftModifier,
)


@pytest.fixture
def active(qtbot: QtBot, window: MainWindow, runs: Runs) -> MainWindow:
    """The window on the runs' database, their experiment's traces listed."""
    show_window(qtbot, window)
    open_and_wait(qtbot, window, runs.db)
    select_experiment(qtbot, window, DEFAULT_EXPERIMENT)
    return window


def select_rows(qtbot: QtBot, window: MainWindow, first: str, extra: int, key: Qt.Key) -> None:
    """Select `first`'s row, then `extra` more rows with Shift+`key`, as a user does."""
    window.activateWindow()  # back from a Compare Traces window: Ctrl+D is the list's window's
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    view = window.trace_view
    row = window.trace_model.row_of(first)
    assert row is not None
    view.select_row(row)
    view.setFocus()
    for _ in range(extra):
        qtbot.keyClick(view, key, SHIFT)


def compare_by_keys(qtbot: QtBot, window: MainWindow) -> TraceDiffWindow:
    """Ctrl+D in the list; the Compare Traces window once it shows the comparison."""
    with qtbot.waitSignal(window.compare.opened, timeout=WAIT_MS) as opened:
        qtbot.keyClick(window.trace_view, Qt.Key.Key_D, CTRL)
    diff = opened.args[0]
    assert isinstance(diff, TraceDiffWindow)
    qtbot.waitUntil(diff.isActiveWindow, timeout=WAIT_MS)  # its keys work: it has the focus
    qtbot.waitUntil(lambda: diff.comparison is not None or diff.report is not None, timeout=WAIT_MS)
    return diff


def open_fast_and_slow(qtbot: QtBot, active: MainWindow, runs: Runs) -> TraceDiffWindow:
    select_rows(qtbot, active, runs.fast, 1, Qt.Key.Key_Up)  # newest first: the slow is above
    return compare_by_keys(qtbot, active)


def press(qtbot: QtBot, diff: TraceDiffWindow, key: str, modifier: Qt.KeyboardModifier) -> None:
    """`key` with `modifier` where the focus is in `diff` (mnemonics need the focus there)."""
    focus = QApplication.focusWidget()
    assert focus is not None and diff.isAncestorOf(focus)
    qtbot.keyClick(focus, key, modifier)


def current_row(diff: TraceDiffWindow) -> int:
    return int(diff.tree.currentIndex().data(ROW_ROLE))


def test_two_rows_selected_open_the_comparison_with_its_deltas(
    qtbot: QtBot, active: MainWindow, runs: Runs
) -> None:
    view = active.trace_view
    assert not active.menu_actions.compare_traces.isEnabled()  # nothing selected yet
    select_rows(qtbot, active, runs.fast, 1, Qt.Key.Key_Up)
    assert view.selected_trace_ids() == [runs.slow, runs.fast]
    qtbot.waitUntil(lambda: active.shown_trace_id == runs.slow, timeout=WAIT_MS)  # the cursor's
    assert active.menu_actions.compare_traces.isEnabled()
    diff = compare_by_keys(qtbot, active)
    comparison = diff.comparison
    assert comparison is not None
    assert comparison.diff.left.info.trace_id == runs.fast  # the earlier run on the left
    duration = diff.summary.findChild(QLabel, "diffDuration")
    assert duration is not None
    assert "1.46 s → 9.38 s" in duration.text() and "+7.93 s (+545%)" in duration.text()
    tokens = diff.summary.findChild(QLabel, "diffTokens")
    assert tokens is not None and "600 → 1,080" in tokens.text() and "+480 (+80%)" in tokens.text()
    counts = diff.summary.counts.text()
    assert "2 same" in counts and "3 changed" in counts and "3 only right" in counts
    assert [b.text() for b in diff.summary.fork_buttons] == ["support_agent / lookup_order"]
    assert diff.summary.mover_buttons[0].text() == "search_docs +3.10 s"
    diff.summary.mover_buttons[0].setFocus()
    qtbot.keyClick(diff.summary.mover_buttons[0], Qt.Key.Key_Space)  # a mover selects its row
    assert diff.model.pair(diff.tree.currentIndex()).name == "search_docs"  # type: ignore[union-attr]
    assert diff.isVisible() and not diff.isModal()
    qtbot.keyClick(diff.tree, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not diff.isVisible(), timeout=WAIT_MS)


def test_changed_only_and_the_change_keys_move_the_selection(
    qtbot: QtBot, active: MainWindow, runs: Runs
) -> None:
    diff = open_fast_and_slow(qtbot, active, runs)
    comparison = diff.comparison
    assert comparison is not None and comparison.changed == (0, 3, 4, 5, 6, 7)
    assert current_row(diff) == 0  # the first change is selected when the window opens
    assert diff.model.shown_count() == 8
    press(qtbot, diff, "o", ALT)  # Changed &only (a mnemonic clicks after a short animation)
    qtbot.waitUntil(diff.changed_only.isChecked, timeout=WAIT_MS)
    assert diff.model.shown_count() == 6
    assert not diff.model.is_shown(1)  # classify, the same in both
    steps = []
    for key, modifier in (
        (Qt.Key.Key_F8, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_F8, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_F8, SHIFT),
        (Qt.Key.Key_N, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_N, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_P, Qt.KeyboardModifier.NoModifier),
    ):
        qtbot.keyClick(diff.tree, key, modifier)
        steps.append(current_row(diff))
    assert steps == [3, 4, 3, 4, 5, 4]
    for _ in range(3):
        qtbot.keyClick(diff.tree, Qt.Key.Key_F8)
    assert current_row(diff) == 7
    qtbot.keyClick(diff.tree, Qt.Key.Key_F8)
    assert current_row(diff) == 0  # wrapped to the first change
    press(qtbot, diff, "o", ALT)
    qtbot.waitUntil(lambda: not diff.changed_only.isChecked(), timeout=WAIT_MS)
    assert diff.model.shown_count() == 8 and current_row(diff) == 0  # the selection stays


def test_the_detail_shows_the_answers_word_diffed(
    qtbot: QtBot, active: MainWindow, runs: Runs
) -> None:
    diff = open_fast_and_slow(qtbot, active, runs)
    with qtbot.waitSignal(diff.detail.shown, timeout=WAIT_MS) as shown:
        qtbot.keyClick(diff.tree, Qt.Key.Key_P)  # from the first change back to the last
    assert shown.args == [7] and diff.model.pair(diff.tree.currentIndex()).name == "answer"  # type: ignore[union-attr]
    browser = diff.detail.browser
    text = browser.toPlainText()
    assert "Be brief and kind." in text and "Be thorough, apologise when late." in text
    assert "messages[0].content" in text and "choices[0].message.content" in text
    assert "800 ms" in text and "2.60 s" in text and "+1.80 s (+225%)" in text
    assert "420" in text and "900" in text  # tokens on both sides
    document = browser.toHtml()
    inserted = COLOURS[INSERT][0]
    assert inserted in document and "line-through" in document  # words added and removed
    assert browser.blocked_resources == []


def test_copy_as_markdown_and_save_as_json(
    qtbot: QtBot, active: MainWindow, runs: Runs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    diff = open_fast_and_slow(qtbot, active, runs)
    comparison = diff.comparison
    assert comparison is not None
    QGuiApplication.clipboard().clear()
    with qtbot.waitSignal(diff.copied, timeout=WAIT_MS):
        press(qtbot, diff, "c", ALT)  # &Copy as Markdown
    expected = diff_markdown(comparison.diff)
    assert QGuiApplication.clipboard().text() == expected
    assert "| duration | 1.46 s | 9.38 s | +7.93 s (+545%) |" in expected
    target = tmp_path / "diff.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_args: (str(target), ""))
    with qtbot.waitSignal(diff.saved, timeout=WAIT_MS):
        press(qtbot, diff, "s", ALT)  # &Save as JSON…
    data = json.loads(target.read_text("utf-8"))
    assert data["left"] == runs.fast and data["right"] == runs.slow
    assert data["summary"]["rows"] == {"same": 2, "changed": 3, "only left": 0, "only right": 3}
    assert [row["name"] for row in data["rows"]][-1] == "answer"
    assert data["rows"][-1]["changes"]["outputs"][0]["path"] == "choices[0].message.content"


def test_swap_sides_compares_the_other_way_round(
    qtbot: QtBot, active: MainWindow, runs: Runs
) -> None:
    diff = open_fast_and_slow(qtbot, active, runs)
    with qtbot.waitSignal(diff.compared, timeout=WAIT_MS):
        press(qtbot, diff, "w", ALT)  # S&wap sides
    comparison = diff.comparison
    assert comparison is not None and comparison.diff.left.info.trace_id == runs.slow
    assert comparison.summary.counts["only left"] == 3


def test_compare_with_a_trace_of_another_database_file(
    qtbot: QtBot, active: MainWindow, runs: Runs, tmp_path: Path
) -> None:
    other_db = tmp_path / "elsewhere" / "mlflow.db"
    other_db.parent.mkdir()
    (other_id,) = record_runs(other_db, [True])
    select_rows(qtbot, active, runs.fast, 0, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: active.explorer.current_trace() is not None, timeout=WAIT_MS)
    qtbot.keyClick(active.trace_view, Qt.Key.Key_D, CTRL | SHIFT)  # Compare With…
    dialog = active.compare.last_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT_MS)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # no trace id yet
    qtbot.keyClicks(dialog.trace_id, other_id)
    qtbot.keyClick(dialog.trace_id, "a", ALT)  # In &another database file
    qtbot.waitUntil(dialog.other_database.isChecked, timeout=WAIT_MS)
    dialog.path.setFocus()
    qtbot.keyClicks(dialog.path, str(other_db.parent))  # the folder stands for its mlflow.db
    with qtbot.waitSignal(active.compare.opened, timeout=WAIT_MS) as opened:
        qtbot.keyClick(dialog.path, Qt.Key.Key_Return)
    diff = opened.args[0]
    qtbot.waitUntil(lambda: diff.comparison is not None, timeout=WAIT_MS)
    assert diff.comparison.diff.left.info.trace_id == runs.fast
    assert diff.comparison.diff.right.info.trace_id == other_id
    assert "(mlflow.db)" in diff.summary.sides.text()
    assert diff.comparison.summary.counts["only right"] == 3


def test_a_missing_trace_says_so_in_the_window(
    qtbot: QtBot, active: MainWindow, runs: Runs
) -> None:
    select_rows(qtbot, active, runs.fast, 0, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: active.explorer.current_trace() is not None, timeout=WAIT_MS)
    active.explorer.header.compare.trigger()  # the header's ⋯ menu entry
    dialog = active.compare.last_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClicks(dialog.trace_id, "tr-nothere")
    with qtbot.waitSignal(active.compare.opened, timeout=WAIT_MS) as opened:
        qtbot.keyClick(dialog.trace_id, Qt.Key.Key_Return)
    diff = opened.args[0]
    qtbot.waitUntil(lambda: "could not be read" in diff.message.text(), timeout=WAIT_MS)
    assert "tr-nothere" in diff.message.text()
    assert diff.pages.currentWidget() is diff.message


def test_a_baseline_against_three_traces(qtbot: QtBot, active: MainWindow, runs: Runs) -> None:
    select_rows(qtbot, active, runs.ids[3], 3, Qt.Key.Key_Down)
    assert active.trace_view.selected_trace_ids() == runs.ids[::-1]
    diff = compare_by_keys(qtbot, active)
    report = diff.report
    assert report is not None and report.baseline.info.trace_id == runs.fast
    assert diff.pages.currentWidget() is diff.baseline
    model = diff.baseline.model
    names = [model.index(row, 0).data().strip() for row in range(model.rowCount())]
    assert names == [
        "support_agent  ·  AGENT",
        "classify  ·  CHAT_MODEL",
        "lookup_order  ·  TOOL",
        "search_docs  ·  RETRIEVER",
        "answer  ·  CHAT_MODEL",
    ]
    search = 3
    assert model.index(search, 1).data() == "300 ms" and model.index(search, 2).data() == "3.40 s"
    assert model.index(search, 6).data() == "moved" and model.index(1, 6).data() == ""
    assert model.index(search, 0).data().startswith("    ")  # indented under the agent
    assert "rerank (RERANKER) in 2 of 3" in diff.baseline.extra.text()


def test_the_row_menu_offers_compare_traces_for_two_rows(
    qtbot: QtBot, active: MainWindow, runs: Runs
) -> None:
    select_rows(qtbot, active, runs.fast, 0, Qt.Key.Key_Up)
    view = active.trace_view
    index = view.currentIndex()
    menu = active.list_menus.show_row_menu(index, view.mapToGlobal(view.rect().center()))
    actions = {a.text(): a for a in menu.actions()}
    assert not actions["Compa&re Traces\tCtrl+D"].isEnabled()
    menu.close()
    qtbot.keyClick(view, Qt.Key.Key_Up, SHIFT)
    menu = active.list_menus.show_row_menu(
        view.currentIndex(), view.mapToGlobal(view.rect().center())
    )
    actions = {a.text(): a for a in menu.actions()}
    assert actions["Compa&re Traces\tCtrl+D"].isEnabled()
    with qtbot.waitSignal(active.compare.opened, timeout=WAIT_MS):
        actions["Compa&re Traces\tCtrl+D"].trigger()
    menu.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_compare_window_shots(
    qtbot: QtBot,
    qapp: QApplication,
    window: MainWindow,
    runs: Runs,
    shot: Shot,
    theme: str,
) -> None:
    look = ThemeApplier(qapp)
    look.apply(theme, None)
    try:
        show_window(qtbot, window)
        open_and_wait(qtbot, window, runs.db)
        select_experiment(qtbot, window, DEFAULT_EXPERIMENT)
        diff = open_fast_and_slow(qtbot, window, runs)
        diff.resize(1280, 780)
        with qtbot.waitSignal(diff.detail.shown, timeout=WAIT_MS):
            qtbot.keyClick(diff.tree, Qt.Key.Key_P)  # the answers, word-diffed
        shot(diff, f"diff-{theme}")
        diff.close()
        select_rows(qtbot, window, runs.ids[3], 3, Qt.Key.Key_Down)
        many = compare_by_keys(qtbot, window)
        many.resize(1280, 780)
        shot(many, f"diff-baseline-{theme}")
    finally:
        look.apply("system", None)
