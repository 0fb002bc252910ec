"""The receiver on a PostgreSQL store: batches of one trace merge there as on SQLite."""

from __future__ import annotations

import pytest

from core.otlp import OtlpReceiver
from core.store.store import Store
from tests.core.otlp.sdk import agent_turn, otlp_protobuf, post, recorded_spans

pytestmark = pytest.mark.postgres


def test_batches_merge_into_one_trace_on_postgres(pg_url: str) -> None:
    found: list[str] = []
    spans = recorded_spans(lambda tracer: found.append(agent_turn(tracer)))
    root = [s for s in spans if s.parent is None]
    children = [s for s in spans if s.parent is not None]
    with Store.open(pg_url, read_only=False) as store:
        experiment = store.writer.create_experiment("otel")
        with OtlpReceiver(store, experiment, port=0) as receiver:
            for batch in (children[1:], root, children[:2]):  # the last one sent twice
                assert post(receiver.url, otlp_protobuf(batch), "application/x-protobuf")[0] == 200
        trace = store.reader.get_trace(found[0])
    assert trace.info.state == "OK"
    assert trace.info.request_preview == "Where is my order 42?"
    assert sorted(s.name for s in trace.data.spans) == [
        "agent.run",
        "chat gpt-4o-mini",
        "llm.answer",
        "lookup_order",
    ]
    assert {s.name: s.span_type for s in trace.data.spans}["llm.answer"] == "LLM"
    assert trace.info.token_usage is not None
    assert trace.info.token_usage.total_tokens == 65
