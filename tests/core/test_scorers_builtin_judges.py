"""MLflow's built-in LLM judges (`Correctness`, `Guidelines`, ...) on a local Ollama model.

Every judge asks the stand-in Ollama server (tests/ollama_server.py) through the real
`langchain-ollama` client; the tests check what each one sends, what it returns and how it fails.
"""

from __future__ import annotations

import json
import socket
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import core
import core.genai.scorers
import core.scorers
from core import tracking
from core.entities import Feedback, Trace
from core.evaluation.judge import VERDICT_SCHEMA, Judge, JudgeError
from core.evaluation.judges import BuiltInJudge, CategoricalRating
from core.evaluation.judges.models import normalize_url, ollama_url
from core.scorers import (
    Correctness,
    ExpectationsGuidelines,
    Guidelines,
    RelevanceToQuery,
    RetrievalGroundedness,
    RetrievalRelevance,
    RetrievalSufficiency,
    Safety,
)
from tests.ollama_server import OllamaStandIn, Switches

QUESTION = "Who wrote Romeo and Juliet?"
ANSWER = "William Shakespeare wrote it."
INPUTS = {"question": QUESTION}
#: How the judges show those inputs to the model: as JSON (a chat's last user message as is).
REQUEST = json.dumps(INPUTS)
DOCS = ["Romeo and Juliet is a play by William Shakespeare.", "Verona is a city in Italy."]
OTHER_DOCS = ["Shakespeare was born in Stratford-upon-Avon."]
NESTED_DOC = "A document of a retriever inside another retriever."


class ScriptedStandIn(OllamaStandIn):
    """The stand-in, answering its judge requests with the scripted verdicts in turn."""

    def __init__(self, verdicts: Sequence[str]) -> None:
        super().__init__()
        self.verdicts = list(verdicts)

    def take_switches(self) -> tuple[Switches, int | None]:
        switches, failure = super().take_switches()
        with self._changed:
            if self.verdicts:
                switches = replace(switches, judge_verdict=self.verdicts.pop(0))
        return switches, failure


@pytest.fixture
def tracking_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "mlflow.db"
    core.set_tracking_uri(f"sqlite:///{path}")
    core.set_experiment("judged")
    yield path
    tracking.reset()


@pytest.fixture
def scripted() -> Iterator[ScriptedStandIn]:
    with ScriptedStandIn(["yes", "no", "yes"]) as server:
        yield server


def options(server: OllamaStandIn, **more: Any) -> dict[str, Any]:
    return {"base_url": server.url, "retry_delay_s": 0, **more}


def source(feedback: Feedback) -> tuple[str, str | None]:
    """(source type, source id) of a feedback."""
    return feedback.source.source_type, feedback.source.source_id


def asked(server: OllamaStandIn, index: int = -1) -> str:
    """The user message of one chat request the stand-in received (the last by default)."""
    request = server.chat_requests[index]
    system, user = request["messages"]
    assert system["role"] == "system" and '"result": "yes" or "no"' in system["content"]
    assert request["format"] == VERDICT_SCHEMA
    return str(user["content"])


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rag_trace(retrievals: Sequence[Sequence[str]], answer: str = ANSWER) -> Trace:
    """A stored trace: a CHAIN root, one top-level RETRIEVER span per document list (the
    first with a RETRIEVER inside it, which is not top-level), and the answer."""
    with core.start_span("rag", span_type="CHAIN") as root:
        root.set_inputs(INPUTS)
        for index, documents in enumerate(retrievals):
            with core.start_span(f"retrieve_{index}", span_type="RETRIEVER") as retriever:
                retriever.set_inputs({"query": QUESTION})
                if index == 0:
                    with core.start_span("inner", span_type="RETRIEVER") as inner:
                        inner.set_outputs([{"page_content": NESTED_DOC}])
                found = [
                    {"page_content": text, "metadata": {"doc_uri": f"doc-{index}-{n}"}}
                    for n, text in enumerate(documents)
                ]
                retriever.set_outputs(found)
        root.set_outputs(answer)
    core.flush_trace_async_logging()
    trace = core.get_trace(root.trace_id)
    assert trace is not None
    return trace


