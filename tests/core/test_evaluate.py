"""`core.evaluate` stores what MLflow 3.18's `genai.evaluate` stores, row for row.

Expected values come from the tutorial database real MLflow wrote
(tests/fixtures/mlflow-3.18-tutorial, run `sassy-elk-4`, SCHEMA.md §6).
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import core
from core import tracking
from core.entities import Trace

QUESTIONS = {
    "What is the Scotland's national animal?": "Unicorn",
    "Who was the first person to build an airplane?": "Wright Brothers",
    "Who wrote Romeo and Juliet?": "William Shakespeare",
}
DATA = [
    {"inputs": {"question": q}, "expectations": {"expected_response": a}}
    for q, a in QUESTIONS.items()
]


@pytest.fixture
def tracking_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "mlflow.db"
    core.set_tracking_uri(f"sqlite:///{path}")
    core.set_experiment("evaluation_test")
    yield path
    tracking.reset()


def query(db: Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in connection.execute(sql, params)]
    finally:
        connection.close()


@core.scorer
def some_check(outputs: str) -> bool:
    return len(outputs) < 10


@core.trace
def answer(question: str) -> str:
    return QUESTIONS[question]


def predict_fn(question: str) -> str:
    return answer(question)


def test_run_tags_metrics_and_dataset_as_mlflow_writes_them(tracking_db: Path, db318: Path) -> None:
    result = core.evaluate(data=DATA, predict_fn=predict_fn, scorers=[some_check])
    assert result.status == "FINISHED" and not result.cancelled
    assert result.metrics == {"some_check/mean": pytest.approx(1 / 3)}
    (run,) = query(tracking_db, "SELECT * FROM runs")
    assert run["run_uuid"] == result.run_id and re.fullmatch(r"[0-9a-f]{32}", result.run_id)
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{1,4}", run["name"]) and run["name"] == result.run_name
    assert run["status"] == "FINISHED" and run["end_time"] >= run["start_time"]
    assert (run["source_type"], run["source_name"], run["entry_point_name"]) == ("UNKNOWN", "", "")
    assert (run["source_version"], run["lifecycle_stage"], run["deleted_time"]) == (
        "",
        "active",
        None,
    )
    assert run["artifact_uri"].endswith(f"/mlruns/1/{result.run_id}/artifacts")
    tags = {r["key"]: r["value"] for r in query(tracking_db, "SELECT key, value FROM tags")}
    assert tags["mlflow.runType"] == "genai_evaluate"
    assert tags["mlflow.runName"] == run["name"] and tags["mlflow.user"] == run["user_id"]
    assert tags["mlflow.source.type"] == "LOCAL" and tags["mlflow.source.name"]
    assert tags["mlflow.genaiEvaluate.agent.function"] == f"{__name__}.predict_fn"
    assert tags["mlflow.genaiEvaluate.agent.digest"].startswith("sha256:")
    assert json.loads(tags["mlflow.genaiEvaluate.scorersDigest"])["total"] == 1
    for table in ("metrics", "latest_metrics"):
        (metric,) = query(tracking_db, f"SELECT * FROM {table}")
        assert (metric["key"], metric["step"], metric["is_nan"]) == ("some_check/mean", 0, 0)
        assert metric["value"] == pytest.approx(1 / 3)
    mine = query(tracking_db, "SELECT * FROM datasets")
    theirs = query(db318, "SELECT * FROM datasets WHERE digest = 'c9f31245'")
    columns = ("name", "digest", "dataset_source_type", "dataset_schema", "dataset_profile")
    assert [{c: d[c] for c in columns} for d in mine] == [
        {c: d[c] for c in columns} for d in theirs
    ]
    assert json.loads(mine[0]["dataset_source"])["tags"]["mlflow.user"] == run["user_id"]
    (link,) = query(tracking_db, "SELECT * FROM inputs")
    assert (link["source_type"], link["source_id"]) == ("DATASET", mine[0]["dataset_uuid"])
    assert (link["destination_type"], link["destination_id"], link["step"]) == (
        "RUN",
        run["run_uuid"],
        0,
    )


def test_every_row_is_a_linked_trace_with_scores_on_its_root(tracking_db: Path) -> None:
    result = core.evaluate(data=DATA, predict_fn=predict_fn, scorers=[some_check])
    traces = query(tracking_db, "SELECT request_id, timestamp_ms, trace_name FROM trace_info")
    assert len(traces) == 3 and {t["trace_name"] for t in traces} == {"answer"}
    for trace in traces:
        trace_id = trace["request_id"]
        metadata = query(
            tracking_db,
            "SELECT key, value FROM trace_request_metadata WHERE request_id = ?",
            trace_id,
        )
        assert {"key": "mlflow.sourceRun", "value": result.run_id} in metadata
        (request_tag,) = query(
            tracking_db,
            "SELECT value FROM trace_tags WHERE request_id = ? AND key = 'mlflow.eval.requestId'",
            trace_id,
        )
        uuid.UUID(request_tag["value"])
        links = query(
            tracking_db, "SELECT * FROM entity_associations WHERE source_id = ?", trace_id
        )
        assert [(x["source_type"], x["destination_type"], x["destination_id"]) for x in links] == [
            ("trace", "run", result.run_id)
        ]
        (root,) = query(tracking_db, "SELECT span_id FROM spans WHERE trace_id = ?", trace_id)
        rows = query(
            tracking_db,
            "SELECT * FROM assessments WHERE trace_id = ? ORDER BY assessment_type DESC",
            trace_id,
        )
        assert [(a["name"], a["assessment_type"]) for a in rows] == [
            ("some_check", "feedback"),
            ("expected_response", "expectation"),
        ]
        feedback, expectation = rows
        for row in rows:
            assert re.fullmatch(r"a-[0-9a-f]{32}", row["assessment_id"])
            assert row["span_id"] == root["span_id"] and row["run_id"] is None
            assert (row["valid"], row["overrides"], row["error"], row["rationale"]) == (
                1,
                None,
                None,
                None,
            )
            assert row["experiment_id"] == 1 and row["trace_timestamp_ms"] == trace["timestamp_ms"]
            assert row["created_timestamp"] == row["last_updated_timestamp"]
        assert (feedback["source_type"], feedback["source_id"]) == ("CODE", "some_check")
        metadata = json.loads(feedback["assessment_metadata"])
        assert list(metadata) == ["mlflow.assessment.scorerDigest", "mlflow.assessment.sourceRunId"]
        assert metadata["mlflow.assessment.sourceRunId"] == result.run_id
        assert feedback["value"] in ("true", "false") and feedback["is_numeric_value"] == 0
        assert feedback["aggregate_value"] == (1.0 if feedback["value"] == "true" else 0.0)
        assert (expectation["source_type"], expectation["source_id"]) == (
            "HUMAN",
            tracking_user(tracking_db),
        )
        assert json.loads(expectation["assessment_metadata"]) == {
            "mlflow.assessment.sourceRunId": result.run_id
        }
        assert json.loads(expectation["value"]) in QUESTIONS.values()
        assert (expectation["aggregate_value"], expectation["is_numeric_value"]) == (None, 0)


def tracking_user(db: Path) -> str:
    return str(query(db, "SELECT user_id FROM runs")[0]["user_id"])


def test_result_df_follows_the_data_with_mlflow_columns(tracking_db: Path) -> None:
    result = core.evaluate(data=DATA, predict_fn=predict_fn, scorers=[some_check])
    frame = result.result_df
    assert list(frame.columns[:3]) == ["trace_id", "some_check/value", "expected_response/value"]
    assert {"inputs", "outputs", "expectations", "error_message", "trace", "assessments"} <= set(
        frame.columns
    )
    assert frame["outputs"].tolist() == list(QUESTIONS.values())
    assert frame["inputs"].tolist() == [d["inputs"] for d in DATA]
    assert frame["some_check/value"].tolist() == [True, False, False]
    assert frame["expected_response/value"].tolist() == list(QUESTIONS.values())
    assert [len(a) for a in frame["assessments"]] == [2, 2, 2]
    stored = core.get_trace(frame["trace_id"][0])
    assert stored is not None and json.loads(stored.data.request or "") == DATA[0]["inputs"]


def spans_of(trace_id: str) -> list[tuple[str, str | None]]:
    trace = core.get_trace(trace_id)
    assert trace is not None
    names = {s.span_id: s.name for s in trace.data.spans}
    return [(s.name, names.get(s.parent_id or "")) for s in trace.data.spans]


def test_a_function_that_traces_itself_is_not_wrapped(tracking_db: Path) -> None:
    @core.trace(name="agent", span_type=core.SpanType.AGENT)
    def agent(question: str) -> str:
        return answer(question)

    result = core.evaluate(data=DATA[:1], predict_fn=agent, scorers=[some_check])
    assert spans_of(result.result_df["trace_id"][0]) == [("agent", None), ("answer", "agent")]
    trace = core.get_trace(result.result_df["trace_id"][0])
    assert trace is not None and trace.info.tags["mlflow.eval.requestId"]
    assert trace.info.trace_metadata["mlflow.sourceRun"] == result.run_id


def test_an_untraced_function_is_wrapped_in_a_span_named_after_it(tracking_db: Path) -> None:
    def shout(question: str, suffix: str = "!") -> str:
        return question.upper() + suffix

    result = core.evaluate(data=DATA[:1], predict_fn=shout)
    trace = core.get_trace(result.result_df["trace_id"][0])
    assert trace is not None
    (span,) = trace.data.spans
    assert (span.name, span.span_type, span.status_code) == ("shout", "UNKNOWN", "OK")
    assert span.inputs == {"question": DATA[0]["inputs"]["question"], "suffix": "!"}
    assert span.outputs == DATA[0]["inputs"]["question"].upper() + "!"
    assert span.attributes["mlflow.spanFunctionName"] == "shout"
    lambda_run = core.evaluate(
        data=[{"inputs": {"inp": "inputs value"}}], predict_fn=lambda inp: "ouputs value"
    )
    lambda_trace = core.get_trace(lambda_run.result_df["trace_id"][0])
    assert lambda_trace is not None and lambda_trace.info.tags["mlflow.traceName"] == "<lambda>"
    assert lambda_trace.info.request_preview == '{"inp": "inputs value"}'
    assert lambda_trace.info.response_preview == '"ouputs value"'


def test_two_traced_calls_stay_under_the_wrapper(tracking_db: Path) -> None:
    def twice(question: str) -> str:
        return answer(question) + answer(question)

    result = core.evaluate(data=DATA[:1], predict_fn=twice)
    assert spans_of(result.result_df["trace_id"][0]) == [
        ("twice", None),
        ("answer", "twice"),
        ("answer", "twice"),
    ]


def test_an_autologged_chat_call_is_the_trace(tracking_db: Path, ollama_server: Any) -> None:
    from langchain_ollama import ChatOllama

    import core.langchain

    chat = ChatOllama(model="llama3.2:1b", base_url=ollama_server.url, temperature=0)
    core.langchain.autolog()
    try:
        result = core.evaluate(
            data=DATA,
            predict_fn=lambda question: chat.invoke(question).content,
            scorers=[some_check],
        )
    finally:
        core.langchain.autolog(disable=True)
    assert result.metrics["some_check/mean"] == pytest.approx(1 / 3)
    for trace_id in result.result_df["trace_id"]:
        assert spans_of(trace_id) == [("ChatOllama", None)]
    names = query(tracking_db, "SELECT DISTINCT trace_name FROM trace_info")
    assert names == [{"trace_name": "ChatOllama"}]


def test_a_failing_scorer_is_recorded_and_left_out_of_the_mean(tracking_db: Path) -> None:
    @core.scorer
    def flaky(outputs: str) -> float:
        if outputs == "Unicorn":
            raise ValueError("cannot judge unicorns")
        return 0.5

    result = core.evaluate(data=DATA, predict_fn=predict_fn, scorers=[flaky, some_check])
    assert result.metrics == {"flaky/mean": 0.5, "some_check/mean": pytest.approx(1 / 3)}
    (failed,) = query(
        tracking_db, "SELECT * FROM assessments WHERE name = 'flaky' AND error IS NOT NULL"
    )
    assert failed["value"] == "null" and failed["aggregate_value"] is None
    assert (failed["source_type"], failed["source_id"]) == ("CODE", "flaky")
    error = json.loads(failed["error"])
    assert list(error) == ["error_code", "error_message", "stack_trace"]
    assert (error["error_code"], error["error_message"]) == (
        "SCORER_ERROR",
        "cannot judge unicorns",
    )
    assert "Traceback" in error["stack_trace"] and "ValueError" in error["stack_trace"]
    numbers = query(
        tracking_db,
        "SELECT aggregate_value, is_numeric_value FROM assessments"
        " WHERE name = 'flaky' AND error IS NULL",
    )
    assert numbers == [{"aggregate_value": 0.5, "is_numeric_value": 1}] * 2
    frame = result.result_df
    assert frame["flaky/error_message"].tolist()[0] == "cannot judge unicorns"
    assert frame["flaky/value"].tolist()[1:] == [0.5, 0.5]


def test_a_failing_predict_fn_gives_an_error_trace_and_still_scores(tracking_db: Path) -> None:
    def fragile(question: str) -> str:
        if "Romeo" in question:
            raise RuntimeError("model offline")
        return answer(question)

    @core.scorer
    def has_output(outputs: Any) -> bool:
        return outputs is not None

    result = core.evaluate(data=DATA, predict_fn=fragile, scorers=[has_output])
    assert result.status == "FINISHED"
    assert result.metrics == {"has_output/mean": pytest.approx(2 / 3)}
    frame = result.result_df
    assert frame["error_message"].tolist()[:2] == [None, None]
    assert "model offline" in frame["error_message"][2] and frame["state"][2] == "ERROR"
    trace = core.get_trace(frame["trace_id"][2])
    assert trace is not None and trace.info.state == "ERROR"
    assert [s.name for s in trace.data.spans] == ["fragile"]
    assert [e.name for e in trace.data.spans[0].events] == ["exception"]


def test_scorer_results_of_every_kind(tracking_db: Path) -> None:
    @core.scorer(name="verdict")
    def word(outputs: str) -> str:
        return "meh"

    @core.scorer
    def judged(outputs: str) -> core.Feedback:
        return core.Feedback(value="yes", rationale="looks right")

    @core.scorer
    def several(outputs: str) -> list[core.Feedback]:
        return [core.Feedback(name="a", value=True), core.Feedback(name="b", value=2)]

    @core.scorer(aggregations=["min", "max", "mean"])
    def size(outputs: str) -> int:
        return len(outputs)

    @core.scorer
    def silent(outputs: str) -> None:
        return None

    result = core.evaluate(
        data=DATA, predict_fn=predict_fn, scorers=[word, judged, several, size, silent]
    )
    assert result.metrics == {
        "judged/mean": 1.0,
        "a/mean": 1.0,
        "b/mean": 2.0,
        "size/min": 7.0,
        "size/max": 19.0,
        "size/mean": pytest.approx((7 + 15 + 19) / 3),
    }
    rows = query(
        tracking_db,
        "SELECT name, value, rationale, source_id, aggregate_value FROM assessments"
        " WHERE assessment_type = 'feedback' AND trace_id = ?",
        result.result_df["trace_id"][0],
    )
    by_name = {r.pop("name"): r for r in rows}
    assert set(by_name) == {"verdict", "judged", "a", "b", "size"}
    assert by_name["verdict"] == {
        "value": '"meh"',
        "rationale": None,
        "source_id": "verdict",
        "aggregate_value": None,
    }
    assert by_name["judged"] == {
        "value": '"yes"',
        "rationale": "looks right",
        "source_id": "default",
        "aggregate_value": 1.0,
    }
    assert by_name["b"]["source_id"] == "default" and by_name["size"]["value"] == "7"
    assert result.result_df["judged/rationale"].tolist() == ["looks right"] * 3


def test_rows_with_outputs_get_a_minimal_trace(tracking_db: Path) -> None:
    data = [
        {"inputs": {"q": "x"}, "outputs": "short", "expectations": {"expected_response": "short"}}
    ]
    result = core.evaluate(data=data, scorers=[core.scorers.exact_match])
    assert result.metrics == {"exact_match/mean": 1.0}
    trace = core.get_trace(result.result_df["trace_id"][0])
    assert trace is not None
    (root,) = trace.data.spans
    assert (root.name, root.span_type, root.inputs, root.outputs) == (
        "root_span",
        "CHAIN",
        {"q": "x"},
        "short",
    )
    assert trace.info.trace_metadata["mlflow.sourceRun"] == result.run_id
    assert "mlflow.genaiEvaluate.agent.function" not in core_run_tags(tracking_db, result.run_id)


def core_run_tags(db: Path, run_id: str) -> dict[str, str]:
    return {
        r["key"]: r["value"]
        for r in query(db, "SELECT key, value FROM tags WHERE run_uuid = ?", run_id)
    }


def test_tags_column_tags_the_new_traces(tracking_db: Path) -> None:
    data = [{"inputs": {"question": q}, "tags": {"topic": "trivia"}} for q in QUESTIONS]
    result = core.evaluate(data=data, predict_fn=predict_fn)
    for trace_id in result.result_df["trace_id"]:
        trace = core.get_trace(trace_id)
        assert trace is not None and trace.info.tags["topic"] == "trivia"


def test_an_async_predict_fn_is_awaited(tracking_db: Path) -> None:
    async def slow_answer(question: str) -> str:
        return QUESTIONS[question]

    result = core.evaluate(data=DATA, predict_fn=slow_answer, scorers=[some_check])
    assert result.result_df["outputs"].tolist() == list(QUESTIONS.values())


# --------------------------------------------------------------------------- existing traces


def test_rescoring_existing_traces_links_them_to_the_new_run(tracking_db: Path) -> None:
    first = core.evaluate(data=DATA, predict_fn=predict_fn, scorers=[some_check])

    @core.scorer
    def exact(outputs: str, expectations: dict[str, str]) -> bool:
        return outputs == expectations["expected_response"]

    frame = core.search_traces()
    second = core.evaluate(data=frame, scorers=[exact])
    assert second.metrics == {"exact/mean": 1.0}
    assert sorted(second.result_df["trace_id"]) == sorted(first.result_df["trace_id"])
    assert len(query(tracking_db, "SELECT * FROM trace_info")) == 3  # no new traces
    for trace_id in second.result_df["trace_id"]:
        links = query(
            tracking_db,
            "SELECT destination_id FROM entity_associations"
            " WHERE source_id = ? ORDER BY created_time",
            trace_id,
        )
        assert [x["destination_id"] for x in links] == [first.run_id, second.run_id]
        trace = core.get_trace(trace_id)
        assert trace is not None and trace.info.trace_metadata["mlflow.sourceRun"] == first.run_id
        kinds = [
            (a.name, a.metadata["mlflow.assessment.sourceRunId"]) for a in trace.info.assessments
        ]
        assert sorted(kinds) == sorted(
            [
                ("some_check", first.run_id),
                ("expected_response", first.run_id),
                ("exact", second.run_id),
            ]
        )
    assert len(query(tracking_db, "SELECT * FROM datasets")) == 2  # the traces are other data
    again = core.evaluate(data=DATA, predict_fn=predict_fn, scorers=[some_check])
    datasets = query(tracking_db, "SELECT dataset_uuid FROM datasets WHERE digest = 'c9f31245'")
    assert len(datasets) == 1  # the same data again: the dataset is reused, with a new input
    used = query(
        tracking_db,
        "SELECT destination_id FROM inputs WHERE source_id = ?",
        datasets[0]["dataset_uuid"],
    )
    assert sorted(u["destination_id"] for u in used) == sorted([first.run_id, again.run_id])
    tags = core_run_tags(tracking_db, second.run_id)
    assert (
        tags["mlflow.runType"] == "genai_evaluate"
        and "mlflow.genaiEvaluate.agent.function" not in tags
    )
    assert (
        len(query(tracking_db, "SELECT * FROM inputs WHERE destination_id = ?", second.run_id)) == 1
    )


def test_traces_and_trace_ids_are_data_too(tracking_db: Path) -> None:
    first = core.evaluate(data=DATA, predict_fn=predict_fn)
    ids = first.result_df["trace_id"].tolist()
    by_id = core.evaluate(data=ids, scorers=[some_check])
    assert by_id.result_df["trace_id"].tolist() == ids
    assert by_id.result_df["outputs"].tolist() == list(QUESTIONS.values())
    assert by_id.result_df["expected_response/value"].tolist() == list(QUESTIONS.values())
    traces: list[Trace] = [t for t in (core.get_trace(i) for i in reversed(ids)) if t is not None]
    by_object = core.evaluate(data=traces, scorers=[some_check])
    assert by_object.result_df["trace_id"].tolist() == ids[::-1]
    assert by_object.metrics == by_id.metrics == {"some_check/mean": pytest.approx(1 / 3)}
    expectations = query(
        tracking_db, "SELECT count(*) AS n FROM assessments WHERE assessment_type = 'expectation'"
    )
    assert expectations == [{"n": 3}]  # copied once, by the run that made the traces


def test_unknown_trace_ids_are_refused_before_any_run(tracking_db: Path) -> None:
    with pytest.raises(core.NotFoundError, match="tr-nope"):
        core.evaluate(data=["tr-nope"], scorers=[some_check])
    assert query(tracking_db, "SELECT * FROM runs") == []
