"""The filter bar on the real window: applying, inline errors, Escape, history, help, per file."""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.query.bar import QueryBar, error_message
from app.query.fields import EXAMPLES, FIELDS, completions, field_help
from app.query.help import help_html
from app.query.state import QueryHistory
from core.errors import QuerySyntaxError
from core.query import fields as language
from core.store.store import Store
from tests.app.helpers import (
    WAIT_MS,
    apply_filter,
    open_and_wait,
    select_experiment,
    shown_ids,
)

CUSTOM_TRACING = "1"  # the 3.18 fixture's experiment with five small traces
RERANKER_TRACE = "tr-8994d05b63f61f086eee7e8a1d4106e8"


def ids_matching(db: Path, experiment_id: str, where: str) -> list[str]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT request_id FROM trace_info t WHERE experiment_id = ? AND "
            + where
            + " ORDER BY timestamp_ms DESC, request_id DESC",
            (int(experiment_id),),
        ).fetchall()
    connection.close()
    return [r[0] for r in rows]


def press_enter_and_expect_error(qtbot: QtBot, window: MainWindow) -> QuerySyntaxError:
    with qtbot.waitSignal(window.trace_model.query_rejected, timeout=WAIT_MS) as blocker:
        qtbot.keyClick(window.query_bar.edit, Qt.Key.Key_Return)
    error = blocker.args[0]
    assert isinstance(error, QuerySyntaxError)
    return error


def test_a_span_type_filter_narrows_the_list(qtbot: QtBot, window: MainWindow, db318: Path) -> None:
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, CUSTOM_TRACING)
    assert len(shown_ids(window)) == 5
    apply_filter(qtbot, window, "span.type = 'RERANKER'")
    assert shown_ids(window) == [RERANKER_TRACE]
    qtbot.waitUntil(lambda: window.trace_model.total == 1, timeout=WAIT_MS)
    assert window.status.count_label.text() == "1 trace"
    assert window.query_bar.error_text == ""
    assert window.queries.filter_text == "span.type = 'RERANKER'"
    # The filter stays when the experiment changes, and matches nothing there.
    select_experiment(qtbot, window, "0")
    assert shown_ids(window) == []
    assert window.trace_view.placeholder_text() == "No traces match the filter."


def test_a_trace_filter_matches_sql(qtbot: QtBot, window: MainWindow, db318: Path) -> None:
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, CUSTOM_TRACING)
    apply_filter(qtbot, window, "trace.name LIKE '%span%' AND NOT trace.name = 'span'")
    expected = ids_matching(
        db318, CUSTOM_TRACING, "trace_name GLOB '*span*' AND trace_name != 'span'"
    )
    assert shown_ids(window) == expected and len(expected) == 3


