"""The predict function of a rerun: a registered prompt version, filled per row, sent to Ollama.

Each row's call is one span, `predict`, whose inputs are the row's dataset inputs and whose
output is the answer text; the `ChatOllama` calls nest under it (traced, when the predictor
is given the rerun's client, by a `CoreLangchainTracer` passed with each call, as autologging
would trace them). So the new run's
rows record the same inputs as the run they were rebuilt from, and the two runs join on them.

A text prompt is sent as one user message, a chat prompt as its messages. A prompt variable the
row's inputs do not name is filled from the row when that is unambiguous: the last user message
of chat-shaped inputs (`{"messages": [...]}`), or the row's only input. A server that is down,
slow or failing is tried again `len(RETRY_DELAYS_S)` times, then the row fails with a message
that says why (core records it on the row's trace and goes on).

Cancelling does not cut a row short: core lets the rows being answered finish and skips the
rest, so the run ends KILLED with whole rows only. A row stopped half-way would be stored as a
failed row, and a run whose rows had all started would then end FINISHED, looking complete.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from app.evaluations.cell_text import chat_question
from app.ollama import is_retryable
from core.client import Client
from core.entities import SpanType
from core.entities.prompt import PromptVersion
from core.evaluation import describe_failure

#: Pauses before the second and third attempt of a failed call.
RETRY_DELAYS_S: tuple[float, ...] = (0.5, 2.0)
#: One call may take this long (a small model on a busy machine is slow, not broken).
CHAT_TIMEOUT_S = 120.0
SPAN_NAME = "predict"


class PredictionError(RuntimeError):
    """The model gave no answer for a row; the message says why."""


def prompt_values(prompt: PromptVersion, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The values to fill `prompt` with: the inputs, and a lone missing variable taken from
    the row's question when the inputs make that unambiguous."""
    values = dict(inputs)
    missing = [v for v in prompt.variables if v not in values]
    if len(missing) == 1:
        question = chat_question(inputs)
        if question is None and len(inputs) == 1:
            (only,) = inputs.values()
            question = only if isinstance(only, str) else None
        if question is not None:
            values[missing[0]] = question
    return values


def prompt_messages(prompt: PromptVersion, inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    """The chat messages for one row (raises `MissingVariablesError` naming what is missing)."""
    filled = prompt.format(**prompt_values(prompt, inputs))
    if isinstance(filled, str):
        return [{"role": "user", "content": filled}]
    return [
        {"role": str(m.get("role", "user")), "content": str(m.get("content", ""))} for m in filled
    ]


class OllamaPredictor:
    """`predict_fn` for `core.evaluate`: `predictor(**inputs)` returns the model's answer."""

    __name__ = "predict"  # core names the evaluated function after this

    def __init__(
        self,
        url: str,
        model: str,
        prompt: PromptVersion,
        *,
        retry_delays: tuple[float, ...] | None = None,
        timeout_s: float = CHAT_TIMEOUT_S,
        client: Client | None = None,
    ) -> None:
        self.url = url
        self.model = model
        self.prompt = prompt
        self.retry_delays = RETRY_DELAYS_S if retry_delays is None else retry_delays
        self.timeout_s = timeout_s
        self._tracing_client = client
        self._chat: Any = None
        self._callbacks: list[Any] = []
        self._lock = threading.Lock()

    def __call__(self, **inputs: Any) -> str:
        client = self._tracing_client
        if client is None:  # untraced
            return self.ask(prompt_messages(self.prompt, inputs))
        with client.start_span(SPAN_NAME, span_type=SpanType.CHAIN) as span:
            span.set_inputs(dict(inputs))
            answer = self.ask(prompt_messages(self.prompt, inputs))
            span.set_outputs(answer)
        return answer

    def ask(self, messages: list[dict[str, str]]) -> str:
        """The answer to `messages`, with bounded retries of failures worth retrying."""
        attempts = len(self.retry_delays) + 1
        for attempt, delay in enumerate((0.0, *self.retry_delays)):
            time.sleep(delay)  # a job thread: the bounded back-off before the next attempt
            try:
                return self._invoke(messages)
            except Exception as error:  # the client raises many kinds
                if attempt + 1 == attempts or not is_retryable(error):
                    tries = f" after {attempt + 1} attempts" if attempt else ""
                    raise PredictionError(
                        f"{self.model} gave no answer{tries}: {describe_failure(error, self.url)}"
                    ) from error
        raise AssertionError("unreachable")  # pragma: no cover

    def _invoke(self, messages: list[dict[str, str]]) -> str:
        chat = self._chat_model()
        content = chat.invoke(messages, config={"callbacks": self._callbacks}).content
        return content if isinstance(content, str) else str(content)

    def _chat_model(self) -> Any:
        with self._lock:
            if self._chat is None:
                from langchain_ollama import ChatOllama

                from core.langchain import CoreLangchainTracer

                traces = self._tracing_client
                self._callbacks = [CoreLangchainTracer(traces)] if traces is not None else []
                self._chat = ChatOllama(
                    model=self.model,
                    base_url=self.url,
                    temperature=0,
                    client_kwargs={"timeout": self.timeout_s},
                )
            return self._chat
