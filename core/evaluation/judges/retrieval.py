"""MLflow's built-in judges of retrieval: `RetrievalGroundedness`, `RetrievalRelevance` and
`RetrievalSufficiency`, asking a local Ollama model about the documents a trace's top-level
RETRIEVER spans returned (see `fields.retrievals`).

Each gives feedbacks per retriever span (and `RetrievalRelevance` per document), value
"yes"/"no" with the model's rationale, from source `LLM_JUDGE` / `ollama:/<model>`. A trace
with no RETRIEVER span is a `ValueError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.entities import Feedback, Trace
from core.evaluation.judges import prompts
from core.evaluation.judges.base import BuiltInJudge
from core.evaluation.judges.engine import Verdict, make_feedback
from core.evaluation.judges.fields import (
    Retrieval,
    no_retrieval,
    render_document,
    render_documents,
    request_text,
    resolve_expectations,
    response_text,
    retrievals,
)
from core.evaluation.judges.verdicts import CategoricalRating


class RetrievalGroundedness(BuiltInJudge):
    """Whether the trace's response is supported by the retrieved documents: one feedback per
    top-level RETRIEVER span, on that span."""

    default_name = "retrieval_groundedness"
    instructions = prompts.GROUNDEDNESS
    parameters = frozenset({"trace"})

    def __call__(self, *, trace: Trace | None = None) -> list[Feedback]:  # type: ignore[override]
        found = _retrievals(trace, "RetrievalGroundedness")
        root = trace.data.root_span if trace is not None else None
        question = request_text(root.inputs if root else None)
        answer = response_text(root.outputs if root else None)
        return [
            self.feedback(
                self.ask(prompts.groundedness(question, answer, render_documents(r.documents))),
                span_id=r.span_id,
            )
            for r in found
        ]


class RetrievalRelevance(BuiltInJudge):
    """Whether each retrieved document is relevant to the request. Per top-level RETRIEVER
    span: first `<name>/precision` (the share of its documents judged relevant), then one
    feedback per document with `metadata["chunk_index"]`; None when no span returned any."""

    default_name = "retrieval_relevance"
    instructions = prompts.RETRIEVAL_RELEVANCE
    parameters = frozenset({"trace"})

    def __call__(  # type: ignore[override]  # MLflow's judges take only their own arguments
        self, *, trace: Trace | None = None
    ) -> list[Feedback] | None:
        found = _retrievals(trace, "RetrievalRelevance")
        root = trace.data.root_span if trace is not None else None
        question = request_text(root.inputs if root else None)
        feedbacks = [f for r in found for f in self._span_feedbacks(question, r)]
        return feedbacks or None

    def _span_feedbacks(self, question: str, retrieval: Retrieval) -> list[Feedback]:
        verdicts = [
            self.ask(prompts.retrieval_relevance(question, render_document(doc)))
            for doc in retrieval.documents
        ]
        if not verdicts:
            return []
        relevant = sum(v.value == CategoricalRating.YES for v in verdicts) / len(verdicts)
        precision = make_feedback(
            name=f"{self.name}/precision",
            value=relevant,
            rationale=None,
            source_id=self.source_id,
            span_id=retrieval.span_id,
        )
        return [precision] + [
            self.feedback(v, metadata={"chunk_index": index}, span_id=retrieval.span_id)
            for index, v in enumerate(verdicts)
        ]


class RetrievalSufficiency(BuiltInJudge):
    """Whether the retrieved documents hold everything the expected answer says:
    `expectations["expected_response"]` or `["expected_facts"]` (else the trace's human
    expectations). One feedback per top-level RETRIEVER span, on that span."""

    default_name = "retrieval_sufficiency"
    instructions = prompts.SUFFICIENCY
    parameters = frozenset({"trace", "expectations"})

    def __call__(  # type: ignore[override]  # MLflow's judges take only their own arguments
        self, *, trace: Trace | None = None, expectations: Mapping[str, Any] | None = None
    ) -> list[Feedback]:
        found = _retrievals(trace, "RetrievalSufficiency")
        expected = resolve_expectations(expectations, trace)
        response, facts = expected.get("expected_response"), expected.get("expected_facts")
        if response is None and facts is None:
            raise ValueError(
                "RetrievalSufficiency scorer requires either `expected_response` or "
                "`expected_facts` in the `expectations` dictionary."
            )
        root = trace.data.root_span if trace is not None else None
        question = request_text(root.inputs if root else None)
        claim = prompts.expected_text(response, facts)
        return [self._judge(question, claim, r) for r in found]

    def _judge(self, question: str, claim: str, retrieval: Retrieval) -> Feedback:
        prompt = prompts.sufficiency(question, claim, render_documents(retrieval.documents))
        verdict: Verdict = self.ask(prompt)
        return self.feedback(verdict, span_id=retrieval.span_id)


def _retrievals(trace: Trace | None, scorer: str) -> list[Retrieval]:
    found = retrievals(trace)
    if not found:
        raise no_retrieval(scorer)
    return found
