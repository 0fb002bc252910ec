"""The OTLP receiver with the official OpenTelemetry SDK: what it stores, and how it copes
with batches out of order, restarts, bursts and bad bodies."""

from __future__ import annotations

import gzip
import socket
import threading
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy import text

from core.errors import StoreError
from core.messages import span_conversation
from core.otlp import OtlpReceiver, RemoteBindRefused
from core.store.store import Store
from tests.core.otlp.sdk import (
    SERVICE,
    agent_turn,
    exporting_provider,
    otlp_json,
    otlp_protobuf,
    post,
    recorded_spans,
)


def _rows(store: Store, sql: str, **params: object) -> list[tuple[object, ...]]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def _check_agent_turn(store: Store, trace_id: str) -> None:
    trace = store.reader.get_trace(trace_id)
    assert trace.info.state == "OK"
    by_name = {span.name: span for span in trace.data.spans}
    assert {name: span.span_type for name, span in by_name.items()} == {
        "agent.run": "AGENT",
        "chat gpt-4o-mini": "CHAT_MODEL",
        "lookup_order": "TOOL",
        "llm.answer": "LLM",
    }
    chat = span_conversation(
        by_name["chat gpt-4o-mini"].inputs, by_name["chat gpt-4o-mini"].outputs
    )
    assert chat is not None
    assert [(m.role, m.text) for m in chat.inputs] == [
        ("system", "You are a shop assistant."),
        ("user", "Where is my order 42?"),
    ]
    assert [(m.role, m.text) for m in chat.outputs] == [("assistant", "Let me look it up.")]
    assert [(c.name, c.call_id) for c in chat.outputs[0].tool_calls] == [("lookup_order", "call-1")]
    llm = span_conversation(by_name["llm.answer"].inputs, by_name["llm.answer"].outputs)
    assert llm is not None
    assert [(m.role, m.text) for m in (*llm.inputs, *llm.outputs)] == [
        ("user", "Where is my order 42?"),
        ("assistant", "Order 42 ships tomorrow."),
    ]
    assert by_name["lookup_order"].inputs == {"order": 42}
    assert by_name["chat gpt-4o-mini"].get_attribute("mlflow.llm.model") == "gpt-4o-mini"
    assert by_name["chat gpt-4o-mini"].get_attribute("mlflow.llm.provider") == "openai"
    info = _rows(
        store,
        "SELECT status, request_preview, response_preview, session_id, input_tokens,"
        " output_tokens, total_tokens FROM trace_info WHERE request_id = :id",
        id=trace_id,
    )
    assert info == [
        ("OK", "Where is my order 42?", '"Order 42 ships tomorrow."', "session-7", 51, 14, 65)
    ]
    tags = dict(
        _rows(store, "SELECT key, value FROM trace_tags WHERE request_id = :id", id=trace_id)
    )
    assert tags["service.name"] == SERVICE
    assert tags["mlflow.traceName"] == "agent.run"  # the root span's name, as the list shows
    assert store.reader.get_trace(trace_id).info.tags["mlflow.traceName"] == "agent.run"
    assert _rows(
        store, "SELECT trace_name FROM trace_info WHERE request_id = :id", id=trace_id
    ) == [("agent.run",)]
    assert tags["mlflow.trace.spansLocation"] == "TRACKING_STORE"
    assert tags["mlflow.artifactLocation"].endswith(f"/0/traces/{trace_id}/artifacts")
    assert not any(key.startswith("telemetry.sdk.") for key in tags)


def test_the_sdk_exporter_stores_chats_with_span_types(
    receiver: OtlpReceiver, writable: Store
) -> None:
    provider = exporting_provider(receiver.url)
    trace_id = agent_turn(provider.get_tracer("shop"))
    provider.shutdown()
    _check_agent_turn(writable, trace_id)
    assert receiver.counts() == (4, 1)


@pytest.mark.parametrize("compression", [Compression.Gzip, Compression.Deflate])
def test_compressed_protobuf_bodies(
    receiver: OtlpReceiver, writable: Store, compression: Compression
) -> None:
    provider = exporting_provider(receiver.url, compression)
    trace_id = agent_turn(provider.get_tracer("shop"))
    provider.shutdown()
    _check_agent_turn(writable, trace_id)


