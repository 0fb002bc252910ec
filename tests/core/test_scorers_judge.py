"""The LLM judge against the stand-in Ollama server (tests/ollama_server.py)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import core
import core.langchain
from core import context, tracking
from core.evaluation.judge import VERDICT_SCHEMA, Judge, JudgeError, parse_verdict
from tests.ollama_server import OllamaStandIn

QUESTION = {"question": "Who wrote Romeo and Juliet?"}


@pytest.fixture
def tracking_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "mlflow.db"
    core.set_tracking_uri(f"sqlite:///{path}")
    core.set_experiment("judged")
    yield path
    tracking.reset()


def judge(server: OllamaStandIn, **options: object) -> Judge:
    return Judge(
        "relevant",
        "Does the answer address the question?",
        base_url=server.url,
        retry_delay_s=0,
        **options,  # type: ignore[arg-type]
    )


def test_a_verdict_is_yes_or_no_with_a_rationale(ollama_server: OllamaStandIn) -> None:
    feedback = judge(ollama_server)(inputs=QUESTION, outputs="William Shakespeare")
    assert feedback.value == "yes"
    assert feedback.rationale and feedback.rationale.startswith("Deterministic verdict for:")
    assert (feedback.source_type, feedback.source_id) == ("LLM_JUDGE", "ollama:/llama3.2:1b")
    (request,) = ollama_server.chat_requests
    assert request["model"] == "llama3.2:1b" and request["format"] == VERDICT_SCHEMA
    system, user = request["messages"]
    assert system["role"] == "system" and '"result": "yes" or "no"' in system["content"]
    assert user["content"].startswith("Does the answer address the question?")
    assert (
        "Who wrote Romeo and Juliet?" in user["content"]
        and "William Shakespeare" in user["content"]
    )
    ollama_server.configure(judge_verdict="no")
    assert judge(ollama_server)(outputs="x").value == "no"


def test_instructions_can_place_the_data(ollama_server: OllamaStandIn) -> None:
    placed = Judge(
        "grounded",
        "Question: {{ inputs }}\nAnswer: {{outputs}}\nIs the answer {{ expectations }}?",
        base_url=ollama_server.url,
    )
    prompt = placed.prompt({"inputs": "q?", "outputs": "a.", "expectations": {"ok": True}})
    assert prompt == 'Question: q?\nAnswer: a.\nIs the answer {\n  "ok": true\n}?'
    with pytest.raises(ValueError, match="instructions"):
        Judge("empty", "  ")


def test_a_server_error_is_retried(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(fail_status=500, fail_times=1)
    assert judge(ollama_server, retries=1)(outputs="x").value == "yes"
    assert len(ollama_server.chat_requests) == 2


def test_persistent_failures_say_what_went_wrong(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(fail_status=500, fail_message="model runner crashed")
    with pytest.raises(
        JudgeError, match=r"after 3 attempts: .*answered HTTP 500: model runner crashed"
    ):
        judge(ollama_server)(outputs="x")
    assert len(ollama_server.chat_requests) == 3
    ollama_server.reset()
    ollama_server.configure(judge_verdict="maybe")
    with pytest.raises(JudgeError, match="no yes/no result"):
        judge(ollama_server, retries=0)(outputs="x")
    down = Judge("relevant", "ok?", base_url="http://127.0.0.1:9", retries=0)
    with pytest.raises(
        JudgeError, match=r"after 1 attempt: cannot reach the Ollama server at http://127.0.0.1:9"
    ):
        down(outputs="x")


def test_the_server_comes_from_the_environment(
    ollama_server: OllamaStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACEDESK_OLLAMA_URL", raising=False)
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert Judge("j", "ok?").url == "http://127.0.0.1:11434"
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:5000")  # as the ollama CLI reads it
    assert Judge("j", "ok?").url == "http://127.0.0.1:5000"
    monkeypatch.setenv("TRACEDESK_OLLAMA_URL", ollama_server.url)
    unset = Judge("j", "ok?", model="llama3.2:1b")
    assert unset.url == ollama_server.url and unset(outputs="x").value == "yes"
    assert Judge("j", "ok?", base_url="http://elsewhere:1").url == "http://elsewhere:1"


def test_the_model_may_be_spelled_as_mlflow_spells_it(ollama_server: OllamaStandIn) -> None:
    spelled = judge(ollama_server, model="ollama:/llama3.2")
    assert (spelled.model, spelled.source_id) == ("llama3.2", "ollama:/llama3.2")
    assert spelled(outputs="x").source_id == "ollama:/llama3.2"
    assert ollama_server.chat_requests[-1]["model"] == "llama3.2"
    with pytest.raises(ValueError, match="local Ollama model"):
        Judge("j", "ok?", model="openai:/gpt-4")


def test_a_model_that_is_not_pulled_is_not_retried(ollama_server: OllamaStandIn) -> None:
    ollama_server.configure(strict_models=True)
    with pytest.raises(JudgeError, match=r"after 1 attempt: .*`ollama pull qwen3:0.6b`"):
        judge(ollama_server, model="qwen3:0.6b")(outputs="x")
    assert len(ollama_server.chat_requests) == 1


@pytest.mark.parametrize(
    ("answer", "verdict", "rationale"),
    [
        ('{"result": "yes", "rationale": "fine"}', "yes", "fine"),
        ('{"rationale": "nope", "result": "No"}', "no", "nope"),
        ('```json\n{"result": "yes", "rationale": "fenced"}\n```', "yes", "fenced"),
        (
            'Sure! {"Result": true, "Reason": "prose around"} Hope that helps.',
            "yes",
            "prose around",
        ),
        ('{"verdict": "fail"}', "no", None),
        ("Yes. The answer names the author.", "yes", "The answer names the author."),
        ("no", "no", None),
    ],
)
def test_verdicts_are_read_robustly(answer: str, verdict: str, rationale: str | None) -> None:
    assert parse_verdict(answer) == (verdict, rationale)


@pytest.mark.parametrize("answer", ["", "I think so", '{"result": "perhaps"}', "[1, 2]"])
def test_non_verdicts_are_errors(answer: str) -> None:
    with pytest.raises(JudgeError, match=r"verdict|yes/no"):
        parse_verdict(answer)


def test_judged_evaluation_stores_llm_judge_feedback(
    tracking_db: Path, ollama_server: OllamaStandIn
) -> None:
    core.langchain.autolog()  # the judge's own chat calls must not become traces
    try:
        result = core.evaluate(
            data=[{"inputs": QUESTION}, {"inputs": {"question": "Hi?"}}],
            predict_fn=lambda question: "William Shakespeare",
            scorers=[judge(ollama_server)],
        )
    finally:
        core.langchain.autolog(disable=True)
    assert result.metrics == {"relevant/mean": 1.0}
    connection = sqlite3.connect(tracking_db)
    rows = connection.execute(
        "SELECT value, rationale, source_type, source_id, aggregate_value, is_numeric_value, "
        "assessment_metadata FROM assessments"
    ).fetchall()
    traces = connection.execute("SELECT trace_name FROM trace_info").fetchall()
    connection.close()
    assert len(rows) == 2 and traces == [("<lambda>",), ("<lambda>",)]
    for value, rationale, source_type, source_id, aggregate, numeric, metadata in rows:
        assert (value, source_type, source_id) == ('"yes"', "LLM_JUDGE", "ollama:/llama3.2:1b")
        assert rationale and (aggregate, numeric) == (1.0, 0)
        assert json.loads(metadata)["mlflow.assessment.sourceRunId"] == result.run_id


def test_a_judge_that_cannot_answer_is_a_scorer_error(tracking_db: Path) -> None:
    down = Judge("relevant", "ok?", base_url="http://127.0.0.1:9", retries=1, retry_delay_s=0)
    result = core.evaluate(
        data=[{"inputs": QUESTION}], predict_fn=lambda question: "x", scorers=[down]
    )
    assert result.status == "FINISHED" and result.metrics == {}
    message = result.result_df["relevant/error_message"][0]
    assert "gave no verdict after 2 attempts: cannot reach the Ollama server" in message
    (row,) = context.default_client().store().evaluations.rows(result.run_id).rows
    assert row.scores["relevant"].error_code == "SCORER_ERROR"
