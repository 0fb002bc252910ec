"""What an OpenTelemetry span means in MLflow's terms: its span type, inputs, outputs, token
usage, model and provider, read from the GenAI (`gen_ai.*`), OpenInference and
OpenLLMetry (Traceloop) attribute conventions.

The rules are MLflow 3.18's (`mlflow.tracing.otel.translation`, applied when its `/v1/traces`
endpoint stores a span), for the three conventions above and in MLflow's order of precedence,
so a span stored here holds the attributes MLflow's own endpoint would add. One addition:
when those rules find no inputs (or outputs) but the span lists its messages one attribute at
a time (OpenInference `llm.input_messages.<i>.message.role|content`, OpenLLMetry
`gen_ai.prompt.<i>.role|content`), the messages become the inputs (outputs) as
`{"messages": [...]}`, so the chat shows; MLflow leaves them out.

Attribute values are JSON text here, as MLflow keeps them (SCHEMA.md §1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.mlflow_keys import (
    CHAT_TOOLS_KEY,
    INPUTS_KEY,
    MODEL_KEY,
    OUTPUTS_KEY,
    PROVIDER_KEY,
    SPAN_TYPE_KEY,
    TOKEN_USAGE_KEY,
)

Key = str | re.Pattern[str]


@dataclass(frozen=True)
class Convention:
    """One attribute convention: where it keeps a span's kind, tokens, inputs and model."""

    name: str
    kind_key: str | None = None
    kinds: Mapping[str, str] = field(default_factory=dict)
    input_tokens: str | None = None
    output_tokens: str | None = None
    total_tokens: str | None = None
    cache_read: tuple[str, ...] = ()
    cache_write: tuple[str, ...] = ()
    inputs: tuple[Key, ...] = ()
    outputs: tuple[Key, ...] = ()
    models: tuple[str, ...] = ()
    provider: str | None = None
    tools: tuple[str, ...] = ()


OPENINFERENCE = Convention(
    "OpenInference",
    kind_key="openinference.span.kind",
    kinds={
        "TOOL": "TOOL",
        "CHAIN": "CHAIN",
        "LLM": "LLM",
        "RETRIEVER": "RETRIEVER",
        "EMBEDDING": "EMBEDDING",
        "AGENT": "AGENT",
        "RERANKER": "RERANKER",
        "UNKNOWN": "UNKNOWN",
        "GUARDRAIL": "GUARDRAIL",
        "EVALUATOR": "EVALUATOR",
    },
    input_tokens="llm.token_count.prompt",
    output_tokens="llm.token_count.completion",
    total_tokens="llm.token_count.total",
    cache_read=("llm.token_count.prompt_details.cache_read",),
    cache_write=("llm.token_count.prompt_details.cache_write",),
    inputs=("input.value",),
    outputs=("output.value",),
    models=(
        "llm.response.model_name",
        "llm.model_name",
        "llm.request.model_name",
        "embedding.model_name",
    ),
    provider="llm.provider",
)

GENAI = Convention(
    "OpenTelemetry GenAI",
    kind_key="gen_ai.operation.name",
    kinds={
        "chat": "CHAT_MODEL",
        "create_agent": "AGENT",
        "embeddings": "EMBEDDING",
        "execute_tool": "TOOL",
        "generate_content": "LLM",
        "invoke_agent": "AGENT",
        "text_completion": "LLM",
        "response": "LLM",
    },
    input_tokens="gen_ai.usage.input_tokens",
    output_tokens="gen_ai.usage.output_tokens",
    cache_read=("gen_ai.usage.cache_read.input_tokens",),
    cache_write=(
        "gen_ai.usage.cache_write.input_tokens",
        "gen_ai.usage.cache_creation.input_tokens",  # the previous registry's name
    ),
    inputs=("gen_ai.input.messages", "gen_ai.tool.call.arguments"),
    outputs=("gen_ai.output.messages", "gen_ai.tool.call.result"),
    models=("gen_ai.response.model", "gen_ai.request.model"),
    provider="gen_ai.provider.name",
    tools=("gen_ai.tool.definitions",),
)

OPENLLMETRY = Convention(
    "OpenLLMetry",
    kind_key="traceloop.span.kind",
    kinds={
        "workflow": "WORKFLOW",
        "task": "TASK",
        "agent": "AGENT",
        "tool": "TOOL",
        "unknown": "UNKNOWN",
    },
    input_tokens="gen_ai.usage.prompt_tokens",
    output_tokens="gen_ai.usage.completion_tokens",
    total_tokens="llm.usage.total_tokens",
    inputs=(
        "traceloop.entity.input",
        re.compile(r"gen_ai\.prompt\.\d+\.content"),
        re.compile(r"gen_ai\.completion\.\d+\.tool_calls\.\d+\.arguments"),
    ),
    outputs=("traceloop.entity.output", re.compile(r"gen_ai\.completion\.\d+\.content")),
    provider="gen_ai.system",
)

#: MLflow's order of precedence among these conventions.
CONVENTIONS = (OPENINFERENCE, GENAI, OPENLLMETRY)

#: Messages listed one attribute at a time: (inputs pattern, outputs pattern).
_FLAT_MESSAGES = (
    (
        re.compile(r"llm\.input_messages\.(\d+)\.message\.(role|content)$"),
        re.compile(r"llm\.output_messages\.(\d+)\.message\.(role|content)$"),
    ),
    (
        re.compile(r"gen_ai\.prompt\.(\d+)\.(role|content)$"),
        re.compile(r"gen_ai\.completion\.(\d+)\.(role|content)$"),
    ),
)


