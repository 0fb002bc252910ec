"""The stand-in Ollama server, driven by the real `ChatOllama` and `ollama` clients."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any, Literal

import httpx
import ollama
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_ollama import ChatOllama
from pydantic import BaseModel

from tests.ollama_server import (
    TUTORIAL_ANSWERS,
    OllamaStandIn,
    created_at,
    generation_metrics,
    prompt_eval_count,
    split_into_pieces,
)

pytest_plugins = ["tests.ollama_fixtures"]

MODEL = "llama3.2:1b"
FIXTURE_318 = Path(__file__).parent / "fixtures" / "mlflow-3.18-tutorial" / "expected.json"


def chat_model(server: OllamaStandIn, **kwargs: Any) -> ChatOllama:
    """The tutorial's chat model, pointed at the stand-in."""
    return ChatOllama(model=MODEL, base_url=server.url, temperature=0, **kwargs)


def tutorial_llm_calls() -> list[tuple[str, str, dict[str, int]]]:
    """(question, answer, token usage) of every ChatOllama trace in the 3.18 fixture."""
    expected = json.loads(FIXTURE_318.read_text("utf-8"))
    calls = []
    for experiment in expected["experiments"]:
        for trace in experiment["traces"]:
            if trace["tags"].get("mlflow.traceName") == "ChatOllama":
                usage = json.loads(trace["trace_metadata"]["mlflow.trace.tokenUsage"])
                calls.append((trace["request_preview"], trace["response_preview"], usage))
    return calls


def aggregate(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


@tool
def get_weather(city: str, days: int) -> str:
    """Weather forecast for a city over a number of days."""
    return f"Sunny in {city} for {days} days"


class Verdict(BaseModel):
    """A judge's structured answer."""

    result: Literal["yes", "no"]
    rationale: str


JUDGE_PROMPT = (
    "Consider the question and the answer below. Reply in JSON with a 'rationale' and a "
    "'result' that is either yes or no.\n<question>Who wrote Romeo and Juliet?</question>\n"
    "<answer>William Shakespeare</answer>"
)


# --------------------------------------------------------------------------- answers and counts


def test_reproduces_the_tutorial_fixture_answers_and_token_counts(
    ollama_server: OllamaStandIn,
) -> None:
    calls = tutorial_llm_calls()
    assert len(calls) == 4
    chat = chat_model(ollama_server)
    for question, answer, usage in calls:
        reply = chat.invoke(question)
        assert reply.content == answer == TUTORIAL_ANSWERS[question]
        assert reply.usage_metadata is not None
        assert reply.usage_metadata["input_tokens"] == usage["input_tokens"]
        assert reply.usage_metadata["output_tokens"] == usage["output_tokens"]


def test_final_chunk_carries_ollama_metrics(ollama_server: OllamaStandIn) -> None:
    reply = chat_model(ollama_server).invoke("Hello how are you?")
    meta = reply.response_metadata
    assert meta["model"] == MODEL
    assert meta["done"] is True
    assert meta["done_reason"] == "stop"
    expected = generation_metrics(35, 25)
    for key in ("total_duration", "load_duration", "prompt_eval_count", "eval_count"):
        assert meta[key] == expected[key]
    assert meta["prompt_eval_duration"] == expected["prompt_eval_duration"]
    assert meta["eval_duration"] == expected["eval_duration"]
    assert meta["created_at"].endswith("Z")


def test_fallback_answer_is_derived_from_the_prompt(ollama_server: OllamaStandIn) -> None:
    reply = chat_model(ollama_server).invoke("What colour is the sky on Mars?")
    assert reply.content == "You said: What colour is the sky on Mars?"
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["output_tokens"] == len(split_into_pieces(str(reply.content)))


def test_custom_answers_and_prompt_count_over_all_messages() -> None:
    with OllamaStandIn(answers={"Ping?": "Pong!"}) as server:
        messages = [("system", "You are terse."), ("human", "Ping?")]
        reply = chat_model(server).invoke(messages)
    assert reply.content == "Pong!"
    assert reply.usage_metadata is not None
    sent = [{"content": "You are terse."}, {"content": "Ping?"}]
    assert reply.usage_metadata["input_tokens"] == prompt_eval_count(sent)


def test_num_predict_cuts_the_answer_with_done_reason_length(
    ollama_server: OllamaStandIn,
) -> None:
    reply = chat_model(ollama_server, num_predict=3).invoke("Hello how are you?")
    assert reply.content == "Hello! I'm just "
    assert reply.response_metadata["done_reason"] == "length"
    assert reply.response_metadata["eval_count"] == 3


# --------------------------------------------------------------------------- streaming


def test_stream_sends_one_chunk_per_word_then_a_done_chunk(ollama_server: OllamaStandIn) -> None:
    chunks = list(chat_model(ollama_server).stream("Who wrote Romeo and Juliet?"))
    texts = [chunk.content for chunk in chunks if chunk.content]
    assert texts == ["William ", "Shakespeare"]
    total = aggregate(chunks)
    assert total.content == "William Shakespeare"
    assert total.usage_metadata == {"input_tokens": 36, "output_tokens": 2, "total_tokens": 38}
    assert total.response_metadata["done_reason"] == "stop"


def test_raw_ndjson_wire_format(ollama_server: OllamaStandIn) -> None:
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Who wrote Romeo and Juliet?"}],
    }
    with httpx.stream("POST", f"{ollama_server.url}/api/chat", json=body) as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert [line["done"] for line in lines] == [False, False, True]
    assert lines[0]["message"] == {"role": "assistant", "content": "William "}
    final = lines[-1]
    assert list(final)[:5] == ["model", "created_at", "message", "done_reason", "done"]
    assert set(generation_metrics(1, 1)) <= set(final)


