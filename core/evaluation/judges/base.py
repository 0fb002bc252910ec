"""`OllamaJudge`: a scorer whose verdicts come from a local Ollama model (`JudgeEngine`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.entities import Feedback
from core.evaluation.judges.engine import JudgeEngine, Verdict, make_feedback
from core.evaluation.scorer import Scorer


class OllamaJudge(Scorer):
    """A scorer that asks an Ollama model; the base of `Judge` and the built-in judges.

    `model` is `"ollama:/<name>"` (a bare name works too; None: `ollama:/llama3.2:1b`); any
    other provider is refused here, at construction. `base_url` is the server (None: from the
    environment, see `core.evaluation.judges.models.ollama_url`).
    """

    def __init__(
        self,
        name: str,
        model: str | None = None,
        base_url: str | None = None,
        *,
        aggregations: Sequence[str] | None = None,
        retries: int = 2,
        retry_delay_s: float = 0.5,
        timeout_s: float = 120.0,
    ) -> None:
        super().__init__(name, aggregations)
        self.engine = JudgeEngine(
            model, base_url, retries=retries, retry_delay_s=retry_delay_s, timeout_s=timeout_s
        )

    @property
    def model(self) -> str:
        """The Ollama model's name (`llama3.2:1b`)."""
        return self.engine.model

    @property
    def base_url(self) -> str | None:
        return self.engine.base_url

    @property
    def url(self) -> str:
        """The Ollama server this judge asks (resolved now, see `ollama_url`)."""
        return self.engine.url

    @property
    def source_id(self) -> str:
        """The model as MLflow records a judge's source: `ollama:/<name>`."""
        return self.engine.uri

    @property
    def label(self) -> str:
        """How errors name this judge: its class, its name and its model."""
        return f"{type(self).__name__} {self.name!r} ({self.model})"

    def ask(self, prompt: str) -> Verdict:
        """The model's verdict on `prompt`; raises `JudgeError` when it gives none."""
        return self.engine.ask(prompt, judge=self.label)

    def feedback(
        self,
        verdict: Verdict,
        *,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        span_id: str | None = None,
    ) -> Feedback:
        """The verdict as this judge's `Feedback` (named after the judge unless `name`)."""
        return make_feedback(
            name=name or self.name,
            value=verdict.value,
            rationale=verdict.rationale,
            source_id=self.source_id,
            metadata=metadata,
            span_id=span_id,
        )

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "class": type(self).__name__, "model": self.source_id}


class BuiltInJudge(OllamaJudge):
    """Base of MLflow's built-in LLM judges (`Correctness`, `Safety`, ...), with MLflow's
    keyword-only constructor: `Correctness(name="my_correctness", model="ollama:/llama3.2")`.

    A subclass sets `default_name` (MLflow's default `name`) and `parameters` (what it reads
    of a row), and implements `__call__` with those as keyword arguments.
    """

    default_name = "judge"
    #: What the judge is asked to decide (the opening of its prompt).
    instructions = ""

    def __init__(
        self,
        *,
        name: str | None = None,
        model: str | None = None,
        base_url: str | None = None,
        aggregations: Sequence[str] | None = None,
        retries: int = 2,
        retry_delay_s: float = 0.5,
        timeout_s: float = 120.0,
    ) -> None:
        super().__init__(
            name or self.default_name,
            model,
            base_url,
            aggregations=aggregations,
            retries=retries,
            retry_delay_s=retry_delay_s,
            timeout_s=timeout_s,
        )

    @property
    def label(self) -> str:
        kind = type(self).__name__
        named = kind if self.name == self.default_name else f"{kind} {self.name!r}"
        return f"{named} ({self.model})"

    def definition(self) -> dict[str, Any]:
        return {**super().definition(), "instructions": self.instructions}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, model={self.source_id!r})"
