"""One bad row hides nothing else: text that is not UTF-8, or text where MLflow writes numbers.

Each fault is written into a copy of the MLflow 3.18 tutorial database with sqlite3, as a buggy
writer or a damaged disk leaves it. Every trace must still list and open, in core, in the CLI
and in the window; the bad one shows what could be read (undecodable bytes as U+FFFD) and says
what is wrong with it.
"""

from __future__ import annotations

import html
import io
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.spans.detail import TABS
from core.cli import main as cli_main
from core.client import Client
from core.entities import Trace
from core.store.store import Store
from tests.app.helpers import WAIT_MS, open_and_wait, select_experiment

CHAT_TRACE = "tr-6a0851c5009984c0295519cd96b86728"  # experiment 0: one ChatOllama span, events
NESTED_TRACE = "tr-8994d05b63f61f086eee7e8a1d4106e8"  # experiment 1: a root and two children
ASSESSED_TRACE = "tr-a92633126425ff7dc2c1b46ac10ea751"  # experiment 2: a feedback, an expectation
GOOD_TRACE = "tr-8a3d93a26e8534bbd41731f1c1a5d860"  # experiment 1, untouched
EXPERIMENT_OF = {CHAT_TRACE: "0", NESTED_TRACE: "1", ASSESSED_TRACE: "2"}
ALL_EXPERIMENTS = ["0", "1", "2"]
TRACES = 12
NOT_UTF8 = b"\xff\xfeA"  # two bytes no UTF-8 text has, then an A
REPLACED = "\ufffd\ufffdA"


def not_utf8_in_content(connection: sqlite3.Connection, trace_id: str) -> None:
    """A byte that is no UTF-8 inside a string of the span's JSON: the JSON stays well-formed."""
    (content,) = connection.execute(
        "SELECT content FROM spans WHERE trace_id = ?", (trace_id,)
    ).fetchone()
    damaged = content.encode().replace(b"Hello!", b"Hello" + NOT_UTF8, 1)
    connection.execute(
        "UPDATE spans SET content = CAST(? AS TEXT) WHERE trace_id = ?", (damaged, trace_id)
    )


def sql(statement: str, *params: object) -> Callable[[sqlite3.Connection, str], None]:
    def stage(connection: sqlite3.Connection, trace_id: str) -> None:
        assert connection.execute(statement, (*params, trace_id)).rowcount >= 1

    return stage


@dataclass(frozen=True)
class Fault:
    stage: Callable[[sqlite3.Connection, str], None]
    trace_id: str
    #: Words the trace's problems say (None: nothing is wrong enough to say, e.g. U+FFFD shown).
    says: str | None = None
    #: Words the first damaged span's notes say (read from its payload when it is shown).
    span_says: str | None = None
    #: Whether the trace list's row says it too (a fault of the `trace_info` row).
    in_list: bool = False
    #: What the trace shows, checked on the trace `get_trace` gives.
    shows: Callable[[Trace], bool] = lambda trace: True


