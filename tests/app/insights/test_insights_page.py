"""The Insights tab on a copy of the demo database, driven like a user: the charts draw what
`store.insights` computes for the selected experiment, the range and breakdown controls read
again (or from the cache), and a bucket, a table row or a session opens the trace list with the
filter in the query bar. Every read happens in the database thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.insights.charts import TimeChart
from app.insights.filters import model_filter
from app.insights.page import InsightsPage
from app.main_window import MainWindow
from core.store import Store
from core.store.insights import Insights
from tests.app.helpers import WAIT_MS
from tests.app.insights.conftest import AGENT

Opened = Callable[..., tuple[MainWindow, InsightsPage]]


def bar_items(chart: TimeChart) -> list[Any]:
    return [item for item in chart.plotItem.items if isinstance(item, pg.BarGraphItem)]


def stacked_totals(chart: TimeChart) -> dict[int, float]:
    """The top of each bucket's stack, by bucket start (ms)."""
    tops: dict[int, float] = {}
    for item in bar_items(chart):
        opts = item.opts
        for x, y0, height in zip(opts["x"], opts["y0"], opts["height"], strict=True):
            start = round(x * 1000)
            tops[start] = max(tops.get(start, 0.0), y0 + height)
    return tops


def wait_answer(qtbot: QtBot, page: InsightsPage, change: Callable[[], object]) -> None:
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        change()


def pick(qtbot: QtBot, page: InsightsPage, box_name: str, data: object) -> None:
    """Choose the item with `data` in a combo box with the keyboard (its mnemonic, then keys)."""
    box = page.range_box if box_name == "range" else page.breakdown_box
    letter = "r" if box_name == "range" else "b"
    qtbot.keyClick(page, letter, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is box
    target = box.findData(data)
    assert target >= 0
    while box.currentIndex() != target:
        key = Qt.Key.Key_Down if box.currentIndex() < target else Qt.Key.Key_Up
        qtbot.keyClick(box, key)


def expected_series(db: Path, page: InsightsPage, by: str | None) -> list[Any]:
    shown = page.shown
    assert shown is not None
    store = Store.open(db)
    try:
        return store.insights.trace_series(
            [AGENT], shown.start_ms, shown.end_ms, shown.bucket_ms, by
        )
    finally:
        store.close()


def click_chart(qtbot: QtBot, chart: TimeChart, x_ms: float, y: float) -> None:
    scene = chart.plotItem.vb.mapViewToScene(QPointF(x_ms / 1000, y))
    point = chart.mapFromScene(scene)
    qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton, pos=point)


def test_the_charts_draw_what_the_store_computes_for_the_experiment(
    qtbot: QtBot, open_insights: Opened, demo: Path
) -> None:
    _window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    rows = expected_series(demo, page, None)
    assert sum(row.traces for row in rows) == 126  # the support agent's traces
    tops = stacked_totals(page.charts.traces)
    bucket = page.shown.bucket_ms if page.shown else 0
    drawn = {start - bucket // 2: top for start, top in tops.items() if top}
    assert drawn == {row.start_ms: float(row.traces) for row in rows}
    errors = bar_items(page.charts.traces)[0].opts  # the red segments, at the bottom
    assert sum(errors["height"]) == sum(row.errors for row in rows)
    p99 = {round(x * 1000) - bucket // 2: y for x, y in _line(page.charts.latency, "p99")}
    assert p99 == {row.start_ms: row.p99_ms for row in rows if row.p99_ms is not None}
    assert "Latency percentiles are exact." in page.status_label.text()
    assert "No cost recorded" in page.charts.cost.note.toPlainText()


def _line(chart: TimeChart, name: str) -> list[tuple[float, float]]:
    for item in chart.plotItem.listDataItems():
        if item.name() == name:
            xs, ys = item.getData()
            return list(zip(xs.tolist(), ys.tolist(), strict=True))
    raise AssertionError(f"no line {name}")


def test_a_breakdown_by_trace_name_stacks_one_colour_per_name(
    qtbot: QtBot, open_insights: Opened, demo: Path
) -> None:
    _window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "breakdown", "name"))
    rows = expected_series(demo, page, "name")
    layout = page.charts.layout_data
    assert layout is not None
    names = {row.group for row in rows}
    assert set(layout.groups) == names and len(names) > 1
    assert len(bar_items(page.charts.traces)) == len(names)
    heights = {
        group: sum(item.opts["height"])
        for group, item in zip(layout.groups, bar_items(page.charts.traces), strict=True)
    }
    assert heights == {g: float(sum(r.traces for r in rows if r.group == g)) for g in names}
    assert all(name in page.charts.key.text() for name in names if name)


