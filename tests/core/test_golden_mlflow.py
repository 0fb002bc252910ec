"""`core.search_traces` / `core.get_trace` give what MLflow 3.18 gives on the same database.

`golden.json` was recorded from real MLflow 3.18.0 by tests/interop/make_golden.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import core
from core import tracking


@pytest.fixture
def golden(db318: Path) -> Iterator[dict[str, Any]]:
    core.set_tracking_uri(f"sqlite:///{db318}")
    yield json.loads((db318.parent / "golden.json").read_text("utf-8"))
    tracking.reset()


def test_search_traces_columns_and_types(golden: dict[str, Any]) -> None:
    frame = core.search_traces(locations=golden["experiment_ids"])
    assert list(frame.columns) == golden["search_traces"]["columns"]
    assert {c: str(t) for c, t in frame.dtypes.items()} == golden["search_traces"]["dtypes"]


def test_search_traces_rows_equal_mlflow(golden: dict[str, Any]) -> None:
    frame = core.search_traces(locations=golden["experiment_ids"])
    rows = frame.to_dict("records")
    want = golden["search_traces"]["rows"]
    assert [r["trace_id"] for r in rows] == [r["trace_id"] for r in want]
    for ours, theirs in zip(rows, want, strict=True):
        for column in ("client_request_id", "state", "request", "response"):
            assert ours[column] == theirs[column], column
        assert int(ours["request_time"]) == theirs["request_time"]
        assert int(ours["execution_duration"]) == theirs["execution_duration"]
        assert ours["trace_metadata"] == theirs["trace_metadata"]
        assert ours["tags"] == theirs["tags"]
        assert ours["spans"] == theirs["spans"]
        assert ours["assessments"] == theirs["assessments"]
        assert json.loads(ours["trace"]) == json.loads(theirs["trace"])


def test_get_trace_json_equals_mlflow(golden: dict[str, Any]) -> None:
    for trace_id, theirs in golden["get_trace"].items():
        trace = core.get_trace(trace_id)
        assert trace is not None
        assert json.loads(trace.to_json()) == theirs


def test_default_experiment_and_max_results(golden: dict[str, Any]) -> None:
    assert core.search_traces()["trace_id"].tolist() == ["tr-6a0851c5009984c0295519cd96b86728"]
    core.set_experiment("evaluation_test")
    frame = core.search_traces(max_results=2)
    assert frame["trace_id"].tolist() == [
        r["trace_id"] for r in golden["search_traces"]["rows"][:2]
    ]


def test_unknown_trace_is_none(golden: dict[str, Any]) -> None:
    assert core.get_trace("tr-00000000000000000000000000000000") is None