@pytest.mark.parametrize("gzipped", [False, True])
def test_json_bodies(receiver: OtlpReceiver, writable: Store, gzipped: bool) -> None:
    found: list[str] = []
    spans = recorded_spans(lambda tracer: found.append(agent_turn(tracer)))
    body = otlp_json(spans)
    status, answer = post(
        receiver.url,
        gzip.compress(body) if gzipped else body,
        "application/json; charset=utf-8",
        "gzip" if gzipped else None,
    )
    assert (status, answer) == (200, "{}")
    _check_agent_turn(writable, found[0])


def test_batches_out_of_order_and_across_a_restart(db318: Path) -> None:
    found: list[str] = []
    spans = recorded_spans(lambda tracer: found.append(agent_turn(tracer)))
    trace_id = found[0]
    root = next(s for s in spans if s.parent is None)
    children = [s for s in spans if s.parent is not None]
    with Store.open(db318, read_only=False) as store:
        with OtlpReceiver(store, "0", port=0) as first:
            assert post(first.url, otlp_protobuf(children[2:]), "application/x-protobuf")[0] == 200
            assert post(first.url, otlp_protobuf(children[:1]), "application/x-protobuf")[0] == 200
        waiting = store.reader.get_trace(trace_id)
        assert waiting.info.state == "IN_PROGRESS"  # no root yet
        assert len(waiting.data.spans) == 2
        with OtlpReceiver(store, "0", port=0) as second:
            for batch in ([root], children[1:2], children[:1]):  # the last one a retry
                assert post(second.url, otlp_protobuf(batch), "application/x-protobuf")[0] == 200
        _check_agent_turn(store, trace_id)
        assert len(store.reader.get_trace(trace_id).data.spans) == 4
        start_ms = min(s.start_time for s in spans) // 1_000_000
        end_ms = max(s.end_time for s in spans) // 1_000_000
        assert _rows(
            store,
            "SELECT timestamp_ms, execution_time_ms FROM trace_info WHERE request_id = :id",
            id=trace_id,
        ) == [(start_ms, end_ms - start_ms)]


def test_a_burst_from_eight_exporters_loses_nothing(
    receiver: OtlpReceiver, writable: Store
) -> None:
    exporters, traces_each, spans_per_trace = 8, 125, 10

    def send(number: int) -> None:
        provider = TracerProvider(resource=Resource.create({"service.name": f"svc-{number}"}))
        processor = BatchSpanProcessor(
            OTLPSpanExporter(endpoint=receiver.url, timeout=60), max_queue_size=4096
        )
        provider.add_span_processor(processor)
        tracer = provider.get_tracer("burst")
        for _ in range(traces_each):
            with tracer.start_as_current_span("root"):
                for step in range(spans_per_trace - 1):
                    with tracer.start_as_current_span(f"step {step}") as span:
                        span.set_attribute("gen_ai.operation.name", "chat")
        provider.shutdown()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = exporters * traces_each * spans_per_trace
    assert receiver.counts() == (total, exporters * traces_each)
    assert _rows(
        writable, "SELECT COUNT(*) FROM spans WHERE name LIKE 'step %' OR name = 'root'"
    ) == [(total,)]
    states = _rows(
        writable,
        "SELECT status, COUNT(*) FROM trace_info WHERE request_id IN"
        " (SELECT trace_id FROM spans WHERE name = 'root') GROUP BY status",
    )
    assert states == [("OK", exporters * traces_each)]


@pytest.mark.parametrize(
    ("body", "content_type", "encoding", "status", "reason"),
    [
        (b"\xff\xff\xff not protobuf", "application/x-protobuf", None, 400, "protobuf"),
        (b"{not json", "application/json", None, 400, "not JSON"),
        (b'{"resourceSpans": 3}', "application/json", None, 400, "OTLP/JSON"),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
            "application/json",
            None,
            400,
            "not hex",
        ),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "no ids"}]}]}]}',
            "application/json",
            None,
            400,
            "trace id",
        ),
        (b"not gzip at all", "application/x-protobuf", "gzip", 400, "decompressed"),
        (b"hello", "text/plain", None, 415, "Content-Type"),
        (b"hello", "application/x-protobuf", "br", 415, "Content-Encoding"),
    ],
)
def test_malformed_bodies_get_a_reason_and_the_receiver_goes_on(
    receiver: OtlpReceiver,
    writable: Store,
    body: bytes,
    content_type: str,
    encoding: str | None,
    status: int,
    reason: str,
) -> None:
    answer = post(receiver.url, body, content_type, encoding)
    assert answer[0] == status
    assert reason in answer[1]
    found: list[str] = []
    spans = recorded_spans(lambda tracer: found.append(agent_turn(tracer)))
    assert post(receiver.url, otlp_protobuf(spans), "application/x-protobuf") == (200, "")
    _check_agent_turn(writable, found[0])