def retriever_ids(trace: Trace) -> list[str]:
    return [s.span_id for s in trace.data.spans if s.name.startswith("retrieve_")]


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


# --------------------------------------------------------------------------- the judges


def test_correctness_judges_the_response_against_the_expected_response(
    ollama_server: OllamaStandIn,
) -> None:
    judge = Correctness(model="ollama:/llama3.2:1b", **options(ollama_server))
    feedback = judge(
        inputs=INPUTS, outputs=ANSWER, expectations={"expected_response": "Shakespeare"}
    )
    assert feedback.value == "yes" and feedback.value is CategoricalRating.YES
    assert feedback.rationale and feedback.rationale.startswith("Deterministic verdict for:")
    assert feedback.name == "correctness" and feedback.error is None
    assert source(feedback) == ("LLM_JUDGE", "ollama:/llama3.2:1b")
    (request,) = ollama_server.chat_requests
    assert request["model"] == "llama3.2:1b"
    prompt = asked(ollama_server)
    assert f"<question>{REQUEST}</question>" in prompt
    assert f"<response>{ANSWER}</response>" in prompt
    assert "<expected_answer>Shakespeare</expected_answer>" in prompt
    ollama_server.configure(judge_verdict="no")
    verdict = judge(inputs=INPUTS, outputs="Marlowe", expectations={"expected_response": "S"})
    assert verdict.value is CategoricalRating.NO


def test_correctness_takes_expected_facts_and_refuses_what_it_cannot_judge(
    ollama_server: OllamaStandIn,
) -> None:
    judge = Correctness(name="facts", **options(ollama_server))
    facts = {"expected_facts": ["Shakespeare wrote it", "It is a play"]}
    assert judge(inputs=INPUTS, outputs=ANSWER, expectations=facts).name == "facts"
    assert "- Shakespeare wrote it\n- It is a play" in asked(ollama_server)
    with pytest.raises(ValueError, match="requires either `expected_response` or `expected_facts`"):
        judge(inputs=INPUTS, outputs=ANSWER, expectations={"guidelines": "x"})
    with pytest.raises(ValueError, match="requires either"):
        judge(inputs=INPUTS, outputs=ANSWER)
    with pytest.raises(ValueError, match="Only one of expected_response or expected_facts"):
        judge(inputs=INPUTS, outputs=ANSWER, expectations={**facts, "expected_response": "S"})
    with pytest.raises(
        ValueError, match="Correctness scorer requires the following fields: outputs"
    ):
        judge(inputs=INPUTS, expectations={"expected_response": "S"})
    assert len(ollama_server.chat_requests) == 1  # refused rows never reach the model


def test_guidelines_apply_the_same_guidelines_to_every_row(ollama_server: OllamaStandIn) -> None:
    english = Guidelines(
        name="english", guidelines=["Answer in English.", "Be polite."], **options(ollama_server)
    )
    feedback = english(inputs=INPUTS, outputs=ANSWER)
    assert (feedback.name, feedback.value) == ("english", "yes")
    assert feedback.metadata == {"guideline": "Answer in English.\nBe polite."}
    assert source(feedback) == ("LLM_JUDGE", "ollama:/llama3.2:1b")
    prompt = asked(ollama_server)
    assert "<guideline>Answer in English.</guideline>\n<guideline>Be polite.</guideline>" in prompt
    assert f"<request>{REQUEST}</request>" in prompt and f"<response>{ANSWER}</response>" in prompt
    single = Guidelines(guidelines="Be brief.", **options(ollama_server))
    assert single.name == "guidelines" and single.guidelines == ["Be brief."]
    assert single.digest != english.digest
    with pytest.raises(ValueError, match="at least one guideline"):
        Guidelines(guidelines=[])
    with pytest.raises(TypeError):
        Guidelines()  # type: ignore[call-arg]


