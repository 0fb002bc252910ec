"""Running a replay: the edited messages streamed from an Ollama model, traced as a new trace
tagged with the span it replays (no Qt; job-pool code).

`run_replay(token, run)` streams the answer with `langchain-ollama`'s `ChatOllama` and hands
the text to the GUI in batches (`token.report(chunks, 0, text)`, at most one per
`BATCH_S`), stops between chunks once the token is cancelled, and measures the latency and the
token counts (the final chunk's usage metadata). With a writable client the call is traced as
`try_call` traces a prompt try: a CHAIN root `replay: <span name>` opened with the client, the
CHAT_MODEL span under it by `CoreLangchainTracer`, and the trace tagged `REPLAY_OF_TRACE_TAG` /
`REPLAY_OF_SPAN_TAG` so `trace.replay_of = '<id>'` finds it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from typing import Any, Protocol

from app.messages.formats import ASSISTANT, SYSTEM, TOOL, ToolCall
from app.prompts.try_call import CHAT_TIMEOUT_S, WRITE_TIMEOUT_S, Cancelled, describe_error
from app.replay.request import ReplayMessage, message_dict, tool_call_text
from core.client import Client
from core.entities import SpanType
from core.query import REPLAY_OF_SPAN_TAG, REPLAY_OF_TRACE_TAG

#: Seconds between two batches of streamed text sent to the GUI.
BATCH_S = 0.05
NOT_SAVED = "The database is open read-only, so this replay was not saved as a trace."


class ReplayToken(Protocol):
    """What the job pool passes (`app.tasks.JobToken`)."""

    @property
    def cancelled(self) -> bool: ...

    def report(self, done: int, total: int, payload: object = None) -> None: ...


class ReplayFailed(Exception):
    """The model call failed; the message says what to do, `partial` is what had come."""

    def __init__(self, message: str, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial


@dataclass(frozen=True)
class ReplayRun:
    """One replay as edited in the dialog, and where to trace it."""

    url: str
    model: str
    messages: tuple[ReplayMessage, ...]
    source_trace_id: str
    source_span_id: str | None
    source_name: str
    tools: tuple[dict[str, Any], ...] = ()
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    client: Client | None = None  # None: not traced (read-only store or older layout)
    experiment_id: str = "0"
    untraced_note: str = NOT_SAVED


@dataclass(frozen=True)
class ReplayResult:
    text: str  # the answer, tool calls as `→ name(arguments)` lines
    latency_ns: int
    first_chunk_ns: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    trace_id: str | None = None
    saved: bool = False
    note: str = ""


@dataclass
class _Answer:
    """What has streamed in so far."""

    parts: list[str]
    tool_calls: list[ToolCall]
    started: int = 0  # perf_counter_ns when the request was sent
    ended: int = 0
    usage: dict[str, Any] | None = None
    chunks: int = 0
    first_chunk_ns: int | None = None

    @property
    def text(self) -> str:
        calls = [tool_call_text(call) for call in self.tool_calls]
        return "\n\n".join(p for p in ("".join(self.parts), *calls) if p)


def run_replay(token: ReplayToken, run: ReplayRun) -> ReplayResult:
    """Job pool: send the edited messages to the model; trace it when the store is writable."""
    chat = _chat(run)  # first: importing langchain-ollama is not the model's latency
    client = run.client
    if client is None:
        answer = _stream(token, chat, run, [])
        return _result(answer, note=run.untraced_note)
    from core.langchain import CoreLangchainTracer

    with client.start_span(
        f"replay: {run.source_name}", SpanType.CHAIN, experiment_id=run.experiment_id
    ) as span:
        span.set_inputs({"messages": [message_dict(m) for m in run.messages]})
        client.set_trace_tag(span.trace_id, REPLAY_OF_TRACE_TAG, run.source_trace_id)
        if run.source_span_id:
            client.set_trace_tag(span.trace_id, REPLAY_OF_SPAN_TAG, run.source_span_id)
        answer = _stream(token, chat, run, [CoreLangchainTracer(client)])
        span.set_outputs(answer.text)
    return _written(client, _result(answer), span.trace_id)


def _stream(token: ReplayToken, chat: Any, run: ReplayRun, callbacks: list[Any]) -> _Answer:
    """The model's answer, streamed so a cancel stops it between chunks; batches of text go
    to the GUI as they come."""
    answer = _Answer([], [], started=time.perf_counter_ns())
    sent, last_report = 0, time.monotonic()
    try:
        messages = _langchain_messages(run.messages)
        for chunk in chat.stream(messages, config=_config(callbacks)):
            if token.cancelled:
                raise Cancelled("Stopped by the user.")
            _take(answer, chunk)
            if time.monotonic() - last_report >= BATCH_S and len(answer.parts) > sent:
                token.report(answer.chunks, 0, "".join(answer.parts[sent:]))
                sent, last_report = len(answer.parts), time.monotonic()
    except Cancelled:
        raise
    except Exception as error:
        raise ReplayFailed(_describe(error, run, answer), answer.text) from error
    answer.ended = time.perf_counter_ns()
    if len(answer.parts) > sent:
        token.report(answer.chunks, 0, "".join(answer.parts[sent:]))
    return answer


def _chat(run: ReplayRun) -> Any:
    from langchain_ollama import ChatOllama

    chat = ChatOllama(
        base_url=run.url,
        model=run.model,
        temperature=run.temperature,
        num_predict=run.max_tokens,
        seed=run.seed,
        client_kwargs={"timeout": CHAT_TIMEOUT_S},
    )
    return chat.bind_tools(list(run.tools)) if run.tools else chat


def _config(callbacks: list[Any]) -> Any:
    return {"callbacks": callbacks}


def _take(answer: _Answer, chunk: Any) -> None:
    """Add one streamed chunk: its text, its tool calls, the usage of the final one."""
    answer.chunks += 1
    if answer.first_chunk_ns is None:
        answer.first_chunk_ns = time.perf_counter_ns() - answer.started
    text = chunk.text if isinstance(chunk.text, str) else str(chunk.content)
    if text:
        answer.parts.append(text)
    for call in getattr(chunk, "tool_calls", None) or []:
        arguments = json.dumps(call.get("args") or {}, ensure_ascii=False)
        answer.tool_calls.append(ToolCall(str(call.get("name")), arguments, call.get("id"), True))
    usage = getattr(chunk, "usage_metadata", None)
    if usage:
        answer.usage = dict(usage)


def _langchain_messages(messages: tuple[ReplayMessage, ...]) -> list[Any]:
    """LangChain messages for the edited rows (tool calls and results keep their ids)."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    out: list[Any] = []
    for message in messages:
        if message.role == SYSTEM:
            out.append(SystemMessage(message.content))
        elif message.role == ASSISTANT:
            calls = [_langchain_call(c, i) for i, c in enumerate(message.tool_calls)]
            out.append(AIMessage(message.content, tool_calls=calls))
        elif message.role == TOOL:
            out.append(ToolMessage(message.content, tool_call_id=message.tool_call_id or "call"))
        else:
            out.append(HumanMessage(message.content))
    return out


