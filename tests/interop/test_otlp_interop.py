"""OTLP in, checked against real MLflow 3.18: the same requests through MLflow's own endpoint
logic (`Span.from_otel_proto`, `strip_otlp_double_encoding`, `SqlAlchemyStore.log_spans`)
and through TraceDesk's receiver write the same rows; MLflow reads what the receiver stored."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from core.otlp import OtlpReceiver
from core.store.store import Store
from tests.conftest import copy_fixture
from tests.core.otlp.sdk import agent_turn, otlp_protobuf, post, recorded_spans
from tests.interop.conftest import MlflowRunner

pytestmark = pytest.mark.interop

#: What MLflow 3.18's `/v1/traces` does with each request body (mlflow/server/otel_api.py),
#: minus the HTTP: convert every span, drop blocked root attributes, `log_spans` them.
INGEST_WITH_MLFLOW = """
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from mlflow.entities.span import Span
from mlflow.server.handlers import _HANDLER_BLOCKED_TRACE_TAGS
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from mlflow.tracing.constant import SpanAttributeKey
from mlflow.tracing.otel.translation import strip_otlp_double_encoding
store = SqlAlchemyStore("sqlite:///" + ARGS["db"], ARGS["root"])
for path in ARGS["bodies"]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(open(path, "rb").read())
    spans = []
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for proto in scope_spans.spans:
                span = Span.from_otel_proto(proto, resource=resource_spans.resource)
                span._span._attributes = strip_otlp_double_encoding(span._span._attributes)
                if span.parent_id is None:
                    for key in _HANDLER_BLOCKED_TRACE_TAGS:
                        span._span._attributes.pop(SpanAttributeKey.TRACE_TAG_PREFIX + key, None)
                spans.append(span)
    store.log_spans("0", spans)
print(json.dumps("ok"))
"""

READ_WITH_MLFLOW = """
import mlflow
mlflow.set_tracking_uri("sqlite:///" + ARGS["db"])
found = mlflow.search_traces(locations=["0"], filter_string=ARGS["filter"], return_type="list")
out = {}
for listed in found:
    t = mlflow.get_trace(listed.info.trace_id)
    out[t.info.trace_id] = {
        "state": str(t.info.state.value if hasattr(t.info.state, "value") else t.info.state),
        "request_preview": t.info.request_preview,
        "token_usage": t.info.token_usage,
        "session": t.info.trace_metadata.get("mlflow.trace.session"),
        "name": t.info.tags.get("mlflow.traceName"),
        "service": t.info.tags.get("service.name"),
        "spans": {
            s.name: {"type": s.span_type, "parent": s.parent_id, "inputs": s.inputs,
                     "outputs": s.outputs, "status": s.status.status_code.value}
            for s in t.data.spans
        },
    }