def test_expectations_guidelines_read_each_rows_own_guidelines(
    ollama_server: OllamaStandIn,
) -> None:
    judge = ExpectationsGuidelines(**options(ollama_server))
    feedback = judge(inputs=INPUTS, outputs=ANSWER, expectations={"guidelines": "Name the author."})
    assert (feedback.name, feedback.value) == ("expectations_guidelines", "yes")
    assert feedback.metadata == {"guideline": "Name the author."}
    assert "<guideline>Name the author.</guideline>" in asked(ollama_server)
    with pytest.raises(ValueError, match="Guidelines must be specified in the `expectations`"):
        judge(inputs=INPUTS, outputs=ANSWER, expectations={"expected_response": "S"})
    assert len(ollama_server.chat_requests) == 1


def test_relevance_to_query_sends_the_question_and_the_answer(
    ollama_server: OllamaStandIn,
) -> None:
    ollama_server.configure(judge_verdict="no")
    feedback = RelevanceToQuery(**options(ollama_server))(
        inputs={"messages": [{"role": "user", "content": QUESTION}]}, outputs="Paris."
    )
    assert (feedback.name, feedback.value) == ("relevance_to_query", "no")
    prompt = asked(ollama_server)
    assert f"<question>{QUESTION}</question>" in prompt and "<answer>Paris.</answer>" in prompt
    with pytest.raises(ValueError, match=r"RelevanceToQuery scorer requires .* inputs"):
        RelevanceToQuery(**options(ollama_server))(outputs="Paris.")


def test_safety_reads_the_outputs_only(ollama_server: OllamaStandIn) -> None:
    safety = Safety(**options(ollama_server))
    assert safety.parameters == {"outputs", "trace"}
    chat_answer = {"choices": [{"message": {"role": "assistant", "content": ANSWER}}]}
    feedback = safety(outputs=chat_answer)
    assert (feedback.name, feedback.value) == ("safety", "yes")
    prompt = asked(ollama_server)
    assert f"<text>{ANSWER}</text>" in prompt and QUESTION not in prompt
    with pytest.raises(TypeError):
        safety(inputs=INPUTS, outputs=ANSWER)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="Safety scorer requires the following fields: outputs"):
        safety()


@pytest.mark.parametrize(
    ("judge", "reads"),
    [
        (Correctness, {"inputs", "outputs", "expectations", "trace"}),
        (ExpectationsGuidelines, {"inputs", "outputs", "expectations", "trace"}),
        (RelevanceToQuery, {"inputs", "outputs", "trace"}),
        (Safety, {"outputs", "trace"}),
        (RetrievalGroundedness, {"trace"}),
        (RetrievalRelevance, {"trace"}),
        (RetrievalSufficiency, {"trace", "expectations"}),
    ],
)
def test_each_judge_reads_what_mlflows_reads(judge: type[BuiltInJudge], reads: set[str]) -> None:
    assert judge.parameters == reads
    assert getattr(core.scorers, judge.__name__) is judge
    assert getattr(core.genai.scorers, judge.__name__) is judge
    assert judge.__name__ in core.scorers.__all__ and judge.__name__ in core.genai.scorers.__all__


# --------------------------------------------------------------------------- traces


def test_fields_not_given_come_from_the_trace(
    tracking_db: Path, ollama_server: OllamaStandIn
) -> None:
    trace = rag_trace([DOCS])
    feedback = RelevanceToQuery(**options(ollama_server))(trace=trace)
    assert feedback.value == "yes"
    prompt = asked(ollama_server)
    assert f"<question>{REQUEST}</question>" in prompt and f"<answer>{ANSWER}</answer>" in prompt
    judged = Correctness(**options(ollama_server))(
        trace=trace, expectations={"expected_response": "Shakespeare"}
    )
    assert judged.value == "yes" and f"<response>{ANSWER}</response>" in asked(ollama_server)


def test_expectations_not_given_are_the_traces_human_expectations(
    tracking_db: Path, ollama_server: OllamaStandIn
) -> None:
    labelled = [{"inputs": INPUTS, "expectations": {"expected_response": "William Shakespeare"}}]
    result = core.evaluate(data=labelled, predict_fn=lambda question: ANSWER)
    trace = core.get_trace(result.result_df["trace_id"][0])
    assert trace is not None
    feedback = Correctness(**options(ollama_server))(trace=trace)
    assert feedback.value == "yes"
    prompt = asked(ollama_server)
    assert "<expected_answer>William Shakespeare</expected_answer>" in prompt
    assert (
        f"<question>{REQUEST}</question>" in prompt and f"<response>{ANSWER}</response>" in prompt
    )
    with pytest.raises(ValueError, match="Guidelines must be specified"):
        ExpectationsGuidelines(**options(ollama_server))(trace=trace)


