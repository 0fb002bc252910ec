"""Exports stream page by page into files the right tools read, and stop cleanly."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from core.entities import Trace
from core.export import TraceFileError, TraceSelection, export_traces
from core.export.csv_rows import BUILT_IN
from core.store.store import Store
from tests.core.export.conftest import HOSTILE


@pytest.fixture
def store318(db318: Path):  # type: ignore[no-untyped-def]
    with Store.open(db318) as store:
        yield store


def test_json_of_one_trace_is_the_document_mlflow_writes(store318: Store, tmp_path: Path) -> None:
    (trace_id,) = store318.reader.search_trace_ids(None, max_results=1)
    path = tmp_path / "one.json"
    result = export_traces(store318.reader, TraceSelection.of_ids([trace_id]), "json", path)
    assert (result.written, result.total, result.cancelled) == (1, 1, False)
    expected = store318.reader.get_trace(trace_id).to_dict()
    assert json.loads(path.read_text()) == json.loads(json.dumps(expected, default=str))
    assert Trace.from_json(path.read_text()).trace_id == trace_id


def test_a_filter_is_read_in_pages_with_progress_in_list_order(
    store318: Store, tmp_path: Path
) -> None:
    order = ("timestamp_ms DESC",)
    wanted = store318.reader.search_trace_ids(None, order_by=list(order))
    seen: list[tuple[int, int]] = []
    result = export_traces(
        store318.reader,
        TraceSelection(None, None, order),
        "jsonl",
        tmp_path / "all.jsonl",
        progress=lambda done, total: seen.append((done, total)),
        page_size=5,
    )
    total = len(wanted)
    assert result.written == total and total > 10
    assert seen == [(min(n, total), total) for n in range(5, total + 5, 5)]  # one per page
    lines = (tmp_path / "all.jsonl").read_text().splitlines()
    assert [Trace.from_json(line).trace_id for line in lines] == wanted


def test_json_of_many_is_an_array_and_a_filter_narrows(store318: Store, tmp_path: Path) -> None:
    filter_string = "trace.status = 'OK'"
    wanted = set(store318.reader.search_trace_ids(None, filter_string=filter_string))
    path = tmp_path / "ok.json"
    export_traces(store318.reader, TraceSelection(None, filter_string), "json", path, page_size=3)
    documents = json.loads(path.read_text())
    assert {d["info"]["trace_id"] for d in documents} == wanted
    assert all(d["info"]["state"] == "OK" for d in documents)


def test_cancel_stops_between_pages_and_leaves_no_file(store318: Store, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "out.jsonl"
    path.write_text("the user's older file\n")
    pages = []
    result = export_traces(
        store318.reader,
        TraceSelection(),
        "jsonl",
        path,
        progress=lambda done, _total: pages.append(done),
        cancelled=lambda: len(pages) >= 2,
        page_size=2,
    )
    assert result.cancelled and result.written == 4
    assert path.read_text() == "the user's older file\n"  # untouched
    assert list(path.parent.iterdir()) == [path]  # no part file left


def test_csv_has_the_columns_asked_for_and_inert_formulas(hostile_db: Path, tmp_path: Path) -> None:
    with Store.open(hostile_db, read_only=False) as store:
        (trace_id,) = store.reader.search_trace_ids(None)
        store.trace_edits.set_trace_tag(trace_id, "formula", '=HYPERLINK("https://evil")')
        path = tmp_path / "rows.csv"
        columns = ["trace_id", "name", "state", "duration", "request", "tag:formula", "tag:none"]
        export_traces(store.reader, TraceSelection(), "csv", path, columns=columns)
    header, row = list(csv.reader(path.open(encoding="utf-8")))
    assert header == ["Trace ID", "Name", "State", "Duration (ms)", "Request", "formula", "none"]
    assert row[0] == trace_id and row[2] == "OK" and int(row[3]) >= 0
    assert row[1] == f"agent {HOSTILE}"  # text stays whole (the csv module quotes it)
    assert row[5] == '\'=HYPERLINK("https://evil")'  # a spreadsheet shows it, never runs it
    assert row[6] == ""


def test_default_csv_columns_are_the_lists(store318: Store, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    export_traces(store318.reader, TraceSelection(), "csv", path)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == [header for header, _cell in BUILT_IN.values()]
    assert len(rows) - 1 == store318.reader.count_traces(None)


def test_unknown_format_and_column_are_clear(store318: Store, tmp_path: Path) -> None:
    tmp_path /= "out"
    tmp_path.mkdir()
    with pytest.raises(TraceFileError, match="No export format 'xml'"):
        export_traces(store318.reader, TraceSelection(), "xml", tmp_path / "x.xml")
    with pytest.raises(TraceFileError, match="No trace list column is called 'bogus'"):
        export_traces(
            store318.reader, TraceSelection(), "csv", tmp_path / "x.csv", columns=["bogus"]
        )
    assert list(tmp_path.iterdir()) == []
