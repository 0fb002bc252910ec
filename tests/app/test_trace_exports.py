"""Issue 21 in the window: Export Traces… by keyboard with progress and Cancel, Copy as
Markdown from the list and the span tree, and trace files dropped to import."""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.theme import ThemeApplier
from app.traces import exports
from app.traces.export_dialog import ExportDialog
from core.entities import Trace
from core.export import TraceSelection, export_traces
from core.store.store import Store
from tests.app.helpers import (
    WAIT_MS,
    apply_filter,
    open_and_wait,
    select_experiment,
    show_window,
    shown_ids,
)
from tests.app.synthetic import LOAD_TEST, SyntheticDb
from tests.app.test_window_files import drag_events


def open_export_dialog(qtbot: QtBot, window: MainWindow) -> ExportDialog:
    """Ctrl+Shift+E in the list, as a user opens File → Export Traces…."""
    window.trace_view.setFocus()
    qtbot.keyClick(
        window.trace_view,
        Qt.Key.Key_E,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: window.exports.dialog is not None, timeout=WAIT_MS)
    dialog = window.exports.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    dialog.activateWindow()  # mnemonics (Alt+F...) work in the active window
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT_MS)
    return dialog


def type_path(qtbot: QtBot, dialog: ExportDialog, path: Path) -> None:
    """Alt+L to the file box, replace its text."""
    qtbot.keyClick(dialog, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    assert dialog.path_edit.hasFocus()
    dialog.path_edit.selectAll()
    qtbot.keyClicks(dialog.path_edit, str(path))


def choose_format(qtbot: QtBot, dialog: ExportDialog, name: str) -> None:
    """Alt+F to the format box, then arrow keys until `name` is chosen."""
    qtbot.keyClick(dialog, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    assert dialog.format_box.hasFocus()
    qtbot.keyClick(dialog.format_box, Qt.Key.Key_Home)
    for _ in range(dialog.format_box.count()):
        if dialog.chosen_format.name == name:
            return
        qtbot.keyClick(dialog.format_box, Qt.Key.Key_Down)
    assert dialog.chosen_format.name == name


def test_export_dialog_by_keyboard_writes_what_the_filter_matches(
    qtbot: QtBot, window: MainWindow, db318: Path, tmp_path: Path
) -> None:
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, "2")
    apply_filter(qtbot, window, "trace.execution_time_ms > 3")
    assert 1 < len(shown_ids(window)) < 6  # the filter leaves some of the 6 out
    dialog = open_export_dialog(qtbot, window)
    assert not dialog.selected_choice.isEnabled()  # no rows selected
    assert dialog.all_choice.isChecked()
    choose_format(qtbot, dialog, "jsonl")
    assert dialog.path_edit.text().endswith("traces.jsonl")  # the ending follows the format
    target = tmp_path / "ok.jsonl"
    type_path(qtbot, dialog, target)
    with qtbot.waitSignal(window.exports.exported, timeout=WAIT_MS):
        qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    lines = target.read_text("utf-8").splitlines()
    assert [Trace.from_json(line).trace_id for line in lines] == shown_ids(window)
    assert all(Trace.from_json(line).info.execution_duration > 3 for line in lines)
    assert dialog.status.text() == f"Exported {len(lines)} traces to {target}."
    assert dialog.export_button.text() == "&Close" and dialog.export_button.hasFocus()
    assert str(target) in window.status.currentMessage()
    qtbot.keyClick(dialog.export_button, Qt.Key.Key_Return)  # Close
    qtbot.waitUntil(lambda: window.exports.dialog is None, timeout=WAIT_MS)


def test_the_selected_rows_export_as_csv_of_the_lists_columns(
    qtbot: QtBot, window: MainWindow, db318: Path, tmp_path: Path
) -> None:
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, "2")
    window.trace_view.select_row(0)
    qtbot.keyClick(window.trace_view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    chosen = window.trace_view.selected_trace_ids()
    assert len(chosen) == 2
    dialog = open_export_dialog(qtbot, window)
    assert dialog.selected_choice.isChecked()  # two rows: they are what is exported
    choose_format(qtbot, dialog, "csv")
    target = tmp_path / "rows.csv"
    type_path(qtbot, dialog, target)
    with qtbot.waitSignal(window.exports.exported, timeout=WAIT_MS):
        qtbot.keyClick(dialog, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)  # &Export
    header, *rows = list(csv.reader(target.open(encoding="utf-8")))
    shown = [
        window.trace_model.headerData(s, Qt.Orientation.Horizontal)
        for s in range(window.trace_model.columnCount())
        if not window.trace_view.isColumnHidden(s)
    ]
    assert header[0] == "Trace ID" and len(header) == len(shown)  # the columns the list shows
    assert [row[0] for row in rows] == chosen


@pytest.fixture
def paused_export(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Exports in pages of 100 that wait after each page until cancelled (10 s at most), so
    a test can press Cancel while one runs."""
    pages: list[int] = []
    real = exports.export_traces

    def paused(*args: Any, progress: Any, cancelled: Callable[[], bool], **kwargs: Any) -> Any:
        def report(done: int, total: int) -> None:
            pages.append(done)
            progress(done, total)
            deadline = time.monotonic() + 10
            while not cancelled() and time.monotonic() < deadline:
                time.sleep(0.005)

        return real(*args, progress=report, cancelled=cancelled, page_size=100, **kwargs)

    monkeypatch.setattr(exports, "export_traces", paused)
    yield pages


def test_a_large_export_shows_progress_and_escape_cancels_it(
    qtbot: QtBot,
    window: MainWindow,
    synthetic: SyntheticDb,
    tmp_path: Path,
    paused_export: list[int],
) -> None:
    show_window(qtbot, window)
    open_and_wait(qtbot, window, synthetic.path)
    select_experiment(qtbot, window, LOAD_TEST)
    qtbot.waitUntil(lambda: window.trace_model.total is not None, timeout=WAIT_MS)
    total = window.trace_model.total
    dialog = open_export_dialog(qtbot, window)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "big.jsonl"
    choose_format(qtbot, dialog, "jsonl")
    type_path(qtbot, dialog, target)
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.progress.value() == 100, timeout=WAIT_MS)
    assert dialog.running and dialog.progress.isVisible()
    assert dialog.status.text() == f"Wrote 100 of {total:,} traces…"
    assert not dialog.export_button.isEnabled() and not dialog.path_edit.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.running, timeout=WAIT_MS)
    assert dialog.isVisible()  # Escape stopped the export, not the dialog
    assert dialog.status.text() == f"Cancelled after 100 of {total:,} traces; no file was written."
    assert paused_export == [100]
    assert list(target.parent.iterdir()) == []  # no file, no part file
    assert dialog.export_button.isEnabled()  # the user may try again
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # now it closes
    qtbot.waitUntil(lambda: window.exports.dialog is None, timeout=WAIT_MS)


def clipboard_after(qtbot: QtBot, act: Callable[[], object]) -> str:
    QGuiApplication.clipboard().clear()
    act()
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() != "", timeout=WAIT_MS)
    return QGuiApplication.clipboard().text()


def test_copy_as_markdown_from_the_row_menu_and_the_span_tree(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, "1")
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.trace_view.select_row(0)
    trace_id = shown_ids(window)[0]
    index = window.trace_model.index(0, 1)
    menu = window.list_menus.show_row_menu(index, QPoint(10, 10))
    action = next(a for a in menu.actions() if a.text() == "Copy as &Markdown")
    text = clipboard_after(qtbot, lambda: (menu.close(), action.trigger()))
    assert text.startswith(f"## Trace `{trace_id}`")
    assert "### Spans" in text and "outer_span" in text
    assert window.status.currentMessage() == "Copied the trace as Markdown."
    # The span tree's row menu offers the span's summary; Down selects the child span.
    tree = window.explorer.spans.view
    tree.setFocus()
    tree.setCurrentIndex(tree.model().index(0, 0, QModelIndex()))
    qtbot.keyClick(tree, Qt.Key.Key_Right)
    qtbot.keyClick(tree, Qt.Key.Key_Down)
    span = window.explorer.selected_span()
    assert span is not None and span.name == "innder_span"
    span_menu = tree.trace_menu(None)
    assert span_menu is not None
    names = [a.objectName() for a in span_menu.actions()]
    assert "copySpanMarkdown" in names and "copyTraceMarkdown" in names
    text = clipboard_after(qtbot, window.exports.copy_span_action.trigger)
    assert text.startswith(f"## Span `innder_span` in trace `{trace_id}`")
    assert "copyTraceMarkdown" in [
        a.objectName() for a in window.explorer.header.more.menu().actions()
    ]


def exported_jsonl(db: Path, to: Path, format_name: str = "jsonl") -> list[str]:
    with Store.open(db) as store:
        export_traces(store.reader, TraceSelection(), format_name, to)
        return store.reader.search_trace_ids(None)


@pytest.mark.parametrize(
    ("name", "format_name"), [("from31.jsonl", "jsonl"), ("from31.json", "otlp")]
)
def test_a_dropped_trace_file_imports_after_naming_the_experiment(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    db31: Path,
    db318: Path,
    tmp_path: Path,
    name: str,
    format_name: str,
) -> None:
    source = tmp_path / name
    ids = exported_jsonl(db31, source, format_name)
    window = make_window(read_only=False)
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, "1")
    before = len(shown_ids(window))
    enter, drop, _mime = drag_events(source, window)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, drop)
    box = window.imports.question
    assert isinstance(box, QMessageBox) and box.isVisible()
    experiment = window.experiment_view.name_of("1")
    assert f"into the experiment “{experiment}” (id 1)" in box.text()
    assert name in box.text()
    assert window.store is not None and window.store.display_name == str(db318)  # not opened
    with qtbot.waitSignal(window.imports.imported, timeout=WAIT_MS) as landed:
        qtbot.keyClick(box, Qt.Key.Key_Return)  # the default button: Import
    assert landed.args[0].added == len(ids)
    qtbot.waitUntil(lambda: len(shown_ids(window)) == before + len(ids), timeout=WAIT_MS)
    if format_name == "jsonl":  # OTLP carries OTel trace ids: MLflow 3.1's ids are not kept
        assert set(ids) <= set(shown_ids(window))
    assert window.status.currentMessage() == f"Imported {len(ids)} trace(s) from {name}."


def test_a_read_only_database_refuses_a_drop_with_the_enable_editing_hint(
    qtbot: QtBot, window: MainWindow, db31: Path, db318: Path, tmp_path: Path
) -> None:
    source = tmp_path / "from31.jsonl"
    exported_jsonl(db31, source)
    open_and_wait(qtbot, window, db318)
    enter, drop, _mime = drag_events(source, window)
    QApplication.sendEvent(window, enter)
    with qtbot.waitSignal(window.error_reported, timeout=WAIT_MS) as reported:
        QApplication.sendEvent(window, drop)
    assert "Enable Editing" in reported.args[0]
    assert window.imports.question is None
    with Store.open(db318) as store:
        assert not set(store.reader.search_trace_ids(None)) & set(exported_jsonl(db31, source))


@pytest.fixture
def look(qapp: QApplication) -> Iterator[ThemeApplier]:
    applier = ThemeApplier(qapp)
    yield applier
    applier.apply("system", None)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_export_dialog_shot(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    db318: Path,
    look: ThemeApplier,
    theme: str,
    tmp_path: Path,
    paused_export: list[int],
) -> None:
    look.apply(theme, None)
    window = make_window()
    dark = QApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
    assert dark == (theme == "dark")
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, "2")
    window.trace_view.select_row(0)
    qtbot.keyClick(window.trace_view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    dialog = open_export_dialog(qtbot, window)
    shots = Path(os.environ.get("TRACEDESK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(shots / f"export_dialog_{theme}.png"))
    type_path(qtbot, dialog, tmp_path / "shot.jsonl")
    choose_format(qtbot, dialog, "jsonl")
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=WAIT_MS)
    assert dialog.grab().save(str(shots / f"export_dialog_running_{theme}.png"))
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.running, timeout=WAIT_MS)


def test_the_file_field_writes_the_home_folder_as_tilde(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the status bar does: no user name in the field (or in a screenshot of it); the
    export still goes to the whole path."""
    from core.export import available_formats

    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / "work"
    folder.mkdir()
    dialog = ExportDialog(available_formats(), ["tr-1"], 3, folder)
    qtbot.addWidget(dialog)
    assert dialog.path_edit.text() == f"~{os.sep}work{os.sep}traces.json"
    assert dialog.plan().path == folder / "traces.json"


def test_a_folder_that_refuses_the_file_is_said_and_the_export_can_be_retried(
    qtbot: QtBot, window: MainWindow, db318: Path, tmp_path: Path
) -> None:
    """A write that fails (here the export's `.part` name is taken by a folder: root writes
    anywhere chmod allows, so a read-only folder cannot stage it) ends with the reason in the
    dialog, no file and the dialog ready again; the next path works."""
    show_window(qtbot, window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, "2")
    dialog = open_export_dialog(qtbot, window)
    refused = tmp_path / "refused.json"
    (tmp_path / ".refused.json.part").mkdir()
    type_path(qtbot, dialog, refused)
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "could not be written" in dialog.status.text(), timeout=WAIT_MS)
    assert str(refused) in dialog.status.text()
    assert not refused.exists()
    assert dialog.export_button.isEnabled() and dialog.path_edit.isEnabled()
    target = tmp_path / "ok.json"
    type_path(qtbot, dialog, target)
    with qtbot.waitSignal(window.exports.exported, timeout=WAIT_MS):
        qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)  # Export again, not Cancel
    assert target.stat().st_size > 0
