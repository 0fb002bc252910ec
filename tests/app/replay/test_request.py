"""Replay requests read from real spans: the demo database's chat and completion calls (every
message format it writes) and the MLflow 3.18 fixture's, recorded by LangChain autolog."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.replay.request import (
    is_replayable,
    request_from_span,
    request_from_trace,
)
from core.demo.build import build_demo_database
from core.entities import Span, Trace
from core.store import Store
from tests.conftest import copy_fixture


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("demo") / "mlflow.db"
    build_demo_database(path)
    store = Store.open(path)
    yield store
    store.close()


@pytest.fixture(scope="module")
def fixture318(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(copy_fixture("mlflow-3.18-tutorial", tmp_path_factory.mktemp("f318")))
    yield store
    store.close()


def span_where(
    store: Store, wanted: Callable[[str, str, dict[str, Any]], bool]
) -> tuple[Trace, Span]:
    """The first span (by trace and span id) for which `wanted(type, name, attributes)` holds,
    its attributes decoded from the stored JSON, in its trace as the reader gives it."""
    path = store.location.path
    assert path is not None
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT trace_id, span_id, type, name, content FROM spans ORDER BY trace_id, span_id"
        ).fetchall()
    for trace_id, span_id, kind, name, content in rows:
        raw = json.loads(content)["attributes"]
        attributes = {key: json.loads(value) for key, value in raw.items()}
        if wanted(kind, name, attributes):
            trace = store.reader.get_trace(trace_id)
            return trace, next(s for s in trace.data.spans if s.span_id == span_id)
    raise AssertionError("no such span")


def _outputs(attributes: dict[str, Any]) -> Any:
    return attributes.get("mlflow.spanOutputs")


def test_an_openai_chat_call_with_tools(demo: Store) -> None:
    trace, span = span_where(
        demo,
        lambda kind, _n, a: (
            kind == "CHAT_MODEL"
            and "mlflow.chat.tools" in a
            and a.get("mlflow.message.format") == "openai"
        ),
    )
    request = request_from_span(span, trace.info.experiment_id)
    assert is_replayable(span)
    recorded = span.inputs
    assert [m.role for m in request.messages] == [m["role"] for m in recorded["messages"]]
    assert request.messages[-1].content or request.messages[-1].tool_calls
    assert [t["function"]["name"] for t in request.tools] == [
        t["function"]["name"] for t in recorded["tools"]
    ]
    assert request.model == recorded["model"] == span.model_name
    assert request.temperature == 0.2
    usage = span.token_usage
    assert usage is not None
    assert (request.recorded_input_tokens, request.recorded_output_tokens) == (
        usage.input_tokens,
        usage.output_tokens,
    )
    assert request.recorded_latency_ns == span.duration_ns
    assert request.recorded_output  # the answer's text, or its tool calls as `→ name(...)`
    assert request.experiment_id == trace.info.experiment_id
    assert (request.source_trace_id, request.source_span_id) == (span.trace_id, span.span_id)


def test_a_tool_call_answer_is_shown_as_calls(demo: Store) -> None:
    _trace, span = span_where(
        demo,
        lambda kind, _n, a: (
            kind == "CHAT_MODEL"
            and isinstance(_outputs(a), dict)
            and _outputs(a).get("choices", [{}])[0].get("finish_reason") == "tool_calls"
        ),
    )
    request = request_from_span(span)
    calls = span.outputs["choices"][0]["message"]["tool_calls"]
    for call in calls:
        assert f"→ {call['function']['name']}(" in request.recorded_output


def test_a_langchain_call_keeps_its_roles_and_answer(demo: Store) -> None:
    _trace, span = span_where(
        demo,
        lambda kind, _n, a: kind == "CHAT_MODEL" and a.get("mlflow.message.format") == "langchain",
    )
    request = request_from_span(span)
    recorded = span.inputs[0]
    kinds = {"system": "system", "human": "user", "ai": "assistant", "tool": "tool"}
    assert [m.role for m in request.messages] == [kinds[m["type"]] for m in recorded]
    assert request.messages[0].content == recorded[0]["content"]
    generation = span.outputs["generations"][0][0]
    assert request.recorded_output == generation["text"]
    assert request.format == "LangChain"


def test_a_completion_call_sends_its_prompt(demo: Store) -> None:
    _trace, span = span_where(
        demo, lambda kind, _n, a: kind == "LLM" and "max_tokens" in str(a.get("mlflow.spanInputs"))
    )
    request = request_from_span(span)
    assert [(m.role, m.content) for m in request.messages] == [("user", span.inputs["prompt"])]
    assert request.max_tokens == 256
    assert request.temperature == 0.0
    assert request.recorded_output == span.outputs["choices"][0]["text"]


def test_a_failed_call_has_no_recorded_output(demo: Store) -> None:
    _trace, span = span_where(
        demo, lambda kind, _n, a: kind == "CHAT_MODEL" and "mlflow.spanOutputs" not in a
    )
    request = request_from_span(span)
    assert request.messages
    assert request.recorded_output == ""
    assert request.recorded_input_tokens is None


def test_langchain_autolog_parameters_from_the_318_fixture(fixture318: Store) -> None:
    _trace, span = span_where(
        fixture318, lambda _k, name, a: name == "ChatOllama" and "Hello how" in str(a)
    )
    request = request_from_span(span)
    assert request.model == "llama3.2:1b"
    assert request.temperature == 0.0  # metadata.ls_temperature
    assert [(m.role, m.content) for m in request.messages] == [("user", "Hello how are you?")]
    assert request.recorded_output.startswith("Hello! I'm just a language model")
    assert request.recorded_input_tokens == 35
    assert request.tools == ()


def test_a_bare_message_list_and_a_plain_input(fixture318: Store) -> None:
    _trace, span = span_where(
        fixture318, lambda kind, _n, a: kind == "LLM" and "System prompt" in str(a)
    )
    request = request_from_span(span)
    assert [(m.role, m.content) for m in request.messages] == [
        ("system", "System prompt"),
        ("user", "Hello how are you"),
    ]
    assert "Answer of the model" in request.recorded_output
    _trace, span = span_where(fixture318, lambda kind, _n, a: kind == "LLM" and "attr1" in a)
    request = request_from_span(span)
    assert [(m.role, m.content) for m in request.messages] == [("user", "input")]
    assert request.recorded_output == "some value"
    assert request.model is None


def test_a_trace_is_replayed_through_its_root_input(demo: Store) -> None:
    trace, _span = span_where(
        demo, lambda kind, name, _a: kind == "CHAT_MODEL" and name != "reduce_summaries"
    )
    root = trace.data.root_span
    assert root is not None
    request = request_from_trace(trace)
    assert request is not None
    assert request.source_trace_id == trace.info.trace_id
    if request.source_span_id is None:  # a non-chat root: its input is the user message
        assert len(request.messages) == 1
        assert request.messages[0].role == "user"
        assert request.messages[0].content
        assert request.recorded_latency_ns == root.duration_ns
    else:
        assert request.source_span_id == root.span_id


def test_a_trace_with_a_chat_root_is_replayed_as_that_chat(fixture318: Store) -> None:
    trace, span = span_where(
        fixture318, lambda kind, _n, a: kind == "LLM" and "System prompt" in str(a)
    )
    assert trace.data.root_span is span
    request = request_from_trace(trace)
    assert request is not None
    assert request.source_span_id == span.span_id
    assert request.messages[0].content == "System prompt"