def test_a_body_over_the_limit_is_refused(writable: Store) -> None:
    with OtlpReceiver(writable, "0", port=0, max_body_bytes=1000) as small:
        assert post(small.url, b"x" * 2000, "application/x-protobuf")[0] == 413
        bomb = gzip.compress(b"\0" * 100_000)
        status, reason = post(small.url, bomb, "application/x-protobuf", "gzip")
        assert (status, "more than 1000 bytes" in reason) == (413, True)
        assert post(small.url, b"", "application/x-protobuf")[0] == 200  # still serving


def test_other_paths_are_not_found(receiver: OtlpReceiver) -> None:
    url = receiver.url.replace("/v1/traces", "/v1/metrics")
    assert post(url, b"", "application/x-protobuf")[0] == 404


def test_only_loopback_without_the_flag(writable: Store) -> None:
    with pytest.raises(RemoteBindRefused, match="--allow-remote"):
        OtlpReceiver(writable, "0", host="0.0.0.0", port=0)
    receiver = OtlpReceiver(writable, "0", host="0.0.0.0", port=0, allow_remote=True)
    receiver.stop()
    for loopback in ("127.0.0.1", "localhost", "::1"):
        try:
            OtlpReceiver(writable, "0", host=loopback, port=0).stop()
        except OSError:  # no IPv6 on this machine: the check passed, binding did not
            assert loopback == "::1"


def test_a_missing_experiment_is_a_clear_error(writable: Store) -> None:
    spans = recorded_spans(agent_turn)
    with OtlpReceiver(writable, "999", port=0) as wrong:
        status, reason = post(wrong.url, otlp_protobuf(spans), "application/x-protobuf")
    assert status == 404
    assert "999" in reason


def test_a_trace_of_another_experiment_is_refused(writable: Store) -> None:
    spans = recorded_spans(agent_turn)
    body = otlp_protobuf(spans)
    with OtlpReceiver(writable, "0", port=0) as receiver:
        assert post(receiver.url, body, "application/x-protobuf")[0] == 200
    other = writable.writer.create_experiment("elsewhere")
    with OtlpReceiver(writable, other, port=0) as receiver:
        status, reason = post(receiver.url, body, "application/x-protobuf")
        assert (status, "already exists in another experiment" in reason) == (400, True)
        status, reason = post(
            receiver.url, body, "application/x-protobuf", headers={"x-mlflow-experiment-id": "x"}
        )
        assert (status, "is not an id" in reason) == (400, True)


def test_stopping_ends_idle_connections(writable: Store) -> None:
    before = set(threading.enumerate())
    receiver = OtlpReceiver(writable, "0", port=0).start()
    with socket.create_connection(receiver.address, timeout=10) as idle:
        request = b"POST /v1/traces HTTP/1.1\r\nContent-Type: application/x-protobuf\r\n"
        idle.sendall(request + b"Content-Length: 0\r\n\r\n")
        answer = b""
        while not answer.endswith(b"\r\n\r\n"):  # an empty body: the answer ends there
            answer += idle.recv(1)
        assert answer.startswith(b"HTTP/1.1 200")  # kept alive, as exporters keep it
        receiver.stop()
        assert idle.recv(100) == b""  # the receiver closed it
    left = [t for t in threading.enumerate() if t not in before]
    for thread in left:
        thread.join(5)
    assert [t.name for t in left if t.is_alive()] == []


def test_an_older_layout_without_spans_is_refused_at_once(db222: Path) -> None:
    with (
        Store.open(db222, read_only=False) as store,
        pytest.raises(StoreError, match="without the `spans` table"),
    ):
        OtlpReceiver(store, "0", port=0)
