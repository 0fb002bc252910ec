"""The trace's search box driven by keys on copies of the real fixtures: text only in a span's
output is found and shown in the detail, the count and next/previous, Esc, a query typed fast,
stale answers, and the SQL never running on the GUI thread.

    TRACEDESK_SHOTS=/tmp/h QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest \
        tests/app/explorer/test_trace_search.py -k shot
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import event

from app.explorer import TraceExplorer
from app.spans.detail import EVENTS, INPUTS, OUTPUTS
from app.spans.model import SEARCH_ROLE, SpanTreeModel
from app.spans.search_hits import SearchHits
from app.tasks import DB_THREAD_NAME, TaskRunner
from app.theme import ThemeApplier
from core.store import StoreReader
from core.store.store import Store
from resources import resource_path
from tests.app.explorer.data import CHAT_TRACE, ERROR_31, NESTED
from tests.app.explorer.repeated import build_repeated_trace
from tests.app.helpers import WAIT_MS, save_shot
from tests.core.test_span_search import TRICKY, write_tricky_trace

ShowTrace = Callable[[Store, str], TraceExplorer]
OpenStore = Callable[[Path], Store]
MY_SPAN, RERANKER = "179ea617e5d7e4c4", "d15a633cbabb7478"


@pytest.fixture
def nested(show: ShowTrace, db318: Path, open_store: OpenStore) -> TraceExplorer:
    return show(open_store(db318), NESTED)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every `search_spans` call as (text, thread name)."""
    seen: list[tuple[str, str]] = []
    original = StoreReader.search_spans

    def recorded(self: StoreReader, trace_id: str, text: str, **kwargs: Any) -> list[str]:
        seen.append((text, threading.current_thread().name))
        return original(self, trace_id, text, **kwargs)

    monkeypatch.setattr(StoreReader, "search_spans", recorded)
    return seen


def search(qtbot: QtBot, explorer: TraceExplorer, text: str) -> SearchHits:
    """Ctrl+Shift+F, type `text` as a user does, and wait for the answer."""
    explorer.activateWindow()  # shortcuts fire in the active window only
    qtbot.waitUntil(explorer.isActiveWindow, timeout=WAIT_MS)
    explorer.focus_tree()  # the keys of a user looking at the trace
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(explorer.spans.view, Qt.Key.Key_F, ctrl_shift)
    field = explorer.spans.search_bar.edit
    assert field.hasFocus()
    with qtbot.waitSignal(explorer.search.searched, timeout=WAIT_MS) as blocker:
        qtbot.keyClicks(field, text)
    hits = blocker.args[0]
    assert isinstance(hits, SearchHits) and hits.text == text.strip()
    return hits


def count_text(explorer: TraceExplorer) -> str:
    return explorer.spans.search_bar.count_label.text()


def selected_id(explorer: TraceExplorer) -> str | None:
    span = explorer.selected_span()
    return span.span_id if span is not None else None


def highlighted(model: SpanTreeModel, parent: QModelIndex | None = None) -> list[str]:
    """The span ids of the rows the model marks as search hits, in tree order."""
    parent = parent or QModelIndex()
    found = []
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        if index.data(SEARCH_ROLE):
            found.append(model.tree.spans[index.internalId()].span_id)  # type: ignore[union-attr]
        found += highlighted(model, index)
    return found


def test_text_only_in_an_output_is_found_and_shown(
    qtbot: QtBot, nested: TraceExplorer, calls: list[tuple[str, str]]
) -> None:
    hits = search(qtbot, nested, "rerunker")  # only in reranker_span's output
    assert count_text(nested) == "1 of 1"
    assert selected_id(nested) == RERANKER
    assert highlighted(nested.spans.model) == [RERANKER]
    detail = nested.detail
    assert detail.current_tab() == OUTPUTS
    find_bar = detail.values[OUTPUTS].find_bar
    assert find_bar.isVisible() and find_bar.edit.text() == "rerunker"
    assert find_bar.result.text() == "1 found"
    assert detail.values[OUTPUTS].browser.textCursor().selectedText() == "rerunker"
    assert nested.spans.search_bar.edit.hasFocus()  # Enter goes on to the next match
    assert hits.in_payload == frozenset(hits.nodes)
    assert calls == [("rerunker", calls[0][1])] and calls[0][1].startswith(DB_THREAD_NAME)


