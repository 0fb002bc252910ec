"""The support-agent experiment: conversations with the support agent, turn by turn.

Each turn passes an input guardrail, loads and saves the conversation's memory and runs the
tool loop (core/demo/support_loop.py), as a plain agent, a LangGraph graph, or an MLflow
ResponsesAgent's `predict`; a few probes with markup are blocked by the guardrail.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.demo.plan import (
    SECOND,
    Gen,
    Node,
    Seq,
    TraceSpec,
    leaf,
    moment,
    trace_context,
)
from core.demo.prompts import SYSTEM_PROMPT, SYSTEM_VERSIONS, support_system
from core.demo.scenarios import SCENARIOS
from core.demo.shop import PEOPLE, TEXTS, Order, Person, Scenario, make_order
from core.demo.support_loop import Loop, pick_mishap, run_agent, run_rounds
from core.mlflow_keys import LINKED_PROMPTS_TAG

AGENT_TEXTS: dict[str, str] = TEXTS["agent"]
REFUSAL = AGENT_TEXTS["refusal"]
NO_ANSWER = AGENT_TEXTS["no_answer"]
INJECTIONS: tuple[str, ...] = tuple(TEXTS["injections"])
INJECTION_MARKERS = ("<script", "onerror", "file://", "javascript:", "ignore all previous")
#: The system prompt's versions in use, drawn per conversation: an A/B rollout of the newest.
PROMPT_VERSIONS = (len(SYSTEM_VERSIONS) - 1, len(SYSTEM_VERSIONS), len(SYSTEM_VERSIONS))


def linked_prompt(version: int) -> dict[str, str]:
    """The trace tag MLflow writes when the turn loads the prompt (`mlflow.linkedPrompts`)."""
    return {LINKED_PROMPTS_TAG: json.dumps([{"name": SYSTEM_PROMPT, "version": str(version)}])}


def guardrail(g: Gen, t: int, text: str) -> Node:
    """The input check every turn passes first (it blocks markup and prompt injection)."""
    flagged = any(marker in text.lower() for marker in INJECTION_MARKERS)
    scores = {
        "prompt_injection": round(
            g.rng.uniform(0.91, 0.99) if flagged else g.rng.uniform(0.001, 0.04), 3
        ),
        "pii": round(g.rng.uniform(0.0, 0.2), 3),
        "toxicity": round(g.rng.uniform(0.0, 0.03), 3),
    }
    outputs: dict[str, Any] = {
        "flagged": flagged,
        "action": "block" if flagged else "allow",
        "scores": scores,
    }
    if flagged:
        outputs["reason"] = AGENT_TEXTS["blocked_reason"]
    inputs = {"text": text, "policies": ["prompt_injection", "pii", "toxicity"]}
    return leaf(g, t, "input_guardrail", "GUARDRAIL", (40, 250), inputs, outputs)


def load_memory(g: Gen, t: int, session_id: str, history: list[dict[str, Any]]) -> Node:
    inputs = {"session_id": session_id, "max_messages": 20}
    return leaf(g, t, "load_memory", "MEMORY", (3, 40), inputs, {"messages": history})


def save_memory(g: Gen, t: int, session_id: str, new: list[dict[str, Any]]) -> Node:
    inputs = {"session_id": session_id, "messages": new}
    return leaf(
        g, t, "save_memory", "MEMORY", (3, 40), inputs, {"stored": len(new), "ttl_s": 604_800}
    )


@dataclass(frozen=True)
class Conversation:
    """What stays the same over a support session."""

    person: Person
    order: Order
    session_id: str
    model: str
    langgraph: bool


def support_turn(
    g: Gen,
    t: int,
    chat: Conversation,
    scenario: Scenario,
    history: list[dict[str, Any]],
    mishap: str | None,
    prompt: int,
) -> Node:
    """One user message and everything the agent did about it (`prompt`: the system prompt's
    version)."""
    user = {"role": "user", "content": scenario.question}
    seq = Seq(g, t)
    if history:
        seq.add(load_memory(g, seq.t, chat.session_id, history))
    seq.add(guard := guardrail(g, seq.t, scenario.question))
    system = {"role": "system", "content": support_system(prompt, chat.person.tenant)}
    loop = Loop(g, seq, chat.model, [system, *history, user], chat.langgraph)
    error = None
    if guard.outputs["flagged"]:
        loop.messages.append({"role": "assistant", "content": REFUSAL})
    else:
        error = run_agent(loop, scenario, mishap)
    if error is None:
        seq.add(save_memory(g, seq.t, chat.session_id, [user, loop.messages[-1]]))
    name, kind = ("LangGraph", "CHAIN") if chat.langgraph else ("support_agent", "AGENT")
    outputs = None if error else {"messages": loop.messages[1:]}
    return seq.close(name, kind, {"messages": [*history, user]}, outputs, failure=error)


def exchange(question: str, root: Node) -> list[dict[str, Any]]:
    """The turn as the next turn's memory holds it: the question and the final answer."""
    answer = root.outputs["messages"][-1]["content"] if root.outputs else None
    return [
        {"role": "user", "content": question},
        {"role": "assistant", "content": answer or NO_ANSWER},
    ]


