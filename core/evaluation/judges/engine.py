"""The one engine every LLM judge runs on: ask a local Ollama model a yes/no question.

The model is reached through `langchain_ollama.ChatOllama` and held to the JSON object
`{"rationale": "...", "result": "yes" | "no"}` (a structured-output schema, so a real Ollama sticks
to it). A server that is down, an HTTP error or an answer that is no verdict is retried a bounded
number of times (a model that is not pulled is not: it will not appear by waiting), then raised
as `JudgeError` saying which judge, which model, which server and what went wrong. The judge's
own chat call stays out of LangChain autologging. `make_feedback` is the one place a judge's
`Feedback` is made.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.entities import AssessmentSource, Feedback
from core.evaluation.judges.models import model_uri, ollama_model, ollama_url
from core.evaluation.judges.verdicts import (
    VERDICT_SCHEMA,
    CategoricalRating,
    JudgeError,
    parse_verdict,
)

SYSTEM_PROMPT = (
    "You are a strict evaluator. Read the instructions and the data below, then decide: "
    "yes or no. Reply with only a JSON object of the form "
    '{"rationale": "<one or two sentences of reasoning>", "result": "yes" or "no"}.'
)
#: Assessment source type of a judge's feedback (MLflow's `AssessmentSourceType.LLM_JUDGE`).
LLM_JUDGE = "LLM_JUDGE"


@dataclass(frozen=True)
class Verdict:
    """What the model decided, and why."""

    value: CategoricalRating
    rationale: str | None


class JudgeEngine:
    """Asks one Ollama model (`"ollama:/<name>"`, a bare name, or None for the default) yes/no
    questions on the server `base_url` (else the environment's, see `ollama_url`).

    `retries` more attempts follow a failed one, `retry_delay_s` apart (doubling); each call may
    take `timeout_s`. One chat client per server URL, shared by the threads of an evaluation.
    """

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        *,
        retries: int = 2,
        retry_delay_s: float = 0.5,
        timeout_s: float = 120.0,
    ) -> None:
        self.model = ollama_model(model)
        self.base_url = base_url
        self.retries = max(0, retries)
        self.retry_delay_s = retry_delay_s
        self.timeout_s = timeout_s
        self._chats: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return ollama_url(self.base_url)

    @property
    def uri(self) -> str:
        """The model as MLflow spells it, `ollama:/<name>`: the feedback's `source_id`."""
        return model_uri(self.model)

    def ask(self, prompt: str, *, judge: str, system: str = SYSTEM_PROMPT) -> Verdict:
        """The model's verdict on `prompt`; `judge` names the asker in a `JudgeError`."""
        messages = [("system", system), ("human", prompt)]
        attempts = self.retries + 1
        problem, made = "", 0
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.retry_delay_s * 2 ** (attempt - 1))
            made += 1
            try:
                return Verdict(*parse_verdict(self._invoke(messages)))
            except JudgeError as error:
                problem = str(error)
            except Exception as error:  # the client raises many kinds; each is one failure
                problem = describe_failure(error, self.url, self.model)
                if not is_retryable(error):
                    break
        tries = f"{made} attempt{'s' if made > 1 else ''}"
        raise JudgeError(f"{judge} gave no verdict after {tries}: {problem}")

    def _invoke(self, messages: list[tuple[str, str]]) -> str:
        reply = self._chat().invoke(messages, config={"callbacks": untraced_callbacks()})
        content = reply.content
        return content if isinstance(content, str) else json.dumps(content)

    def _chat(self) -> Any:
        url = self.url
        with self._lock:
            chat = self._chats.get(url)
            if chat is None:
                from langchain_ollama import ChatOllama

                chat = ChatOllama(
                    model=self.model,
                    base_url=url,
                    temperature=0,
                    format=VERDICT_SCHEMA,
                    client_kwargs={"timeout": self.timeout_s},
                )
                self._chats[url] = chat
            return chat


def make_feedback(
    *,
    name: str,
    value: Any,
    rationale: str | None,
    source_id: str,
    metadata: Mapping[str, Any] | None = None,
    span_id: str | None = None,
) -> Feedback:
    """A judge's `Feedback`, from source `LLM_JUDGE` / the model's URI: the one place judges
    make one. `span_id` is the span judged (a retriever's), when not the whole trace."""
    return Feedback(
        name=name,
        value=value,
        rationale=rationale,
        source=AssessmentSource(source_type=LLM_JUDGE, source_id=source_id),
        metadata=dict(metadata) if metadata else None,
        span_id=span_id,
    )


def describe_failure(error: BaseException, url: str, model: str | None = None) -> str:
    """A failed call to Ollama, in words: unreachable server, timeout, HTTP error, or other.

    Given the `model`, a model the server does not have says how to pull it.
    """
    import httpx
    import ollama

    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | ConnectionError):
        return f"cannot reach the Ollama server at {url} ({error})"
    if isinstance(error, httpx.TimeoutException):
        return f"the Ollama server at {url} did not answer in time ({error})"
    if isinstance(error, ollama.ResponseError):
        if error.status_code == 404 and model:
            return (
                f"the Ollama server at {url} does not have the model {model} "
                f"(HTTP 404: {error.error}); pull it with `ollama pull {model}`"
            )
        return f"the Ollama server at {url} answered HTTP {error.status_code}: {error.error}"
    return f"{type(error).__name__}: {error}"


def is_retryable(error: BaseException) -> bool:
    """False for an answer that will not change by asking again (a model that is not there,
    a request the server refuses); True for the rest (a server down, busy or failing)."""
    import ollama

    if isinstance(error, ollama.ResponseError):
        status = error.status_code
        return not (400 <= status < 500) or status in (408, 429)
    return True


@functools.cache
def untraced_callbacks() -> list[Any]:
    """Callbacks that keep the judge's own chat call out of LangChain autologging.

    `core.langchain.autolog()` adds its handler to a LangChain run only when the run carries
    no handler of its class yet; a handler of that class that ignores every event fills the
    slot, as MLflow keeps scorer calls out of the evaluation's traces by default.
    """
    try:
        from core.langchain import CoreLangchainTracer
    except ImportError:  # no LangChain tracing in this installation: nothing to keep out
        return []
    return [_silent_tracer_class(CoreLangchainTracer)()]


def _silent_tracer_class(base: type[Any]) -> type[Any]:
    ignored = {
        name: property(lambda _self: True)
        for name in (
            "ignore_llm",
            "ignore_retry",
            "ignore_chain",
            "ignore_agent",
            "ignore_retriever",
            "ignore_chat_model",
            "ignore_custom_event",
        )
    }
    return type("UntracedJudgeCallbacks", (base,), ignored)
