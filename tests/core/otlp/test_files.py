"""OTLP/JSON files both ways, and `tracedesk-cli serve-otlp`."""

from __future__ import annotations

import argparse
import io
import json
import re
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from core.otlp import BadBody, import_otlp_json, read_body, store_spans, traces_to_otlp_json
from core.otlp.command import run_serve
from core.store.store import Store
from tests.conftest import copy_fixture
from tests.core.otlp.sdk import (
    agent_turn,
    exporting_provider,
    otlp_json,
    otlp_protobuf,
    post,
    recorded_spans,
)


def _span_rows(store: Store, trace_id: str) -> list[tuple[object, ...]]:
    with store.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT span_id, parent_span_id, name, type, status, start_time_unix_nano,"
                    " end_time_unix_nano, content, model_name, model_provider FROM spans"
                    " WHERE trace_id = :id ORDER BY span_id"
                ),
                {"id": trace_id},
            )
        ]


def test_an_exported_trace_imports_as_the_same_trace(tmp_path: Path) -> None:
    source = copy_fixture("mlflow-3.18-tutorial", tmp_path / "source")
    target = copy_fixture("mlflow-3.18-tutorial", tmp_path / "target")
    found: list[str] = []
    spans = recorded_spans(lambda tracer: found.append(agent_turn(tracer)))
    trace_id = found[0]
    with Store.open(source, read_only=False) as store:
        # a trace MLflow's own Python SDK wrote, with its JSON-in-JSON attributes ...
        mlflow_trace = store.reader.search_trace_ids(None, max_results=1)[0]
        experiment = store.reader.get_trace(mlflow_trace).info.experiment_id
        # ... and one received over OTLP, in the same experiment
        store_spans(store, experiment, read_body(otlp_protobuf(spans), "application/x-protobuf"))
        traces = [store.reader.get_trace(trace_id), store.reader.get_trace(mlflow_trace)]
        document = traces_to_otlp_json(traces)
        expected = {t: _span_rows(store, t) for t in (trace_id, mlflow_trace)}
    exported = tmp_path / "traces.otlp.json"
    exported.write_text(json.dumps(document), encoding="utf-8")
    assert document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] == (
        trace_id.removeprefix("tr-")
    )
    with closing(sqlite3.connect(target)) as connection, connection:
        # the target has the MLflow trace's info already: only its spans come from the file
        connection.execute("DELETE FROM spans WHERE trace_id = ?", (mlflow_trace,))
    with Store.open(target, read_only=False) as store:
        result = import_otlp_json(store, exported, experiment)
        assert result.spans == len(expected[trace_id]) + len(expected[mlflow_trace])
        assert result.created == (trace_id,)  # the other trace's info was there already
        for trace, rows in expected.items():
            assert _span_rows(store, trace) == rows
        again = import_otlp_json(store, exported, experiment)  # changes nothing
        assert again.spans == result.spans and again.added == 0
        assert _span_rows(store, trace_id) == expected[trace_id]


def test_json_lines_and_bad_files(tmp_path: Path, db318: Path) -> None:
    found: list[str] = []
    spans = recorded_spans(lambda tracer: found.append(agent_turn(tracer)))
    lines = tmp_path / "collector.jsonl"
    lines.write_text(
        otlp_json(spans[:2]).decode() + "\n" + otlp_json(spans[2:]).decode() + "\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "xyz"}]}]}]}')
    with Store.open(db318, read_only=False) as store:
        assert import_otlp_json(store, lines, "0").spans == 4
        assert len(store.reader.get_trace(found[0]).data.spans) == 4
        with pytest.raises(BadBody, match=r"bad\.json: traceId 'xyz' is not hex"):
            import_otlp_json(store, bad, "0")


def test_serve_otlp_command(db318: Path) -> None:
    out = io.StringIO()
    stop = threading.Event()
    args = argparse.Namespace(
        store=str(db318), experiment="otel agents", port=0, host="127.0.0.1", allow_remote=False
    )
    with Store.open(db318, read_only=False) as store:
        serving = threading.Thread(target=run_serve, args=(store, args, out, stop))
        serving.start()
        try:
            deadline = time.monotonic() + 30
            while "Receiving OTLP on" not in out.getvalue() and time.monotonic() < deadline:
                time.sleep(0.02)
            url = re.search(r"http://\S+/v1/traces", out.getvalue())
            assert url is not None, out.getvalue()
            provider = exporting_provider(url.group(0))
            trace_id = agent_turn(provider.get_tracer("cli"))
            provider.shutdown()
            assert post(url.group(0), b"junk", "application/x-protobuf")[0] == 400
        finally:
            stop.set()
            serving.join()
        made = store.reader.experiment_by_name("otel agents")
        assert made is not None
        assert store.reader.get_trace(trace_id).info.experiment_id == made.experiment_id
    assert "Stopped: 4 spans in 1 trace received." in out.getvalue()
