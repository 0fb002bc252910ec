"""A large trace opens on the light path: its spans' JSON stays in the database, the GUI thread
never runs a statement, and only the JSON of the spans the user selects is read (the tree's
token counts are extracted by the database). The limit is lowered so a 400-span trace built
by the bench's builder (MLflow 3.18's layout) takes that path."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import event

import app.explorer.large_trace as large_module
import app.spans.view as view_module
from app.explorer import TraceExplorer, loading
from app.spans import detail_text
from app.spans.detail import LOADING
from app.spans.model import Column
from app.spans.tree import SpanFilter, SpanTree, TreeShape
from app.tasks import JOB_THREAD_NAME, TaskRunner
from app.theme import ThemeApplier
from core.entities import Span
from core.store import StoreReader
from core.store.store import Store
from resources import resource_path
from tests.app.explorer.test_explorer_big import OpenStore
from tests.app.helpers import WAIT_MS, Shot
from tests.bench.huge import build_huge_trace

LIMIT = 100  # spans: the light path's limit, lowered for these tests
Statement = tuple[str, str, tuple[Any, ...]]  # thread name, SQL, parameters


@pytest.fixture(scope="module")
def large_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("large") / "mlflow.db"
    return path, str(build_huge_trace(path, 400)["trace_id"])


@pytest.fixture(autouse=True)
def low_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "LARGE_TRACE_SPANS", LIMIT)


@pytest.fixture
def whole(large_db: tuple[Path, str]) -> Iterator[dict[str, Span]]:
    """The trace read whole through another store (MLflow's path): span id → span."""
    with Store.open(large_db[0]) as store:
        yield {s.span_id: s for s in store.reader.get_trace(large_db[1]).data.spans}


class Held:
    """Holds the database thread's read of chosen spans until released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.spans: set[str] = set()
        self.started = threading.Event()  # a held read has begun in the database thread
        self.release = threading.Event()
        original = large_module.read_span

        def read(reader: StoreReader, span: Span) -> Span:
            if span.span_id in self.spans:
                self.started.set()
                self.release.wait(WAIT_MS / 1000)
            return original(reader, span)

        monkeypatch.setattr(large_module, "read_span", read)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[Held]:
    holder = Held(monkeypatch)
    yield holder
    holder.release.set()


def record(store: Store) -> list[Statement]:
    """Every statement `store` runs from now on, with the thread that ran it."""
    seen: list[Statement] = []

    def executed(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_rest: Any) -> None:
        seen.append((threading.current_thread().name, sql, tuple(parameters or ())))

    event.listen(store.engine, "before_cursor_execute", executed)
    return seen


def json_read_for(statements: list[Statement]) -> set[str]:
    """The span ids whose JSON (the `content` column itself) a statement brought out."""
    found: set[str] = set()
    for _thread, sql, params in statements:
        if re.search(r"spans\.content\s+FROM", sql) and "span_id IN" in sql:
            found.update(str(p) for p in params[1:])
    return found


def open_large(qtbot: QtBot, explorer: TraceExplorer, store: Store, trace_id: str) -> None:
    with qtbot.waitSignals([explorer.trace_loaded, explorer.detail.rendered], timeout=WAIT_MS):
        explorer.show_trace(store, trace_id)
    loaded = explorer.loaded
    assert loaded is not None and loaded.large and len(loaded.trace.data.spans) == 400


def first_step(explorer: TraceExplorer) -> tuple[Span, Span]:
    """Step 0 and its first child (the chat model asking for tools)."""
    tree = explorer.loaded.tree if explorer.loaded else None
    assert tree is not None
    step = next(s for s in tree.spans if s.name == "step 0")
    chat = tree.spans[tree.shape.children[tree.by_id[step.span_id]][0]]
    assert chat.span_type == "CHAT_MODEL"
    return step, chat


def test_only_the_selected_spans_json_is_read_and_never_in_the_gui_thread(
    qtbot: QtBot,
    explorer: TraceExplorer,
    large_db: tuple[Path, str],
    open_store: OpenStore,
    whole: dict[str, Span],
    held: Held,
) -> None:
    path, trace_id = large_db
    store = open_store(path)
    statements = record(store)
    open_large(qtbot, explorer, store, trace_id)
    loaded = explorer.loaded
    assert loaded is not None
    root = loaded.trace.data.root_span
    assert root is not None and explorer.detail.span is root  # read with the tree
    step, chat = first_step(explorer)
    model, view = explorer.spans.model, explorer.spans.view

    # The chat row's token count arrives from the database, without the span's JSON.
    usage = whole[chat.span_id].token_usage
    assert usage is not None and usage.total_tokens
    cell = model.index_of(chat.span_id, Column.TOKENS)
    qtbot.waitUntil(lambda: cell.data() == f"{usage.total_tokens:,}", timeout=WAIT_MS)
    assert not chat.payload_loaded

    # Down: step 0, whose read is held: its facts show at once, its JSON is "Loading span…".
    rendered: list[Span | None] = []
    explorer.detail.rendered.connect(lambda _tab: rendered.append(explorer.detail.span))
    held.spans.add(step.span_id)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert explorer.selected_span() is step
    assert explorer.detail.is_loading and explorer.detail.loading.text() == LOADING
    assert explorer.detail.facts.name.text() == "step 0" and not explorer.detail.tabs.isVisible()
    qtbot.waitUntil(held.started.is_set, timeout=WAIT_MS)  # (a read not begun is just dropped)

    # Down again before it lands (the database thread is still reading it): the chat span
    # shows once its own read is done; step 0's result, which lands first, is dropped.
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert explorer.detail.span is chat and explorer.detail.is_loading
    with qtbot.waitSignal(explorer.detail.rendered, timeout=WAIT_MS):
        held.release.set()
    assert step.payload_loaded  # read, never shown
    assert explorer.detail.span is chat and not explorer.detail.is_loading
    assert explorer.detail.facts.timing.text().endswith(f"{usage.total_tokens:,} tokens")
    qtbot.wait(50)
    assert rendered == [chat]

    on_gui = [sql for thread, sql, _ in statements if thread == threading.main_thread().name]
    assert on_gui == []
    assert json_read_for(statements) == {root.span_id, step.span_id, chat.span_id}
    loaded_spans = {s.span_id for s in loaded.trace.data.spans if s.payload_loaded}
    assert loaded_spans == {root.span_id, step.span_id, chat.span_id}


def test_copying_a_span_still_loading_waits_for_its_json(
    qtbot: QtBot,
    explorer: TraceExplorer,
    large_db: tuple[Path, str],
    open_store: OpenStore,
    whole: dict[str, Span],
    held: Held,
) -> None:
    path, trace_id = large_db
    open_large(qtbot, explorer, open_store(path), trace_id)
    step, _chat = first_step(explorer)
    held.spans.add(step.span_id)
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("before")
    view = explorer.spans.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == "before" and explorer.detail.is_loading
    with qtbot.waitSignal(explorer.detail.rendered, timeout=WAIT_MS):
        held.release.set()
    expected = detail_text.raw_json_text(whole[step.span_id])
    qtbot.waitUntil(lambda: clipboard.text() == expected, timeout=WAIT_MS)


def test_malformed_json_is_found_after_the_tree_shows(
    qtbot: QtBot,
    explorer: TraceExplorer,
    large_db: tuple[Path, str],
    open_store: OpenStore,
    tmp_path: Path,
) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(large_db[0].read_bytes())
    with sqlite3.connect(path) as connection:
        (broken,) = connection.execute(
            "SELECT span_id FROM spans WHERE trace_id = ? AND name = 'lookup_invoice'"
            " ORDER BY start_time_unix_nano LIMIT 1",
            (large_db[1],),
        ).fetchone()
        connection.execute("UPDATE spans SET content = '{oops' WHERE span_id = ?", (broken,))
    connection.close()
    store = open_store(path)
    statements = record(store)
    open_large(qtbot, explorer, store, large_db[1])
    notice = explorer.spans.notice
    qtbot.waitUntil(lambda: "malformed" in " ".join(notice.notices), timeout=WAIT_MS)
    assert "Span 'lookup_invoice': the span's JSON is malformed" in " ".join(notice.notices)
    name = explorer.spans.model.index_of(broken).data()
    assert name == "lookup_invoice  — unreadable"
    assert all(thread != threading.main_thread().name for thread, _sql, _ in statements)


def test_a_large_trees_filter_is_worked_out_in_the_job_pool(
    qtbot: QtBot,
    explorer: TraceExplorer,
    large_db: tuple[Path, str],
    open_store: OpenStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(view_module, "ASYNC_FILTER_SPANS", LIMIT)
    threads: list[str] = []
    shown = SpanTree.shown

    def spy(tree: SpanTree, span_filter: SpanFilter) -> TreeShape:
        if span_filter.active:
            threads.append(threading.current_thread().name)
        return shown(tree, span_filter)

    monkeypatch.setattr(SpanTree, "shown", spy)
    path, trace_id = large_db
    open_large(qtbot, explorer, open_store(path), trace_id)
    bar, model = explorer.spans.filter_bar, explorer.spans.model
    lookups = sum(1 for s in model.tree.spans if s.name == "lookup_invoice") if model.tree else 0
    assert lookups >= 2
    qtbot.keyClicks(bar.search, "lookup")
    qtbot.waitUntil(lambda: model.match_count() == lookups, timeout=WAIT_MS)
    assert bar.count_label.text() == f"{lookups} of 400 spans"
    assert threads and all(name.startswith(JOB_THREAD_NAME) for name in threads)
    rows = [
        model.index(r, 0, model.index(0, 0)).data()
        for r in range(model.rowCount(model.index(0, 0)))
    ]
    assert rows and all(name.startswith("step ") for name in rows)  # matches' ancestors
    bar.search.clear()  # no filter: the whole tree at once
    assert model.match_count() == 400


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_loading_span_screenshot(
    qtbot: QtBot,
    qapp: QApplication,
    runner: TaskRunner,
    large_db: tuple[Path, str],
    open_store: OpenStore,
    held: Held,
    shot: Shot,
    theme: str,
) -> None:
    """The detail while a large trace's span is read: its facts, and "Loading span…"."""
    look = ThemeApplier(qapp)
    look.apply(theme, None)
    try:
        explorer = TraceExplorer(runner)  # made in the theme, as the window's is
        explorer.setStyleSheet(resource_path("style.qss").read_text("utf-8"))
        qtbot.addWidget(explorer)
        explorer.resize(1280, 560)
        explorer.show()
        qtbot.waitExposed(explorer)
        path, trace_id = large_db
        open_large(qtbot, explorer, open_store(path), trace_id)
        step, chat = first_step(explorer)
        cell = explorer.spans.model.index_of(chat.span_id, Column.TOKENS)
        qtbot.waitUntil(lambda: bool(cell.data()), timeout=WAIT_MS)  # the counts are in
        held.spans.add(step.span_id)
        explorer.spans.view.setFocus()
        qtbot.keyClick(explorer.spans.view, Qt.Key.Key_Down)
        assert explorer.detail.loading.isVisible()
        shot(explorer, f"large_trace_loading_{theme}")
    finally:
        held.release.set()
        look.apply("system", None)
