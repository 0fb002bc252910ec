"""Trying a prompt on an Ollama model, traced into the open database (no Qt; job-pool code).

The call's root span is opened with the open store's `core.Client` (`client.start_span`), so
its trace is written by that client into that store and experiment, whatever else the process
traces; the client's writer stores it (with its `entity_associations` link to the prompt
version) in its own short transaction.

The chat model call nests under the root span through `core.langchain.CoreLangchainTracer`,
passed as the call's callback (so nothing depends on whether `autolog()` is on), which records
the CHAT_MODEL span MLflow's LangChain autolog would. The prompt version is linked as
`load_prompt` links it inside a span: trace tag `mlflow.linkedPrompts` and the span attribute
of the same name (`core.prompts.link_to_current_trace`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.ollama import model_names
from core.client import Client
from core.entities import SpanType
from core.entities.prompt import PromptVersion, Template
from core.prompts import link_to_current_trace

#: Seconds to wait for the model list, and for a model's answer to start or continue.
LIST_TIMEOUT_S = 5.0
CHAT_TIMEOUT_S = 300.0
#: Seconds to wait for the trace to be written after the answer came.
WRITE_TIMEOUT_S = 30.0
NOT_SAVED = "The database is open read-only, so this call was not saved as a trace."
NOT_SAVED_LAYOUT = (
    "TraceDesk does not write this database's layout, so this call was not saved as a trace."
)


class Cancelled(Exception):
    """The user cancelled the call; the trace records it as an error span."""


class TokenLike:
    """What the job pool passes: `cancelled` is all this module reads."""

    cancelled: bool = False


@dataclass(frozen=True)
class TryRequest:
    """One try: the prompt version, the filled-in template, where to trace it."""

    url: str
    model: str
    prompt: PromptVersion
    values: dict[str, str]
    formatted: Template
    client: Client | None  # None: nothing is traced (read-only store or older layout)
    experiment_id: str = "0"
    untraced_note: str = NOT_SAVED  # said with the answer when `client` is None


@dataclass(frozen=True)
class TryResult:
    answer: str
    trace_id: str | None = None
    note: str = ""
    saved: bool = False
    details: dict[str, Any] = field(default_factory=dict)


def describe_error(error: BaseException, url: str, model: str = "") -> str:
    """A message the user can act on for what Ollama (or the way to it) said."""
    import httpx  # here: a tenth of a second at start-up for a window that may never try
    import ollama

    if isinstance(error, ConnectionError | httpx.ConnectError):
        return (
            f"Ollama is not answering at {url}. Start it (`ollama serve`) or set its address "
            "in Edit → Settings (Ctrl+,)."
        )
    if isinstance(error, httpx.TimeoutException):
        return f"Ollama at {url} did not answer in time."
    if isinstance(error, ollama.ResponseError):
        if error.status_code == 404 and model:
            return f"Ollama at {url} has no model {model!r}: pull it with `ollama pull {model}`."
        return f"Ollama at {url} answered with an error ({error.status_code}): {error.error}"
    if isinstance(error, httpx.HTTPError):
        return f"The connection to Ollama at {url} failed: {error}"
    return f"{type(error).__name__}: {error}"


def list_models(token: TokenLike, url: str) -> list[str]:
    """Job pool: the models the server has pulled, by name (`describe_error` says a failure)."""
    return model_names(url, LIST_TIMEOUT_S)


def chat_messages(formatted: Template) -> list[tuple[str, str]]:
    """LangChain's (role, content) pairs for a filled-in template; text is one user message."""
    if isinstance(formatted, str):
        return [("user", formatted)]
    return [(str(m.get("role") or "user"), str(m.get("content", ""))) for m in formatted]


def _stream(token: TokenLike, request: TryRequest, callbacks: list[Any]) -> str:
    """The model's answer, streamed so a cancel stops it between chunks."""
    from langchain_ollama import ChatOllama

    chat = ChatOllama(
        base_url=request.url,
        model=request.model,
        client_kwargs={"timeout": CHAT_TIMEOUT_S},
    )
    parts: list[str] = []
    config: Any = {"callbacks": callbacks}
    for chunk in chat.stream(chat_messages(request.formatted), config=config):
        if token.cancelled:
            raise Cancelled("Cancelled by the user.")
        parts.append(chunk.text if isinstance(chunk.text, str) else str(chunk.content))
    return "".join(parts)


def run_prompt(token: TokenLike, request: TryRequest) -> TryResult:
    """Job pool: send the filled-in prompt to the model; trace it when the store is writable."""
    client = request.client
    if client is None:
        return TryResult(_stream(token, request, []), note=request.untraced_note)
    from core.langchain import CoreLangchainTracer

    name = f"prompt {request.prompt.name} v{request.prompt.version}"
    with client.start_span(name, SpanType.CHAIN, experiment_id=request.experiment_id) as span:
        span.set_inputs({"prompt": request.prompt.uri, "variables": request.values})
        link_to_current_trace(request.prompt)
        answer = _stream(token, request, [CoreLangchainTracer(client)])
        span.set_outputs(answer)
    return _written(client, answer, span.trace_id)


def _written(client: Client, answer: str, trace_id: str) -> TryResult:
    """Wait for the client's trace writer; say whether the trace is in the database."""
    flushed = client.flush_traces(WRITE_TIMEOUT_S)  # False also when a trace failed
    failure = client.trace_failure(trace_id)
    if failure is not None:
        return TryResult(answer, trace_id, f"The trace could not be saved: {failure}")
    if not flushed:
        return TryResult(answer, trace_id, "The trace is still being written.", saved=False)
    return TryResult(answer, trace_id, f"Traced as {trace_id}.", saved=True)
