"""MLflow's built-in judges of a response: `Correctness`, `Guidelines`,
`ExpectationsGuidelines`, `RelevanceToQuery` and `Safety`, asking a local Ollama model.

Each returns one `Feedback` named after the scorer, value "yes"/"no" (`CategoricalRating`),
with the model's rationale, from source `LLM_JUDGE` / `ollama:/<model>`. Inputs and outputs
not given are read from the trace's root span; a field still missing is a `ValueError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.entities import Feedback, Trace
from core.evaluation.judges import prompts
from core.evaluation.judges.base import BuiltInJudge
from core.evaluation.judges.fields import (
    request_text,
    resolve,
    resolve_expectations,
    response_text,
)


class Correctness(BuiltInJudge):
    """Whether the response supports the expected answer: `expectations["expected_response"]`
    or `expectations["expected_facts"]` (one of them, not both), read with the question."""

    default_name = "correctness"
    instructions = prompts.CORRECTNESS
    parameters = frozenset({"inputs", "outputs", "expectations", "trace"})

    def __call__(  # type: ignore[override]  # MLflow's judges take only their own arguments
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: Mapping[str, Any] | None = None,
        trace: Trace | None = None,
    ) -> Feedback:
        inputs, outputs = resolve("Correctness", trace=trace, inputs=inputs, outputs=outputs)
        expected = resolve_expectations(expectations, trace)
        response, facts = expected.get("expected_response"), expected.get("expected_facts")
        if response is None and facts is None:
            raise ValueError(
                "Correctness scorer requires either `expected_response` or `expected_facts` "
                "in the `expectations` dictionary."
            )
        if response is not None and facts is not None:
            raise ValueError(
                "Only one of expected_response or expected_facts should be provided, not both."
            )
        prompt = prompts.correctness(
            request_text(inputs), response_text(outputs), prompts.expected_text(response, facts)
        )
        return self.feedback(self.ask(prompt))


class Guidelines(BuiltInJudge):
    """Whether the request and response comply with `guidelines` (one text or a list), the
    same for every row. The feedback's metadata holds the guideline text."""

    default_name = "guidelines"
    instructions = prompts.GUIDELINES
    parameters = frozenset({"inputs", "outputs", "trace"})

    def __init__(
        self,
        *,
        guidelines: str | Sequence[str],
        name: str | None = None,
        model: str | None = None,
        base_url: str | None = None,
        aggregations: Sequence[str] | None = None,
        retries: int = 2,
        retry_delay_s: float = 0.5,
        timeout_s: float = 120.0,
    ) -> None:
        super().__init__(
            name=name,
            model=model,
            base_url=base_url,
            aggregations=aggregations,
            retries=retries,
            retry_delay_s=retry_delay_s,
            timeout_s=timeout_s,
        )
        self.guidelines = guideline_list(guidelines, "Guidelines")

    def __call__(  # type: ignore[override]  # MLflow's judges take only their own arguments
        self, *, inputs: Any = None, outputs: Any = None, trace: Trace | None = None
    ) -> Feedback:
        inputs, outputs = resolve("Guidelines", trace=trace, inputs=inputs, outputs=outputs)
        return judge_guidelines(self, self.guidelines, inputs, outputs)

    def definition(self) -> dict[str, Any]:
        return {**super().definition(), "guidelines": self.guidelines}


class ExpectationsGuidelines(BuiltInJudge):
    """Whether the request and response comply with the row's own guidelines,
    `expectations["guidelines"]` (one text or a list)."""

    default_name = "expectations_guidelines"
    instructions = prompts.GUIDELINES
    parameters = frozenset({"inputs", "outputs", "expectations", "trace"})

    def __call__(  # type: ignore[override]  # MLflow's judges take only their own arguments
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: Mapping[str, Any] | None = None,
        trace: Trace | None = None,
    ) -> Feedback:
        inputs, outputs = resolve(
            "ExpectationsGuidelines", trace=trace, inputs=inputs, outputs=outputs
        )
        rules = resolve_expectations(expectations, trace).get("guidelines")
        if not rules:
            raise ValueError(
                "Guidelines must be specified in the `expectations` parameter or must be "
                "present in the trace."
            )
        rules = guideline_list(rules, "ExpectationsGuidelines")
        return judge_guidelines(self, rules, inputs, outputs)


class RelevanceToQuery(BuiltInJudge):
    """Whether the response addresses the request (fully or in part)."""

    default_name = "relevance_to_query"
    instructions = prompts.RELEVANCE_TO_QUERY
    parameters = frozenset({"inputs", "outputs", "trace"})

    def __call__(  # type: ignore[override]  # MLflow's judges take only their own arguments
        self, *, inputs: Any = None, outputs: Any = None, trace: Trace | None = None
    ) -> Feedback:
        inputs, outputs = resolve("RelevanceToQuery", trace=trace, inputs=inputs, outputs=outputs)
        prompt = prompts.relevance_to_query(request_text(inputs), response_text(outputs))
        return self.feedback(self.ask(prompt))


class Safety(BuiltInJudge):
    """Whether the response is free of harmful, offensive or toxic content ("yes": safe).
    Reads the outputs only."""

    default_name = "safety"
    instructions = prompts.SAFETY
    parameters = frozenset({"outputs", "trace"})

    def __call__(  # type: ignore[override]  # MLflow's judges take only their own arguments
        self, *, outputs: Any = None, trace: Trace | None = None
    ) -> Feedback:
        _, outputs = resolve("Safety", trace=trace, outputs=outputs, needs=("outputs",))
        return self.feedback(self.ask(prompts.safety(response_text(outputs))))


def guideline_list(guidelines: Any, scorer: str) -> list[str]:
    """Guidelines as a list of texts: one text, or a list of them; at least one."""
    many = isinstance(guidelines, Sequence) and not isinstance(guidelines, str)
    rules = list(guidelines) if many else [guidelines]
    rules = [str(rule) for rule in rules if str(rule).strip()]
    if not rules:
        raise ValueError(f"{scorer} needs at least one guideline, e.g. 'Answer in English.'")
    return rules


def judge_guidelines(judge: BuiltInJudge, rules: list[str], inputs: Any, outputs: Any) -> Feedback:
    """The verdict on `rules` for a request and response; the rules go in the metadata."""
    context = {"request": request_text(inputs), "response": response_text(outputs)}
    verdict = judge.ask(prompts.guidelines(rules, context))
    return judge.feedback(verdict, metadata={"guideline": "\n".join(rules)})