def test_count_and_next_previous_by_keys_and_buttons(qtbot: QtBot, nested: TraceExplorer) -> None:
    search(qtbot, nested, "span")  # every name: my_cool_span, my_span, reranker_span
    order = ["30fc1bde3dd2fee4", MY_SPAN, RERANKER]
    assert highlighted(nested.spans.model) == order
    assert (count_text(nested), selected_id(nested)) == ("1 of 3", order[0])
    field = nested.spans.search_bar.edit
    steps = [
        (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "2 of 3", order[1]),
        (Qt.Key.Key_F3, Qt.KeyboardModifier.NoModifier, "3 of 3", order[2]),
        (Qt.Key.Key_Enter, Qt.KeyboardModifier.NoModifier, "1 of 3", order[0]),  # wraps
        (Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier, "3 of 3", order[2]),
        (Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier, "2 of 3", order[1]),
    ]
    for key, modifier, expected, span_id in steps:
        qtbot.keyClick(field, key, modifier)
        assert (count_text(nested), selected_id(nested)) == (expected, span_id), key
    bar = nested.spans.search_bar
    qtbot.mouseClick(bar.next_button, Qt.MouseButton.LeftButton)
    assert (count_text(nested), selected_id(nested)) == ("3 of 3", order[2])
    qtbot.mouseClick(bar.previous_button, Qt.MouseButton.LeftButton)
    assert (count_text(nested), selected_id(nested)) == ("2 of 3", order[1])
    nested.spans.view.setFocus()  # F3 works from the tree too
    qtbot.keyClick(nested.spans.view, Qt.Key.Key_F3)
    assert (count_text(nested), selected_id(nested)) == ("3 of 3", order[2])


def test_names_types_and_status_are_matched_too(
    qtbot: QtBot, show: ShowTrace, db318: Path, db31: Path, open_store: OpenStore
) -> None:
    explorer = show(open_store(db318), NESTED)
    search(qtbot, explorer, "reranker")  # its type, RERANKER, and its name
    assert highlighted(explorer.spans.model) == [RERANKER]
    explorer = show(open_store(db31), ERROR_31)  # spans in traces.json; status ERROR
    hits = search(qtbot, explorer, "error")
    assert count_text(explorer) == "1 of 1" and len(hits.nodes) == 1


def test_no_match_says_so_and_hides_nothing(qtbot: QtBot, nested: TraceExplorer) -> None:
    rows_before = nested.spans.model.rowCount(nested.spans.model.index(0, 0))
    search(qtbot, nested, "no such text anywhere")
    assert count_text(nested) == "No matches"
    assert highlighted(nested.spans.model) == []
    assert nested.spans.model.rowCount(nested.spans.model.index(0, 0)) == rows_before
    assert not nested.spans.search_bar.next_button.isEnabled()


def test_esc_clears_the_search_then_goes_back_to_the_list(
    qtbot: QtBot, nested: TraceExplorer
) -> None:
    search(qtbot, nested, "rerunker")
    escaped: list[bool] = []
    nested.escaped.connect(lambda: escaped.append(True))
    field = nested.spans.search_bar.edit
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert field.text() == "" and count_text(nested) == ""
    assert highlighted(nested.spans.model) == []
    assert not nested.detail.values[OUTPUTS].find_bar.isVisible()  # the search's find closed
    assert selected_id(nested) == RERANKER  # the selection stays
    assert escaped == []
    qtbot.keyClick(field, Qt.Key.Key_Escape)  # an empty field: Esc is the explorer's again
    assert escaped == [True]


def test_a_query_typed_fast_only_runs_the_last_search(
    qtbot: QtBot, nested: TraceExplorer, calls: list[tuple[str, str]]
) -> None:
    search(qtbot, nested, "rer")
    field = nested.spans.search_bar.edit
    with qtbot.waitSignal(nested.search.searched, timeout=WAIT_MS):
        qtbot.keyClicks(field, "unker")
        qtbot.keyClick(field, Qt.Key.Key_Backspace)
        qtbot.keyClick(field, Qt.Key.Key_R)
        assert nested.search.pending and count_text(nested) == "Searching…"
    assert [text for text, _thread in calls] == ["rer", "rerunker"]
    assert not nested.search.pending
    assert nested.search.hits is not None and nested.search.hits.text == "rerunker"
    assert count_text(nested) == "1 of 1"