SPAN_TEXT = "UPDATE spans SET {column} = 'x' WHERE trace_id = ? AND name = '{name}'"
FAULTS = {
    "tag-not-utf8": Fault(
        sql(
            "INSERT INTO trace_tags (key, value, request_id) VALUES ('note', CAST(? AS TEXT), ?)",
            NOT_UTF8,
        ),
        CHAT_TRACE,
        shows=lambda trace: trace.info.tags["note"] == REPLACED,
    ),
    "metadata-not-utf8": Fault(
        sql(
            "INSERT INTO trace_request_metadata (key, value, request_id) "
            "VALUES ('note', CAST(? AS TEXT), ?)",
            NOT_UTF8,
        ),
        CHAT_TRACE,
        shows=lambda trace: trace.info.trace_metadata["note"] == REPLACED,
    ),
    "name-not-utf8": Fault(
        sql("UPDATE trace_info SET trace_name = CAST(? AS TEXT) WHERE request_id = ?", NOT_UTF8),
        CHAT_TRACE,
        shows=lambda trace: trace.info.name == REPLACED,
    ),
    "assessment-not-utf8": Fault(
        sql(
            "UPDATE assessments SET value = CAST(? AS TEXT) "
            "WHERE trace_id = ? AND assessment_type = 'expectation'",
            NOT_UTF8,
        ),
        ASSESSED_TRACE,
        shows=lambda trace: (
            [a.value for a in trace.search_assessments(type="expectation")] == [REPLACED]
        ),
    ),
    "span-name-not-utf8": Fault(
        sql("UPDATE spans SET name = CAST(? AS TEXT) WHERE trace_id = ?", NOT_UTF8),
        CHAT_TRACE,
        shows=lambda trace: trace.data.spans[0].name == REPLACED,
    ),
    "span-json-not-utf8": Fault(
        not_utf8_in_content,
        CHAT_TRACE,
        shows=lambda trace: (
            "Hello\ufffd\ufffdA" in json.dumps(trace.data.spans[0].to_dict(), ensure_ascii=False)
        ),
    ),
    "timestamp-text": Fault(
        sql("UPDATE trace_info SET timestamp_ms = 'abc' WHERE request_id = ?"),
        CHAT_TRACE,
        says="timestamp_ms is 'abc', not a number",
        in_list=True,
        shows=lambda trace: trace.info.request_time == 0,
    ),
    "duration-text": Fault(
        sql("UPDATE trace_info SET execution_time_ms = 'slow' WHERE request_id = ?"),
        CHAT_TRACE,
        says="execution_time_ms is 'slow', not a number",
        in_list=True,
        shows=lambda trace: trace.info.execution_duration is None,
    ),
    "total-tokens-text": Fault(
        sql("UPDATE trace_info SET total_tokens = 'lots' WHERE request_id = ?"),
        CHAT_TRACE,
        says="total_tokens is 'lots', not a number",
        in_list=True,
        shows=lambda trace: trace.info.token_usage == {"input_tokens": 35, "output_tokens": 25},
    ),
    "assessment-time-text": Fault(
        sql("UPDATE assessments SET created_timestamp = 'later' WHERE trace_id = ?"),
        ASSESSED_TRACE,
        says="created_timestamp is 'later', not a number",
        shows=lambda trace: all(a.create_time_ms == 0 for a in trace.info.assessments),
    ),
    "span-start-text": Fault(  # one child: its siblings' starts are numbers (a mixed sort)
        sql(SPAN_TEXT.format(column="start_time_unix_nano", name="my_span")),
        NESTED_TRACE,
        says="Span 'my_span': its start_time_unix_nano is 'x', not a number",
        shows=lambda trace: (
            [s.name for s in trace.data.spans] == ["my_cool_span", "my_span", "reranker_span"]
        ),
    ),
    "span-end-text": Fault(
        sql(SPAN_TEXT.format(column="end_time_unix_nano", name="my_cool_span")),
        NESTED_TRACE,
        says="Span 'my_cool_span': its end_time_unix_nano is 'x', not a number",
        shows=lambda trace: trace.data.spans[0].duration_ns is None,
    ),
    "span-json-start-text": Fault(
        sql(
            "UPDATE spans SET content = json_set(content, '$.start_time_unix_nano', 'x') "
            "WHERE trace_id = ?"
        ),
        CHAT_TRACE,
        shows=lambda trace: trace.data.spans[0].to_dict()["start_time_unix_nano"] == "x",
    ),
    "event-time-text": Fault(
        sql(
            "UPDATE spans SET content = json_set(content, '$.events[0].time_unix_nano', 'x') "
            "WHERE trace_id = ?"
        ),
        CHAT_TRACE,
        span_says="Event 'new_token': its time is 'x', not a number",
        shows=lambda trace: (
            trace.data.spans[0].events[0].timestamp == trace.data.spans[0].start_time_ns
        ),
    ),
    "span-json-not-json": Fault(
        sql("UPDATE spans SET content = 'x' WHERE trace_id = ?"),
        CHAT_TRACE,
        shows=lambda trace: "malformed" in str(trace.data.spans[0].decode_error),
    ),
}


def staged(db: Path, name: str) -> Fault:
    fault = FAULTS[name]
    with sqlite3.connect(db) as connection:
        fault.stage(connection, fault.trace_id)
    connection.close()
    return fault


def span_notes(trace: Trace) -> list[str]:
    return [note for span in trace.data.spans for note in span.notes]


# -- core ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_core_reads_every_trace_and_says_what_is_wrong(db318: Path, name: str) -> None:
    fault = staged(db318, name)
    client = Client(f"sqlite:///{db318}")
    try:
        listed = client.search_traces(ALL_EXPERIMENTS, return_type="list")
        assert isinstance(listed, list) and len(listed) == TRACES
        frame = client.search_traces(ALL_EXPERIMENTS)
        assert isinstance(frame, pd.DataFrame) and len(frame) == TRACES
        assert fault.trace_id in set(frame.trace_id)
        by_id = {trace.trace_id: trace for trace in listed}
        assert by_id[GOOD_TRACE].problems == ()

        bad = client.get_trace(fault.trace_id)
        assert bad is not None and fault.shows(bad)
        assert bad.to_json()  # MLflow's JSON form still builds
        if fault.says is None:
            assert bad.problems == ()
        else:
            assert any(fault.says in problem for problem in bad.problems), bad.problems
            assert any(fault.says in problem for problem in by_id[fault.trace_id].problems)
        if fault.span_says is not None:
            assert any(fault.span_says in note for note in span_notes(bad))
        good = client.get_trace(GOOD_TRACE)
        assert good is not None and good.problems == () and len(good.data.spans) == 2
    finally:
        client.close()


