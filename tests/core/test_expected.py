"""`core` reads every trace of every real MLflow fixture exactly as MLflow's own client does.

`expected.json` beside each fixture was written by the MLflow version that made the database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.entities import Span, Trace
from core.store.store import Store
from tests.conftest import load_expected

ABBREVIATE_AT = 400


def abbreviate(value: Any) -> Any:
    """expected.json's rule: a str as is, anything else json.dumps'd; cut past 400 chars."""
    text = value if isinstance(value, str) else json.dumps(value)
    if len(text) > ABBREVIATE_AT:
        return text[:ABBREVIATE_AT] + f"...<{len(text)} chars>"
    return text


def span_facts(span: Span) -> dict[str, Any]:
    return {
        "span_id": span.span_id,
        "parent_id": span.parent_id,
        "name": span.name,
        "span_type": span.span_type,
        "status": span.status_code,
        "start_time_ns": span.start_time_ns,
        "end_time_ns": span.end_time_ns,
        "attribute_keys": sorted(span.raw_attributes),
        "inputs": abbreviate(span.inputs),
        "outputs": abbreviate(span.outputs),
        "n_events": len(span.events),
        "event_names": [e.name for e in span.events][:5],  # expected.json keeps five
    }


def depth(trace: Trace) -> int:
    parents = {s.span_id: s.parent_id for s in trace.data.spans}

    def level(span_id: str | None) -> int:
        return 0 if span_id is None else 1 + level(parents.get(span_id))

    return max((level(s.span_id) for s in trace.data.spans), default=0)


def test_experiments_match(fixture_db: Path) -> None:
    expected = load_expected(fixture_db)
    with Store.open(fixture_db) as store:
        experiments = {e.experiment_id: e for e in store.reader.experiments()}
        counts = store.reader.trace_counts()
    assert set(experiments) == {e["experiment_id"] for e in expected["experiments"]}
    for exp in expected["experiments"]:
        ours = experiments[exp["experiment_id"]]
        assert ours.name == exp["name"]
        assert ours.artifact_location == exp["artifact_location"]
        assert ours.lifecycle_stage == exp["lifecycle_stage"]
        assert dict(ours.tags) == exp["tags"]
        assert counts.get(exp["experiment_id"], 0) == exp["trace_count"]


def expected_traces(db: Path) -> list[tuple[str, dict[str, Any]]]:
    return [
        (exp["experiment_id"], trace)
        for exp in load_expected(db)["experiments"]
        for trace in exp["traces"]
    ]


def preview_as_recorded(preview: str | None, mlflow_version: str) -> str | None:
    """2.x has no previews; its expected.json shows the 250-char metadata copies instead."""
    if preview is None or not mlflow_version.startswith("2."):
        return preview
    return preview if len(preview) <= 250 else preview[:247] + "..."


def test_every_trace_info_matches(fixture_db: Path) -> None:
    version = load_expected(fixture_db)["mlflow_version"]
    with Store.open(fixture_db) as store:
        for experiment_id, want in expected_traces(fixture_db):
            trace = store.reader.get_trace(want["trace_id"])
            info = trace.info
            assert info.experiment_id == experiment_id
            assert info.client_request_id == want["client_request_id"]
            assert info.state == want["state"]
            assert info.request_time == want["request_time_ms"]
            assert info.execution_duration == want["execution_duration_ms"]
            assert preview_as_recorded(info.request_preview, version) == want["request_preview"]
            assert preview_as_recorded(info.response_preview, version) == want["response_preview"]
            assert dict(info.trace_metadata) == want["trace_metadata"]
            assert dict(info.tags) == want["tags"]


def test_every_span_matches(fixture_db: Path) -> None:
    with Store.open(fixture_db) as store:
        for _, want in expected_traces(fixture_db):
            trace = store.reader.get_trace(want["trace_id"])
            assert trace.problems == ()
            assert len(trace.data.spans) == want["span_count"]
            assert depth(trace) == want["max_depth"]
            ours = {s.span_id: span_facts(s) for s in trace.data.spans}
            assert ours == {s["span_id"]: s for s in want["spans"]}


def test_every_assessment_matches(fixture_db: Path) -> None:
    with Store.open(fixture_db) as store:
        for _, want in expected_traces(fixture_db):
            info = store.reader.get_trace(want["trace_id"]).info
            ours = {a.assessment_id: a for a in info.assessments}
            assert set(ours) == {a["assessment_id"] for a in want["assessments"]}
            for expected in want["assessments"]:
                mine = ours[expected["assessment_id"]]
                assert mine.name == expected["name"]
                assert mine.trace_id == expected["trace_id"]
                assert mine.span_id == expected["span_id"]
                assert mine.run_id == expected["run_id"]
                assert mine.create_time_ms == expected["create_time_ms"]
                assert mine.rationale == expected["rationale"]
                assert mine.valid == expected["valid"]
                assert dict(mine.metadata) == expected["metadata"]


def test_trace_list_is_newest_first_and_complete(fixture_db: Path) -> None:
    with Store.open(fixture_db) as store:
        for exp in load_expected(fixture_db)["experiments"]:
            page = store.reader.trace_page([exp["experiment_id"]], limit=100)
            want = sorted(exp["traces"], key=lambda t: (-t["request_time_ms"], t["trace_id"]))
            assert [r.trace_id for r in page.rows] == [t["trace_id"] for t in want] or [
                r.request_time for r in page.rows
            ] == [t["request_time_ms"] for t in want]
            assert {r.trace_id for r in page.rows} == {t["trace_id"] for t in want}
            assert page.next_key is None
            for row in page.rows:
                expected = next(t for t in want if t["trace_id"] == row.trace_id)
                assert row.state == expected["state"]
                assert row.name == expected["tags"]["mlflow.traceName"]


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_keyset_pages_cover_everything_once(db318: Path, limit: int) -> None:
    with Store.open(db318) as store:
        seen: list[str] = []
        after = None
        while True:
            page = store.reader.trace_page(None, limit=limit, after=after)
            seen += [r.trace_id for r in page.rows]
            if page.next_key is None:
                break
            after = page.next_key
        everything = store.reader.trace_page(None, limit=1000).rows
    assert seen == [r.trace_id for r in everything]
    assert len(seen) == 12


def test_pages_over_several_experiments_merge_in_order(db318: Path) -> None:
    with Store.open(db318) as store:
        everything = [r.trace_id for r in store.reader.trace_page(None, limit=1000).rows]
        for limit in (1, 3, 100):
            seen: list[str] = []
            after = None
            while True:
                page = store.reader.trace_page(["0", "1", "2"], limit=limit, after=after)
                seen += [r.trace_id for r in page.rows]
                if page.next_key is None:
                    break
                after = page.next_key
            assert seen == everything
        two = store.reader.trace_page(["1", "2"], order_by=["name ASC"], limit=100).rows
        assert [r.name for r in two] == sorted(r.name or "" for r in two)
        assert len(two) == 11


def test_span_payloads_are_read_in_one_query_when_first_needed(db318: Path) -> None:
    from sqlalchemy import event

    with Store.open(db318) as store:
        trace = store.reader.get_trace("tr-8994d05b63f61f086eee7e8a1d4106e8")
        assert all(not isinstance(s.document, str) for s in trace.data.spans)  # not read yet
        statements: list[str] = []
        event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        assert trace.data.spans[1].inputs == {"input": "input"}
        assert trace.data.spans[2].outputs is not None
        assert len(statements) == 1 and "content" in statements[0]
        trace.data.load_payloads()
        assert all(isinstance(s.document, str) for s in trace.data.spans)
        assert len(statements) == 1