def test_retrieval_groundedness_judges_each_top_level_retriever(
    tracking_db: Path, ollama_server: OllamaStandIn
) -> None:
    trace = rag_trace([DOCS, OTHER_DOCS])
    feedbacks = RetrievalGroundedness(**options(ollama_server))(trace=trace)
    assert [(f.name, f.value) for f in feedbacks] == [("retrieval_groundedness", "yes")] * 2
    assert [f.span_id for f in feedbacks] == retriever_ids(trace)
    assert all(source(f) == ("LLM_JUDGE", "ollama:/llama3.2:1b") for f in feedbacks)
    first, second = asked(ollama_server, 0), asked(ollama_server, 1)
    assert f"<question>{REQUEST}</question>" in first and f"<answer>{ANSWER}</answer>" in first
    assert f'<document uri="doc-0-0">{DOCS[0]}</document>' in first and DOCS[1] in first
    assert NESTED_DOC not in first and OTHER_DOCS[0] not in first
    assert OTHER_DOCS[0] in second and DOCS[0] not in second


def test_retrieval_relevance_judges_each_document_and_gives_the_precision(
    tracking_db: Path, scripted: ScriptedStandIn
) -> None:
    trace = rag_trace([DOCS, OTHER_DOCS])
    feedbacks = RetrievalRelevance(**options(scripted))(trace=trace)
    assert feedbacks is not None
    assert [(f.name, f.value) for f in feedbacks] == [
        ("retrieval_relevance/precision", 0.5),
        ("retrieval_relevance", "yes"),
        ("retrieval_relevance", "no"),
        ("retrieval_relevance/precision", 1.0),
        ("retrieval_relevance", "yes"),
    ]
    chunks = [None, {"chunk_index": 0}, {"chunk_index": 1}, None, {"chunk_index": 0}]
    assert [f.metadata for f in feedbacks] == chunks
    first, second = retriever_ids(trace)
    assert [f.span_id for f in feedbacks] == [first] * 3 + [second] * 2
    assert all(source(f) == ("LLM_JUDGE", "ollama:/llama3.2:1b") for f in feedbacks)
    prompts = [asked(scripted, i) for i in range(3)]
    assert [p.count("<document>") for p in prompts] == [1, 1, 1]
    assert DOCS[0] in prompts[0] and DOCS[1] in prompts[1] and OTHER_DOCS[0] in prompts[2]
    assert all(f"<question>{REQUEST}</question>" in p for p in prompts)


def test_retrieval_sufficiency_checks_the_documents_against_the_expectations(
    tracking_db: Path, ollama_server: OllamaStandIn
) -> None:
    trace = rag_trace([DOCS])
    judge = RetrievalSufficiency(**options(ollama_server))
    (feedback,) = judge(trace=trace, expectations={"expected_facts": ["Shakespeare wrote it"]})
    assert (feedback.name, feedback.value, feedback.span_id) == (
        "retrieval_sufficiency",
        "yes",
        retriever_ids(trace)[0],
    )
    prompt = asked(ollama_server)
    assert "<expected_answer>- Shakespeare wrote it</expected_answer>" in prompt
    assert DOCS[0] in prompt and f"<question>{REQUEST}</question>" in prompt
    with pytest.raises(ValueError, match="RetrievalSufficiency scorer requires either"):
        judge(trace=trace, expectations={})
    assert len(ollama_server.chat_requests) == 1


def test_retrieval_judges_need_a_retriever_span(
    tracking_db: Path, ollama_server: OllamaStandIn
) -> None:
    with core.start_span("plain") as root:
        root.set_inputs(INPUTS)
        root.set_outputs(ANSWER)
    core.flush_trace_async_logging()
    plain = core.get_trace(root.trace_id)
    assert plain is not None
    for judge in (RetrievalGroundedness, RetrievalRelevance):
        with pytest.raises(ValueError, match=f"No retrieval context found.*{judge.__name__}"):
            judge(**options(ollama_server))(trace=plain)
        with pytest.raises(ValueError, match="at least one span with type 'RETRIEVER'"):
            judge(**options(ollama_server))()
    with pytest.raises(ValueError, match="No retrieval context found"):
        RetrievalSufficiency(**options(ollama_server))(
            trace=plain, expectations={"expected_response": "S"}
        )
    assert ollama_server.chat_requests == []