def test_a_range_preset_reads_that_range_and_the_cache_answers_going_back(
    qtbot: QtBot, open_insights: Opened, demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _window, page = open_insights()
    assert page.range_box.currentData() == "7d"  # the first answer: last week
    week = page.shown
    assert week is not None and week.end_ms - week.start_ms == 7 * 86_400_000
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "24h"))
    day = page.shown
    assert day is not None and day.end_ms - day.start_ms == 86_400_000
    rows = expected_series(demo, page, None)
    assert sum(stacked_totals(page.charts.traces).values()) == sum(r.traces for r in rows)
    reads: list[object] = []
    monkeypatch.setattr(Insights, "trace_series", lambda *a, **k: reads.append(a) or [])
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "7d"))
    assert reads == [] and page.shown is week  # from the cache
    page.data_changed()  # live mode: the file was written, the cache is old
    page.data_changed()  # and again: one read for both, a moment later
    assert reads == []
    qtbot.waitUntil(lambda: len(reads) == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.status_label.text() != "Reading…", timeout=WAIT_MS)
    assert len(reads) == 1


def test_clicking_a_bucket_opens_the_trace_list_filtered_to_it(
    qtbot: QtBot, open_insights: Opened
) -> None:
    window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    layout = page.charts.layout_data
    assert layout is not None
    slot = max(layout.slots, key=lambda s: s.traces - s.errors)
    middle = slot.start_ms + layout.bucket_ms / 2
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        click_chart(qtbot, page.charts.traces, middle, slot.errors + 0.5)
    end = slot.start_ms + layout.bucket_ms
    assert window.query_bar.text == (
        f"trace.timestamp_ms >= {slot.start_ms} AND trace.timestamp_ms < {end}"
    )
    assert window.modes.currentWidget() is window.workspace
    qtbot.waitUntil(lambda: window.trace_model.total == slot.traces, timeout=WAIT_MS)


def test_clicking_a_group_and_the_errors_narrows_the_filter(
    qtbot: QtBot, open_insights: Opened
) -> None:
    window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    layout = page.charts.layout_data
    assert layout is not None
    slot = max(layout.slots, key=lambda s: s.errors)
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        click_chart(qtbot, page.charts.traces, slot.start_ms + layout.bucket_ms / 2, 0.5)
    assert window.query_bar.text.endswith("AND trace.status = 'ERROR'")
    qtbot.waitUntil(lambda: window.trace_model.total == slot.errors, timeout=WAIT_MS)

    window.modes.setCurrentWidget(page)
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "breakdown", "name"))
    layout = page.charts.layout_data
    assert layout is not None
    first = layout.groups[0]
    slot = max(layout.slots, key=lambda s: s.groups[first].traces if first in s.groups else 0)
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        click_chart(qtbot, page.charts.traces, slot.start_ms + layout.bucket_ms / 2, 0.5)
    assert window.query_bar.text.endswith(f"AND trace.name = '{first}'")
    qtbot.waitUntil(lambda: window.trace_model.total == slot.groups[first].traces)


def test_arrows_and_enter_on_the_charts_open_a_bucket(qtbot: QtBot, open_insights: Opened) -> None:
    window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    layout = page.charts.layout_data
    assert layout is not None
    page.charts.setFocus()
    qtbot.keyClick(page.charts, Qt.Key.Key_Left)  # the last bucket
    last = layout.slots[-1]
    assert page.charts.current == len(layout.slots) - 1
    assert f"{last.traces:,} traces" in page.charts.readout.text()
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.keyClick(page.charts, Qt.Key.Key_Return)
    assert window.query_bar.text.startswith(f"trace.timestamp_ms >= {last.start_ms} AND")


def test_pointing_at_a_bucket_shows_its_values(qtbot: QtBot, open_insights: Opened) -> None:
    _window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    layout = page.charts.layout_data
    assert layout is not None
    index = max(range(len(layout.slots)), key=lambda n: layout.slots[n].traces)
    slot = layout.slots[index]
    chart = page.charts.tokens
    middle = (slot.start_ms + layout.bucket_ms / 2) / 1000
    point = chart.mapFromScene(chart.plotItem.vb.mapViewToScene(QPointF(middle, 0)))
    for dx in (-1, 0):  # pyqtgraph drops pointer moves closer together than its rate
        qtbot.wait(50)
        qtbot.mouseMove(chart.viewport(), point + QPoint(dx, 0))
    qtbot.waitUntil(lambda: page.charts.current == index, timeout=WAIT_MS)
    text = page.charts.readout.text()
    assert f"{slot.traces:,} traces, {slot.errors:,} errors" in text
    assert f"{slot.input_tokens:,} in" in text and "p99" in text
    assert page.charts.latency.cursor.isVisible()