def support_session(g: Gen, now: int, turns: int) -> list[TraceSpec]:
    """A conversation of `turns` messages from one customer about one order."""
    person = g.pick(PEOPLE)
    t = moment(g, now)
    model = g.pick(("gpt-4o-mini", "gpt-4o-mini", "gpt-4o", "llama3.2:1b"))
    chat = Conversation(
        person, make_order(g, person, t), f"chat-{g.hex(12)}", model, g.chance(0.35)
    )
    channel = g.pick(("web", "web", "email", "whatsapp"))
    prompt = g.pick(PROMPT_VERSIONS)
    history: list[dict[str, Any]] = []
    specs = []
    for _ in range(turns):
        scenario = g.pick(SCENARIOS[person.lang])(g, person, chat.order, t)
        mishap = pick_mishap(g)
        if mishap == "validation" and scenario.topic != "refund":
            mishap = "fatal_timeout"
        root = support_turn(g, t, chat, scenario, history, mishap, prompt)
        tags, metadata = trace_context("support-agent", t, now, g)
        tags |= {"customer": person.tenant, "channel": channel, "topic": scenario.topic}
        tags |= linked_prompt(prompt)
        metadata["prompt_version"] = f"{SYSTEM_PROMPT}@{prompt}"
        specs.append(
            TraceSpec("support-agent", root, tags, metadata, chat.session_id, person.email)
        )
        history = [*history, *exchange(scenario.question, root)]
        t = root.end_ns + g.ms(15_000, 240_000)  # the customer reads and types the next message
    return specs


def injection_trace(g: Gen, now: int, text: str) -> TraceSpec:
    """A probe with markup in it: the guardrail blocks it and the viewer must show it as text."""
    person = Person("anonymous", "anonymous", "en", "Northwind Outfitters")
    t = moment(g, now)
    chat = Conversation(person, make_order(g, person, t), f"chat-{g.hex(12)}", "gpt-4o-mini", False)
    prompt = g.pick(PROMPT_VERSIONS)
    root = support_turn(g, t, chat, Scenario("abuse", text, (), REFUSAL, ""), [], None, prompt)
    tags, metadata = trace_context("support-agent", t, now, g)
    tags |= linked_prompt(prompt)
    tags |= {
        "customer": person.tenant,
        "channel": "web",
        "topic": "abuse",
        "guardrail": "blocked",
        "note": "<b>blocked</b> by input_guardrail",
    }
    return TraceSpec("support-agent", root, tags, metadata, chat.session_id, None)


