"""An LLM judge: ask an Ollama model a yes/no question about a row, with its rationale.

    relevant = Judge("relevant", "Does the answer address the question?")
    core.evaluate(data, predict_fn=..., scorers=[relevant])

The model is reached through `langchain_ollama.ChatOllama` and asked for a JSON object
`{"result": "yes" | "no", "rationale": "..."}` (as a structured-output schema, so a real
Ollama sticks to it). The verdict is `Feedback(value="yes"|"no", rationale=...)` from source
`LLM_JUDGE` / `ollama:/<model>`; "yes"/"no" count as 1/0 in the run's mean, as in MLflow.
A server that is down or an answer that is no verdict is retried a bounded number of times,
then raised as `JudgeError` with a message saying which, which the evaluation records as that
row's scorer error.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

from core.evaluation.entities import Feedback
from core.evaluation.scorer import Scorer

DEFAULT_MODEL = "llama3.2:1b"
DEFAULT_URL = "http://127.0.0.1:11434"
URL_ENV = "TRACEDESK_OLLAMA_URL"
VERDICTS = {"yes": "yes", "no": "no", "true": "yes", "false": "no", "pass": "yes", "fail": "no"}
RESULT_KEYS = ("result", "verdict", "answer", "value")
VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "rationale": {"type": "string"},
        "result": {"type": "string", "enum": ["yes", "no"]},
    },
    "required": ["rationale", "result"],
}
SYSTEM_PROMPT = (
    "You are a strict evaluator. Read the instructions and the data below, then decide: "
    "yes or no. Reply with only a JSON object of the form "
    '{"rationale": "<one or two sentences of reasoning>", "result": "yes" or "no"}.'
)
_PLACEHOLDER = re.compile(r"\{\{\s*(inputs|outputs|expectations)\s*\}\}")


class JudgeError(RuntimeError):
    """The judge gave no verdict: the server failed or the model did not answer yes/no."""


class Judge(Scorer):
    """An LLM judge scorer; `instructions` may place `{{ inputs }}`, `{{ outputs }}` and
    `{{ expectations }}` themselves, otherwise the row's values are appended."""

    parameters = frozenset({"inputs", "outputs", "expectations"})

    def __init__(
        self,
        name: str,
        instructions: str,
        model: str = DEFAULT_MODEL,
        base_url: str | None = None,
        *,
        retries: int = 2,
        retry_delay_s: float = 0.5,
        timeout_s: float = 120.0,
    ) -> None:
        super().__init__(name)
        if not instructions.strip():
            raise ValueError("A judge needs instructions: the yes/no question to ask.")
        self.instructions = instructions
        self.model = model
        self.base_url = base_url
        self.retries = max(0, retries)
        self.retry_delay_s = retry_delay_s
        self.timeout_s = timeout_s
        self._chats: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The Ollama server: `base_url`, else $TRACEDESK_OLLAMA_URL, else Ollama's default."""
        return self.base_url or os.environ.get(URL_ENV) or DEFAULT_URL

    @property
    def source_id(self) -> str:
        return f"ollama:/{self.model}"

    def __call__(self, **arguments: Any) -> Feedback:
        messages = [("system", SYSTEM_PROMPT), ("human", self.prompt(arguments))]
        value, rationale = self._ask(messages)
        return Feedback(value, rationale, source_type="LLM_JUDGE", source_id=self.source_id)

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "instructions": self.instructions, "model": self.model}

    def prompt(self, arguments: Mapping[str, Any]) -> str:
        """The question for the model: the instructions with the row's data in them."""
        if _PLACEHOLDER.search(self.instructions):
            return _PLACEHOLDER.sub(lambda m: _show(arguments.get(m.group(1))), self.instructions)
        sections = [self.instructions.strip()]
        for key in ("inputs", "outputs", "expectations"):
            if arguments.get(key) is not None:
                sections.append(f"{key}:\n{_show(arguments[key])}")
        return "\n\n".join(sections)

    def _ask(self, messages: list[tuple[str, str]]) -> tuple[str, str | None]:
        attempts = self.retries + 1
        problem = ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.retry_delay_s * 2 ** (attempt - 1))
            try:
                return parse_verdict(self._invoke(messages))
            except JudgeError as error:
                problem = str(error)
            except Exception as error:  # the client raises many kinds; each is one failure
                problem = describe_failure(error, self.url)
        tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
        raise JudgeError(
            f"Judge {self.name!r} ({self.model}) gave no verdict after {tries}: {problem}"
        )

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


def parse_verdict(text: str) -> tuple[str, str | None]:
    """("yes"|"no", rationale) from a judge's answer: JSON, JSON in prose or a fence, or a
    reply that starts with yes/no. Raises `JudgeError` when there is no verdict in it."""
    document = _json_object(text)
    if document is not None:
        lowered = {str(k).lower(): v for k, v in document.items()}
        raw = next((lowered[k] for k in RESULT_KEYS if k in lowered), None)
        verdict = VERDICTS.get(str(raw).strip().lower()) if raw is not None else None
        if verdict is None:
            raise JudgeError(f"the model answered {_clip(text)}, which has no yes/no result")
        rationale = lowered.get("rationale") or lowered.get("reason") or lowered.get("explanation")
        return verdict, None if rationale is None else str(rationale)
    match = re.match(r"\W*(yes|no)\b[\s.,:;!-]*(.*)", text.strip(), re.IGNORECASE | re.DOTALL)
    if match:
        return match.group(1).lower(), match.group(2).strip() or None
    raise JudgeError(f"the model answered {_clip(text)}, which is not a yes/no verdict")


def _json_object(text: str) -> dict[str, Any] | None:
    candidates = [text.strip()]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            parsed = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            return parsed
    return None


def describe_failure(error: BaseException, url: str) -> str:
    """A failed call to Ollama, in words: unreachable server, HTTP error, or other."""
    import httpx
    import ollama

    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | ConnectionError):
        return f"cannot reach the Ollama server at {url} ({error})"
    if isinstance(error, httpx.TimeoutException):
        return f"the Ollama server at {url} did not answer in time ({error})"
    if isinstance(error, ollama.ResponseError):
        return f"the Ollama server at {url} answered HTTP {error.status_code}: {error.error}"
    return f"{type(error).__name__}: {error}"


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


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _clip(text: str, limit: int = 200) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