@pytest.mark.parametrize("name", ["timestamp-text", "duration-text", "total-tokens-text"])
def test_the_trace_list_row_names_a_column_that_is_not_a_number(db318: Path, name: str) -> None:
    fault = staged(db318, name)
    with Store.open(db318) as store:
        rows = store.reader.trace_page(None).rows
        assert len(rows) == TRACES
        (bad,) = [row for row in rows if row.trace_id == fault.trace_id]
        assert fault.says is not None and any(fault.says in p for p in bad.problems)
        assert isinstance(bad.request_time, int) and bad.total_tokens in (None, 60)
        assert all(row.problems == () for row in rows if row is not bad)


def test_a_text_time_sorts_without_losing_a_page(db318: Path) -> None:
    """Text sorts above every number in SQLite: the bad row comes first, and keyset paging on
    its text key still reaches every other row."""
    staged(db318, "timestamp-text")
    with Store.open(db318) as store:
        seen: list[str] = []
        after = None
        while True:
            page = store.reader.trace_page(None, after=after, limit=5)
            seen += [row.trace_id for row in page.rows]
            if page.next_key is None:
                break
            after = page.next_key
        assert seen[0] == CHAT_TRACE and sorted(seen) == sorted(set(seen)) and len(seen) == TRACES


# -- the CLI ---------------------------------------------------------------------------------


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli_main(list(argv), out), out.getvalue()


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_cli_lists_and_shows_the_bad_trace(db318: Path, name: str) -> None:
    fault = staged(db318, name)
    status, text = cli("traces", str(db318))
    assert status == 0 and len(text.splitlines()) == 1 + TRACES
    status, text = cli("traces", str(db318), "--json")
    assert status == 0 and fault.trace_id in {
        json.loads(x)["trace_id"] for x in text.split("\n")[:-1]
    }
    status, text = cli("trace", str(db318), fault.trace_id)
    assert status == 0 and json.loads(text)["info"]["trace_id"] == fault.trace_id
    status, text = cli("trace", str(db318), fault.trace_id, "--spans")
    assert status == 0
    if fault.says is not None:
        assert any(line.startswith("! ") and fault.says in line for line in text.splitlines())


# -- the window ------------------------------------------------------------------------------


def open_every_span(qtbot: QtBot, window: MainWindow) -> list[str]:
    """Select each span of the trace shown and render every detail tab; the problems shown."""
    explorer = window.explorer
    loaded = explorer.loaded
    assert loaded is not None
    shown = []
    for span in loaded.trace.data.spans:
        assert explorer.spans.view.select_span(span.span_id)
        for tab in TABS:
            explorer.detail.show_tab(tab)
        explorer.grab()  # paints the tree, its timeline and the detail
        shown.append(explorer.detail.facts.problem.text())
    return shown


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_window_lists_and_opens_the_bad_trace(
    qtbot: QtBot, window: MainWindow, db318: Path, name: str
) -> None:
    fault = staged(db318, name)
    errors: list[str] = []
    window.error_reported.connect(errors.append)
    window.explorer.load_failed.connect(errors.append)
    window.trace_model.load_failed.connect(errors.append)
    open_and_wait(qtbot, window, db318)
    model = window.trace_model
    experiment = EXPERIMENT_OF[fault.trace_id]
    if model.query is None or model.query.experiment_ids != (experiment,):
        select_experiment(qtbot, window, experiment)
    row = model.row_of(fault.trace_id)
    assert row is not None
    item = model.item(row)
    assert item is not None and item.error is None  # an enabled row, not "could not read"
    if fault.in_list:
        assert html.escape(str(fault.says)) in item.tooltips[0]  # the row says what is wrong
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.show_trace(fault.trace_id)
    notices = window.explorer.spans.notice
    if fault.says is not None:
        assert fault.says in notices.text
    shown = open_every_span(qtbot, window)
    if fault.span_says is not None:
        assert any(fault.span_says in text for text in shown)
    if name == "span-json-not-json":
        assert "malformed" in notices.text
    assert errors == []