def translate(attributes: dict[str, str]) -> None:
    """Add, in place, the MLflow attributes (span type, inputs, outputs, token usage, tools,
    model, provider) that `attributes` imply and do not already hold."""
    raw_type = attributes.get(SPAN_TYPE_KEY)
    span_type = _loads(raw_type) if raw_type else None
    if span_type in (None, "UNKNOWN") and (found := span_type_of(attributes)):
        attributes[SPAN_TYPE_KEY] = json.dumps(found)
    if INPUTS_KEY not in attributes and (value := _first(attributes, "inputs")):
        attributes[INPUTS_KEY] = value
    if OUTPUTS_KEY not in attributes and (value := _first(attributes, "outputs")):
        attributes[OUTPUTS_KEY] = value
    if TOKEN_USAGE_KEY not in attributes and (usage := token_usage(attributes)):
        attributes[TOKEN_USAGE_KEY] = json.dumps(usage)
    if CHAT_TOOLS_KEY not in attributes and (tools := _first(attributes, "tools")):
        attributes[CHAT_TOOLS_KEY] = tools
    if MODEL_KEY not in attributes and (model := _model(attributes)):
        attributes[MODEL_KEY] = json.dumps(model, ensure_ascii=False)
    if PROVIDER_KEY not in attributes and (provider := _provider(attributes)):
        attributes[PROVIDER_KEY] = json.dumps(provider, ensure_ascii=False)
    for index, key in enumerate((INPUTS_KEY, OUTPUTS_KEY)):
        if key not in attributes and (messages := flat_messages(attributes, index)):
            attributes[key] = json.dumps({"messages": messages}, ensure_ascii=False)


def span_type_of(attributes: Mapping[str, str]) -> str | None:
    """The MLflow span type the first convention with a kind attribute gives, or None."""
    for convention in CONVENTIONS:
        if convention.kind_key and (kind := attributes.get(convention.kind_key)):
            return convention.kinds.get(_loads(kind))
    return None


def token_usage(attributes: Mapping[str, str]) -> dict[str, int] | None:
    """`{"input_tokens", "output_tokens", "total_tokens", ...}` from the first convention
    that counts any of them (a missing total is the sum of the two others)."""
    for c in CONVENTIONS:
        given = [_int(attributes.get(k)) if k else None for k in _token_keys(c)]
        if all(count is None for count in given):
            continue
        if given[2] is None and given[0] is not None and given[1] is not None:
            given[2] = given[0] + given[1]
        names = ("input_tokens", "output_tokens", "total_tokens")
        usage = {name: n for name, n in zip(names, given, strict=True) if n is not None}
        for name, keys in (
            ("cache_read_input_tokens", c.cache_read),
            ("cache_creation_input_tokens", c.cache_write),
        ):
            count = next((n for k in keys if (n := _int(attributes.get(k))) is not None), None)
            if count is not None:
                usage[name] = count
        return usage
    return None


def _token_keys(c: Convention) -> tuple[str | None, str | None, str | None]:
    return c.input_tokens, c.output_tokens, c.total_tokens


def flat_messages(attributes: Mapping[str, str], index: int) -> list[dict[str, Any]] | None:
    """Messages listed one attribute at a time (index 0: inputs, 1: outputs), in order."""
    for patterns in _FLAT_MESSAGES:
        found: dict[int, dict[str, Any]] = {}
        for key, raw in attributes.items():
            match = patterns[index].match(key)
            if match:
                found.setdefault(int(match.group(1)), {})[match.group(2)] = _loads(raw)
        messages = [found[i] for i in sorted(found) if "role" in found[i]]
        if messages:
            return [{"role": m["role"], "content": m.get("content", "")} for m in messages]
    return None


def _first(attributes: Mapping[str, str], what: str) -> str | None:
    for convention in CONVENTIONS:
        keys: tuple[Key, ...] = getattr(convention, what)
        for key in keys:
            for name in _matching(attributes, key):
                if _present(attributes[name]):
                    return attributes[name]
    return None


def _matching(attributes: Mapping[str, str], key: Key) -> list[str]:
    if isinstance(key, str):
        return [key] if key in attributes else []
    return [name for name in attributes if key.match(name)]


def _model(attributes: Mapping[str, str]) -> Any:
    for convention in CONVENTIONS:
        for key in convention.models:
            if key in attributes and _present(attributes[key]):
                return _loads(attributes[key])
    for key in (INPUTS_KEY, OUTPUTS_KEY):  # `{"model": ...}` in the request or response
        value = _loads(attributes.get(key))
        if isinstance(value, Mapping) and (model := value.get("model")):
            return model if isinstance(model, str) else None
    return None


def _provider(attributes: Mapping[str, str]) -> Any:
    for convention in CONVENTIONS:
        key = convention.provider
        if key and key in attributes and _present(attributes[key]):
            return _loads(attributes[key])
    return None


def _present(raw: str) -> bool:
    """MLflow's test of a usable value: JSON that is not empty (`""`, `{}`, `null`, `0`)."""
    try:
        return bool(json.loads(raw))
    except (TypeError, ValueError):
        return bool(raw)


def _int(raw: str | None) -> int | None:
    if raw is None:
        return None
    value: Any = _loads(raw)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(value if isinstance(value, str) else raw)
    except (TypeError, ValueError):
        return None


def _loads(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw
