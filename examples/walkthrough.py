"""The MLflow GenAI tutorial TraceDesk was designed from, step by step, written with `core`.

    python examples/walkthrough.py /tmp/demo/mlflow.db --ollama-url http://127.0.0.1:11434

Each `step_*` function is one notebook cell of the tutorial, in the order of
tests/fixtures/mlflow-3.18-tutorial/manifest.json, and makes the same calls with `core` that the
tutorial makes with `mlflow` (the names are the same). The database it writes has the same
experiments, traces and spans as the fixture real MLflow 3.18 wrote (ids and times aside);
tests/test_walkthrough.py checks that.

The chat model is a real `langchain_ollama.ChatOllama`; point it at any Ollama server (the
tests use the stand-in in tests/ollama_server.py). The URL comes from `--ollama-url`, else the
environment variable TRACEDESK_OLLAMA_URL, else Ollama's default http://127.0.0.1:11434.

Later steps of the tutorial (evaluation, prompts, agents) get their own sections at the end of
`STEPS` as `core` grows to support them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from langchain_ollama import ChatOllama

import core
import core.langchain

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
MODEL = "llama3.2:1b"


@dataclass
class Walkthrough:
    """What the steps share: the Ollama server to talk to, and the chat model once made."""

    ollama_url: str
    chat: ChatOllama | None = None


# --------------------------------------------------------------------------- tracing: LangChain


def step_chat_model(state: Walkthrough) -> None:
    """Cell "import + set uris + ChatOllama" (the tracking URI is set in `main`)."""
    state.chat = ChatOllama(model=MODEL, temperature=0, base_url=state.ollama_url)


def step_autolog_and_invoke(state: Walkthrough) -> None:
    """Cell "langchain autolog + chat.invoke": the call becomes a CHAT_MODEL trace."""
    assert state.chat is not None, "step_chat_model makes the chat model"
    core.langchain.autolog()
    reply = state.chat.invoke("Hello how are you?")
    print(f"ChatOllama says: {reply.content}")


def step_search_traces(state: Walkthrough) -> None:
    """Cell "search_traces (DataFrame)".

    Traces are written in the background, as with MLflow; the tutorial needed
    `flush_trace_async_logging()` before the trace showed up, and so does this.
    """
    core.flush_trace_async_logging()
    frame = core.search_traces()
    print(f"{len(frame)} trace(s); columns: {', '.join(frame.columns)}")
    print(frame[["trace_id", "state", "request_time", "execution_duration"]].to_string())


def step_get_trace(state: Walkthrough) -> None:
    """Cell "get_trace": the whole trace of the chat call, by id."""
    trace_id = core.search_traces(max_results=1).trace_id.iloc[0]
    trace = core.get_trace(trace_id)
    assert trace is not None
    print(json.dumps(trace.info.to_dict(), indent=2))
    print("spans:", [span.name for span in trace.data.spans])


# --------------------------------------------------------------------------- tracing: by hand


def step_custom_span(state: Walkthrough) -> None:
    """Cell "set_experiment custom_tracing + start_span set_inputs/attribute/outputs"."""
    core.set_experiment("custom_tracing")
    with core.start_span() as span:
        span.set_inputs("Input request")
        span.set_attribute("hello", "new_value")
        span.set_outputs("Span outputs")


@core.trace
def some_tracing(inp: str) -> str:
    return f"<extra information>{inp}<the data>"


def step_trace_decorator(state: Walkthrough) -> None:
    """Cell "@mlflow.trace some_tracing": inputs are the arguments, outputs the result."""
    some_tracing("hello")


# The parameter is called `input` because the tutorial's spans record {"input": ...}.
@core.trace(name="my_span", span_type=core.SpanType.LLM, attributes={"attr1": "value1"})
def llm_span(input: str) -> str:
    return "some value"


@core.trace(span_type=core.SpanType.RERANKER)
def reranker_span(input: str) -> str:
    return "output of rerunker span"  # sic: the tutorial's spelling


def step_span_types(state: Walkthrough) -> None:
    """Cell "SpanType LLM/RERANKER + custom span type": any string is a span type."""
    with core.start_span(name="my_cool_span", span_type="custom span"):
        llm_span("input")
        reranker_span("reranker span input")


def step_chat_messages(state: Walkthrough) -> None:
    """Cell "chat messages span": a bare list of messages with all four roles."""
    with core.start_span(name="my_span", span_type=core.SpanType.LLM) as span:
        span.set_inputs(
            [
                {"role": "system", "content": "System prompt"},
                {"role": "user", "content": "Hello how are you"},
            ]
        )
        span.set_outputs(
            [
                {"role": "assistant", "content": "Answer of the model"},
                {"role": "tool", "content": "The tool call"},
            ]
        )


def step_nested_spans(state: Walkthrough) -> None:
    """Cell "nested spans outer/innder": a span opened inside another is its child."""
    with core.start_span(name="outer_span") as outer:
        outer.set_inputs("data of outer span")
        with core.start_span(name="innder_span") as inner:  # sic: the tutorial's spelling
            inner.set_inputs("data of inner span")


# --------------------------------------------------------------------------- evaluation
# (to come: set_experiment evaluation_test, genai.evaluate with scorers)

# --------------------------------------------------------------------------- prompts


def step_prompts(state: Walkthrough) -> None:
    """Cell "register_prompt x2 + load_prompt + format": two versions, loaded and filled in.

    The first registration creates the prompt with a commit message, the second adds version 2
    (no message, as in the tutorial). `load_prompt` takes a `prompts:/name/version` URI; a
    template without `{{ variables }}` formats to itself.
    """
    first = core.register_prompt(
        "knowledge_prompt", "This is my prompt", commit_message="Initial prompt"
    )
    second = core.register_prompt("knowledge_prompt", "Updated version of the prompt")
    print(f"Registered {first.uri} and {second.uri}")
    version_1 = core.load_prompt("prompts:/knowledge_prompt/1")
    version_2 = core.load_prompt("prompts:/knowledge_prompt/2")
    assert version_1 is not None and version_2 is not None
    print(f"Version 1: {version_1.template!r} ({version_1.commit_message})")
    print(f"Version 2 formatted: {version_2.format()!r}")


# --------------------------------------------------------------------------- agents
# (to come: log_model, load_model, predict)


STEPS: list[Callable[[Walkthrough], None]] = [
    step_chat_model,
    step_autolog_and_invoke,
    step_search_traces,
    step_get_trace,
    step_custom_span,
    step_trace_decorator,
    step_span_types,
    step_chat_messages,
    step_nested_spans,
    step_prompts,
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, help="SQLite file to write (created if missing)")
    parser.add_argument(
        "--ollama-url",
        default=os.environ.get("TRACEDESK_OLLAMA_URL", DEFAULT_OLLAMA_URL),
        help="Ollama server (default: $TRACEDESK_OLLAMA_URL, else %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.database.parent.mkdir(parents=True, exist_ok=True)
    core.set_tracking_uri(f"sqlite:///{args.database.resolve()}")
    state = Walkthrough(ollama_url=args.ollama_url)
    for step in STEPS:
        print(f"--- {step.__doc__.splitlines()[0] if step.__doc__ else step.__name__}")
        step(state)
    core.flush_trace_async_logging()  # everything is in the database before we say so
    print(f"Done: {args.database}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
