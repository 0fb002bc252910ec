"""`core.langchain.autolog()` records real LangChain calls as MLflow 3.18's autolog does.

Every test drives the real `langchain_ollama.ChatOllama` against the stand-in Ollama server and
reads back what landed in the database through `core.search_traces` / `core.get_trace`.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langchain_ollama import ChatOllama
from ollama import ResponseError

import core
import core.langchain
from core import tracking
from core.entities import Span, Trace
from tests.ollama_server import TUTORIAL_ANSWERS, OllamaStandIn

MODEL = "llama3.2:1b"
HELLO = "Hello how are you?"


@pytest.fixture
def tracking_db(tmp_path: Path) -> Iterator[Path]:
    """A fresh database (created by the first trace) with LangChain autologging on."""
    path = tmp_path / "mlflow.db"
    core.set_tracking_uri(f"sqlite:///{path}")
    core.langchain.autolog()
    yield path
    core.langchain.autolog(disable=True)
    core.flush_trace_async_logging()
    tracking.reset()


@pytest.fixture
def llm(ollama_server: OllamaStandIn) -> Iterator[ChatOllama]:
    # temperature=0 as in the tutorial that produced the 3.18 fixture
    model = ChatOllama(base_url=ollama_server.url, model=MODEL, temperature=0)
    yield model
    model._client.close()  # ChatOllama never closes its HTTP client (ResourceWarning)


def traces() -> list[Trace]:
    """Every trace of the Default experiment, oldest first (by root start, to the nanosecond)."""
    core.flush_trace_async_logging()
    frame = core.search_traces(order_by=["timestamp_ms ASC"])
    found = [t for t in (core.get_trace(i) for i in frame.trace_id) if t is not None]
    return sorted(found, key=lambda t: min((s.start_time_ns for s in t.data.spans), default=0))


def only_trace() -> Trace:
    found = traces()
    assert len(found) == 1, [t.info.name for t in found]
    return found[0]


def tree(trace: Trace) -> list[tuple[str, str | None, str | None]]:
    """(name, span type, parent name) of every span, in start order."""
    names = {s.span_id: s.name for s in trace.data.spans}
    ordered = sorted(trace.data.spans, key=lambda s: s.start_time_ns)
    return [(s.name, s.span_type, names.get(s.parent_id or "")) for s in ordered]


def spans_named(trace: Trace, name: str) -> list[Span]:
    return sorted((s for s in trace.data.spans if s.name == name), key=lambda s: s.start_time_ns)


def user_message(content: str) -> dict[str, Any]:
    return {
        "role": "user",
        "content": content,
        "tool_calls": None,
        "refusal": None,
        "tool_call_id": None,
    }


def answer(content: str) -> dict[str, Any]:
    message = {**user_message(content), "role": "assistant"}
    return {"choices": [{"message": message, "finish_reason": None}]}


# --------------------------------------------------------------------------- chat models


def fixture_chat_span(db318: Path) -> dict[str, Any]:
    """The ChatOllama span MLflow 3.18 recorded for the tutorial's "Hello how are you?"."""
    with sqlite3.connect(db318) as db:
        query = "SELECT content FROM spans WHERE name = 'ChatOllama' LIMIT 1"
        (content,) = db.execute(query).fetchone()
    document: dict[str, Any] = json.loads(content)
    return document


def test_invoke_matches_the_attributes_mlflow_wrote(
    tracking_db: Path, llm: ChatOllama, db318: Path
) -> None:
    assert llm.invoke(HELLO).content == TUTORIAL_ANSWERS[HELLO]
    (span,) = only_trace().data.spans
    real = fixture_chat_span(db318)["attributes"]
    ours = dict(span.raw_attributes)
    assert list(ours) == list(real)  # same keys, same order
    for key in real:
        if key not in ("mlflow.traceRequestId", "metadata"):
            assert ours[key] == real[key], key  # the same JSON text
    # metadata is LangChain's own; only the installed package versions differ
    no_versions = {"lc_versions": None}
    assert {**span.attributes["metadata"], **no_versions} == {
        **json.loads(real["metadata"]),
        **no_versions,
    }
    assert (span.name, span.span_type, span.status_code) == ("ChatOllama", "CHAT_MODEL", "OK")


