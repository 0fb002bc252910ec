"""Two runs of a support agent recorded with `core.Client`: a fast one and a slow one.

Spans get explicit start and end times, so durations are exact (no sleeping): the slow run's
document search takes 3.4 s instead of 0.3 s, its order lookup retried twice, it reranks, and
its answer (from another system prompt) differs word by word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.client import Client
from core.entities import SpanType
from core.tracing.live_span import LiveSpan

MS = 1_000_000
START_NS = 1_767_000_000_000_000_000  # 2025-12-29, the same for every run


@dataclass
class Step:
    """A span to record: its own time (ms), payloads, attributes and children."""

    name: str
    kind: str
    own_ms: int
    inputs: Any = None
    outputs: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)
    children: list[Step] = field(default_factory=list)


def llm(name: str, own_ms: int, system: str, user: str, answer: str, tokens: int) -> Step:
    usage = {"input_tokens": tokens - 40, "output_tokens": 40, "total_tokens": tokens}
    return Step(
        name,
        SpanType.CHAT_MODEL,
        own_ms,
        {"messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]},
        {"choices": [{"message": {"role": "assistant", "content": answer}}]},
        {
            "mlflow.chat.tokenUsage": usage,
            "mlflow.llm.cost": {"total_cost": tokens * 0.000002},
            "model": "llama3.2",
        },
    )


QUESTION = "Where is my parcel? Order 7, it was due yesterday."
FAST_ANSWER = "Your parcel left the depot this morning and arrives tomorrow before noon."
SLOW_ANSWER = (
    "I am sorry: your parcel was held at the depot and arrives next week, on Tuesday before noon."
)


def support_run(slow: bool) -> Step:
    """The pipeline of one question; `slow` is the run that went wrong."""
    lookups = [
        Step("lookup_order", SpanType.TOOL, 900 if slow else 120, {"order": 7}, {"state": "late"})
        for _ in range(3 if slow else 1)
    ]
    search = Step(
        "search_docs",
        SpanType.RETRIEVER,
        3400 if slow else 300,
        {"query": "late parcel depot" if slow else "parcel delivery date"},
        [{"id": "kb-12", "score": 0.81}, {"id": "kb-40" if slow else "kb-3", "score": 0.7}],
    )
    steps = [
        llm("classify", 220, "Classify the question.", QUESTION, "shipping", 180),
        *lookups,
        search,
    ]
    if slow:
        steps.append(Step("rerank", SpanType.RERANKER, 450, {"docs": 2}, ["kb-40", "kb-12"]))
    system = "Be brief and kind." if not slow else "Be thorough, apologise when late."
    steps.append(
        llm("answer", 2600 if slow else 800, system, QUESTION, SLOW_ANSWER if slow else FAST_ANSWER,
            900 if slow else 420)
    )  # fmt: skip
    return Step(
        "support_agent",
        SpanType.AGENT,
        15,
        {"question": QUESTION},
        SLOW_ANSWER if slow else FAST_ANSWER,
        {"agent.version": "2" if slow else "1"},
        steps,
    )


def record(client: Client, root: Step, experiment_id: str = "0", start_ns: int = START_NS) -> str:
    """Record `root` (children one after another, then the parent's own time); its trace id."""
    trace_ids: list[str] = []

    def walk(step: Step, parent: LiveSpan | None, start: int) -> int:
        span = client.start_span_no_context(
            step.name,
            step.kind,
            parent_span=parent,
            inputs=step.inputs,
            attributes=step.attributes or None,
            start_time_ns=start,
            experiment_id=experiment_id if parent is None else None,
        )
        trace_ids.append(span.trace_id)
        at = start
        for child in step.children:
            at = walk(child, span, at)
        end = at + step.own_ms * MS
        span.end(outputs=step.outputs, end_time_ns=end)
        return end

    walk(root, None, start_ns)
    assert client.flush_traces(30)
    return trace_ids[0]


def record_runs(db: Path, runs: list[bool], experiment_id: str = "0") -> list[str]:
    """Record one support run per flag (True: slow) into `db`; their trace ids in order."""
    client = Client(f"sqlite:///{db}")
    try:
        return [
            record(client, support_run(slow), experiment_id, START_NS + n * 60_000 * MS)
            for n, slow in enumerate(runs)
        ]
    finally:
        client.close()