print(json.dumps(out, default=str))
"""

#: Where TraceDesk departs from MLflow on purpose (see core/otlp/ingest.py).
COST_COLUMNS = ("input_cost", "output_cost", "total_cost")


def _turn_bodies(folder: Path) -> tuple[str, list[Path]]:
    """One agent turn cut into three requests, the root in the middle (out of order)."""
    found: list[str] = []
    spans = recorded_spans(lambda tracer: found.append(agent_turn(tracer)))
    root = [s for s in spans if s.parent is None]
    children = [s for s in spans if s.parent is not None]
    bodies = []
    for number, batch in enumerate((children[:2], root, children[2:])):
        path = folder / f"body{number}.pb"
        path.write_bytes(otlp_protobuf(batch))
        bodies.append(path)
    return found[0], bodies


def _dump(db: Path, trace_id: str) -> dict[str, Any]:
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        info = dict(
            connection.execute(
                "SELECT * FROM trace_info WHERE request_id = ?", (trace_id,)
            ).fetchone()
        )
        tags = dict(
            connection.execute(
                "SELECT key, value FROM trace_tags WHERE request_id = ?", (trace_id,)
            ).fetchall()
        )
        metadata = dict(
            connection.execute(
                "SELECT key, value FROM trace_request_metadata WHERE request_id = ?", (trace_id,)
            ).fetchall()
        )
        spans = {
            row["span_id"]: {**dict(row), "content": json.loads(row["content"])}
            for row in connection.execute("SELECT * FROM spans WHERE trace_id = ?", (trace_id,))
        }
    finally:
        connection.close()
    return {"info": info, "tags": tags, "metadata": metadata, "spans": spans}


def test_the_receiver_writes_the_rows_mlflow_writes(
    tmp_path: Path, run_mlflow: MlflowRunner
) -> None:
    trace_id, bodies = _turn_bodies(tmp_path)
    theirs_db = copy_fixture("mlflow-3.18-tutorial", tmp_path / "mlflow")
    ours_db = copy_fixture("mlflow-3.18-tutorial", tmp_path / "ours")
    run_mlflow(
        INGEST_WITH_MLFLOW,
        db=str(theirs_db),
        root=str(theirs_db.parent / "mlruns"),
        bodies=[str(b) for b in bodies],
    )
    with Store.open(ours_db, read_only=False) as store, OtlpReceiver(store, "0", port=0) as rx:
        for body in bodies:
            assert post(rx.url, body.read_bytes(), "application/x-protobuf")[0] == 200
    theirs, ours = _dump(theirs_db, trace_id), _dump(ours_db, trace_id)

    assert theirs["info"]["total_cost"] is not None  # MLflow priced the gpt-4o-mini call
    for column in COST_COLUMNS:
        theirs["info"].pop(column)
        assert ours["info"].pop(column) is None
    theirs["info"].pop("cache_creation_input_tokens_above_1hr", None)
    ours["info"].pop("cache_creation_input_tokens_above_1hr", None)
    # MLflow leaves other SDKs' traces unnamed; ours take the root span's name, as MLflow's
    # own tracer names a trace (column and tag).
    assert theirs["info"].pop("trace_name") is None and "mlflow.traceName" not in theirs["tags"]
    assert ours["info"].pop("trace_name") == ours["tags"].pop("mlflow.traceName") == "agent.run"
    assert ours["info"] == theirs["info"]
    assert ours["info"]["db_payload_generation"] == 3  # one per request, as MLflow counts
    assert ours["tags"] == theirs["tags"]
    assert ours["metadata"] == theirs["metadata"]
    assert sorted(ours["spans"]) == sorted(theirs["spans"])
    for span_id, their_row in theirs["spans"].items():
        our_row = ours["spans"][span_id]
        their_attributes = their_row["content"]["attributes"]
        our_attributes = our_row["content"]["attributes"]
        their_attributes.pop("mlflow.llm.cost", None)  # the price table
        for column in COST_COLUMNS:
            their_row.pop(column)
            assert our_row.pop(column) is None
        assert their_row.pop("type") is None  # MLflow leaves it NULL for other SDKs' spans
        assert our_row.pop("type") == json.loads(our_attributes["mlflow.spanType"])
        if our_row["name"] == "llm.answer":  # messages listed attribute by attribute
            assert "mlflow.spanInputs" not in their_attributes
            asked = json.loads(our_attributes.pop("mlflow.spanInputs"))["messages"]
            answered = json.loads(our_attributes.pop("mlflow.spanOutputs"))["messages"]
            assert [m["role"] for m in (*asked, *answered)] == ["user", "assistant"]
        assert our_row == their_row, our_row["name"]


def test_mlflow_reads_what_the_receiver_stored(
    tmp_path: Path, run_mlflow: MlflowRunner, db318: Path
) -> None:
    trace_id, bodies = _turn_bodies(tmp_path)
    with Store.open(db318, read_only=False) as store, OtlpReceiver(store, "0", port=0) as rx:
        for body in bodies:
            assert post(rx.url, body.read_bytes(), "application/x-protobuf")[0] == 200
    read = run_mlflow(
        READ_WITH_MLFLOW, db=str(db318), filter="tags.`service.name` = 'checkout-agent-ts'"
    )
    assert list(read) == [trace_id]
    trace = read[trace_id]
    assert trace["state"] == "OK" and trace["name"] == "agent.run"
    assert trace["request_preview"] == "Where is my order 42?"
    assert trace["service"] == "checkout-agent-ts"
    assert trace["token_usage"] == {"input_tokens": 51, "output_tokens": 14, "total_tokens": 65}
    spans = trace["spans"]
    assert {name: s["type"] for name, s in spans.items()} == {
        "agent.run": "AGENT",
        "chat gpt-4o-mini": "CHAT_MODEL",
        "lookup_order": "TOOL",
        "llm.answer": "LLM",
    }
    assert spans["lookup_order"]["inputs"] == {"order": 42}
    assert spans["llm.answer"]["inputs"] == {
        "messages": [{"role": "user", "content": "Where is my order 42?"}]
    }
    assert spans["chat gpt-4o-mini"]["parent"] is not None
    assert spans["agent.run"]["parent"] is None
