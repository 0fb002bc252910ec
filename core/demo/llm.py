"""Model calls: OpenAI chat, LangChain-native and bare message lists, with token usage.

Spans for a CHAT_MODEL call (`chat_call`, `failed_chat_call`), a completion-style LLM call
(`completion_call`) and the assistant message that asks for tools (`tool_call_message`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.demo.plan import MS, SECOND, Failure, Gen, Node, leaf


@dataclass(frozen=True)
class Model:
    name: str
    provider: str
    span_name: str
    ms_per_token: tuple[float, float]


MODELS = {
    "gpt-4o-mini": Model("gpt-4o-mini", "openai", "ChatOpenAI", (9, 22)),
    "gpt-4o": Model("gpt-4o", "openai", "ChatOpenAI", (14, 32)),
    "llama3.2:1b": Model("llama3.2:1b", "ollama", "ChatOllama", (6, 14)),
    "qwen2.5:7b": Model("qwen2.5:7b", "ollama", "ChatOllama", (16, 34)),
}
LANGCHAIN_TYPES = {"system": "system", "user": "human", "assistant": "ai", "tool": "tool"}


def count_tokens(value: Any) -> int:
    """A tokenizer stand-in: about four bytes of JSON per token."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return max(1, len(text.encode("utf-8")) // 4)


def usage_for(messages: Any, reply: Any, tools: Any = None) -> dict[str, int]:
    prompt = count_tokens(messages) + (count_tokens(tools) if tools else 0)
    completion = count_tokens(reply)
    return {
        "input_tokens": prompt,
        "output_tokens": completion,
        "total_tokens": prompt + completion,
    }


def llm_duration(g: Gen, model: Model, usage: dict[str, int]) -> int:
    """Prefill plus decoding time, kept within what the demo promises (0.3-8 s)."""
    per_token = g.rng.uniform(*model.ms_per_token)
    millis = 150 + usage["input_tokens"] * 0.05 + usage["output_tokens"] * per_token
    return int(min(max(millis, 300.0), 8_000.0) * MS)


def langchain_message(message: dict[str, Any]) -> dict[str, Any]:
    """A message as LangChain serialises it (what MLflow 2.x/3.1 stored for LangChain)."""
    out: dict[str, Any] = {
        "content": message.get("content") or "",
        "additional_kwargs": {},
        "response_metadata": {},
        "type": LANGCHAIN_TYPES[message["role"]],
        "name": None,
        "id": None,
    }
    if message["role"] == "assistant":
        out |= {"tool_calls": [], "invalid_tool_calls": [], "usage_metadata": None}
    if message["role"] == "tool":
        out["tool_call_id"] = message.get("tool_call_id")
    return out


def openai_payloads(
    g: Gen,
    t: int,
    model: Model,
    messages: list[dict[str, Any]],
    reply: dict[str, Any],
    usage: dict[str, int],
    tools: list[dict[str, Any]] | None,
) -> tuple[Any, Any]:
    inputs: dict[str, Any] = {"model": model.name, "messages": messages, "temperature": 0.2}
    if tools:
        inputs["tools"] = tools
    finish = "tool_calls" if reply.get("tool_calls") else "stop"
    outputs = {
        "id": f"chatcmpl-{g.token(29)}",
        "object": "chat.completion",
        "created": t // SECOND,
        "model": model.name,
        "choices": [{"index": 0, "message": reply, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": usage["input_tokens"],
            "completion_tokens": usage["output_tokens"],
            "total_tokens": usage["total_tokens"],
        },
    }
    return inputs, outputs


def langchain_payloads(
    model: Model, messages: list[dict[str, Any]], reply: dict[str, Any], usage: dict[str, int]
) -> tuple[Any, Any]:
    text = reply.get("content") or ""
    generation = {
        "text": text,
        "generation_info": {"finish_reason": "stop", "model_name": model.name},
        "type": "ChatGeneration",
        "message": langchain_message(reply),
    }
    outputs = {
        "generations": [[generation]],
        "llm_output": {"token_usage": usage, "model_name": model.name},
        "run": None,
        "type": "LLMResult",
    }
    return [[langchain_message(m) for m in messages]], outputs


def chat_call(
    g: Gen,
    t: int,
    model_name: str,
    messages: list[dict[str, Any]],
    reply: dict[str, Any],
    *,
    tools: list[dict[str, Any]] | None = None,
    style: str = "openai",
    name: str | None = None,
) -> Node:
    """A CHAT_MODEL span in `style` "openai", "langchain" (native dicts) or "bare" (a list)."""
    model = MODELS[model_name]
    usage = usage_for(messages, reply, tools)
    if style == "langchain":
        inputs, outputs = langchain_payloads(model, messages, reply, usage)
    elif style == "bare":
        inputs, outputs = messages, reply.get("content")
    else:
        inputs, outputs = openai_payloads(g, t, model, messages, reply, usage, tools)
    attributes: dict[str, Any] = {
        "mlflow.chat.tokenUsage": usage,
        "mlflow.llm.model": model.name,
        "mlflow.llm.provider": model.provider,
    }
    if style != "bare":
        attributes["mlflow.message.format"] = style
    if tools:
        attributes["mlflow.chat.tools"] = tools
    span_name = name or model.span_name
    return Node(
        span_name, "CHAT_MODEL", t, t + llm_duration(g, model, usage), inputs, outputs, attributes
    )


def failed_chat_call(
    g: Gen,
    t: int,
    model_name: str,
    messages: list[dict[str, Any]],
    error: Failure,
    name: str | None = None,
) -> Node:
    """A model call that raised before answering: no outputs, no token usage."""
    model = MODELS[model_name]
    inputs = {"model": model.name, "messages": messages, "temperature": 0.2}
    attributes = {"mlflow.llm.model": model.name, "mlflow.llm.provider": model.provider}
    span_ms = (3_000, 3_100) if error.type_name == "ReadTimeout" else (40, 600)
    node = leaf(g, t, name or model.span_name, "CHAT_MODEL", span_ms, inputs, None, attributes)
    node.failure = error
    return node


def completion_call(g: Gen, t: int, model_name: str, prompt: str, text: str, name: str) -> Node:
    """An LLM (completion-style) span, as judges and older chains record."""
    model = MODELS[model_name]
    usage = usage_for(prompt, text)
    inputs = {"prompt": prompt, "model": model.name, "temperature": 0.0, "max_tokens": 256}
    outputs = {"choices": [{"index": 0, "text": text, "finish_reason": "stop"}]}
    attributes = {
        "mlflow.chat.tokenUsage": usage,
        "mlflow.llm.model": model.name,
        "mlflow.llm.provider": model.provider,
    }
    return Node(name, "LLM", t, t + llm_duration(g, model, usage), inputs, outputs, attributes)


def tool_call_message(g: Gen, calls: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """An assistant message asking for tools, with OpenAI's JSON-string arguments."""
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{g.token(24)}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)},
            }
            for name, args in calls
        ],
    }