def test_a_newer_query_drops_the_older_answer(
    qtbot: QtBot, nested: TraceExplorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first search is held in the database thread while the user types on: its answer,
    when it comes, is never shown."""
    release = threading.Event()
    original = StoreReader.search_spans

    def held(self: StoreReader, trace_id: str, text: str, **kwargs: Any) -> list[str]:
        if text == "span":
            release.wait(WAIT_MS / 1000)
        return original(self, trace_id, text, **kwargs)

    monkeypatch.setattr(StoreReader, "search_spans", held)
    field = nested.spans.search_bar.edit
    nested.open_search()
    qtbot.keyClicks(field, "span")
    qtbot.keyClick(field, Qt.Key.Key_Return)  # Enter: search now, no pause
    answers: list[str] = []
    nested.search.searched.connect(lambda hits: answers.append(hits.text))
    with qtbot.waitSignal(nested.search.searched, timeout=WAIT_MS):
        qtbot.keyClicks(field, "_cool")
        release.set()
    qtbot.wait(50)  # the held answer was delivered by now, if it ever would be
    assert answers == ["span_cool"]
    assert count_text(nested) == "No matches"


@pytest.mark.parametrize("large", [False, True])
def test_the_gui_thread_never_runs_the_sql(
    qtbot: QtBot,
    show: ShowTrace,
    db318: Path,
    big_trace: tuple[Path, str],
    open_store: OpenStore,
    large: bool,
) -> None:
    """Every statement of a search, of stepping through its matches and of showing them in
    the detail runs off the GUI thread; on a large trace (10,000 spans: its JSON stays in the
    database) too, where the detail reads the selected span's JSON in the database thread."""
    path, trace_id = big_trace if large else (db318, NESTED)
    store = open_store(path)
    explorer = show(store, trace_id)
    statements: list[tuple[str, str]] = []

    def executed(*args: Any) -> None:
        statements.append((threading.current_thread().name, args[2]))

    event.listen(store.engine, "before_cursor_execute", executed)
    try:
        text, tab = ("answer 42", OUTPUTS) if large else ('input"', INPUTS)
        hits = search(qtbot, explorer, text)
        assert len(hits.in_payload) >= 2
        for _step in range(2):
            with qtbot.waitSignal(explorer.detail.rendered, timeout=WAIT_MS):
                qtbot.keyClick(explorer.spans.search_bar.edit, Qt.Key.Key_Return)
            assert explorer.detail.current_tab() == tab
            assert explorer.detail.values[tab].find_bar.result.text().endswith("found")
    finally:
        event.remove(store.engine, "before_cursor_execute", executed)
    searched = [thread for thread, sql in statements if "LIKE" in sql]
    assert searched and all(thread.startswith(DB_THREAD_NAME) for thread in searched)
    on_gui = [sql for thread, sql in statements if thread == threading.main_thread().name]
    assert on_gui == []


def test_quotes_and_events_are_found_and_highlighted_in_the_detail(
    qtbot: QtBot, show: ShowTrace, db318: Path, open_store: OpenStore
) -> None:
    trace_id, ids = write_tricky_trace(f"sqlite:///{db318}")
    explorer = show(open_store(db318), trace_id)
    search(qtbot, explorer, 'said "HI"')  # stored as said \\\"hi\\\" in the span's JSON
    assert selected_id(explorer) == ids["lookup"]
    find_bar = explorer.detail.values[OUTPUTS].find_bar
    assert explorer.detail.current_tab() == OUTPUTS
    assert find_bar.edit.text() == 'said \\"HI\\"' and find_bar.result.text() == "1 found"
    assert 'said "hi"' in TRICKY
    field = explorer.spans.search_bar.edit
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # typing replaces
    with qtbot.waitSignal(explorer.search.searched, timeout=WAIT_MS):
        qtbot.keyClicks(field, "rate limited")  # only in an event
    assert selected_id(explorer) == ids["notify"]
    assert explorer.detail.current_tab() == EVENTS
    assert explorer.detail.events.textCursor().selectedText() == "rate limited"


def test_the_filter_leaves_out_the_hits_it_hides(qtbot: QtBot, nested: TraceExplorer) -> None:
    search(qtbot, nested, "span")
    filter_field = nested.spans.filter_bar.search
    field = nested.spans.search_bar.edit
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert (count_text(nested), selected_id(nested)) == ("2 of 3", MY_SPAN)
    qtbot.keyClicks(filter_field, "reranker")  # shows reranker_span and its parent, not my_span
    assert count_text(nested) == "2 matches"  # the current match is hidden: none is current
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert (count_text(nested), selected_id(nested)) == ("1 of 2", "30fc1bde3dd2fee4")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert (count_text(nested), selected_id(nested)) == ("2 of 2", RERANKER)
    filter_field.clear()
    assert count_text(nested) == "3 of 3"


def test_a_match_inside_a_folded_run_opens_it_and_marks_the_run(
    qtbot: QtBot, show: ShowTrace, open_store: OpenStore, tmp_path: Path
) -> None:
    path = tmp_path / "mlflow.db"
    trace_id = build_repeated_trace(path)
    explorer = show(open_store(path), trace_id)
    model, view = explorer.spans.model, explorer.spans.view
    search(qtbot, explorer, "SEARCH110 output")  # one of 300 search_docs calls, folded
    assert count_text(explorer) == "1 of 1"
    span = explorer.selected_span()
    assert span is not None and span.name == "search_docs"
    run = model.index_of(span.span_id).parent()
    assert model.is_fold(run) and view.isExpanded(run)
    assert run.data(SEARCH_ROLE) and model.index_of(span.span_id).data(SEARCH_ROLE)


def test_another_trace_ends_the_search(
    qtbot: QtBot, show: ShowTrace, db318: Path, open_store: OpenStore
) -> None:
    store = open_store(db318)
    explorer = show(store, NESTED)
    search(qtbot, explorer, "rerunker")
    show(store, CHAT_TRACE)
    assert explorer.spans.search_bar.edit.text() == "" and count_text(explorer) == ""
    assert highlighted(explorer.spans.model) == []


@pytest.fixture
def look(qapp: QApplication) -> Iterator[ThemeApplier]:
    applier = ThemeApplier(qapp)
    yield applier
    applier.apply("system", None)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_shot_search(
    qtbot: QtBot,
    look: ThemeApplier,
    runner: TaskRunner,
    big_trace: tuple[Path, str],
    open_store: OpenStore,
    shots: Path,
    theme: str,
) -> None:
    look.apply(theme, None)  # before the explorer is built, as `tracedesk` does
    explorer = TraceExplorer(runner)
    explorer.setStyleSheet(resource_path("style.qss").read_text("utf-8"))
    qtbot.addWidget(explorer)
    explorer.resize(1280, 760)
    explorer.show()
    qtbot.waitExposed(explorer)
    path, trace_id = big_trace
    with qtbot.waitSignals([explorer.trace_loaded, explorer.detail.rendered], timeout=WAIT_MS):
        explorer.show_trace(open_store(path), trace_id)
    hits = search(qtbot, explorer, "answer 4")  # leaves 4 and 40 to 49 of every chain
    assert len(hits.nodes) == 99 * 11 and count_text(explorer) == f"1 of {99 * 11:,}"
    for _step in range(3):
        with qtbot.waitSignal(explorer.detail.rendered, timeout=WAIT_MS):  # its JSON is read
            qtbot.keyClick(explorer.spans.search_bar.edit, Qt.Key.Key_F3)
    assert count_text(explorer) == f"4 of {99 * 11:,}" and selected_id(explorer) is not None
    assert explorer.detail.current_tab() == OUTPUTS
    save_shot(qtbot, explorer, shots / f"explorer-search-{theme}.png")


def test_the_flame_graph_marks_the_matches_too(qtbot: QtBot, nested: TraceExplorer) -> None:
    hits = search(qtbot, nested, "span")
    views = nested.span_views
    views.setCurrentWidget(views.flame)
    flame = views.flame.view
    qtbot.waitUntil(lambda: flame.flame_layout is not None, timeout=WAIT_MS)
    assert flame.search_hits == frozenset(hits.nodes)
    flame.grab()  # a paint
    assert flame.stats.hits == len(hits.nodes)
    nested.search.clear()
    assert flame.search_hits == frozenset()
    flame.grab()
    assert flame.stats.hits == 0
