"""Chat format recognition (no Qt): every format, with real payloads from the fixtures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.messages.formats import (
    ASSISTANT,
    OTHER,
    SYSTEM,
    TOOL,
    USER,
    Message,
    ToolCall,
    messages_from_value,
    pretty_json,
    span_conversation,
)
from app.spans.detail_text import conversation_of
from core.entities import Span
from core.store.store import Store
from tests.app.explorer.data import AGENT, CHAT_TRACE, NESTED, OLLAMA, OLLAMA_31, OLLAMA_222

OpenStore = Callable[[Path], Store]


def root_span(store: Store, trace_id: str) -> Span:
    span = store.reader.get_trace(trace_id).data.root_span
    assert span is not None
    return span


def roles(messages: Any) -> list[str]:
    return [m.role for m in messages]


# -- real payloads --------------------------------------------------------------------------


def test_bare_message_list_from_the_my_span_chat_span(db318: Path, open_store: OpenStore) -> None:
    conversation = conversation_of(root_span(open_store(db318), CHAT_TRACE))
    assert conversation is not None and conversation.format == "message list"
    assert roles(conversation.inputs) == [SYSTEM, USER]
    assert roles(conversation.outputs) == [ASSISTANT, TOOL]
    assert conversation.inputs[0].text == "System prompt"
    assert conversation.outputs[1].text == "The tool call"


def test_openai_chat_from_the_chat_ollama_span(db318: Path, open_store: OpenStore) -> None:
    conversation = conversation_of(root_span(open_store(db318), OLLAMA))
    assert conversation is not None and conversation.format == "OpenAI chat"
    assert conversation.inputs == (Message(USER, "Hello how are you?"),)
    (answer,) = conversation.outputs
    assert answer.role == ASSISTANT and answer.text.startswith("Hello! I'm just a language model")
    assert answer.tool_calls == () and answer.tool_call_id is None


def test_responses_agent_from_the_predict_span(db318: Path, open_store: OpenStore) -> None:
    conversation = conversation_of(root_span(open_store(db318), AGENT))
    assert conversation is not None and conversation.format == "ResponsesAgent"
    assert conversation.inputs == (Message(USER, "what is 4*3 in python"),)
    assert conversation.outputs == (Message(ASSISTANT, "The result of 4 * 3 in Python is 12."),)


@pytest.mark.parametrize(("fixture", "trace_id"), [("db31", OLLAMA_31), ("db222", OLLAMA_222)])
def test_langchain_native_messages_and_generations(
    request: pytest.FixtureRequest, fixture: str, trace_id: str, open_store: OpenStore
) -> None:
    span = root_span(open_store(request.getfixturevalue(fixture)), trace_id)
    assert isinstance(span.inputs, list) and isinstance(span.inputs[0], list)  # [[{...}]]
    conversation = conversation_of(span)
    assert conversation is not None and conversation.format == "LangChain"
    assert conversation.inputs == (Message(USER, "Hello how are you?"),)
    (answer,) = conversation.outputs
    assert answer.role == ASSISTANT and "language model" in answer.text


@pytest.mark.parametrize(("fixture", "trace_id"), [("db31", OLLAMA_31), ("db222", OLLAMA_222)])
def test_the_mlflow_chat_messages_attribute_alone(
    request: pytest.FixtureRequest, fixture: str, trace_id: str, open_store: OpenStore
) -> None:
    span = root_span(open_store(request.getfixturevalue(fixture)), trace_id)
    legacy = span.get_attribute("mlflow.chat.messages")
    conversation = span_conversation({"prompt": "not chat"}, "plain output", legacy)
    assert conversation is not None and conversation.format == "mlflow.chat.messages"
    assert roles(conversation.inputs) == [USER, ASSISTANT]
    assert conversation.outputs == ()


def test_spans_that_hold_no_chat_fall_back(db318: Path, open_store: OpenStore) -> None:
    for span in open_store(db318).reader.get_trace(NESTED).data.spans:
        assert conversation_of(span) is None  # {"input": "input"}, "some value", ...


# -- shapes seen in other libraries and in the larger database ------------------------------


def test_openai_tool_calls_with_json_string_arguments() -> None:
    inputs = {
        "model": "gpt",
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 21}'},
        ],
    }
    found = messages_from_value(inputs)
    assert found is not None
    messages, name = found
    assert name == "OpenAI chat"
    assert roles(messages) == [SYSTEM, USER, ASSISTANT, TOOL]
    assert messages[0].label == "developer"
    assert messages[1].text == "Weather?"
    assert messages[2].tool_calls == (
        ToolCall("get_weather", '{\n  "city": "Paris"\n}', "call_1", True),
    )
    assert messages[3].tool_call_id == "call_1"


def test_openai_output_with_tool_calls_and_the_legacy_function_call() -> None:
    outputs = {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {
                            "id": "c2",
                            "type": "function",
                            "function": {"name": "lookup", "arguments": "not json"},
                        }
                    ],
                }
            },
            {
                "message": {
                    "role": "assistant",
                    "content": None,
                    "function_call": {"name": "old", "arguments": "{}"},
                }
            },
        ]
    }
    messages, _ = messages_from_value(outputs) or ([], "")
    assert messages[0].tool_calls == (ToolCall("lookup", "not json", "c2", False),)
    assert messages[1].tool_calls == (ToolCall("old", "{}", None, True),)
    completion = messages_from_value({"choices": [{"text": "done", "index": 0}]})
    assert completion is not None and completion[0] == [Message(ASSISTANT, "done")]


def test_langchain_dicts_with_tool_calls_and_serialized_messages() -> None:
    value = [
        [
            {"type": "system", "content": "sys"},
            {
                "type": "ai",
                "content": "",
                "tool_calls": [
                    {"name": "search", "args": {"q": "x"}, "id": "t1", "type": "tool_call"}
                ],
            },
            {"type": "tool", "content": "result", "tool_call_id": "t1", "name": "search"},
            {
                "type": "ai",
                "content": "",
                "additional_kwargs": {
                    "tool_calls": [{"id": "t2", "function": {"name": "f", "arguments": "[1]"}}]
                },
            },
            {
                "lc": 1,
                "type": "constructor",
                "id": ["langchain", "schema", "messages", "HumanMessage"],
                "kwargs": {"content": "serialized hi"},
            },
            {"type": "AIMessageChunk", "content": "chunk"},
        ]
    ]
    messages, name = messages_from_value(value) or ([], "")
    assert name == "LangChain"
    assert roles(messages) == [SYSTEM, ASSISTANT, TOOL, ASSISTANT, USER, OTHER]
    assert messages[1].tool_calls == (ToolCall("search", '{\n  "q": "x"\n}', "t1", True),)
    assert (messages[2].tool_call_id, messages[2].name) == ("t1", "search")
    assert messages[3].tool_calls[0].arguments == "[\n  1\n]"
    assert messages[4].text == "serialized hi"
    generations = {"generations": [[{"text": "plain generation"}]], "llm_output": None}
    assert messages_from_value(generations) == (
        [Message(ASSISTANT, "plain generation")],
        "LangChain",
    )
    nested = messages_from_value({"messages": [[{"type": "human", "content": "hi"}]]})
    assert nested == ([Message(USER, "hi")], "LangChain")


def test_responses_items_with_function_calls() -> None:
    request = {
        "request": {
            "input": [
                {"role": "user", "content": [{"type": "input_text", "text": "Add 2 and 3"}]},
                {
                    "type": "function_call",
                    "id": "fc_1",
                    "call_id": "call_9",
                    "name": "add",
                    "arguments": '{"a": 2, "b": 3}',
                },
                {"type": "function_call_output", "call_id": "call_9", "output": "5"},
            ],
            "context": {"conversation_id": "123"},
        }
    }
    messages, name = messages_from_value(request) or ([], "")
    assert name == "ResponsesAgent"
    assert roles(messages) == [USER, ASSISTANT, TOOL]
    assert messages[0].text == "Add 2 and 3"
    assert messages[1].tool_calls == (ToolCall("add", '{\n  "a": 2,\n  "b": 3\n}', "call_9", True),)
    assert (messages[2].text, messages[2].tool_call_id) == ("5", "call_9")
    response = {
        "object": "response",
        "output": [
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "thinking"}]},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "It is 5.", "annotations": []}],
            },
        ],
    }
    messages, _ = messages_from_value(response) or ([], "")
    assert [m.text for m in messages] == ["thinking", "It is 5."]
    assert messages[0].name == "reasoning"


def test_content_parts_images_and_anthropic_tools() -> None:
    value = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                    {"type": "input_audio"},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me look."},
                    {"type": "tool_use", "id": "tu_1", "name": "zoom", "input": {"level": 2}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "tu_1",
                        "content": [{"type": "text", "text": "a cat"}],
                    },
                ],
            },
        ]
    }
    messages, _ = messages_from_value(value) or ([], "")
    assert (
        messages[0].text == "What is this?\n\n[image: https://example.com/cat.png]\n\n[input_audio]"
    )
    assert messages[1].tool_calls == (ToolCall("zoom", '{\n  "level": 2\n}', "tu_1", True),)
    assert (messages[2].text, messages[2].tool_call_id) == ("a cat", "tu_1")


def test_single_messages_and_ollama_responses() -> None:
    assert messages_from_value({"role": "user", "content": "hi"}) == (
        [Message(USER, "hi")],
        "chat message",
    )
    ollama = {"model": "llama", "message": {"role": "assistant", "content": "hey"}, "done": True}
    assert messages_from_value(ollama) == ([Message(ASSISTANT, "hey")], "chat message")


@pytest.mark.parametrize(
    "value",
    [
        None,
        "a plain string",
        42,
        {"input": "input"},
        {"messages": "not a list"},
        {"messages": []},
        [],
        [{"role": "user", "content": "hi"}, {"not": "a message"}],
        [1, 2, 3],
        {"choices": [{"nothing": 1}]},
        {"generations": [[{"no": "text"}]]},
        {"output": [{"type": "unknown_item"}]},
        {"type": "human"},  # no content
    ],
)
def test_anything_else_is_not_a_conversation(value: Any) -> None:
    assert messages_from_value(value) is None
    assert span_conversation(value, value) is None


def test_inputs_alone_still_make_a_conversation() -> None:
    conversation = span_conversation({"messages": [{"role": "user", "content": "q"}]}, "42")
    assert conversation is not None
    assert conversation.outputs == () and conversation.format == "OpenAI chat"


def test_pretty_json() -> None:
    assert pretty_json('{"a": [1]}') == ('{\n  "a": [\n    1\n  ]\n}', True)
    assert pretty_json("{broken") == ("{broken", False)
    assert pretty_json("plain") == ("plain", False)
    assert pretty_json(None) == ("", False)
    assert json.loads(pretty_json({"é": "ü"})[0]) == {"é": "ü"}
    assert "é" in pretty_json({"é": 1})[0]  # not \\u-escaped