def _langchain_call(call: ToolCall, index: int) -> dict[str, Any]:
    try:
        args = json.loads(call.arguments) if call.arguments else {}
    except ValueError:
        args = {"input": call.arguments}
    if not isinstance(args, dict):
        args = {"input": args}
    return {"name": call.name, "args": args, "id": call.call_id or f"call_{index}"}


def _describe(error: BaseException, run: ReplayRun, answer: _Answer) -> str:
    """`describe_error`, and for a stream that broke off, how far it had come."""
    import httpx

    if answer.chunks and isinstance(error, httpx.TransportError | ConnectionError):
        return (
            f"Ollama at {run.url} stopped in the middle of the answer, after {answer.chunks} "
            f"chunk(s) ({type(error).__name__}: {error}). The part that came is shown."
        )
    if isinstance(error, httpx.RemoteProtocolError):
        return (
            f"Ollama at {run.url} closed the connection before answering "
            f"({type(error).__name__}: {error})."
        )
    return describe_error(error, run.url, run.model)


def _result(answer: _Answer, note: str = "") -> ReplayResult:
    usage = answer.usage or {}
    return ReplayResult(
        text=answer.text,
        latency_ns=answer.ended - answer.started,
        first_chunk_ns=answer.first_chunk_ns,
        input_tokens=usage.get("input_tokens"),
        output_tokens=usage.get("output_tokens"),
        note=note,
    )


def _written(client: Client, result: ReplayResult, trace_id: str) -> ReplayResult:
    """Wait for the client's trace writer; say whether the replay is in the database."""
    flushed = client.flush_traces(WRITE_TIMEOUT_S)
    failure = client.trace_failure(trace_id)
    if failure is not None:
        return replace(result, trace_id=trace_id, note=f"The replay could not be saved: {failure}")
    if not flushed:
        return replace(result, trace_id=trace_id, note="The replay is still being written.")
    note = f"Traced as {trace_id} (tag {REPLAY_OF_TRACE_TAG})."
    return replace(result, trace_id=trace_id, saved=True, note=note)