def test_a_malformed_filter_is_shown_inline_and_keeps_the_rows(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, CUSTOM_TRACING)
    apply_filter(qtbot, window, "trace.status = 'OK'")
    before = shown_ids(window)
    window.trace_view.select_row(2)
    edit = window.query_bar.edit
    edit.clear()
    qtbot.keyClicks(edit, "trace.status = ")
    error = press_enter_and_expect_error(qtbot, window)
    assert error.position == 14
    message = window.query_bar.error_text
    assert message.startswith("Expected a quoted string value for trace.status")
    assert message.endswith("at column 15")
    assert window.query_bar.error_label.isVisible() or not window.isVisible()
    assert edit.marker == (14, 15)  # the red squiggle sits where the value is missing
    assert shown_ids(window) == before  # nothing was lost
    assert window.trace_view.selected_trace_id() == before[2]
    assert window.queries.filter_text == "trace.status = 'OK'"  # still the one shown
    assert not window.findChildren(type(window.query_bar.help))[0].isVisible()
    # the rows are the previous filter's, and the list and the count say so
    assert window.trace_model.rejected is error
    assert window.trace_view.placeholder_text() == ""
    count = window.status.count_label
    qtbot.waitUntil(lambda: count.text().endswith(" (previous filter)"), timeout=WAIT_MS)
    dimmed = window.trace_view.viewport().grab().toImage()
    window.trace_model._rejected = None  # the same rows, undimmed, to compare
    assert window.trace_view.viewport().grab().toImage() != dimmed
    window.trace_model._rejected = error
    # Typing moves the text, so the marker goes; a good filter then clears the message.
    qtbot.keyClicks(edit, "'ERROR'")
    assert edit.marker is None
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert window.query_bar.error_text == "" and shown_ids(window) == []
    assert window.trace_model.rejected is None
    assert "previous" not in window.status.count_label.text()


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("trace.nme = 'x'", 0),
        ("trace.status = 'OK' AND", 23),
        ("span.type = 'LLM' OR (trace.name = 'a'", 38),
        ("trace.execution_time_ms > 'slow'", 26),
    ],
)
def test_error_positions(
    qtbot: QtBot, window: MainWindow, db318: Path, text: str, position: int
) -> None:
    open_and_wait(qtbot, window, db318)
    edit = window.query_bar.edit
    qtbot.keyClicks(edit, text)
    edit.completer_popup.popup().hide()
    error = press_enter_and_expect_error(qtbot, window)
    assert error.position == position
    assert window.query_bar.error_text.endswith(f"at column {position + 1}")
    assert edit.marker is not None and edit.marker[0] == position


def test_escape_clears_the_filter_then_returns_to_the_list(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, CUSTOM_TRACING)
    apply_filter(qtbot, window, "span.type = 'RERANKER'")
    edit = window.query_bar.edit
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert edit.text() == "" and len(shown_ids(window)) == 5
    assert window.queries.filter_text == ""
    with qtbot.waitSignal(window.query_bar.escaped, timeout=WAIT_MS):
        qtbot.keyClick(edit, Qt.Key.Key_Escape)  # nothing left to clear


def test_history_walks_with_up_and_down(qtbot: QtBot, window: MainWindow, db318: Path) -> None:
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, CUSTOM_TRACING)
    for text in ("trace.status = 'OK'", "span.type = 'RERANKER'"):
        apply_filter(qtbot, window, text)
    edit = window.query_bar.edit
    edit.clear()
    qtbot.keyClicks(edit, "draft")
    edit.completer_popup.popup().hide()
    qtbot.keyClick(edit, Qt.Key.Key_Up)
    assert edit.text() == "span.type = 'RERANKER'"
    qtbot.keyClick(edit, Qt.Key.Key_Up)
    assert edit.text() == "trace.status = 'OK'"
    qtbot.keyClick(edit, Qt.Key.Key_Up)  # the oldest stays
    assert edit.text() == "trace.status = 'OK'"
    qtbot.keyClick(edit, Qt.Key.Key_Down)
    qtbot.keyClick(edit, Qt.Key.Key_Down)
    assert edit.text() == "draft"
    assert QueryHistory().items == ["trace.status = 'OK'", "span.type = 'RERANKER'"]


def test_completer_offers_fields_and_inserts_the_choice(qtbot: QtBot) -> None:
    bar = QueryBar(QueryHistory())
    qtbot.addWidget(bar)
    bar.show()
    qtbot.waitExposed(bar)
    edit = bar.edit
    qtbot.keyClicks(edit, "trace.status = 'OK' AND spa")
    completer = edit.completer_popup
    assert completer.popup().isVisible()
    offered = [completer.completionModel().index(r, 0).data() for r in range(4)]
    assert offered[0].startswith("span.")
    submitted: list[str] = []
    bar.submitted.connect(submitted.append)
    popup = completer.popup()
    row = next(
        r for r in range(12) if completer.completionModel().index(r, 0).data() == "span.type"
    )
    popup.setCurrentIndex(completer.completionModel().index(row, 0))
    qtbot.keyClick(popup, Qt.Key.Key_Return)  # Enter picks the completion, and only that
    assert edit.text() == "trace.status = 'OK' AND span.type "
    assert not popup.isVisible() and submitted == []
    edit.clear()
    qtbot.keyClicks(edit, "tag.env = 'spa")  # inside a quoted value nothing is offered
    assert not completer.popup().isVisible()
    assert {"trace.status", "status", "tag.", "span.type", "feedback.", "AND"} <= set(completions())


