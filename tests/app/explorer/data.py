"""Traces for the explorer tests: the fixture ids, a 10,000-span trace written with core's
tracing API, a zero-span trace, an unreadable span, and a span full of hostile markup."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import core
from core import tracking

NESTED = "tr-8994d05b63f61f086eee7e8a1d4106e8"  # my_cool_span -> my_span, reranker_span
CHAT_TRACE = "tr-a5680d8a83e0c24b8a431f69a6dc3cad"  # my_span with system/user/assistant/tool
OLLAMA = "tr-6a0851c5009984c0295519cd96b86728"  # ChatOllama, 26 new_token events
AGENT = "tr-d38c517e699415ebefa97cf1d320ceaf"  # predict, ResponsesAgent shapes
ASSESSED = "tr-028977f65e7df04108efc43f2c04dcc3"  # two assessments
ERROR_31 = "3ea16b8d2d41430ca5ca3c7ab14f4cf8"  # exception event with a stack trace
OLLAMA_31 = "79f98d58f0324d999fc0ae7d47ead55e"  # LangChain-native + mlflow.chat.messages
OLLAMA_222 = "23c76afab90f482ab6d30c8b382db042"

HOSTILE_ARGUMENTS = '{"url": "file:///etc/passwd", "x": "<script>"}'
BIG_SPANS = 10_000
BIG_CHAINS = 99  # root + 99 chains x 100 children = 10,000 spans
TYPES = ("LLM", "TOOL", "RETRIEVER", "PARSER", "EMBEDDING", "my custom step")
T0 = 1_795_677_600_000_000_000

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<img src="file:///etc/passwd">',
    "[link](file:///etc/passwd)",
    "javascript:alert(document.cookie)",
    '<a href="javascript:alert(1)">click me</a>',
]


def build_big_trace(path: Path) -> str:
    """A 10,000-span trace (root, chains, leaves of several types, some errors); its id."""
    core.set_tracking_uri(f"sqlite:///{path}")
    try:
        root = core.start_span_no_context(
            "big agent run", span_type="AGENT", inputs={"task": "many steps"}, start_time_ns=T0
        )
        step = 1_000_000  # 1 ms per leaf
        for chain_number in range(BIG_CHAINS):
            chain_start = T0 + chain_number * 100 * step
            chain = core.start_span_no_context(
                f"chain {chain_number}", "CHAIN", parent_span=root, start_time_ns=chain_start
            )
            for leaf in range(100):
                _leaf(chain, chain_number, leaf, chain_start + leaf * step, step)
            chain.end(end_time_ns=chain_start + 100 * step)
        root.end(outputs="done", end_time_ns=T0 + BIG_CHAINS * 100 * step + step)
        trace_id = root.trace_id
        core.flush_trace_async_logging()
    finally:
        tracking.reset()
    return trace_id


def _leaf(parent: core.LiveSpan, chain: int, leaf: int, start: int, step: int) -> None:
    kind = TYPES[(chain + leaf) % len(TYPES)]
    span = core.start_span_no_context(
        f"step {chain}.{leaf}", kind, parent_span=parent, start_time_ns=start
    )
    if kind == "LLM":
        span.set_inputs({"messages": [{"role": "user", "content": f"question {leaf}"}]})
        span.set_attribute(
            "mlflow.chat.tokenUsage",
            {"input_tokens": 10, "output_tokens": leaf, "total_tokens": 10 + leaf},
        )
    if (chain * 100 + leaf) % 997 == 0:
        span.set_status("ERROR", f"step {chain}.{leaf} failed")
    span.end(outputs=f"answer {leaf}", end_time_ns=start + step * 3 // 4)


def build_hostile_trace(path: Path) -> str:
    """A one-span trace whose name, inputs, outputs, attributes and events carry markup."""
    joined = "\n\n".join(HOSTILE)
    core.set_tracking_uri(f"sqlite:///{path}")
    try:
        with core.start_span("<b>bold</b> <img src=x onerror=alert(1)>", "LLM") as span:
            span.set_inputs(
                {
                    "messages": [
                        {"role": "system", "content": joined},
                        {"role": "user", "content": f"```html\n{joined}\n```\n{joined}"},
                        {
                            "role": "assistant",
                            "content": None,
                            "tool_calls": [
                                {
                                    "id": "call_<script>",
                                    "type": "function",
                                    "function": {
                                        "name": "<img src=x onerror=alert(1)>",
                                        "arguments": HOSTILE_ARGUMENTS,
                                    },
                                }
                            ],
                        },
                        {"role": "tool", "tool_call_id": "call_<script>", "content": joined},
                    ]
                }
            )
            span.set_outputs({"choices": [{"message": {"role": "<script>", "content": joined}}]})
            span.set_attribute("<img src=x>", joined)
            span.add_event("<script>alert(1)</script>", {"<b>k</b>": joined})
            trace_id = span.trace_id
        core.flush_trace_async_logging()
    finally:
        tracking.reset()
    return trace_id


def zero_span_copy(db: Path, trace_id: str) -> Path:
    """`db` with every span of `trace_id` deleted (as when MLflow drops them under load)."""
    with sqlite3.connect(db) as connection:
        connection.execute("DELETE FROM spans WHERE trace_id = ?", (trace_id,))
    connection.close()
    return db


def malformed_copy(db: Path, trace_id: str) -> Path:
    """`db` with the spans of `trace_id` holding JSON that does not parse."""
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE spans SET content = '{' WHERE trace_id = ?", (trace_id,))
    connection.close()
    return db