def test_a_drag_across_a_chart_zooms_to_that_time(qtbot: QtBot, open_insights: Opened) -> None:
    _window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    before = page.shown
    assert before is not None
    chart = page.charts.latency
    twelfth = (before.end_ms - before.start_ms) / 12
    points = [
        chart.mapFromScene(chart.plotItem.vb.mapViewToScene(QPointF(ms / 1000, 100)))
        for ms in (before.start_ms + 4 * twelfth, before.start_ms + 6 * twelfth)
    ]
    view = chart.viewport()
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=points[0])
        for step in range(1, 11):
            qtbot.wait(20)  # pyqtgraph drops pointer moves closer together than its rate
            qtbot.mouseMove(view, points[0] + (points[1] - points[0]) * step / 10)
        qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=points[1])
    after = page.shown
    assert after is not None and page.range_box.currentData() == "custom"
    assert abs(after.start_ms - (before.start_ms + 4 * twelfth)) < twelfth / 10
    assert abs(after.end_ms - (before.start_ms + 6 * twelfth)) < twelfth / 10
    assert after.bucket_ms < before.bucket_ms


def test_table_rows_open_the_traces_of_a_span_name_and_a_session(
    qtbot: QtBot, open_insights: Opened
) -> None:
    window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    qtbot.keyClick(page, "l", Qt.KeyboardModifier.AltModifier)  # Slowest span names
    assert QApplication.focusWidget() is page.slow_table
    qtbot.keyClick(page.slow_table, Qt.Key.Key_Down)
    name = page.slow_model.rows[page.slow_table.currentIndex().row()].group
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.keyClick(page.slow_table, Qt.Key.Key_Return)
    assert window.query_bar.text == f"span.name = '{name}'"
    qtbot.waitUntil(lambda: (window.trace_model.total or 0) > 0, timeout=WAIT_MS)

    window.modes.setCurrentWidget(page)
    qtbot.keyClick(page, "s", Qt.KeyboardModifier.AltModifier)  # the Sessions sub-tab
    assert page.sessions_table.isVisible()  # the Sessions sub-tab shows
    page.sessions_table.setFocus()
    qtbot.keyClick(page.sessions_table, Qt.Key.Key_Down)
    session = page.sessions_model.rows[page.sessions_table.currentIndex().row()]
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.keyClick(page.sessions_table, Qt.Key.Key_Return)
    assert window.query_bar.text == f"trace.session_id = '{session.session_id}'"
    qtbot.waitUntil(lambda: window.trace_model.total == session.turns, timeout=WAIT_MS)


def test_a_model_row_opens_the_traces_that_called_it(qtbot: QtBot, open_insights: Opened) -> None:
    window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    row = page.models_model.rows[0]
    page.models_table.setFocus()
    qtbot.keyClick(page.models_table, Qt.Key.Key_Down)
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.keyClick(page.models_table, Qt.Key.Key_Return)
    assert row.group is not None
    assert window.query_bar.text == model_filter(row.group)
    qtbot.waitUntil(lambda: (window.trace_model.total or 0) > 0, timeout=WAIT_MS)