def test_invoke_matches_the_events_and_trace_mlflow_wrote(
    tracking_db: Path, llm: ChatOllama, db318: Path
) -> None:
    llm.invoke(HELLO)
    trace = only_trace()
    events = trace.data.spans[0].events
    real = fixture_chat_span(db318)["events"]
    assert [e.name for e in events] == [e["name"] for e in real]
    assert [e.attributes["token"] for e in events] == [e["attributes"]["token"] for e in real]
    assert events[0].attributes["chunk"] == real[0]["attributes"]["chunk"]
    assert trace.info.request_preview == HELLO
    assert trace.info.response_preview == TUTORIAL_ANSWERS[HELLO]
    assert trace.info.name == "ChatOllama"
    usage = trace.info.token_usage
    assert usage is not None
    assert usage.to_dict() == {"input_tokens": 35, "output_tokens": 25, "total_tokens": 60}


def test_invoke_stores_openai_chat_format_and_model(tracking_db: Path, llm: ChatOllama) -> None:
    llm.invoke(HELLO)
    (span,) = only_trace().data.spans
    assert span.inputs == {"messages": [user_message(HELLO)]}
    assert span.outputs == answer(TUTORIAL_ANSWERS[HELLO])
    assert span.attributes["mlflow.message.format"] == "langchain"
    assert span.attributes["mlflow.llm.model"] == MODEL
    assert span.attributes["mlflow.llm.provider"] == "ollama"
    assert span.attributes["invocation_params"] == {"_type": "chat-ollama", "stop": None}
    assert span.attributes["batch_size"] == 1
    assert span.attributes["mlflow.spanLogLevel"] == 20
    assert "mlflow.chat.tools" not in span.attributes


def test_stream_records_each_token_as_an_event(
    tracking_db: Path, llm: ChatOllama, ollama_server: OllamaStandIn
) -> None:
    question = "Who wrote Romeo and Juliet?"
    streamed = "".join(str(chunk.content) for chunk in llm.stream(question))
    assert streamed == "William Shakespeare"
    assert ollama_server.chat_requests[-1]["stream"] is True
    (span,) = only_trace().data.spans
    tokens = [e.attributes["token"] for e in span.events if e.name == "new_token"]
    assert "".join(tokens) == streamed
    chunk = json.loads(span.events[0].attributes["chunk"])
    assert chunk["id"][-1] == "ChatGenerationChunk"  # LangChain's own serialisation
    assert chunk["kwargs"]["text"] == "William "
    assert span.outputs == answer("William Shakespeare")
    assert span.token_usage is not None
    assert span.token_usage.to_dict() == {
        "input_tokens": 36,
        "output_tokens": 2,
        "total_tokens": 38,
    }


def test_server_error_gives_an_error_span_and_reraises(
    tracking_db: Path, llm: ChatOllama, ollama_server: OllamaStandIn
) -> None:
    ollama_server.configure(fail_status=500)
    with pytest.raises(ResponseError, match="llama runner process has terminated") as raised:
        llm.invoke("This will fail")
    trace = only_trace()
    (span,) = trace.data.spans
    assert trace.info.state == "ERROR"
    assert span.status_code == "ERROR"
    assert span.status_message == str(raised.value)  # MLflow: str(error), no type prefix
    (event,) = span.events
    assert event.name == "exception"
    assert set(event.attributes) == {"exception.message", "exception.type", "exception.stacktrace"}
    assert event.attributes["exception.type"] == "ResponseError"
    assert "Traceback" in event.attributes["exception.stacktrace"]
    assert span.attributes["mlflow.spanLogLevel"] == 40
    assert span.inputs == {"messages": [user_message("This will fail")]}
    assert span.outputs is None and span.token_usage is None


# --------------------------------------------------------------------------- chains, tools