def test_help_popover_lists_fields_and_applies_an_example(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    window.show()
    qtbot.waitExposed(window)
    open_and_wait(qtbot, window, db318)
    select_experiment(qtbot, window, CUSTOM_TRACING)
    bar = window.query_bar
    qtbot.mouseClick(bar.help_button, Qt.MouseButton.LeftButton)
    assert bar.help.isVisible()
    text = bar.help.label.text()
    for field in ("trace.status", "trace.name", "tag.", "metadata.", "span.type", "feedback."):
        assert field in text
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        bar.help.label.linkActivated.emit("example:4")  # NOT span.type = 'LLM'
    assert not bar.help.isVisible()
    assert bar.edit.text() == EXAMPLES[4][0]
    assert window.queries.filter_text == EXAMPLES[4][0]


def test_help_and_completions_come_from_the_field_table() -> None:
    """Every field core's parser knows is in the help and the completer, and nothing else."""
    text = help_html()
    table = language.TRACE_FIELDS + language.SCOPED_FIELDS
    assert [f.name for f in FIELDS] == [field_help(spec).name for spec in table]
    for spec in table:
        shown = field_help(spec)
        assert html.escape(shown.name) in text and html.escape(shown.meaning) in text
        assert shown.name in completions()
    assert "trace.prompt" in completions() and "prompt" in completions()
    assert "trace.prompt" in text  # it was missing when the help was a hand-kept copy
    for operator in language.OPERATORS:
        assert html.escape(operator) in text


def test_every_example_compiles(db318: Path) -> None:
    with Store.open(db318) as store:
        for text, _meaning in EXAMPLES:
            store.reader.count_traces(None, text)  # raises on a broken example


def test_filter_and_sort_are_restored_per_file(
    qtbot: QtBot, make_window: Callable[..., MainWindow], db318: Path, db31: Path
) -> None:
    first = make_window()
    open_and_wait(qtbot, first, db318)
    select_experiment(qtbot, first, CUSTOM_TRACING)
    apply_filter(qtbot, first, "trace.status = 'OK' AND trace.name != 'span'")
    first.close()
    other = make_window()
    open_and_wait(qtbot, other, db31)  # another file starts with no filter
    assert other.query_bar.text == "" and other.queries.filter_text == ""
    again = make_window()
    open_and_wait(qtbot, again, db318)
    assert again.query_bar.text == "trace.status = 'OK' AND trace.name != 'span'"
    assert again.experiment_view.current_experiment_id == CUSTOM_TRACING  # the one used last
    assert len(shown_ids(again)) == 4 and "tr-9729c509c999a70f05e3f59e6457fca5" not in (
        shown_ids(again)
    )


def test_a_restored_filter_that_no_longer_parses_says_so(
    qtbot: QtBot, make_window: Callable[..., MainWindow], db318: Path
) -> None:
    from app.query.controller import file_key
    from app.query.state import FileView, save_file_view

    with Store.open(db318) as store:
        save_file_view(file_key(store), FileView("trace.status ="))
    window = make_window()
    with qtbot.waitSignal(window.trace_model.query_rejected, timeout=WAIT_MS):
        window.open_location(db318)
    assert window.query_bar.error_text.endswith("at column 15")
    assert shown_ids(window) == []
    assert "filter above has an error" in window.trace_view.placeholder_text()
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.keyClick(window.query_bar.edit, Qt.Key.Key_Escape)
    assert len(shown_ids(window)) == 6


def test_error_message_wording() -> None:
    error = QuerySyntaxError("Expected a value", text="trace.name = ", position=12)
    assert error_message(error) == "Expected a value at column 13"