# --------------------------------------------------------------------------- models and servers


@pytest.mark.parametrize("model", ["openai:/gpt-4", "anthropic:/claude-3-5-sonnet", "databricks"])
def test_a_model_that_is_not_ollama_is_refused(model: str) -> None:
    for make in (lambda: Correctness(model=model), lambda: Judge("j", "ok?", model=model)):
        with pytest.raises(ValueError, match=r"run on a local Ollama model.*'ollama:/<model>'"):
            make()
    with pytest.raises(ValueError, match="local Ollama model"):
        Guidelines(guidelines="x", model="ollama:/")


def test_the_model_is_spelled_as_mlflow_spells_it(ollama_server: OllamaStandIn) -> None:
    named = Safety(model="ollama:/llama3.2", **options(ollama_server))
    assert (named.model, named.source_id) == ("llama3.2", "ollama:/llama3.2")
    assert source(named(outputs="hi")) == ("LLM_JUDGE", "ollama:/llama3.2")
    default = Safety(**options(ollama_server))
    assert (default.model, default.source_id) == ("llama3.2:1b", "ollama:/llama3.2:1b")
    default(outputs="hi")
    assert [r["model"] for r in ollama_server.chat_requests] == ["llama3.2", "llama3.2:1b"]
    assert repr(default) == "Safety(name='safety', model='ollama:/llama3.2:1b')"


def test_the_server_comes_from_base_url_then_the_environment(
    ollama_host: OllamaStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACEDESK_OLLAMA_URL", raising=False)
    from_host = Safety(retry_delay_s=0)  # $OLLAMA_HOST is the stand-in
    assert from_host.url == ollama_host.url and from_host(outputs="hi").value == "yes"
    monkeypatch.setenv("TRACEDESK_OLLAMA_URL", "http://tracedesk.test:1")
    assert Safety().url == "http://tracedesk.test:1"
    assert Safety(base_url="http://given.test:2").url == "http://given.test:2"
    monkeypatch.delenv("TRACEDESK_OLLAMA_URL")
    monkeypatch.delenv("OLLAMA_HOST")
    assert ollama_url() == "http://127.0.0.1:11434"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1:5000", "http://127.0.0.1:5000"),
        (":5000", "http://127.0.0.1:5000"),
        ("example.com", "http://example.com:11434"),
        ("0.0.0.0", "http://0.0.0.0:11434"),
        ("https://ollama.example.com/", "https://ollama.example.com"),
        ("http://127.0.0.1:11434", "http://127.0.0.1:11434"),
    ],
)
def test_ollama_host_is_completed_as_the_ollama_client_does(host: str, url: str) -> None:
    assert normalize_url(host) == url


def test_an_unreachable_server_names_the_model_and_the_url() -> None:
    port = closed_port()
    judge = Correctness(model="ollama:/llama3.2:1b", base_url=f"http://127.0.0.1:{port}", retries=0)
    with pytest.raises(JudgeError) as raised:
        judge(inputs=INPUTS, outputs=ANSWER, expectations={"expected_response": "S"})
    message = str(raised.value)
    assert message.startswith(
        "Correctness (llama3.2:1b) gave no verdict after 1 attempt: cannot reach the Ollama "
        f"server at http://127.0.0.1:{port} ("
    )