def responses_output(g: Gen, produced: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The agent's chat messages after the user's, as Responses API output items."""
    items: list[dict[str, Any]] = []
    for message in produced:
        for call in message.get("tool_calls") or ():
            items.append(
                {
                    "type": "function_call",
                    "id": f"fc_{g.hex(24)}",
                    "call_id": call["id"],
                    "name": call["function"]["name"],
                    "arguments": call["function"]["arguments"],
                }
            )
        if message["role"] == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message["tool_call_id"],
                    "output": message["content"],
                }
            )
        elif message["role"] == "assistant" and message.get("content"):
            text = {"type": "output_text", "text": message["content"], "annotations": []}
            items.append(
                {
                    "type": "message",
                    "id": f"msg_{g.hex(24)}",
                    "role": "assistant",
                    "content": [text],
                }
            )
    return items


def responses_turn(
    g: Gen,
    t: int,
    chat: Conversation,
    scenario: Scenario,
    history: list[dict[str, Any]],
    mishap: str | None,
    prompt: int,
) -> Node:
    """A ResponsesAgent `predict` call (MLflow's agent interface), with the same tool loop."""
    user = {"role": "user", "content": scenario.question}
    seq = Seq(g, t)
    system = {"role": "system", "content": support_system(prompt, chat.person.tenant)}
    loop = Loop(g, seq, chat.model, [system, *history, user], chat_name="Completions")
    error = run_rounds(loop, scenario, mishap)
    if error is None:
        loop.add_model_call({"role": "assistant", "content": scenario.answer}, None)
    produced = loop.messages[len(history) + 2 :]
    request = {
        "input": [*(responses_input(m) for m in history), responses_input(user)],
        "context": {"conversation_id": chat.session_id, "user_id": chat.person.email},
    }
    outputs = None if error else response_object(g, t, chat.model, responses_output(g, produced))
    return seq.close("predict", "AGENT", {"request": request}, outputs, failure=error)


def response_object(g: Gen, t: int, model: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "object": "response",
        "id": f"resp_{g.hex(32)}",
        "created_at": t // SECOND,
        "model": model,
        "status": "completed",
        "output": items,
    }


def responses_input(message: dict[str, Any]) -> dict[str, Any]:
    """A chat message as a Responses input item (assistant text comes as output_text parts)."""
    if message["role"] == "assistant":
        parts = [{"type": "output_text", "text": message["content"], "annotations": []}]
        return {"type": "message", "role": "assistant", "content": parts}
    return {"type": "message", "role": message["role"], "content": message["content"]}


def responses_session(g: Gen, now: int, turns: int) -> list[TraceSpec]:
    """A conversation with the agent served as an MLflow ResponsesAgent model."""
    person = g.pick([p for p in PEOPLE if p.lang == "en"])
    t = moment(g, now)
    chat = Conversation(
        person, make_order(g, person, t), str(g.between(10**5, 10**6)), "gpt-4o-mini", False
    )
    model_id = f"m-{g.hex(32)}"
    prompt = g.pick(PROMPT_VERSIONS)
    history: list[dict[str, Any]] = []
    specs = []
    for _ in range(turns):
        scenario = g.pick(SCENARIOS["en"])(g, person, chat.order, t)
        mishap = g.pick((None, None, None, None, None, "rate_limit", "fatal_timeout"))
        root = responses_turn(g, t, chat, scenario, history, mishap, prompt)
        tags, metadata = trace_context("support-agent", t, now, g)
        tags |= linked_prompt(prompt)
        tags |= {"customer": person.tenant, "channel": "api", "topic": scenario.topic}
        metadata["mlflow.modelId"] = model_id
        specs.append(
            TraceSpec("support-agent", root, tags, metadata, chat.session_id, person.email)
        )
        answer = scenario.answer if root.failure is None else NO_ANSWER
        history = [
            *history,
            {"role": "user", "content": scenario.question},
            {"role": "assistant", "content": answer},
        ]
        t = root.end_ns + g.ms(20_000, 300_000)
    return specs


def support_traces(g: Gen, now: int) -> list[TraceSpec]:
    specs: list[TraceSpec] = []
    for _ in range(26):
        specs += support_session(g, now, g.between(2, 5))
    for _ in range(18):
        specs += support_session(g, now, 1)
    for _ in range(10):
        specs += responses_session(g, now, g.between(1, 3))
    specs += [injection_trace(g, now, text) for text in INJECTIONS]
    return specs