def test_non_streaming_request_gets_one_object(ollama_server: OllamaStandIn) -> None:
    reply = chat_model(ollama_server).invoke("Who wrote Romeo and Juliet?", stream=False)
    assert reply.content == "William Shakespeare"
    assert ollama_server.chat_requests[-1]["stream"] is False
    raw = ollama.Client(host=ollama_server.url).chat(
        model=MODEL, messages=[{"role": "user", "content": "Hello how are you?"}], stream=False
    )
    assert raw.message.content == TUTORIAL_ANSWERS["Hello how are you?"]
    assert raw.done is True
    assert raw.eval_count == 25


def test_async_client_streams_too(ollama_server: OllamaStandIn) -> None:
    async def run() -> list[AIMessageChunk]:
        chat = chat_model(ollama_server)
        return [chunk async for chunk in chat.astream("What is the Scotland's national animal?")]

    chunks = asyncio.run(run())
    assert aggregate(chunks).content == "Unicorn"


# --------------------------------------------------------------------------- tools


def test_bind_tools_answers_with_a_call_to_the_first_tool(ollama_server: OllamaStandIn) -> None:
    question = "What is the weather in Paris for the next 3 days?"
    reply = chat_model(ollama_server).bind_tools([get_weather]).invoke(question)
    assert reply.content == ""
    assert len(reply.tool_calls) == 1
    call = reply.tool_calls[0]
    assert call["name"] == "get_weather"
    assert call["args"] == {"city": question, "days": 3}
    sent = ollama_server.chat_requests[-1]
    assert sent["tools"][0]["function"]["name"] == "get_weather"


def test_tool_result_turn_gets_a_text_answer(ollama_server: OllamaStandIn) -> None:
    chat = chat_model(ollama_server).bind_tools([get_weather])
    question = HumanMessage("Weather in Oslo for 2 days?")
    call = chat.invoke([question])
    assert isinstance(call, AIMessage)
    result = get_weather.invoke(call.tool_calls[0])
    assert isinstance(result, ToolMessage)
    final = chat.invoke([question, call, result])
    assert final.content == f"The tool returned: {result.content}"
    assert final.tool_calls == []
    roles = [message["role"] for message in ollama_server.chat_requests[-1]["messages"]]
    assert roles == ["user", "assistant", "tool"]