def test_an_error_row_opens_the_traces_that_raised_it(qtbot: QtBot, open_insights: Opened) -> None:
    """Alt+Q reaches the most frequent errors; Enter lists exactly the traces the row counts
    (the demo's tool timeouts rise through several spans: one trace each)."""
    window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    rows = page.errors_model.rows
    assert rows and rows == sorted(rows, key=lambda r: -r.traces)
    qtbot.keyClick(page, "q", Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is page.errors_table
    qtbot.keyClick(page.errors_table, Qt.Key.Key_Down)
    row = rows[page.errors_table.currentIndex().row()]
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.keyClick(page.errors_table, Qt.Key.Key_Return)
    assert window.query_bar.text.startswith("span.status = 'ERROR' AND span.content LIKE '%")
    qtbot.waitUntil(lambda: window.trace_model.total == row.traces, timeout=WAIT_MS)


def test_a_breakdown_by_model_charts_its_calls(
    qtbot: QtBot, open_insights: Opened, demo: Path
) -> None:
    """Breakdown → Model: the bars count each model's calls (spans), as the store does; a
    click on a group's segment lists the traces of that bucket that called the model."""
    window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "breakdown", "span.model"))
    expected = expected_series(demo, page, "span.model")
    assert expected and {row.group for row in expected} >= set(page.charts.layout_data.groups)
    assert page.charts.traces.title.startswith("Spans per bucket")
    assert page.charts.latency.title.startswith("Span duration p90 by group")
    totals = stacked_totals(page.charts.traces)
    for slot in page.charts.layout_data.slots:
        shown = sum(row.traces for row in expected if row.start_ms == slot.start_ms)
        drawn = {row.group for row in expected if row.start_ms == slot.start_ms}
        if shown and drawn <= set(page.charts.layout_data.groups):
            assert totals[slot.start_ms + page.charts.layout_data.bucket_ms // 2] == shown
    busiest = max(page.charts.layout_data.slots, key=lambda slot: slot.traces)
    group, low, high = page.charts.traces.segments[page.charts.layout_data.slots.index(busiest)][0]
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        click_chart(
            qtbot,
            page.charts.traces,
            busiest.start_ms + page.charts.layout_data.bucket_ms / 2,
            (low + high) / 2,
        )
    assert window.query_bar.text.endswith(f"AND span.model = '{group}'")
    qtbot.waitUntil(lambda: (window.trace_model.total or 0) > 0, timeout=WAIT_MS)


def test_a_tag_breakdown_takes_a_typed_key(qtbot: QtBot, open_insights: Opened) -> None:
    _window, page = open_insights()
    pick(qtbot, page, "breakdown", "tag")
    assert page.tag_box.isEnabled() and QApplication.focusWidget() is page.tag_box
    qtbot.keyClicks(page.tag_box, "env")
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        qtbot.keyClick(page.tag_box, Qt.Key.Key_Return)
    layout = page.charts.layout_data
    assert layout is not None and page.request is not None
    assert page.request.by == "tag:env" and layout.groups
    assert "env" in [page.tag_box.itemText(i) for i in range(page.tag_box.count())]


def test_nothing_is_read_on_the_gui_thread(
    qtbot: QtBot, open_insights: Opened, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    for name in ("time_range", "trace_series", "span_stats", "sessions", "error_messages"):
        original = getattr(Insights, name)

        def spy(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            threads.append(threading.current_thread())
            return _original(*args, **kwargs)

        monkeypatch.setattr(Insights, name, spy)
    _window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "breakdown", "status"))
    assert len(threads) >= 8
    assert threading.main_thread() not in threads


def test_the_charts_come_first_and_a_breakdown_reads_only_its_series(
    qtbot: QtBot, open_insights: Opened, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new range draws its charts before its tables are read (emptied meanwhile); another
    breakdown of the same range reads its series only."""
    _window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    errors = page.errors_model.rowCount()
    assert errors > 0
    calls: list[str] = []
    for name in ("trace_series", "span_stats", "sessions", "error_messages", "assessment_series"):
        original = getattr(Insights, name)

        def spy(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(Insights, name, spy)
    tables_when_drawn: list[int] = []
    page.charts_drawn.connect(lambda: tables_when_drawn.append(page.errors_model.rowCount()))
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "breakdown", "status"))
    # ↓ steps through Trace name on its way: each step reads that breakdown's series only.
    assert set(calls) == {"trace_series"} and tables_when_drawn[-1] == errors
    calls.clear()
    tables_when_drawn.clear()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "30d"))
    assert tables_when_drawn[0] == 0 and page.errors_model.rowCount() > 0
    assert {"sessions", "error_messages", "span_stats"} <= set(calls)


def test_export_writes_the_charts_and_the_series(
    qtbot: QtBot, open_insights: Opened, tmp_path: Path
) -> None:
    _window, page = open_insights()
    page.export_png(str(tmp_path / "charts.png"))
    page.export_csv(str(tmp_path / "series.csv"))
    assert (tmp_path / "charts.png").stat().st_size > 10_000
    lines = (tmp_path / "series.csv").read_text().splitlines()
    assert lines[0].startswith("start_ms,group,traces,errors,p50_ms")
    assert page.shown is not None and len(lines) == len(page.shown.series) + 1


def test_export_asks_with_a_name_beside_the_database(
    qtbot: QtBot, open_insights: Opened, demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Export → Data as CSV: the save dialog offers insights.csv in the database's folder (not the
    folder the app was started from); cancelling it writes nothing."""
    from PySide6.QtWidgets import QFileDialog

    asked: list[str] = []

    def dialog(_parent: object, _title: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(suggested)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    _window, page = open_insights()
    page.export_csv()
    page.export_png()
    assert asked == [str(demo.parent / "insights.csv"), str(demo.parent / "insights.png")]
    assert not (demo.parent / "insights.csv").exists()


def test_feedback_pass_rates_per_bucket_and_over_the_range(
    qtbot: QtBot, open_insights: Opened, demo: Path
) -> None:
    """rag-qa's judged feedback: a line per name in the Feedback view (Alt+D), and the table's
    pass rates equal what the store computes over the range."""
    from app.insights.feedback import summed, value_text
    from tests.app.helpers import select_experiment

    window, page = open_insights()
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        select_experiment(qtbot, window, "2")  # rag-qa: its evaluation runs judged the answers
    qtbot.keyClick(page, "d", Qt.KeyboardModifier.AltModifier)
    assert page.views.currentWidget() is page.feedback
    shown = page.shown
    assert shown is not None and shown.feedback
    with Store.open(demo) as store:
        expected = store.insights.assessment_series(
            ["2"], shown.start_ms, shown.end_ms, shown.bucket_ms
        )
    assert list(shown.feedback) == expected
    model = page.feedback.model
    table = [
        [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]
    assert table == [
        [name, f"{count:,}", value_text(mean, numeric)]
        for name, count, mean, numeric in summed(expected)
    ]
    lines = [
        item for item in page.feedback.plot.plotItem.items if isinstance(item, pg.PlotDataItem)
    ]
    assert len(lines) == len({row.name for row in expected})


def test_a_session_reads_as_one_conversation_linked_to_its_traces(
    qtbot: QtBot, open_insights: Opened, demo: Path
) -> None:
    """Alt+I on a session: its turns in order, each the user's question and the answer, and a
    turn's link shows its trace in the explorer."""
    from PySide6.QtCore import QUrl

    from app.insights.session import SessionWindow
    from core.store import Store

    window, page = open_insights()
    wait_answer(qtbot, page, lambda: pick(qtbot, page, "range", "all"))
    qtbot.keyClick(page, "s", Qt.KeyboardModifier.AltModifier)
    page.sessions_table.setFocus()
    qtbot.keyClick(page.sessions_table, Qt.Key.Key_Down)
    session = page.sessions_model.rows[page.sessions_table.currentIndex().row()]
    qtbot.keyClick(page.sessions_table, "i", Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(  # a mnemonic clicks its button after a moment
        lambda: page.findChild(SessionWindow, "sessionWindow") is not None, timeout=WAIT_MS
    )
    opened = page.findChild(SessionWindow, "sessionWindow")
    assert opened is not None
    qtbot.waitUntil(lambda: len(opened.turns) == session.turns, timeout=WAIT_MS)
    with Store.open(demo) as store:
        ids = store.reader.search_trace_ids(
            [AGENT], filter_string=f"trace.session_id = '{session.session_id}'"
        )
        first = min(store.reader.traces(ids), key=lambda t: t.info.request_time)
    assert opened.turns[0].trace_id == first.info.trace_id
    assert [t.time_ms for t in opened.turns] == sorted(t.time_ms for t in opened.turns)
    assert all(turn.asked for turn in opened.turns)
    text = opened.view.toPlainText()
    assert f"Turn {session.turns} · " in text and opened.turns[0].asked[0].text[:30] in text
    last = opened.turns[-1].trace_id
    opened.view.anchorClicked.emit(QUrl(f"#trace:{last}"))
    qtbot.waitUntil(lambda: window.shown_trace_id == last, timeout=WAIT_MS)


def test_tab_goes_from_the_sessions_tab_into_its_view(qtbot: QtBot, open_insights: Opened) -> None:
    """Alt+S shows the sessions with the focus in them (↓ picks the latest); from the sub-tab
    bar, Tab reaches Read as Conversation and the sessions, not the range controls; Alt+I with
    no row picked reads the latest session."""
    from app.insights.session import SessionWindow

    window, page = open_insights()
    window.trace_view.setFocus()  # elsewhere in the window, as after Alt+G from the list
    qtbot.keyClick(page, "s", Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is page.sessions_table
    qtbot.keyClick(page, "d", Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is page.feedback.table
    qtbot.keyClick(page, "c", Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is page.charts
    page.views.setCurrentIndex(1)
    page.views.tabBar().setFocus()
    qtbot.keyClick(page.views.tabBar(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.conversation_button
    qtbot.keyClick(page.conversation_button, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.sessions_table
    qtbot.keyClick(page.sessions_table, "i", Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(
        lambda: page.findChild(SessionWindow, "sessionWindow") is not None, timeout=WAIT_MS
    )
    opened = page.findChild(SessionWindow, "sessionWindow")
    assert opened is not None
    latest = page.sessions_model.rows[0]
    qtbot.waitUntil(lambda: len(opened.turns) == latest.turns, timeout=WAIT_MS)
