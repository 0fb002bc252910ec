"""Sending spans the way another service would: the official OpenTelemetry SDK and its
OTLP/HTTP exporter, with the attributes a TypeScript or Go GenAI service sets."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode, Tracer

SERVICE = "checkout-agent-ts"


def exporting_provider(url: str, compression: Compression | None = None) -> TracerProvider:
    """A provider whose spans go, one by one as they end, to `url` as OTLP protobuf."""
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE}))
    exporter = OTLPSpanExporter(endpoint=url, compression=compression, timeout=30)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def recorded_spans(emit: Any) -> list[ReadableSpan]:
    """The finished spans `emit(tracer)` makes, kept in memory (for hand-made requests)."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    emit(provider.get_tracer("test"))
    provider.shutdown()
    return list(memory.get_finished_spans())


def agent_turn(tracer: Tracer, question: str = "Where is my order 42?", pause_s: float = 0) -> str:
    """One agent turn: an OpenInference AGENT root, a GenAI `chat` span, an OpenInference
    LLM span listing its messages attribute by attribute, and an OpenLLMetry tool span.
    Returns the trace id as MLflow writes it; `pause_s` passes between the root's start and
    its first child's."""
    answer = "Order 42 ships tomorrow."
    with tracer.start_as_current_span("agent.run") as root:
        time.sleep(pause_s)
        root.set_attribute("openinference.span.kind", "AGENT")
        root.set_attribute(
            "input.value", json.dumps({"messages": [{"role": "user", "content": question}]})
        )
        root.set_attribute("output.value", answer)
        root.set_attribute("session.id", "session-7")
        with tracer.start_as_current_span("chat gpt-4o-mini") as chat:
            chat.set_attribute("gen_ai.operation.name", "chat")
            chat.set_attribute("gen_ai.system", "openai")
            chat.set_attribute("gen_ai.request.model", "gpt-4o-mini")
            chat.set_attribute(
                "gen_ai.input.messages",
                json.dumps(
                    [
                        {"role": "system", "parts": [_text("You are a shop assistant.")]},
                        {"role": "user", "parts": [_text(question)]},
                    ]
                ),
            )
            chat.set_attribute(
                "gen_ai.output.messages",
                json.dumps(
                    [
                        {
                            "role": "assistant",
                            "parts": [
                                _text("Let me look it up."),
                                {
                                    "type": "tool_call",
                                    "id": "call-1",
                                    "name": "lookup_order",
                                    "arguments": {"order": 42},
                                },
                            ],
                            "finish_reason": "tool_call",
                        }
                    ]
                ),
            )
            chat.set_attribute("gen_ai.usage.input_tokens", 21)
            chat.set_attribute("gen_ai.usage.output_tokens", 6)
        with tracer.start_as_current_span("lookup_order") as tool:
            tool.set_attribute("traceloop.span.kind", "tool")
            tool.set_attribute("traceloop.entity.input", json.dumps({"order": 42}))
            tool.set_attribute("traceloop.entity.output", json.dumps({"eta": "tomorrow"}))
        with tracer.start_as_current_span("llm.answer") as llm:
            llm.set_attribute("openinference.span.kind", "LLM")
            llm.set_attribute("llm.model_name", "claude-sonnet")
            llm.set_attribute("llm.input_messages.0.message.role", "user")
            llm.set_attribute("llm.input_messages.0.message.content", question)
            llm.set_attribute("llm.output_messages.0.message.role", "assistant")
            llm.set_attribute("llm.output_messages.0.message.content", answer)
            llm.set_attribute("llm.token_count.prompt", 30)
            llm.set_attribute("llm.token_count.completion", 8)
            llm.set_attribute("llm.token_count.total", 38)
        root.set_status(Status(StatusCode.OK))
        return f"tr-{root.get_span_context().trace_id:032x}"


def _text(content: str) -> dict[str, str]:
    """A text part of an OpenTelemetry GenAI message."""
    return {"type": "text", "content": content}


def otlp_json(spans: Sequence[ReadableSpan]) -> bytes:
    """The OTLP/JSON body of `spans`: the SDK's own encoding, ids in hex as OTLP/JSON wants."""
    document = MessageToDict(encode_spans(spans))
    for resource in document["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    return json.dumps(document).encode()


def otlp_protobuf(spans: Sequence[ReadableSpan]) -> bytes:
    return encode_spans(spans).SerializeToString()


def post(
    url: str,
    body: bytes,
    content_type: str,
    encoding: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    """POST a body; (HTTP status, response text)."""
    headers = {"Content-Type": content_type, **(headers or {})}
    if encoding:
        headers["Content-Encoding"] = encoding
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