def test_prompt_model_parser_chain(tracking_db: Path, llm: ChatOllama) -> None:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are brief."), ("human", "{question}")]
    )
    question = "What is the Scotland's national animal?"
    assert (prompt | llm | StrOutputParser()).invoke({"question": question}) == "Unicorn"
    trace = only_trace()
    assert tree(trace) == [
        ("RunnableSequence", "CHAIN", None),
        ("ChatPromptTemplate", "CHAIN", "RunnableSequence"),
        ("ChatOllama", "CHAT_MODEL", "RunnableSequence"),
        ("StrOutputParser", "CHAIN", "RunnableSequence"),
    ]
    root, template, model, parser = (spans_named(trace, n)[0] for n, _, _ in tree(trace))
    assert root.inputs == {"question": question} and root.outputs == "Unicorn"
    assert [m["type"] for m in template.outputs["messages"]] == ["system", "human"]
    assert model.inputs["messages"][0]["role"] == "system"
    assert parser.inputs["content"] == "Unicorn" and parser.outputs == "Unicorn"
    assert root.attributes["mlflow.spanLogLevel"] == 10  # MLflow: chains are DEBUG
    assert trace.info.request_preview == json.dumps({"question": question})
    assert trace.info.response_preview == '"Unicorn"'
    usage = trace.info.token_usage
    assert usage is not None and usage == model.token_usage


@tool
def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"Sunny in {city}"


def weather_agent(llm: ChatOllama) -> Trace:
    """A tool-calling loop by hand under `@core.trace`; returns its trace."""

    @core.trace(name="agent")
    def run_agent(question: str) -> str:
        bound = llm.bind_tools([get_weather])
        messages: list[Any] = [HumanMessage(question)]
        reply = bound.invoke(messages)
        messages.append(reply)
        messages.extend(get_weather.invoke(call) for call in reply.tool_calls)
        return str(bound.invoke(messages).content)

    assert run_agent("Paris") == "The tool returned: Sunny in Paris"
    return only_trace()


def test_tool_calling_loop_nests_under_the_traced_function(
    tracking_db: Path, llm: ChatOllama, ollama_server: OllamaStandIn
) -> None:
    trace = weather_agent(llm)
    assert [r["tools"][0]["function"]["name"] for r in ollama_server.chat_requests] == [
        "get_weather",
        "get_weather",
    ]
    assert tree(trace) == [
        ("agent", "UNKNOWN", None),
        ("ChatOllama", "CHAT_MODEL", "agent"),
        ("get_weather", "TOOL", "agent"),
        ("ChatOllama", "CHAT_MODEL", "agent"),
    ]
    first, second = spans_named(trace, "ChatOllama")
    expected = {
        key: first.attributes["mlflow.chat.tokenUsage"][key]
        + second.attributes["mlflow.chat.tokenUsage"][key]
        for key in ("input_tokens", "output_tokens", "total_tokens")
    }
    usage = trace.info.token_usage
    assert usage is not None and usage.to_dict() == expected  # summed over both calls


def test_tool_calls_in_messages_tools_and_tool_span(tracking_db: Path, llm: ChatOllama) -> None:
    trace = weather_agent(llm)
    first, second = spans_named(trace, "ChatOllama")
    (call,) = first.outputs["choices"][0]["message"]["tool_calls"]
    assert first.outputs["choices"][0]["message"]["content"] is None
    assert call["type"] == "function"
    assert call["function"] == {"name": "get_weather", "arguments": json.dumps({"city": "Paris"})}
    assert [m["role"] for m in second.inputs["messages"]] == ["user", "assistant", "tool"]
    assert second.inputs["messages"][2]["tool_call_id"] == call["id"]
    tools = first.attributes["mlflow.chat.tools"]
    assert tools[0]["function"]["name"] == "get_weather"
    assert tools[0]["function"]["parameters"]["required"] == ["city"]
    (tool_span,) = spans_named(trace, "get_weather")
    assert tool_span.inputs == {"city": "Paris"}
    assert tool_span.outputs["content"] == "Sunny in Paris"
    assert tool_span.attributes["tool_call_id"] == call["id"]
    assert tool_span.attributes["mlflow.spanLogLevel"] == 20


@core.trace
def shout(text: str) -> str:
    return text.upper()


@tool
def shouting_tool(text: str) -> str:
    """Shout the text."""
    return shout(text)


def test_spans_opened_inside_a_tool_nest_under_it(tracking_db: Path, llm: ChatOllama) -> None:
    @tool
    def ask(question: str) -> str:
        """Ask the model inside a span of our own."""
        with core.start_span("inside tool"):
            return str(llm.invoke(question).content)

    assert shouting_tool.invoke({"text": "hi"}) == "HI"
    ask.invoke({"question": HELLO})
    shouted, asked = traces()
    assert tree(shouted) == [("shouting_tool", "TOOL", None), ("shout", "UNKNOWN", "shouting_tool")]
    assert tree(asked) == [
        ("ask", "TOOL", None),
        ("inside tool", "UNKNOWN", "ask"),
        ("ChatOllama", "CHAT_MODEL", "inside tool"),
    ]


def test_chain_inside_start_span_and_batches_stay_siblings(
    tracking_db: Path, llm: ChatOllama
) -> None:
    chain = RunnableLambda(lambda text: f"Say {text}") | llm
    with core.start_span("outer") as outer:
        outer.set_inputs("x")
        chain.batch(["a", "b"])
    assert core.get_current_active_span() is None
    trace = only_trace()
    by_parent = [(name, parent) for name, _, parent in tree(trace) if name != "outer"]
    assert by_parent.count(("RunnableSequence", "outer")) == 2
    sequences = {s.span_id for s in spans_named(trace, "RunnableSequence")}
    for model in spans_named(trace, "ChatOllama"):
        assert model.parent_id in sequences
    assert sorted(s.inputs for s in spans_named(trace, "RunnableSequence")) == ["a", "b"]


class Library(BaseRetriever):
    """A retriever with one fixed document per query."""

    def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        return [Document(page_content=f"doc about {query}", metadata={"source": "kb"}, id="d1")]


def test_retriever_span(tracking_db: Path) -> None:
    chain = Library() | RunnableLambda(lambda docs: docs[0].page_content)
    assert chain.invoke("cats") == "doc about cats"
    trace = only_trace()
    assert tree(trace) == [
        ("RunnableSequence", "CHAIN", None),
        ("Library", "RETRIEVER", "RunnableSequence"),
        ("RunnableLambda", "CHAIN", "RunnableSequence"),
    ]
    (retriever,) = spans_named(trace, "Library")
    assert retriever.inputs == "cats"
    assert retriever.outputs == [
        {"page_content": "doc about cats", "metadata": {"source": "kb"}, "id": "d1"}
    ]
    assert retriever.attributes["metadata"] == {"ls_retriever_name": "library"}


def test_tool_error_marks_tool_and_chain(tracking_db: Path) -> None:
    @tool
    def broken(n: int) -> int:
        """Always fails."""
        raise ValueError("tool broke")

    with pytest.raises(ValueError, match="tool broke"):
        (RunnableLambda(lambda n: {"n": n}) | broken).invoke(3)
    trace = only_trace()
    assert trace.info.state == "ERROR"
    statuses = {s.name: (s.status_code, s.status_message) for s in trace.data.spans}
    assert statuses == {
        "RunnableSequence": ("ERROR", "tool broke"),
        "RunnableLambda": ("OK", ""),
        "broken": ("ERROR", "tool broke"),
    }


def test_async_chain_and_tool_nest(tracking_db: Path, llm: ChatOllama) -> None:
    @tool
    async def double(n: int) -> int:
        """Double a number."""
        return len(shout("x" * n))

    async def main() -> None:
        await (RunnableLambda(lambda text: text) | llm).ainvoke(HELLO)
        await double.ainvoke({"n": 2})
        await llm._async_client.close()  # its connections belong to this event loop

    asyncio.run(main())
    chain, tool_trace = traces()
    assert [name for name, _, _ in tree(chain)] == [
        "RunnableSequence",
        "RunnableLambda",
        "ChatOllama",
    ]
    assert tree(tool_trace) == [("double", "TOOL", None), ("shout", "UNKNOWN", "double")]


# --------------------------------------------------------------------------- autolog switch


def test_autolog_is_idempotent_and_can_be_disabled(tracking_db: Path, llm: ChatOllama) -> None:
    core.langchain.autolog()  # a second call adds no second handler
    llm.invoke(HELLO)
    assert [len(t.data.spans) for t in traces()] == [1]
    core.langchain.autolog(disable=True)
    llm.invoke(HELLO)
    assert len(traces()) == 1
    core.langchain.autolog()
    llm.invoke(HELLO)
    assert len(traces()) == 2


def test_calls_from_other_threads_are_traced(tracking_db: Path, llm: ChatOllama) -> None:
    worker = threading.Thread(target=llm.invoke, args=(HELLO,))
    worker.start()
    worker.join()
    assert only_trace().info.name == "ChatOllama"


def test_abandoned_stream_ends_its_span_and_leaves_no_current_span(
    tracking_db: Path, llm: ChatOllama
) -> None:
    for _chunk in llm.stream(HELLO):
        break
    assert core.get_current_active_span() is None
    with core.start_span("next"):
        pass
    abandoned, following = traces()
    assert abandoned.info.state == "ERROR"  # MLflow records the GeneratorExit the same way
    assert [e.name for e in abandoned.data.spans[0].events] == ["new_token", "exception"]
    assert tree(following) == [("next", "UNKNOWN", None)]


# --------------------------------------------------------------------------- conversions


def test_chat_message_formats() -> None:
    tool_call = {"name": "f", "args": {"a": 1}, "id": "call_1", "type": "tool_call"}
    ai = AIMessage(content="", tool_calls=[tool_call])
    assert core.langchain.chat_message(ai) == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
        ],
        "refusal": None,
        "tool_call_id": None,
    }
    tool_reply = core.langchain.chat_message(ToolMessage(content="3", tool_call_id="call_1"))
    assert (tool_reply["role"], tool_reply["tool_call_id"]) == ("tool", "call_1")
    parts = [
        {"type": "text", "text": "look", "id": "x"},
        {"type": "image_url", "image_url": {"url": "u"}},
    ]
    assert core.langchain.chat_message(HumanMessage(content=parts))["content"] == [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "u", "detail": None}},
    ]


def test_unconvertible_messages_keep_langchain_shape() -> None:
    odd = [[HumanMessage(content=[{"type": "video", "url": "v"}])]]
    assert core.langchain.chat_inputs(odd) is odd  # MLflow falls back to the raw messages
    batch = [[HumanMessage("a")], [HumanMessage("b")]]
    assert core.langchain.chat_inputs(batch) is batch


def test_token_usage_names_and_streaming() -> None:
    openai_style = AIMessage(
        content="x", response_metadata={"token_usage": {"prompt_tokens": 3, "completion_tokens": 4}}
    )
    assert core.langchain.token_usage([ChatGeneration(message=openai_style)]) == {
        "input_tokens": 3,
        "output_tokens": 4,
        "total_tokens": 7,
    }
    usage = {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}
    chunks = [
        ChatGenerationChunk(message=AIMessageChunk(content="a", usage_metadata=usage)),
        ChatGenerationChunk(message=AIMessageChunk(content="b")),
        ChatGenerationChunk(
            message=AIMessageChunk(content="", usage_metadata={**usage, "total_tokens": 9})
        ),
    ]
    assert core.langchain.token_usage(chunks) == {**usage, "total_tokens": 9}  # streamed: the last


def test_chat_tools_follow_mlflow_chat_tool() -> None:
    openai_tool = {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add",
            "parameters": {
                "title": "add",
                "required": ["a"],
                "type": "object",
                "properties": {"a": {"title": "A", "type": "integer"}},
            },
        },
    }
    other = {"name": "search", "description": "Search the web", "input_schema": {}}
    assert core.langchain.chat_tools({"tools": [openai_tool, other, {"nameless": 1}]}) == [
        {
            "type": "function",
            "function": {
                "name": "add",
                "description": "Add",
                "parameters": {
                    "properties": {"a": {"type": "integer"}},
                    "type": "object",
                    "required": ["a"],
                },
            },
        },
        {"type": "function", "function": {"name": "search", "description": "Search the web"}},
    ]
