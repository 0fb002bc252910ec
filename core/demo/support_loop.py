"""The support agent's tool-calling loop: model calls that ask for tools, the tools, the answer.

`Loop` lays the spans out as a plain agent or as a LangGraph graph (agent and tools nodes);
the mishaps (rate limits, tool timeouts, a model writing bad arguments, a model server that is
down) fail or recover the way those agents do.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from core.demo.failures import (
    MESSAGES,
    TOOL_FRAMES,
    app_frames,
    ollama_failure,
    rate_limit_failure,
    timeout_failure,
    validation_failure,
)
from core.demo.llm import MODELS, chat_call, failed_chat_call, tool_call_message
from core.demo.plan import SECOND, Failure, Gen, Node, Seq, group, leaf
from core.demo.shop import SUPPORT_TOOLS, Scenario, Step

AGENT_FRAMES = app_frames("support_agent")
#: How often each kind of trouble happens in a support turn.
MISHAPS = (
    (None, 0.78),
    ("rate_limit", 0.07),
    ("tool_timeout", 0.06),
    ("fatal_timeout", 0.03),
    ("validation", 0.03),
    ("model_down", 0.03),
)


def pick_mishap(g: Gen) -> str | None:
    return g.weighted(MISHAPS)


def attempt_failure(g: Gen, model: str, mishap: str | None) -> Failure:
    """What a failed model call raises: OpenAI rate-limits; Ollama refuses or times out."""
    if MODELS[model].provider == "openai":
        return rate_limit_failure(g, model, AGENT_FRAMES)
    return ollama_failure("connect" if mishap == "model_down" else "timeout", AGENT_FRAMES)


def model_call(
    g: Gen,
    t: int,
    model: str,
    messages: list[dict[str, Any]],
    reply: dict[str, Any],
    mishap: str | None,
    name: str | None = None,
) -> tuple[list[Node], Failure | None]:
    """The model call (after a failed attempt and a retry, when the mishap says so)."""
    if mishap == "model_down":
        error = attempt_failure(g, model, mishap)
        return [failed_chat_call(g, t, model, messages, error, name)], error
    nodes: list[Node] = []
    if mishap == "rate_limit":
        error = attempt_failure(g, model, mishap)
        nodes.append(failed_chat_call(g, t, model, messages, error, name))
        t = nodes[-1].end_ns + g.ms(300, 1_200)  # the client's backoff before retrying
    call = chat_call(g, t, model, messages, reply, tools=SUPPORT_TOOLS, name=name)
    if nodes:
        retry = {"attempt": 2, "previous_error": error.type_name}
        call.events.append(("retry", retry, call.start_ns))
    return [*nodes, call], None


def tool_failure(kind: str, step: Step) -> Failure:
    if kind == "validation":
        detail = MESSAGES["amount_not_a_number"].format(value=step.args.get("amount"))
        return validation_failure("RefundRequest", "amount", detail, app_frames("refund_request"))
    return timeout_failure(TOOL_FRAMES.get(step.tool, app_frames("tool_call")))


def run_tools(
    g: Gen, t: int, steps: Sequence[Step], request: dict[str, Any], failing: str | None
) -> tuple[list[Node], list[dict[str, Any]], Failure | None]:
    """The requested tools, run in parallel; with `failing`, the first one raises."""
    nodes, results, error = [], [], None
    for index, (step, call) in enumerate(zip(steps, request["tool_calls"], strict=True)):
        node = leaf(
            g,
            t + g.ms(0.05, 1.5),
            step.tool,
            "TOOL",
            (10, 500),
            step.args,
            step.result,
            {"mlflow.spanFunctionName": step.tool},
        )
        content = json.dumps(step.result, ensure_ascii=False)
        if failing and index == 0:
            error = node.failure = tool_failure(failing, step)
            node.outputs = None
            node.end_ns = node.start_ns + (g.ms(2, 30) if failing == "validation" else 3 * SECOND)
            # LangGraph's ToolNode hands the error back to the model in this exact wording.
            content = f"Error: {error.type_name}({error.message!r})\n Please fix your mistakes."
        nodes.append(node)
        results.append({"role": "tool", "tool_call_id": call["id"], "content": content})
    return nodes, results, error


def break_arguments(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """The model wrote the amount as text ("24.99 (full amount)"), which the schema rejects."""
    step = steps[0]
    if "amount" not in step.args:
        return steps
    args = step.args | {"amount": f"{step.args['amount']:.2f} (full amount)"}
    return (replace(step, args=args), *steps[1:])


@dataclass
class Loop:
    """The agent loop's state: where spans go and the conversation so far."""

    g: Gen
    seq: Seq
    model: str
    messages: list[dict[str, Any]]
    langgraph: bool = False
    chat_name: str | None = None

    def add_model_call(self, reply: dict[str, Any], mishap: str | None) -> Failure | None:
        nodes, error = model_call(
            self.g, self.seq.t, self.model, self.messages, reply, mishap, self.chat_name
        )
        if self.langgraph:
            out = None if error else {"messages": [reply]}
            nodes = [group("agent", "CHAIN", nodes, {"messages": self.messages}, out)]
        self.seq.add(*nodes)
        self.messages = [*self.messages, reply]
        return error

    def add_tools(self, steps: Sequence[Step], failing: str | None) -> Failure | None:
        request = self.messages[-1]
        nodes, results, error = run_tools(self.g, self.seq.t, steps, request, failing)
        if self.langgraph:
            handled = failing == "tool_timeout"  # the error goes back to the model as a message
            io = {"messages": [request]}, {"messages": results}
            nodes = [group("tools", "CHAIN", nodes, *io, propagate=not handled)]
        self.seq.add(*nodes)
        self.messages = [*self.messages, *results]
        return error


def run_rounds(loop: Loop, scenario: Scenario, mishap: str | None) -> Failure | None:
    """Model calls that ask for tools and the tool calls, round by round.

    Returns the error that ends the turn (a tool timeout the agent recovers from does not).
    """
    last = len(scenario.rounds) - 1
    for index, steps in enumerate(scenario.rounds):
        failing = mishap if mishap in ("tool_timeout", "fatal_timeout", "validation") else None
        failing = failing if index == last else None
        if failing == "validation":
            steps = break_arguments(steps)  # noqa: PLW2901 -- the model's (broken) version
        request = tool_call_message(loop.g, [(s.tool, s.args) for s in steps])
        error = loop.add_model_call(request, mishap if index == 0 else None)
        if error:
            return error
        error = loop.add_tools(steps, failing)
        if error and failing != "tool_timeout":
            return error
    return None


def run_agent(loop: Loop, scenario: Scenario, mishap: str | None) -> Failure | None:
    """The tool rounds, then the answer (an apologetic one when a tool timed out)."""
    error = run_rounds(loop, scenario, mishap)
    if error is not None:
        return error
    recovered = mishap == "tool_timeout" and scenario.rounds
    answer = {"role": "assistant", "content": scenario.fallback if recovered else scenario.answer}
    # Without tool rounds, the answer is the first model call, so trouble hits it.
    return loop.add_model_call(answer, None if scenario.rounds else mishap)
