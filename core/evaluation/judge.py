"""An LLM judge: ask an Ollama model a yes/no question about a row, with its rationale.

    relevant = Judge("relevant", "Does the answer address the question?")
    core.evaluate(data, predict_fn=..., scorers=[relevant])

The verdict is `Feedback(value="yes"|"no", rationale=...)` from source `LLM_JUDGE` /
`ollama:/<model>`; "yes"/"no" count as 1/0 in the run's mean, as in MLflow. The model is asked
through the engine every TraceDesk judge shares (`core.evaluation.judges.engine`): a server that
is down or an answer that is no verdict is retried a bounded number of times, then raised as
`JudgeError` with a message saying which, which the evaluation records as that row's scorer
error. MLflow's built-in judges (`Correctness`, `Guidelines`, ...) are in
`core.evaluation.judges`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from core.entities import Feedback
from core.evaluation.judges.base import OllamaJudge
from core.evaluation.judges.engine import (
    SYSTEM_PROMPT,
    describe_failure,
    is_retryable,
    make_feedback,
    untraced_callbacks,
)
from core.evaluation.judges.models import DEFAULT_MODEL, DEFAULT_URL, URL_ENV
from core.evaluation.judges.verdicts import (
    RESULT_KEYS,
    VERDICT_SCHEMA,
    VERDICTS,
    CategoricalRating,
    JudgeError,
    parse_verdict,
)

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_URL",
    "RESULT_KEYS",
    "SYSTEM_PROMPT",
    "URL_ENV",
    "VERDICTS",
    "VERDICT_SCHEMA",
    "CategoricalRating",
    "Judge",
    "JudgeError",
    "describe_failure",
    "is_retryable",
    "make_feedback",
    "parse_verdict",
    "untraced_callbacks",
]

_PLACEHOLDER = re.compile(r"\{\{\s*(inputs|outputs|expectations)\s*\}\}")


class Judge(OllamaJudge):
    """An LLM judge scorer; `instructions` may place `{{ inputs }}`, `{{ outputs }}` and
    `{{ expectations }}` themselves, otherwise the row's values are appended.

    `model` is an Ollama model, bare (`"llama3.2:1b"`) or as MLflow spells it
    (`"ollama:/llama3.2:1b"`).
    """

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
        if not instructions.strip():
            raise ValueError("A judge needs instructions: the yes/no question to ask.")
        super().__init__(
            name,
            model,
            base_url,
            retries=retries,
            retry_delay_s=retry_delay_s,
            timeout_s=timeout_s,
        )
        self.instructions = instructions

    @property
    def label(self) -> str:
        return f"Judge {self.name!r} ({self.model})"

    def __call__(self, **arguments: Any) -> Feedback:
        return self.feedback(self.ask(self.prompt(arguments)))

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


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
