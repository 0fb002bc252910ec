"""The trace explorer driven on copies of the real fixtures: loading, selection, detail tabs,
stale results, copying, broken and empty traces, and the summary header."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.explorer import TraceExplorer
from app.explorer.assessments import AssessmentList
from app.spans.detail import ATTRIBUTES, CHAT, EVENTS, INPUTS, OUTPUTS, RAW
from app.spans.model import Column
from app.tasks import TaskRunner
from app.widgets import ElidedLabel
from core.store.store import Store
from tests.app.explorer.data import (
    AGENT,
    ASSESSED,
    CHAT_TRACE,
    ERROR_31,
    NESTED,
    OLLAMA,
    malformed_copy,
    zero_span_copy,
)
from tests.app.helpers import WAIT_MS

ShowTrace = Callable[[Store, str], TraceExplorer]
OpenStore = Callable[[Path], Store]


def test_nested_trace_selects_its_root_and_renders_its_detail(
    qtbot: QtBot, explorer: TraceExplorer, db318: Path, open_store: OpenStore
) -> None:
    store = open_store(db318)
    selected: list[object] = []
    explorer.span_selected.connect(selected.append)
    with qtbot.waitSignals([explorer.trace_loaded, explorer.detail.rendered], timeout=WAIT_MS):
        explorer.show_trace(store, NESTED)
    trace = explorer.current_trace()
    assert trace is not None and trace.info.trace_id == NESTED
    root = explorer.selected_span()
    assert root is not None and root.name == "my_cool_span" and root.parent_id is None
    assert selected == [root]
    assert explorer.detail.current_tab() == INPUTS  # no chat in this span
    assert explorer.header.name.text() == "my_cool_span"
    model = explorer.spans.model
    assert model.rowCount(model.index(0, 0)) == 2
    with qtbot.waitSignal(explorer.span_selected) as blocker:
        explorer.spans.view.select_span("179ea617e5d7e4c4")
    assert blocker.args[0].name == "my_span"
    inputs = explorer.detail.values[INPUTS]
    assert json.loads(inputs.text) == {"input": "input"}
    assert inputs.is_highlighted


def test_chat_span_opens_on_the_chat_tab(
    show: ShowTrace, db318: Path, open_store: OpenStore
) -> None:
    explorer = show(open_store(db318), CHAT_TRACE)
    assert explorer.detail.current_tab() == CHAT
    text = explorer.detail.chat.toPlainText()
    for expected in ("System", "System prompt", "User", "Assistant", "Tool", "The tool call"):
        assert expected in text


def test_chat_ollama_span_with_tokens_and_events(
    show: ShowTrace, db318: Path, open_store: OpenStore
) -> None:
    explorer = show(open_store(db318), OLLAMA)
    assert "Tokens 35 in · 25 out · 60 total" in explorer.header.facts.text()
    assert explorer.spans.model.index(0, Column.TOKENS).data() == "60"
    detail = explorer.detail
    assert detail.tabs.tabText(detail.tabs.indexOf(detail.events)) == "Events (26)"
    detail.show_tab(EVENTS)
    events = detail.events.toPlainText()
    assert events.count("new_token") == 26 and "Hello!" in events
    facts = detail.facts
    assert "60 tokens" in facts.timing.text()
    facts.resize(360, facts.height())  # a narrow detail: the timing elides, the id keeps room
    facts.layout().activate()
    assert facts.timing.geometry().right() < facts.span_id.geometry().left()
    assert facts.timing.shown_text().endswith("…") and "60 tokens" in facts.timing.toolTip()


def test_agent_span_shows_the_responses_conversation(
    show: ShowTrace, db318: Path, open_store: OpenStore
) -> None:
    explorer = show(open_store(db318), AGENT)
    assert explorer.detail.current_tab() == CHAT
    text = explorer.detail.chat.toPlainText()
    assert "Recognised as ResponsesAgent" in text
    assert "what is 4*3 in python" in text and "The result of 4 * 3 in Python is 12." in text


def test_error_trace_shows_the_exception_and_stack_trace(
    show: ShowTrace, db31: Path, open_store: OpenStore
) -> None:
    explorer = show(open_store(db31), ERROR_31)
    assert explorer.header.state.text() == "Error"
    detail = explorer.detail
    assert detail.facts.status.text() == "ERROR"
    assert "ImportError: The `databricks-agents` package" in detail.facts.problem.text()
    detail.show_tab(EVENTS)
    events = detail.events.toPlainText()
    assert "exception" in events and "ImportError" in events
    assert "Traceback (most recent call last):" in events
    assert 'File "/home/user/make_seed_db.py", line 237' in events
    traceback = detail.events.document().find("Traceback (most recent call last):")
    assert "DejaVu Sans Mono" in traceback.charFormat().fontFamilies()  # monospaced
    assert explorer.spans.filter_bar.errors_button.text() == "Errors only (1)"


def test_only_the_visible_tab_renders(
    qtbot: QtBot, show: ShowTrace, db318: Path, open_store: OpenStore
) -> None:
    explorer = show(open_store(db318), OLLAMA)
    detail = explorer.detail
    assert detail.current_tab() == CHAT
    assert detail.values[OUTPUTS].text == "" and detail.events.toPlainText() == ""
    for tab in (OUTPUTS, ATTRIBUTES, RAW):
        with qtbot.waitSignal(detail.rendered) as blocker:
            detail.show_tab(tab)
        assert blocker.args == [tab]
    assert '"mlflow.llm.model": "llama3.2:1b"' in detail.values[ATTRIBUTES].text
    assert "mlflow.spanInputs" not in detail.values[ATTRIBUTES].text
    raw = explorer.selected_span().to_dict()
    assert json.loads(detail.values[RAW].text) == raw


def test_a_stale_result_is_dropped(
    qtbot: QtBot, explorer: TraceExplorer, db318: Path, open_store: OpenStore
) -> None:
    store = open_store(db318)
    loaded: list[str] = []
    explorer.trace_loaded.connect(lambda trace: loaded.append(trace.info.trace_id))
    explorer.show_trace(store, NESTED)  # the user clicks on, before this one arrives
    with qtbot.waitSignal(explorer.trace_loaded, timeout=WAIT_MS):
        explorer.show_trace(store, CHAT_TRACE)
    qtbot.waitUntil(lambda: not explorer.is_loading)
    qtbot.wait(50)
    assert loaded == [CHAT_TRACE]
    assert explorer.current_trace().info.trace_id == CHAT_TRACE


def test_none_clears(qtbot: QtBot, show: ShowTrace, db318: Path, open_store: OpenStore) -> None:
    explorer = show(open_store(db318), NESTED)
    with qtbot.waitSignal(explorer.span_selected) as blocker:
        explorer.show_trace(None, None)
    assert blocker.args == [None]
    assert explorer.current_trace() is None and explorer.selected_span() is None
    assert explorer.stack.currentWidget() is explorer.message
    assert explorer.spans.model.rowCount() == 0


def test_copying_the_span_json(
    qtbot: QtBot, show: ShowTrace, db318: Path, open_store: OpenStore
) -> None:
    explorer = show(open_store(db318), NESTED)
    clipboard = QGuiApplication.clipboard()
    span = explorer.selected_span()
    expected = json.dumps(span.to_dict(), indent=2)
    clipboard.clear()
    assert explorer.copy_selected_span_json()
    assert clipboard.text() == expected
    clipboard.clear()
    explorer.focus_tree()
    qtbot.keyClick(explorer.spans.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == expected
    clipboard.clear()
    qtbot.mouseClick(explorer.detail.facts.copy_button, Qt.MouseButton.LeftButton)
    assert clipboard.text() == expected
    explorer.detail.show_tab(RAW)
    raw = explorer.detail.values[RAW].browser
    qtbot.keyClick(raw, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)  # nothing selected
    assert clipboard.text() == expected
    explorer.clear()
    assert not explorer.copy_selected_span_json()


def test_reloading_keeps_the_selected_span(
    qtbot: QtBot, show: ShowTrace, db318: Path, open_store: OpenStore
) -> None:
    store = open_store(db318)
    explorer = show(store, NESTED)
    explorer.spans.view.select_span("d15a633cbabb7478")
    with qtbot.waitSignal(explorer.trace_loaded, timeout=WAIT_MS):
        explorer.show_trace(store, NESTED)
    assert explorer.selected_span().name == "reranker_span"


def test_a_missing_trace_reports_a_failure(
    qtbot: QtBot, explorer: TraceExplorer, db318: Path, open_store: OpenStore
) -> None:
    with qtbot.waitSignal(explorer.load_failed, timeout=WAIT_MS) as blocker:
        explorer.show_trace(open_store(db318), "tr-00000000000000000000000000000000")
    assert "no longer exists" in blocker.args[0]
    assert explorer.message.text() == blocker.args[0]
    assert explorer.current_trace() is None


def test_a_trace_without_spans(
    qtbot: QtBot, explorer: TraceExplorer, db318: Path, open_store: OpenStore
) -> None:
    store = open_store(zero_span_copy(db318, NESTED))
    with qtbot.waitSignal(explorer.trace_loaded, timeout=WAIT_MS):
        explorer.show_trace(store, NESTED)
    shown = explorer
    assert shown.current_trace().data.spans == []
    assert any("No spans" in n for n in shown.spans.notice.notices)
    assert shown.spans.view.placeholder == "This trace has no spans."
    assert shown.selected_span() is None and not shown.detail.tabs.isVisible()
    assert shown.header.name.text() == "my_cool_span"


def test_a_malformed_span(show: ShowTrace, db318: Path, open_store: OpenStore) -> None:
    explorer = show(open_store(malformed_copy(db318, NESTED)), NESTED)
    model = explorer.spans.model
    assert model.index(0, 0).data() == "my_cool_span  — unreadable"
    assert model.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is not None
    assert any("malformed" in n for n in explorer.spans.notice.notices)
    detail = explorer.detail
    assert detail.current_tab() == RAW
    raw = detail.values[RAW].text
    assert "could not be read" in raw and "Stored text (1 characters):\n{" in raw
    assert "could not be read" in detail.facts.problem.text()


def test_a_missing_root_shows_orphans_on_top(
    show: ShowTrace, db318: Path, open_store: OpenStore
) -> None:
    with sqlite3.connect(db318) as connection:
        connection.execute("DELETE FROM spans WHERE span_id = '30fc1bde3dd2fee4'")
    connection.close()
    explorer = show(open_store(db318), NESTED)
    model = explorer.spans.model
    assert model.rowCount() == 2
    assert model.index(0, 0).data() == "my_span  — parent missing"
    assert any("root span is missing" in n for n in explorer.spans.notice.notices)
    assert explorer.selected_span().name == "my_span"


def test_header_facts_copy_and_assessments(
    qtbot: QtBot, show: ShowTrace, db318: Path, open_store: OpenStore
) -> None:
    explorer = show(open_store(db318), ASSESSED)
    header = explorer.header
    facts = header.facts.text()
    assert facts.startswith("Started 2026-11-2") and "User root" in facts and "1 span" in facts
    assert header.state.text() == "OK"
    with qtbot.waitSignal(header.id_copied) as blocker:
        qtbot.mouseClick(header.trace_id, Qt.MouseButton.LeftButton)
    assert blocker.args == [ASSESSED]
    assert QGuiApplication.clipboard().text() == ASSESSED
    assert header.trace_id.text() == "Copied ✓"
    qtbot.waitUntil(lambda: header.trace_id.text() == ASSESSED, timeout=WAIT_MS)
    assert header.assessment_section.toggle.text() == "Assessments (2)"
    assert header.assessments.isVisible()
    rows = [[label.text() for label in row] for row in header.assessments.rows]
    assert rows[0][:3] == ["some_check", "Fail", "feedback · code · some_check"]
    assert rows[1][:3] == ["expected_response", "Wright Brothers", "expectation · human · root"]
    tags = header.tags_section
    assert tags.toggle.text().startswith("Tags and metadata (") and not tags.body.isVisible()
    tags.toggle.click()
    assert tags.body.isVisible() and header.chips.count() > 5
    chip = header.chips.itemAt(0).widget()
    assert chip.toolTip().startswith("<p style='white-space:pre-wrap'>")


def test_narrow_assessments_are_elided_instead_of_cut(
    qtbot: QtBot, db318: Path, open_store: OpenStore
) -> None:
    """A narrow explorer: names and sources give up width with "…", the tooltip has all."""
    trace = open_store(db318).reader.get_trace(ASSESSED)
    listing = AssessmentList()
    qtbot.addWidget(listing)
    listing.show_assessments(trace.info.assessments)
    listing.resize(260, 80)
    listing.show()
    qtbot.waitExposed(listing)
    rows = listing.rows
    squeezed = 0
    for label in (rows[0][0], rows[0][2], rows[1][0], rows[1][2]):
        assert isinstance(label, ElidedLabel)
        shown, room = label.shown_text(), label.contentsRect().width()
        assert room > 0 and label.fontMetrics().horizontalAdvance(shown) <= room
        if label.fontMetrics().horizontalAdvance(label.text()) > room:
            squeezed += 1
            assert "…" in shown  # cut with an ellipsis, never mid-letter
        assert label.toolTip()
    assert squeezed  # the width really was too small for some of them


@pytest.mark.parametrize(("width", "height", "orientation"), [(1280, 700, 1), (700, 1000, 2)])
def test_splitter_follows_the_shape(
    qtbot: QtBot, explorer: TraceExplorer, width: int, height: int, orientation: int
) -> None:
    explorer.resize(width, height)
    qtbot.waitUntil(lambda: explorer.splitter.orientation().value == orientation)


def test_a_result_for_a_deleted_explorer_is_dropped(
    qtbot: QtBot, runner: TaskRunner, db318: Path, open_store: OpenStore
) -> None:
    explorer = TraceExplorer(runner)
    explorer.show_trace(open_store(db318), NESTED)
    explorer.deleteLater()
    del explorer
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT_MS)  # delivered, and ignored