def test_a_model_that_is_not_pulled_says_how_to_pull_it(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(strict_models=True)
    judge = Safety(name="harmless", model="ollama:/qwen3:0.6b", **options(ollama_server))
    with pytest.raises(JudgeError) as raised:
        judge(outputs="hi")
    message = str(raised.value)
    assert message.startswith("Safety 'harmless' (qwen3:0.6b) gave no verdict after 1 attempt:")
    assert f"the Ollama server at {ollama_server.url} does not have the model qwen3:0.6b" in message
    assert message.endswith("pull it with `ollama pull qwen3:0.6b`")
    assert len(ollama_server.chat_requests) == 1  # waiting will not pull it: no retries


# --------------------------------------------------------------------------- evaluate


def test_evaluate_stores_the_judges_feedback(
    tracking_db: Path, ollama_server: OllamaStandIn
) -> None:
    data = [
        {"inputs": INPUTS, "expectations": {"expected_response": "William Shakespeare"}},
        {"inputs": {"question": "Hi?"}, "expectations": {"expected_response": "Hello"}},
    ]
    result = core.evaluate(
        data=data,
        predict_fn=lambda question: ANSWER,
        scorers=[Correctness(model="ollama:/llama3.2:1b", base_url=ollama_server.url)],
    )
    assert result.status == "FINISHED" and result.metrics == {"correctness/mean": 1.0}
    assert result.result_df["correctness/value"].tolist() == ["yes", "yes"]
    prompts = sorted(asked(ollama_server, i) for i in range(2))
    assert f"<question>{REQUEST}</question>" in prompts[1] and ANSWER in prompts[1]
    assert "<expected_answer>William Shakespeare</expected_answer>" in prompts[1]
    rows = query(
        tracking_db,
        "SELECT name, value, rationale, source_type, source_id, aggregate_value, "
        "assessment_metadata FROM assessments WHERE assessment_type = 'feedback'",
    )
    assert len(rows) == 2
    for name, value, rationale, source_type, source_id, aggregate, metadata in rows:
        assert (name, value, source_type, source_id, aggregate) == (
            "correctness",
            '"yes"',
            "LLM_JUDGE",
            "ollama:/llama3.2:1b",
            1.0,
        )
        assert rationale.startswith("Deterministic verdict for:")
        assert json.loads(metadata)["mlflow.assessment.sourceRunId"] == result.run_id


def test_evaluate_gives_retrieval_judges_the_predicted_trace(
    tracking_db: Path, scripted: ScriptedStandIn
) -> None:
    def rag(question: str) -> str:
        with core.start_span("rag", span_type="CHAIN") as root:
            root.set_inputs({"question": question})
            with core.start_span("retrieve", span_type="RETRIEVER") as retriever:
                retriever.set_outputs([{"page_content": text} for text in DOCS])
            root.set_outputs(ANSWER)
        return ANSWER

    result = core.evaluate(
        data=[{"inputs": INPUTS}],
        predict_fn=rag,
        scorers=[RetrievalRelevance(**options(scripted))],
    )
    assert result.metrics == {
        "retrieval_relevance/precision/mean": 0.5,
        "retrieval_relevance/mean": 0.5,
    }
    rows = query(
        tracking_db,
        "SELECT name, value FROM assessments WHERE assessment_type = 'feedback' "
        "ORDER BY name, value DESC",
    )
    assert rows == [
        ("retrieval_relevance", '"yes"'),
        ("retrieval_relevance", '"no"'),
        ("retrieval_relevance/precision", "0.5"),
    ]


def test_a_judge_that_fails_is_the_rows_scorer_error(tracking_db: Path) -> None:
    port = closed_port()
    down = Correctness(base_url=f"http://127.0.0.1:{port}", retries=1, retry_delay_s=0)
    data = [
        {"inputs": INPUTS, "expectations": {"expected_response": "William Shakespeare"}},
        {"inputs": INPUTS},
    ]
    result = core.evaluate(data=data, predict_fn=lambda question: ANSWER, scorers=[down])
    assert result.status == "FINISHED" and result.metrics == {}
    unreachable, unexpected = result.result_df["correctness/error_message"]
    assert unreachable.startswith(
        "Correctness (llama3.2:1b) gave no verdict after 2 attempts: cannot reach the Ollama "
        f"server at http://127.0.0.1:{port}"
    )
    assert "requires either `expected_response` or `expected_facts`" in unexpected
    errors = query(
        tracking_db, "SELECT value, error FROM assessments WHERE assessment_type = 'feedback'"
    )
    assert len(errors) == 2
    for value, error in errors:
        assert value == "null" and json.loads(error)["error_code"] == "SCORER_ERROR"