def test_tool_calls_can_be_switched_off(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(tool_calls=False)
    reply = (
        chat_model(ollama_server).bind_tools([get_weather]).invoke("Who wrote Romeo and Juliet?")
    )
    assert reply.content == "William Shakespeare"
    assert reply.tool_calls == []


def test_streamed_tool_call(ollama_server: OllamaStandIn) -> None:
    chat = chat_model(ollama_server).bind_tools([get_weather])
    total = aggregate(list(chat.stream("Weather in Rome for 5 days?")))
    assert [call["name"] for call in total.tool_calls] == ["get_weather"]
    assert total.tool_calls[0]["args"]["days"] == 5


# --------------------------------------------------------------------------- model endpoints


def test_tags_show_version_ps(ollama_server: OllamaStandIn) -> None:
    client = ollama.Client(host=ollama_server.url)
    assert [model.model for model in client.list().models] == [MODEL]
    shown = client.show(MODEL)
    assert shown.details is not None
    assert shown.details.family == "llama"
    assert shown.capabilities == ["completion", "tools"]
    assert shown.modelinfo is not None
    assert shown.modelinfo["general.architecture"] == "llama"
    assert [model.model for model in client.ps().models] == [MODEL]
    version = httpx.get(f"{ollama_server.url}/api/version").json()
    assert version == {"version": ollama_server.version}
    assert httpx.get(ollama_server.url).text == "Ollama is running"


def test_show_unknown_model_is_404(ollama_server: OllamaStandIn) -> None:
    with pytest.raises(ollama.ResponseError) as caught:
        ollama.Client(host=ollama_server.url).show("mistral:7b")
    assert caught.value.status_code == 404


def test_validate_model_on_init_uses_tags(ollama_server: OllamaStandIn) -> None:
    chat_model(ollama_server, validate_model_on_init=True)
    with pytest.raises(ValueError, match="not found in Ollama"):
        ChatOllama(model="mistral", base_url=ollama_server.url, validate_model_on_init=True)


def test_strict_models_rejects_unpulled_model(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(strict_models=True)
    chat = ChatOllama(model="mistral:7b", base_url=ollama_server.url)
    with pytest.raises(ollama.ResponseError) as caught:
        chat.invoke("hi")
    assert caught.value.status_code == 404
    assert "try pulling it first" in caught.value.error


def test_ollama_host_fixture_reaches_default_clients(ollama_host: OllamaStandIn) -> None:
    reply = ChatOllama(model=MODEL).invoke("Who wrote Romeo and Juliet?")
    assert reply.content == "William Shakespeare"
    assert ollama_host.wait_for_requests(1, path="/api/chat")


# --------------------------------------------------------------------------- failure switches


def test_fail_with_http_500(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(fail_status=500, fail_message="out of memory")
    with pytest.raises(ollama.ResponseError) as caught:
        chat_model(ollama_server).invoke("Hello how are you?")
    assert caught.value.status_code == 500
    assert caught.value.error == "out of memory"


def test_fail_times_then_recover(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(fail_status=503, fail_times=1)
    chat = chat_model(ollama_server)
    with pytest.raises(ollama.ResponseError):
        chat.invoke("Who wrote Romeo and Juliet?")
    assert chat.invoke("Who wrote Romeo and Juliet?").content == "William Shakespeare"


def test_drop_connection_mid_stream(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(drop_after_chunks=3)
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        for chunk in chat_model(ollama_server).stream("Hello how are you?"):
            received.append(str(chunk.content))
    assert received == ["Hello! ", "I'm ", "just "]


def test_drop_connection_before_a_non_streamed_reply(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(drop_after_chunks=0)
    with pytest.raises(httpx.RemoteProtocolError):
        chat_model(ollama_server).invoke("Hello how are you?", stream=False)


def test_slow_server_trips_the_client_timeout(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(chunk_delay=30.0)
    chat = chat_model(ollama_server, client_kwargs={"timeout": 0.2})
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        chat.invoke("Hello how are you?")
    assert time.monotonic() - started < 10


def test_chunk_delay_spaces_the_chunks(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(chunk_delay=0.05)
    started = time.monotonic()
    reply = chat_model(ollama_server).invoke("Who wrote Romeo and Juliet?")
    assert reply.content == "William Shakespeare"
    assert time.monotonic() - started >= 0.1


def test_stop_ends_a_slow_stream_promptly() -> None:
    server = OllamaStandIn().start()
    server.configure(chunk_delay=30.0)
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Hello how are you?"}]}
    with (
        httpx.Client(timeout=10) as client,
        client.stream("POST", f"{server.url}/api/chat", json=body) as response,
    ):
        assert server.wait_for_requests(1, path="/api/chat")
        started = time.monotonic()
        server.stop()
        with pytest.raises(httpx.HTTPError):
            response.read()
    assert time.monotonic() - started < 5


def test_unknown_switch_is_rejected(ollama_server: OllamaStandIn) -> None:
    with pytest.raises(TypeError, match="unknown switches"):
        ollama_server.configure(explode=True)


# --------------------------------------------------------------------------- judges


def test_judge_prompt_gets_a_yes_no_verdict(ollama_server: OllamaStandIn) -> None:
    chat = chat_model(ollama_server)
    verdict = json.loads(str(chat.invoke(JUDGE_PROMPT).content))
    assert verdict["result"] == "yes"
    assert verdict["rationale"]
    ollama_server.configure(judge_verdict="no")
    assert json.loads(str(chat.invoke(JUDGE_PROMPT).content))["result"] == "no"


def test_judge_switch_forces_or_disables_verdicts(ollama_server: OllamaStandIn) -> None:
    chat = chat_model(ollama_server)
    ollama_server.configure(judge=True)
    assert json.loads(str(chat.invoke("Who wrote Romeo and Juliet?").content))["result"] == "yes"
    ollama_server.configure(judge=False)
    assert str(chat.invoke(JUDGE_PROMPT).content).startswith("You said: ")


def test_structured_output_fills_the_schema(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(judge_verdict="no")
    structured = chat_model(ollama_server).with_structured_output(Verdict)
    verdict = structured.invoke("Is 'Unicorn' the national animal of Scotland?")
    assert isinstance(verdict, Verdict)
    assert verdict.result == "no"
    assert isinstance(ollama_server.chat_requests[-1]["format"], dict)


# --------------------------------------------------------------------------- recording


def test_records_requests_for_assertions(ollama_server: OllamaStandIn) -> None:
    chat_model(ollama_server).invoke("Who wrote Romeo and Juliet?")
    assert ollama_server.wait_for_requests(1, path="/api/chat", timeout=1)
    recorded = ollama_server.requests[-1]
    assert (recorded.method, recorded.path) == ("POST", "/api/chat")
    assert recorded.headers["content-type"] == "application/json"
    assert recorded.body["model"] == MODEL
    assert recorded.body["options"] == {"temperature": 0.0}
    assert recorded.body["messages"] == [{"role": "user", "content": "Who wrote Romeo and Juliet?"}]
    assert not ollama_server.wait_for_requests(5, timeout=0.01)
    ollama_server.reset()
    assert ollama_server.requests == []


def test_created_at_is_rfc3339_nano() -> None:
    assert created_at(1_795_674_866_696_036_096) == "2026-11-26T06:34:26.696036096Z"
    assert created_at(1_795_674_866_000_000_000) == "2026-11-26T06:34:26Z"
    assert created_at(1_795_674_866_100_000_000) == "2026-11-26T06:34:26.1Z"
