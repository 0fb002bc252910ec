"""Span trees of synthetic traces: what each span is and carries, before any encoding.

A trace is planned as a list of `SpanPlan`s (parents always before their children) by one of
a few archetypes seen in real LLM apps: a LangGraph-style tool-calling agent, a RAG chain, a
Responses-style `predict` agent and a nested workflow. Payload shapes copy what MLflow 3.18
records for them (SCHEMA.md §4-§5): OpenAI-style chat messages, tool calls, retrieved
documents, token usage, streaming `new_token` events, and `exception` events on errors.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.bench.text import TextPools, paragraph

MS = 1_000_000  # nanoseconds per millisecond
OPENAI = ("gpt-4o-mini", "openai")
OLLAMA = ("llama3.2:1b", "ollama")
#: USD per token, as MLflow prices gpt-4o-mini (SCHEMA.md §3); ollama models are unpriced.
PRICES = {"gpt-4o-mini": (0.15e-6, 0.6e-6)}
TOOLS = ("get_weather", "search_orders", "lookup_invoice", "run_python", "search_docs")
#: How many earlier messages a chat span carries at most (keeps long agents linear in size).
HISTORY = 4


@dataclass
class SpanPlan:
    """One span before encoding. `attrs` values are JSON-encoded later, like MLflow does."""

    parent: int | None
    span_type: str
    name: str
    self_ns: int
    inputs: Any = None
    outputs: Any = None
    attrs: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[float, str, dict[str, str]]] = field(default_factory=list)
    model: tuple[str, str] | None = None
    usage: dict[str, int] | None = None
    error: str | None = None
    log_level: int = 20


@dataclass
class TraceShape:
    """The planned spans of one trace and the facts its trace_info row needs."""

    spans: list[SpanPlan]
    archetype: str


def message(role: str, content: str | None, **extra: Any) -> dict[str, Any]:
    """A chat message as LangChain autolog records it in OpenAI format (SCHEMA.md §5)."""
    base = {"role": role, "content": content, "tool_calls": None, "refusal": None}
    base["tool_call_id"] = None
    base.update(extra)
    return base


class PlanBuilder:
    """Appends spans to a plan; parents are always added before their children."""

    def __init__(self, rng: random.Random, pools: TextPools, history: list[dict[str, Any]]):
        self.rng = rng
        self.pools = pools
        self.spans: list[SpanPlan] = []
        self.messages: list[dict[str, Any]] = list(history)
        self.provider = OPENAI if rng.random() < 0.6 else OLLAMA

    def add(self, parent: int | None, span_type: str, name: str, self_ms: float, **kw: Any) -> int:
        self.spans.append(SpanPlan(parent, span_type, name, int(self_ms * MS), **kw))
        return len(self.spans) - 1

    def ms(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    # -- leaves -----------------------------------------------------------------------------

    def chat(self, parent: int, *, tool: str | None = None, answer: str | None = None) -> int:
        """A CHAT_MODEL span answering the conversation so far, or asking for `tool`."""
        system = message("system", self.rng.choice(self.pools.system_prompts))
        inputs = {"messages": [system, *self.messages[-HISTORY:]]}
        if tool is not None:
            call_id = f"call_{self.rng.getrandbits(96):024x}"
            arguments = json.dumps({"query": self.rng.choice(self.pools.questions)[:60]})
            function = {"name": tool, "arguments": arguments}
            call = {"id": call_id, "type": "function", "function": function}
            reply = message("assistant", None, tool_calls=[call])
            finish = "tool_calls"
        else:
            reply = message("assistant", answer or paragraph(self.rng, self.pools, 1, 3))
            finish = "stop"
        self.messages.append(reply)
        outputs = {"choices": [{"message": reply, "finish_reason": finish}]}
        return self._chat_span(parent, inputs, outputs, tools=tool is not None)

    def _chat_span(self, parent: int, inputs: Any, outputs: Any, tools: bool) -> int:
        model, provider = self.provider
        prompt_tokens = len(json.dumps(inputs)) // 4
        completion_tokens = max(1, len(json.dumps(outputs)) // 5)
        usage = {"input_tokens": prompt_tokens, "output_tokens": completion_tokens}
        usage["total_tokens"] = prompt_tokens + completion_tokens
        attrs = _chat_attributes(model, provider, usage, tools)
        events = self._stream_events(outputs) if provider == "ollama" else []
        name = "ChatOpenAI" if provider == "openai" else "ChatOllama"
        return self.add(
            parent,
            "CHAT_MODEL",
            name,
            self.ms(250, 2500),
            inputs=inputs,
            outputs=outputs,
            attrs=attrs,
            events=events,
            model=self.provider,
            usage=usage,
        )

    def _stream_events(self, outputs: Any) -> list[tuple[float, str, dict[str, str]]]:
        """`new_token` events, as ChatOllama streams internally (a few spans only)."""
        if self.rng.random() > 0.1:
            return []
        text = str(outputs["choices"][0]["message"]["content"] or "")
        tokens = [w + " " for w in text.split()[:30]] or [""]
        events = []
        for i, token in enumerate(tokens):
            kwargs = {"text": token, "type": "ChatGenerationChunk"}
            chunk = {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "output"]}
            chunk["kwargs"] = kwargs
            events.append(
                (
                    (i + 1) / (len(tokens) + 1),
                    "new_token",
                    {"token": token, "chunk": json.dumps(chunk)},
                )
            )
        return events

    def tool(self, parent: int, name: str) -> int:
        """A TOOL span; its result also joins the conversation as a `tool` message."""
        city = self.rng.choice(self.pools.cities)
        result = {"city": city, "result": paragraph(self.rng, self.pools, 1, 2)}
        call_id = f"call_{self.rng.getrandbits(96):024x}"
        self.messages.append(message("tool", json.dumps(result), tool_call_id=call_id))
        attrs = {"mlflow.spanFunctionName": name}
        return self.add(
            parent,
            "TOOL",
            name,
            self.ms(5, 400),
            inputs={"city": city},
            outputs=result,
            attrs=attrs,
        )

    def retrieve(self, parent: int, query: str) -> int:
        """A RETRIEVER span returning 2-4 documents of 80 to ~400 characters."""
        docs = [
            {
                "page_content": paragraph(self.rng, self.pools, 1, 4),
                "metadata": {
                    "doc_uri": f"https://docs.acme.test/kb/{self.rng.randint(1, 9999)}",
                    "chunk_id": str(self.rng.randint(0, 40)),
                },
                "id": f"doc-{self.rng.getrandbits(48):012x}",
            }
            for _ in range(self.rng.randint(2, 4))
        ]
        return self.add(
            parent,
            "RETRIEVER",
            "retrieve_docs",
            self.ms(20, 300),
            inputs={"query": query},
            outputs=docs,
        )

    def small(self, parent: int, span_type: str, name: str, inputs: Any, outputs: Any) -> int:
        """A cheap span: embedding, reranker, parser, memory, guardrail..."""
        return self.add(
            parent, span_type, name, self.ms(0.2, 60), inputs=inputs, outputs=outputs, log_level=10
        )


def _chat_attributes(
    model: str, provider: str, usage: dict[str, int], tools: bool
) -> dict[str, Any]:
    """What LangChain autolog records on a chat model span besides inputs and outputs."""
    attrs: dict[str, Any] = {
        "invocation_params": {"model": model, "_type": f"{provider}-chat", "stop": None},
        "options": {"stop": None},
        "batch_size": 1,
        "metadata": {"ls_provider": provider, "ls_model_name": model, "ls_model_type": "chat"},
        "mlflow.message.format": "langchain",
        "mlflow.llm.model": model,
        "mlflow.llm.provider": provider,
        "mlflow.chat.tokenUsage": usage,
    }
    if tools:
        attrs["mlflow.chat.tools"] = [_tool_spec(name) for name in TOOLS[:3]]
    return attrs


def _tool_spec(name: str) -> dict[str, Any]:
    parameters = {"type": "object", "properties": {"query": {"type": "string"}}}
    function = {"name": name, "description": f"Call {name}.", "parameters": parameters}
    return {"type": "function", "function": function}


# -- archetypes ---------------------------------------------------------------------------


def _agent(b: PlanBuilder, n: int, question: str) -> None:
    """LangGraph: model -> ChatModel (tool call) -> tools -> TOOL ... -> final answer."""
    b.messages.append(message("user", question))
    root = b.add(None, "CHAIN", "LangGraph", b.ms(1, 5), inputs={"messages": b.messages[-1:]})
    while len(b.spans) < n - 2:
        tool = b.rng.choice(TOOLS)
        b.chat(b.add(root, "CHAIN", "model", b.ms(0.5, 3)), tool=tool)
        b.tool(b.add(root, "CHAIN", "tools", b.ms(0.5, 3)), tool)
    b.chat(b.add(root, "CHAIN", "model", b.ms(0.5, 3)))
    b.spans[root].outputs = {"messages": b.messages[-HISTORY:]}


def _rag(b: PlanBuilder, n: int, question: str) -> None:
    """A retrieval chain; extra spans become nested sub-question chains."""
    b.messages.append(message("user", question))
    root = b.add(None, "CHAIN", "rag_pipeline", b.ms(1, 5), inputs={"question": question})
    parent = root
    while len(b.spans) < n:
        vector = [round(b.rng.uniform(-1, 1), 4) for _ in range(8)]
        b.small(parent, "EMBEDDING", "embed_query", {"input": question}, {"embedding": vector})
        b.retrieve(parent, question)
        b.small(parent, "RERANKER", "rerank_docs", {"top_n": 3}, {"kept": [0, 2, 1]})
        answer = b.spans[b.chat(parent)].outputs["choices"][0]["message"]["content"]
        b.small(parent, "PARSER", "StrOutputParser", {"text": answer[:200]}, answer[:200])
        parent = b.add(parent, "CHAIN", "sub_question", b.ms(0.5, 2), inputs={"q": question})
    b.spans[root].outputs = b.messages[-1]["content"]


def _responses(b: PlanBuilder, n: int, question: str) -> None:
    """A ResponsesAgent `predict` (SCHEMA.md §5) calling a chat model and tools."""
    item = {"status": None, "content": question, "role": "user", "type": "message"}
    context = {"conversation_id": f"{b.rng.getrandbits(32)}", "user_id": "456"}
    inputs = {"request": {"input": [item], "custom_inputs": None, "context": context}}
    b.messages.append(message("user", question))
    root = b.add(
        None,
        "AGENT",
        "predict",
        b.ms(1, 4),
        inputs=inputs,
        attrs={"mlflow.spanFunctionName": "predict"},
    )
    while len(b.spans) < n - 1:
        tool = b.rng.choice(TOOLS)
        b.chat(root, tool=tool)
        b.tool(root, tool)
    answer = b.spans[b.chat(root)].outputs["choices"][0]["message"]["content"]
    content = [{"text": answer, "type": "output_text", "annotations": []}]
    output = [{"type": "message", "id": "msg_1", "content": content, "role": "assistant"}]
    b.spans[root].outputs = {"object": "response", "output": output, "usage": None}


def _workflow(b: PlanBuilder, n: int, question: str) -> None:
    """A ticket workflow whose steps nest ever deeper (chains inside chains)."""
    ticket_id = b.rng.randint(1000, 99999)
    body = paragraph(b.rng, b.pools, 1, 8)
    ticket = {"id": ticket_id, "subject": question, "body": body}
    b.messages.append(message("user", body))
    root = b.add(None, "WORKFLOW", "ticket_triage", b.ms(1, 5), inputs={"ticket": ticket})
    parent, depth = root, 0
    while len(b.spans) < n:
        step = b.add(parent, "TASK", f"step_{depth}", b.ms(0.5, 3), inputs={"depth": depth})
        b.small(step, "GUARDRAIL", "pii_check", {"text": question}, {"passed": True})
        if b.rng.random() < 0.5:
            b.chat(step)
        else:
            b.small(step, "MEMORY", "load_memory", {"ticket": ticket["id"]}, {"turns": depth})
        parent, depth = step, depth + 1
    b.spans[root].outputs = {"ticket": ticket["id"], "route": b.rng.choice(["billing", "tech"])}


ARCHETYPES: dict[str, Callable[[PlanBuilder, int, str], None]] = {
    "agent": _agent,
    "rag": _rag,
    "responses": _responses,
    "workflow": _workflow,
}


def plan_trace(
    rng: random.Random,
    pools: TextPools,
    archetype: str,
    n_spans: int,
    history: list[dict[str, Any]],
) -> TraceShape:
    """Exactly `n_spans` spans of one trace (a suffix is cut when a step overshoots)."""
    builder = PlanBuilder(rng, pools, history)
    ARCHETYPES[archetype](builder, n_spans, rng.choice(pools.questions))
    del builder.spans[n_spans:]
    return TraceShape(builder.spans, archetype)


def fail(shape: TraceShape, rng: random.Random) -> str:
    """Make one leaf raise and its ancestors fail with it (MLflow marks each span it crossed)."""
    leaves = {i for i in range(len(shape.spans))} - {s.parent for s in shape.spans}
    index = rng.choice(sorted(leaves))
    kind = rng.choice(["TimeoutError", "ValueError", "RateLimitError", "KeyError"])
    text = f"{kind}: {rng.choice(['upstream timed out', 'bad tool arguments', 'quota hit'])}"
    leaf = shape.spans[index]
    leaf.outputs = None
    leaf.events.append((0.99, "exception", _exception_attributes(kind, text)))
    span: SpanPlan | None = leaf
    while span is not None:
        span.error = text
        span = shape.spans[span.parent] if span.parent is not None else None
    shape.spans[0].outputs = None
    return text


def _exception_attributes(kind: str, text: str) -> dict[str, str]:
    stack = 'Traceback (most recent call last):\n  File "app.py", line 42, in invoke\n'
    return {
        "exception.type": kind,
        "exception.message": text.split(": ", 1)[1],
        "exception.stacktrace": stack + f"{text}\n",
        "exception.escaped": "False",
    }
