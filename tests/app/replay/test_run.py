"""A replay run with the real `langchain-ollama` client against the stand-in Ollama server:
streaming, parameters, tool calls, errors, a stream that breaks off, Stop, and the replay
written as a trace tagged with what it replays."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.prompts.try_call import Cancelled
from app.replay.request import ReplayMessage
from app.replay.run import ReplayFailed, ReplayRun, run_replay
from core import query
from core.client import Client
from tests.ollama_server import (
    DEFAULT_MODEL,
    TUTORIAL_ANSWERS,
    OllamaStandIn,
    split_into_pieces,
)

QUESTION = "Hello how are you?"
SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search_docs",
        "description": "Search the documentation",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
    },
}


class Token:
    """The job pool's token: `cancelled`, and the batches of text reported."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.cancelled = False
        self.batches: list[str] = []
        self._cancel_after = cancel_after

    def report(self, done: int, total: int, payload: object = None) -> None:
        self.batches.append(str(payload))
        if self._cancel_after is not None and len(self.batches) >= self._cancel_after:
            self.cancelled = True


def replay(url: str, **changes: object) -> ReplayRun:
    fields: dict[str, object] = {
        "url": url,
        "model": DEFAULT_MODEL,
        "messages": (ReplayMessage("system", "Be kind."), ReplayMessage("user", QUESTION)),
        "source_trace_id": "tr-0123456789abcdef0123456789abcdef",
        "source_span_id": "0123456789abcdef",
        "source_name": "ChatOllama",
    }
    return ReplayRun(**{**fields, **changes})  # type: ignore[arg-type]


def test_the_answer_streams_in_with_its_parameters_and_counts(ollama_server: OllamaStandIn) -> None:
    token = Token()
    result = run_replay(token, replay(ollama_server.url, temperature=0.3, max_tokens=80, seed=7))
    assert result.text == TUTORIAL_ANSWERS[QUESTION]
    assert "".join(token.batches) == result.text
    assert token.batches  # delivered while it streamed, in batches
    sent = ollama_server.chat_requests[-1]
    assert sent["stream"] is True
    assert sent["options"] == {"temperature": 0.3, "num_predict": 80, "seed": 7}
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert result.output_tokens == len(TUTORIAL_ANSWERS[QUESTION].split())
    assert result.input_tokens is not None and result.input_tokens > 0
    assert result.latency_ns > 0
    assert result.first_chunk_ns is not None and result.first_chunk_ns <= result.latency_ns
    assert (result.trace_id, result.saved) == (None, False)
    assert "read-only" in result.note


def test_max_tokens_cuts_the_answer(ollama_server: OllamaStandIn) -> None:
    result = run_replay(Token(), replay(ollama_server.url, max_tokens=3))
    assert result.text == "".join(split_into_pieces(TUTORIAL_ANSWERS[QUESTION])[:3])
    assert result.output_tokens == 3


def test_tools_are_offered_and_a_tool_call_is_the_answer(ollama_server: OllamaStandIn) -> None:
    run = replay(
        ollama_server.url,
        messages=(ReplayMessage("user", "rate limits"),),
        tools=(SEARCH_TOOL,),
    )
    result = run_replay(Token(), run)
    assert ollama_server.chat_requests[-1]["tools"][0]["function"]["name"] == "search_docs"
    assert result.text == '→ search_docs({"query": "rate limits"})'


def test_a_conversation_with_tool_calls_is_sent_again(ollama_server: OllamaStandIn) -> None:
    from app.messages.formats import ToolCall

    call = ToolCall("search_docs", '{"query": "x"}', "call_1", True)
    messages = (
        ReplayMessage("user", "look it up"),
        ReplayMessage("assistant", "", (call,)),
        ReplayMessage("tool", "60 per minute", tool_call_id="call_1"),
    )
    result = run_replay(Token(), replay(ollama_server.url, messages=messages, tools=(SEARCH_TOOL,)))
    sent = ollama_server.chat_requests[-1]["messages"]
    assert sent[1]["tool_calls"][0]["function"]["name"] == "search_docs"
    assert sent[2]["role"] == "tool"
    assert result.text == "The tool returned: 60 per minute"


def test_an_ollama_error_is_said_clearly(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(fail_status=500)
    with pytest.raises(ReplayFailed, match=r"answered with an error \(500\): llama runner"):
        run_replay(Token(), replay(ollama_server.url))


def test_an_unknown_model_is_named(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(strict_models=True)
    with pytest.raises(ReplayFailed, match="has no model 'nope:1b'"):
        run_replay(Token(), replay(ollama_server.url, model="nope:1b"))


def test_a_server_that_stops_mid_stream(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(drop_after_chunks=4)
    with pytest.raises(ReplayFailed, match="stopped in the middle of the answer, after 4") as got:
        run_replay(Token(), replay(ollama_server.url))
    assert got.value.partial == "".join(split_into_pieces(TUTORIAL_ANSWERS[QUESTION])[:4])


def test_a_server_that_closes_before_answering(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(drop_after_chunks=0)
    with pytest.raises(ReplayFailed, match="closed the connection before answering"):
        run_replay(Token(), replay(ollama_server.url))


def test_a_server_that_is_down(ollama_server: OllamaStandIn) -> None:
    url = ollama_server.url
    ollama_server.stop()
    with pytest.raises(ReplayFailed, match="not answering at"):
        run_replay(Token(), replay(url))


def test_stop_ends_the_stream_between_chunks(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(chunk_delay=0.06)
    token = Token(cancel_after=1)
    with pytest.raises(Cancelled):
        run_replay(token, replay(ollama_server.url))
    assert len(token.batches) == 1
    assert len(token.batches[0]) < len(TUTORIAL_ANSWERS[QUESTION])


def test_the_replay_is_written_as_a_tagged_trace(ollama_server: OllamaStandIn, db318: Path) -> None:
    client = Client(f"sqlite:///{db318}")
    try:
        reader = client.store().reader
        source = reader.search_trace_ids(None, max_results=1)[0]
        run = replay(ollama_server.url, client=client, source_trace_id=source, experiment_id="0")
        result = run_replay(Token(), run)
        assert result.saved and result.trace_id is not None
        assert result.note == f"Traced as {result.trace_id} (tag {query.REPLAY_OF_TRACE_TAG})."
        trace = client.get_trace(result.trace_id)
        assert trace is not None
        assert trace.info.tags[query.REPLAY_OF_TRACE_TAG] == source
        assert trace.info.tags[query.REPLAY_OF_SPAN_TAG] == "0123456789abcdef"
        root = trace.data.root_span
        assert root is not None and root.name == "replay: ChatOllama"
        assert root.outputs == TUTORIAL_ANSWERS[QUESTION]
        assert [s.span_type for s in trace.data.spans if s is not root] == ["CHAT_MODEL"]
        found = reader.search_trace_ids(None, filter_string=f"trace.replay_of = '{source}'")
        assert found == [result.trace_id]
    finally:
        client.close()


def test_a_stopped_replay_is_written_as_an_error(ollama_server: OllamaStandIn, db318: Path) -> None:
    ollama_server.configure(chunk_delay=0.06)
    client = Client(f"sqlite:///{db318}")
    try:
        with pytest.raises(Cancelled):
            run_replay(Token(cancel_after=1), replay(ollama_server.url, client=client))
        assert client.flush_traces(30)
        reader = client.store().reader
        ids = reader.search_trace_ids(None, filter_string="trace.replay_of IS NOT NULL")
        assert len(ids) == 1
        assert reader.trace_info(ids[0]).state == "ERROR"
    finally:
        client.close()
