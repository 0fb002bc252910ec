"""JSON nested thousands of levels deep: orjson stops at 1,024 levels and `json` recurses.

A traced program can log any value as a span's inputs; a buggy exporter can write any span
document. Written into a copy of the MLflow 3.18 tutorial database, 5,000 levels must neither
hide the trace nor crash whatever shows it: the value decodes down to `jsonutil.MAX_DEPTH`
levels and keeps the rest as its JSON text, with a note saying so.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.spans.detail import INPUTS, RAW, TABS
from core import jsonutil
from core.client import Client
from core.entities import Span
from core.mlflow_keys import INPUTS_KEY
from tests.app.helpers import WAIT_MS, open_and_wait

CHAT_TRACE = "tr-6a0851c5009984c0295519cd96b86728"  # experiment 0, one span
OTHER_TRACE = "tr-8994d05b63f61f086eee7e8a1d4106e8"
DEPTH = 5_000
MAX = jsonutil.MAX_DEPTH


def nested_text(depth: int, leaf: str = '"bottom"') -> str:
    """`depth` objects and lists in turn, each holding the next: `{"a": [{"a": [... leaf]}]}`."""
    opening = "".join('{"a": ' if level % 2 == 0 else "[" for level in range(depth))
    closing = "".join("}" if level % 2 == 0 else "]" for level in reversed(range(depth)))
    return opening + leaf + closing


def depth_of(value: Any) -> int:
    """How many lists and objects `value` nests (iteratively: the value may be deep)."""
    deepest, level = 0, [value]
    while level:
        level = [c for v in level if isinstance(v, dict | list) for c in _children(v)]
        deepest += 1
    return deepest - 1


def _children(value: dict[str, Any] | list[Any]) -> list[Any]:
    return list(value.values()) if isinstance(value, dict) else value


def deepest_text(value: Any) -> str:
    """The JSON text kept at the cut, followed down the first child at each level."""
    while isinstance(value, dict | list):
        value = _children(value)[0]
    assert isinstance(value, str)
    return value


def deep_inputs(content: dict[str, Any]) -> str:
    """The span's inputs as MLflow stores them (JSON text inside the JSON), 5,000 levels deep."""
    content["attributes"][INPUTS_KEY] = nested_text(DEPTH)
    return json.dumps(content)


def deep_document(content: dict[str, Any]) -> str:
    """The whole span document 5,000 levels deep: its inputs written as JSON, not as text."""
    content["attributes"][INPUTS_KEY] = "@deep@"
    return json.dumps(content).replace('"@deep@"', nested_text(DEPTH))


STAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "inputs": deep_inputs,
    "document": deep_document,
}


def stage(db: Path, how: str) -> None:
    with sqlite3.connect(db) as connection:
        (content,) = connection.execute(
            "SELECT content FROM spans WHERE trace_id = ?", (CHAT_TRACE,)
        ).fetchone()
        connection.execute(
            "UPDATE spans SET content = ? WHERE trace_id = ?",
            (STAGES[how](json.loads(content)), CHAT_TRACE),
        )
    connection.close()


# -- jsonutil --------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX + 1, 1_000, 1_024, 1_025, DEPTH, 50_000])
def test_deep_json_decodes_to_the_cap_and_keeps_the_rest_as_text(depth: int) -> None:
    text = nested_text(depth)
    value, cut = jsonutil.decode(text)
    assert cut and depth_of(value) == MAX
    kept = deepest_text(value)
    assert kept in text and kept.startswith('{"a": ') and kept.endswith("}")
    assert '"bottom"' in kept
    assert kept.count("{") + kept.count("[") == depth - MAX  # every deeper level, as text
    assert json.dumps(value, indent=2) and repr(value)  # nothing recurses too deep
    assert jsonutil.loads(text.encode()) == value  # bytes too


def test_json_up_to_the_cap_decodes_whole() -> None:
    text = nested_text(MAX)
    assert jsonutil.decode(text) == (json.loads(text), False)


@pytest.mark.parametrize("depth", [600, 2_000])
def test_what_only_python_decodes_is_cut_too(depth: int) -> None:
    """`NaN` and integers beyond 64 bits make orjson refuse; `json` then decodes 600 levels
    (and cannot decode 2,000)."""
    leaf = '["NaN ] } [ {", NaN, 123456789012345678901234567890]'
    value, cut = jsonutil.decode(nested_text(depth, leaf))
    assert cut and depth_of(value) == MAX
    assert leaf in deepest_text(value)  # brackets inside a string are no nesting


@pytest.mark.parametrize("text", ["[" * DEPTH, '{"a": ' * DEPTH, "[" * DEPTH + "]" * (DEPTH - 1)])
def test_deep_json_that_never_closes_is_not_json(text: str) -> None:
    with pytest.raises(ValueError):
        jsonutil.loads(text)
    assert jsonutil.decode_attribute(text) == text  # an attribute stays as it was stored


# -- core ------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", sorted(STAGES))
def test_core_lists_and_reads_the_deep_trace(db318: Path, how: str) -> None:
    stage(db318, how)
    client = Client(f"sqlite:///{db318}")
    try:
        trace = client.get_trace(CHAT_TRACE)
        assert trace is not None and trace.problems == ()
        (span,) = trace.data.spans
        inputs = span.inputs
        assert isinstance(inputs, dict)
        assert depth_of(span.content if how == "document" else inputs) == MAX
        assert '"bottom"' in deepest_text(inputs)
        assert any(f"nests deeper than {MAX} levels" in note for note in span.notes)
        assert json.loads(trace.to_json())  # MLflow's JSON form builds, and is JSON
        listed = client.search_traces(["0"], return_type="list")
        assert isinstance(listed, list) and [t.trace_id for t in listed] == [CHAT_TRACE]
        frame = client.search_traces(["0", "1"])
        assert isinstance(frame, pd.DataFrame) and CHAT_TRACE in set(frame.trace_id)
        assert len(frame) == 6
        other = client.get_trace(OTHER_TRACE)
        assert other is not None and other.problems == ()
        store = client.store()
        assert store.reader.malformed_spans(CHAT_TRACE) == []  # deep is not malformed
    finally:
        client.close()


# -- the window ------------------------------------------------------------------------------


@pytest.mark.parametrize("how", sorted(STAGES))
def test_window_opens_the_deep_trace_and_shows_the_span(
    qtbot: QtBot, window: MainWindow, db318: Path, how: str
) -> None:
    stage(db318, how)
    errors: list[str] = []
    window.error_reported.connect(errors.append)
    window.explorer.load_failed.connect(errors.append)
    open_and_wait(qtbot, window, db318)
    explorer = window.explorer
    with qtbot.waitSignal(explorer.trace_loaded, timeout=WAIT_MS):
        window.show_trace(CHAT_TRACE)
    assert explorer.spans.notice.notices == []  # nothing is wrong with the trace
    detail = explorer.detail
    span = detail.span
    assert isinstance(span, Span) and span.trace_id == CHAT_TRACE
    for tab in TABS:
        detail.show_tab(tab)
    detail.show_tab(INPUTS)
    assert "bottom" in detail.values[INPUTS].text and detail.values[RAW].text
    assert f"nests deeper than {MAX} levels" in detail.facts.problem.text()
    assert not explorer.spans.view.grab().isNull()  # painting the tree does not recurse
    assert not detail.grab().isNull()
    assert errors == []
