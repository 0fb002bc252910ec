"""`core.entities` behaves as `mlflow.entities` where user code touches it.

Each test is one behaviour MLflow code relies on: the enums (`span.status.status_code`,
`trace.info.state.value`), the dict token usage, list assessments, `Trace.from_json`,
`search_spans` / `search_assessments`, MLflow 2's aliases, `SpanEvent`'s signature, one
`Feedback` for scorers and read-back assessments, the reprs, `Experiment`. The attribute-by-
attribute comparison with real MLflow is tests/interop/test_attribute_parity.py.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import core
from core import entities
from core.entities import (
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    Expectation,
    Experiment,
    Feedback,
    Span,
    SpanEvent,
    SpanLogLevel,
    SpanStatus,
    SpanStatusCode,
    SpanType,
    TokenUsage,
    Trace,
    TraceData,
    TraceInfo,
    TraceLocation,
    TraceState,
    TraceStatus,
)
from core.entities.ids import iso_time_ms, parse_iso_time_ms
from core.evaluation.row_scores import standardize
from core.store.store import Store

CHAT = "tr-6a0851c5009984c0295519cd96b86728"  # ChatOllama, 60 tokens, streamed events
NESTED = "tr-8994d05b63f61f086eee7e8a1d4106e8"  # my_cool_span > my_span (LLM), reranker_span
SCORED = "tr-82edcb6b94f88ac33e63b40f77e722e8"  # one feedback, one expectation
PLAIN = "tr-9729c509c999a70f05e3f59e6457fca5"  # one span, input "Input request"


@pytest.fixture
def store(db318: Path) -> Iterator[Store]:
    with Store.open(db318) as opened:
        yield opened


def span(status_code: str = "OK", **document: object) -> Span:
    """A span with its document given as a mapping."""
    return Span("tr-1", "00000000000000aa", None, "s", "LLM", status_code, 10, 20, document)


# -- exports -----------------------------------------------------------------------------------


def test_core_entities_exports_mlflows_entities() -> None:
    names = {
        "SpanType",
        "SpanStatusCode",
        "SpanStatus",
        "TraceState",
        "Trace",
        "TraceInfo",
        "TraceData",
        "Span",
        "SpanEvent",
        "Feedback",
        "Expectation",
        "AssessmentSource",
        "AssessmentSourceType",
        "AssessmentError",
        "TraceLocation",
        "Link",
    }
    assert names <= set(entities.__all__)
    assert all(getattr(entities, name) is not None for name in names)
    # One Feedback: what a scorer returns is what an assessment reads back as.
    assert core.Feedback is entities.Feedback
    assert core.genai.scorers.Feedback is entities.Feedback


# -- span status -------------------------------------------------------------------------------


def test_span_status_is_mlflows_and_status_code_stays_text(store: Store) -> None:
    (root,) = store.reader.get_trace(CHAT).data.spans
    assert root.status == SpanStatus(SpanStatusCode.OK, "")
    assert root.status.status_code is SpanStatusCode.OK and root.status.status_code == "OK"
    assert root.status.status_code.value == "OK" and root.status.description == ""
    assert root.status_code == "OK" and type(root.status_code) is str
    failed = span("ERROR", status={"code": "STATUS_CODE_ERROR", "message": "ValueError: boom"})
    assert failed.status == SpanStatus(SpanStatusCode.ERROR, "ValueError: boom")
    assert SpanStatus("ERROR").status_code is SpanStatusCode.ERROR  # strings are accepted
    with pytest.raises(ValueError, match="not a valid SpanStatusCode"):
        SpanStatus("BROKEN")  # type: ignore[arg-type]
    assert SpanStatusCode.OK.to_otel_proto_status_code_name() == "STATUS_CODE_OK"
    assert SpanStatusCode.from_otel_proto_status_code_name("STATUS_CODE_ERROR").value == "ERROR"


def test_status_of_an_ok_span_reads_no_payload(store: Store) -> None:
    trace = store.reader.get_trace(NESTED)
    for each in trace.data.spans:
        assert each.status.status_code is SpanStatusCode.OK
        repr(each)
    # Neither status nor repr fetched the spans' JSON: it is still in the database.
    assert not any(isinstance(s.document, str | Mapping) for s in trace.data.spans)


# -- trace state -------------------------------------------------------------------------------


def test_trace_state_is_a_str_enum(store: Store) -> None:
    info = store.reader.get_trace(CHAT).info
    assert info.state is TraceState.OK and info.state.value == "OK"
    assert info.state == "OK" and isinstance(info.state, str) and str(info.state) == "OK"
    assert f"{info.state}" == "OK" and json.dumps(info.state) == '"OK"'
    assert {"OK": "fine"}[info.state] == "fine"
    assert info.status is TraceStatus.OK  # MLflow 2's name
    assert TraceInfo("tr-x", state="ERROR").state is TraceState.ERROR
    assert TraceInfo("tr-x", state="no such state").state is TraceState.STATE_UNSPECIFIED
    assert TraceStatus.from_state(TraceState.STATE_UNSPECIFIED) is TraceStatus.UNSPECIFIED


def test_search_traces_frame_holds_the_states_text(db318: Path) -> None:
    frame = core.Client(f"sqlite:///{db318}").search_traces(locations=["0", "1", "2"])
    assert len(frame) == 12
    assert {type(s) for s in frame["state"]} == {str} and set(frame["state"]) == {"OK"}
    chat = frame[frame["trace_id"] == CHAT].iloc[0]
    assert chat["request"]["messages"][0]["content"] == "Hello how are you?"  # decoded JSON


# -- token usage -------------------------------------------------------------------------------


def test_token_usage_is_mlflows_dict_and_reads_as_attributes(store: Store) -> None:
    usage = store.reader.get_trace(CHAT).info.token_usage
    assert usage == {"input_tokens": 35, "output_tokens": 25, "total_tokens": 60}
    assert isinstance(usage, dict) and usage["total_tokens"] == 60
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (35, 25, 60)
    assert json.loads(json.dumps(usage)) == usage
    assert store.reader.get_trace(PLAIN).info.token_usage is None
    partial = TokenUsage.from_value({"input_tokens": 3, "cache_read_input_tokens": 1})
    assert partial is not None and partial.total_tokens is None
    assert partial.to_dict() == {"input_tokens": 3, "output_tokens": None, "total_tokens": None}
    assert partial["cache_read_input_tokens"] == 1  # kept, as MLflow's dict keeps it
    assert TokenUsage.from_value("not a mapping") is None


def test_info_cost_is_the_metadata_dict() -> None:
    info = TraceInfo("tr-x", trace_metadata={"mlflow.trace.cost": '{"total_cost": 0.5}'})
    assert info.cost == {"total_cost": 0.5}
    assert TraceInfo("tr-x").cost is None


# -- assessments are lists, and Feedback / Expectation ----------------------------------------


def test_no_assessments_is_an_empty_list(store: Store) -> None:
    info = store.reader.get_trace(CHAT).info
    assert info.assessments == [] and isinstance(info.assessments, list)
    assert store.reader.get_trace(CHAT).data.spans != () and isinstance(
        store.reader.get_trace(CHAT).data.spans, list
    )


def test_read_back_assessments_are_feedback_and_expectation(store: Store) -> None:
    feedback, expectation = store.reader.get_trace(SCORED).info.assessments
    assert isinstance(feedback, Feedback) and isinstance(expectation, Expectation)
    assert (feedback.name, feedback.value, feedback.feedback and feedback.feedback.value) == (
        "exp_out",
        True,
        True,
    )
    assert feedback.source == AssessmentSource("CODE", "exp_out")
    assert feedback.source.source_type == AssessmentSourceType.CODE
    assert (feedback.error, feedback.error_code, feedback.rationale) == (None, None, None)
    assert feedback.trace_id == SCORED and feedback.span_id == "ea69c6256192be0e"
    assert feedback.assessment_id == "a-65cc07e47b5246beb2f994e64cc75bca"
    assert feedback.create_time_ms == 1_795_677_606_858 and feedback.valid is True
    assert feedback.metadata is not None
    assert feedback.metadata["mlflow.assessment.sourceRunId"] == "7082f33920df4ef19608054f671777a9"
    assert feedback.run_id is None  # the column; MLflow does not fill it from the metadata here
    assert expectation.value == "expectations value" and expectation.expectation is not None
    assert expectation.source == AssessmentSource("HUMAN", "root") and expectation.error is None
    # TraceDesk's shortcuts stay.
    assert (feedback.assessment_type, feedback.source_type, feedback.source_id) == (
        "feedback",
        "CODE",
        "exp_out",
    )
    assert expectation.assessment_type == "expectation"


def test_feedback_has_mlflows_constructor() -> None:
    before = int(time.time() * 1000)
    made = Feedback("relevance", 0.5)
    assert (made.name, made.value, made.valid, made.trace_id) == ("relevance", 0.5, True, None)
    assert made.source == AssessmentSource(source_type="CODE", source_id="default")
    assert made.create_time_ms is not None and made.create_time_ms >= before
    assert made.last_update_time_ms == made.create_time_ms
    assert Feedback().name == "feedback" and Feedback().value is None
    judged = Feedback(
        name="correct",
        value="yes",
        rationale="matches",
        source=AssessmentSource(AssessmentSourceType.LLM_JUDGE, "ollama:/llama3.2:1b"),
        metadata={"mlflow.assessment.sourceRunId": "r1"},
        span_id="ab",
    )
    assert judged.run_id == "r1" and judged.span_id == "ab" and judged.rationale == "matches"
    judged.value = "no"
    assert judged.value == "no" and judged.feedback is not None and judged.feedback.value == "no"
    assert AssessmentSource("ai_judge").source_type == "LLM_JUDGE"  # MLflow's old name


def test_feedback_errors_in_every_form() -> None:
    try:
        raise KeyError("gone")
    except KeyError as caught:
        from_exception = Feedback(name="f", error=caught)
    assert isinstance(from_exception.error, AssessmentError)
    assert (from_exception.error_code, from_exception.error_message) == ("KeyError", "'gone'")
    assert from_exception.error.stack_trace is not None
    assert from_exception.error.stack_trace.startswith("KeyError('gone')Traceback")
    text = Feedback(error="rate limited")
    assert text.error == AssessmentError("ASSESSMENT_ERROR", "rate limited")
    given = AssessmentError("TIMEOUT", "slow")
    assert Feedback(error=given).error is given
    assert Feedback(error={"error_code": "E", "error_message": "m"}).error_dict == {
        "error_code": "E",
        "error_message": "m",
        "stack_trace": None,
    }
    assert text.feedback is not None and text.feedback.error == text.error
    with pytest.raises(TypeError, match="'error' must be"):
        Feedback(error=42)  # type: ignore[arg-type]


def test_expectation_has_mlflows_constructor() -> None:
    expected = Expectation("expected_response", {"answer": 42})
    assert expected.value == {"answer": 42}
    assert expected.source == AssessmentSource("HUMAN", "default")
    assert (expected.error, expected.feedback, expected.valid) == (None, None, None)
    with pytest.raises(ValueError, match="value"):
        Expectation("empty", None)


def test_assessment_dictionaries_round_trip() -> None:
    feedback = Feedback(
        name="f",
        value=1,
        error="oops",
        trace_id="tr-1",
        rationale="r",
        metadata={"k": "v"},
        create_time_ms=5_000,
        last_update_time_ms=5_100,
    )
    feedback.assessment_id = "a-1"
    as_dict = feedback.to_dictionary()
    assert as_dict["feedback"] == {
        "value": 1.0,  # protobuf's Value: every number a float, as MLflow gives it
        "error": {"error_code": "ASSESSMENT_ERROR", "error_message": "oops"},
    }
    assert as_dict["create_time"] == "1970-01-01T00:00:05Z"
    assert as_dict["last_update_time"] == "1970-01-01T00:00:05.100Z"
    back = Feedback.from_dictionary(as_dict)
    assert back.to_dictionary() == as_dict and back.assessment_id == "a-1"
    expected = Expectation("e", {"a": [1, 2]}, create_time_ms=0, last_update_time_ms=0)
    serialized = expected.to_dictionary()["expectation"]
    assert serialized["serialized_value"]["value"] == '{"a": [1, 2]}'
    assert entities.Assessment.from_dictionary(expected.to_dictionary()) == expected


def test_scorer_feedback_is_copied_not_changed() -> None:
    mine = Feedback(value=1)
    (named,) = standardize("scorer", mine)
    assert (named.name, named.value) == ("scorer", 1) and mine.name == "feedback"
    assert named.feedback is not mine.feedback
    (plain,) = standardize("scorer", True)
    assert plain.source == AssessmentSource("CODE", "scorer")


# -- Trace: JSON, search, aliases --------------------------------------------------------------


def test_trace_from_json_round_trips_every_fixture_trace(store: Store) -> None:
    ids = store.reader.search_trace_ids(None)
    assert len(ids) == 12
    for trace in store.reader.traces(ids):
        again = Trace.from_json(trace.to_json())
        assert again.to_dict() == trace.to_dict()
        assert Trace.from_dict(trace.to_dict()).to_dict() == trace.to_dict()
        assert again.info.state is trace.info.state
        assert [a.to_dictionary() for a in again.info.assessments] == [
            a.to_dictionary() for a in trace.info.assessments
        ]
        assert [(s.span_id, s.parent_id, s.name, s.span_type) for s in again.data.spans] == [
            (s.span_id, s.parent_id, s.name, s.span_type) for s in trace.data.spans
        ]
        assert [s.trace_id for s in again.data.spans] == [trace.info.trace_id] * len(
            trace.data.spans
        )
    with pytest.raises(ValueError, match="Expected keys"):
        Trace.from_dict({"info": {}})


def test_to_json_puts_stored_spans_in_as_they_are_only_when_that_is_to_dict(store: Store) -> None:
    """`to_json` reuses each span's stored JSON rather than encoding it again; the value is the
    same as encoding `to_dict()`. A span whose JSON does not parse, or parses only down to the
    depth limit, makes it encode instead."""
    (trace,) = store.reader.traces(store.reader.search_trace_ids(None)[:1])
    spans = trace.data.spans
    assert spans and all(span.stored_json() == span.document for span in spans)
    assert json.loads(trace.to_json()) == json.loads(json.dumps(trace.to_dict()))
    assert trace.to_json(pretty=True) == json.dumps(trace.to_dict(), indent=2, default=str)
    trace_id = spans[0].trace_id
    broken = Span(trace_id, "00000000000000aa", None, "broken", None, "OK", 1, 2, "{oops")
    assert broken.stored_json() is None
    nested = '{"attributes": {"x": ' + "[" * 2_500 + "]" * 2_500 + "}}"
    deep = Span(trace_id, "00000000000000bb", None, "deep", None, "OK", 1, 2, nested)
    assert deep.stored_json() is None  # parsed down to the limit only
    mixed = Trace(trace.info, TraceData([*spans, broken]))
    assert json.loads(mixed.to_json()) == json.loads(json.dumps(mixed.to_dict(), default=str))
    with pytest.raises(ValueError, match="Unable to parse trace JSON"):
        Trace.from_json("{not json")


def test_search_spans_by_type_name_and_id(store: Store) -> None:
    trace = store.reader.get_trace(NESTED)
    assert [s.name for s in trace.search_spans(span_type=SpanType.LLM)] == ["my_span"]
    assert [s.name for s in trace.search_spans(name="reranker_span")] == ["reranker_span"]
    assert {s.name for s in trace.search_spans(name=re.compile(r"_span$"))} == {
        "my_cool_span",
        "my_span",
        "reranker_span",
    }
    assert trace.search_spans(name="my_span", span_type=SpanType.RERANKER) == []
    assert [s.name for s in trace.search_spans(span_id="d15a633cbabb7478")] == ["reranker_span"]
    assert len(trace.search_spans()) == 3
    with pytest.raises(TypeError, match="name"):
        trace.search_spans(name=3)  # type: ignore[arg-type]


def test_search_assessments_by_name_span_type_and_validity(store: Store) -> None:
    trace = store.reader.get_trace(SCORED)
    assert [a.name for a in trace.search_assessments()] == ["exp_out", "exp"]
    assert [a.name for a in trace.search_assessments("exp")] == ["exp"]
    assert [a.name for a in trace.search_assessments(type="feedback")] == ["exp_out"]
    assert [a.name for a in trace.search_assessments(type="expectation")] == ["exp"]
    assert len(trace.search_assessments(span_id="ea69c6256192be0e")) == 2
    assert trace.search_assessments(span_id="0000000000000000") == []
    old = Feedback(name="exp_out", value=False, valid=False)
    trace.info.assessments.append(old)
    assert old not in trace.search_assessments("exp_out")
    assert old in trace.search_assessments("exp_out", all=True)


def test_mlflow_2_aliases_and_trace_location(store: Store) -> None:
    trace = store.reader.get_trace(CHAT)
    info = trace.info
    assert trace.trace_id == info.trace_id == info.request_id == CHAT
    assert info.timestamp_ms == info.request_time == 1_795_677_585_718
    assert info.execution_time_ms == info.execution_duration == 10
    assert info.request_metadata is info.trace_metadata
    assert info.trace_location == TraceLocation.from_experiment_id("0")
    assert info.trace_location.to_dict() == {
        "type": "MLFLOW_EXPERIMENT",
        "mlflow_experiment": {"experiment_id": "0"},
    }
    assert info.experiment_id == "0"
    moved = dataclasses.replace(info, request_preview="changed")
    assert moved.request_preview == "changed" and moved.experiment_id == "0"
    assert TraceInfo("tr-x", experiment_id="7").experiment_id == "7"


def test_trace_data_request_is_json_text_as_in_mlflow(store: Store) -> None:
    data = store.reader.get_trace(PLAIN).data
    assert data.request == '"Input request"' and json.loads(data.request) == "Input request"
    assert data.response == '"Span outputs"'
    assert TraceData().request is None and TraceData().spans == []


def test_v2_trace_info_dictionaries_are_read() -> None:
    info = TraceInfo.from_dict(
        {
            "request_id": "abc",
            "experiment_id": "3",
            "timestamp_ms": 10,
            "execution_time_ms": 4,
            "status": "ERROR",
            "request_metadata": [{"key": "k", "value": "v"}],
            "tags": {"t": "u"},
        }
    )
    assert (info.trace_id, info.experiment_id, info.request_time) == ("abc", "3", 10)
    assert info.state is TraceState.ERROR and info.trace_metadata == {"k": "v"}


# -- Span ----------------------------------------------------------------------------------------


def test_span_mlflow_properties(store: Store) -> None:
    (chat,) = store.reader.get_trace(CHAT).data.spans
    assert chat.request_id == chat.trace_id == CHAT
    assert chat.model_name == "llama3.2:1b" and chat.llm_cost is None
    assert chat.log_level is SpanLogLevel.INFO and chat.description is None
    assert chat.links == [] and isinstance(chat.events, list)
    assert chat.events[0].name == "new_token" and chat.events[0].timestamp > chat.start_time_ns
    described = span(attributes={"mlflow.spanDescription": '"asks"', "mlflow.spanLogLevel": "40"})
    assert described.description == "asks" and described.log_level is SpanLogLevel.ERROR
    linked = span(links=[{"trace_id": "tr-2", "span_id": "00ff", "attributes": {"w": 1}}])
    assert linked.links == [entities.Link("tr-2", "00ff", {"w": 1})]


def test_span_dictionaries_round_trip(store: Store) -> None:
    for each in store.reader.get_trace(NESTED).data.spans:
        again = Span.from_dict(each.to_dict())
        assert (again.trace_id, again.span_id, again.parent_id, again.name) == (
            each.trace_id,
            each.span_id,
            each.parent_id,
            each.name,
        )
        assert again.attributes == each.attributes and again.to_dict() == each.to_dict()
        assert again.status == each.status
    v2 = Span.from_dict(
        {
            "name": "old",
            "context": {"span_id": "0x00000000000000aa", "trace_id": "0x" + "1" * 32},
            "parent_id": None,
            "start_time": 1,
            "end_time": 2,
            "status_code": "ERROR",
            "status_message": "bad",
            "attributes": {"mlflow.traceRequestId": '"tr-old"', "mlflow.spanType": '"LLM"'},
            "events": [{"name": "e", "timestamp": 1, "attributes": {}}],
        }
    )
    assert (v2.trace_id, v2.span_id, v2.span_type) == ("tr-old", "00000000000000aa", "LLM")
    assert v2.status == SpanStatus("ERROR", "bad") and v2.events[0].timestamp == 1
    with pytest.raises(ValueError, match="Span object"):
        Span.from_dict({"name": "no ids"})


# -- SpanEvent -----------------------------------------------------------------------------------


def test_span_event_has_mlflows_signature_and_defaults() -> None:
    before = time.time_ns()
    event = SpanEvent("retry")
    assert event.name == "retry" and event.attributes == {}
    assert before <= event.timestamp <= time.time_ns() and event.timestamp_ns == event.timestamp
    given = SpanEvent("e", timestamp=5, attributes={"k": 1})
    assert (given.timestamp, given.timestamp_ns, given.attributes) == (5, 5, {"k": 1})
    assert given.json() == {"name": "e", "timestamp": 5, "attributes": '{"k": 1}'}
    assert SpanEvent("e", 5).json()["attributes"] is None
    error = SpanEvent.from_exception(ValueError("boom"))
    assert error.name == "exception"
    assert error.attributes["exception.message"] == "boom"
    assert error.attributes["exception.type"] == "ValueError"
    assert "ValueError: boom" in error.attributes["exception.stacktrace"]


# -- reprs ---------------------------------------------------------------------------------------


def test_reprs_are_mlflows(store: Store) -> None:
    trace = store.reader.get_trace(CHAT)
    (chat,) = trace.data.spans
    assert repr(trace) == f"Trace(trace_id='{CHAT}')"
    expected_span = f"Span(name='ChatOllama', trace_id='{CHAT}', span_id='{chat.span_id}', "
    assert repr(chat) == expected_span + "parent_id=None)"
    assert repr(trace.data) == f"TraceData(spans=[{chat!r}])"
    assert repr(trace.info).startswith(
        f"TraceInfo(trace_id='{CHAT}', trace_location=TraceLocation("
        "type=<TraceLocationType.MLFLOW_EXPERIMENT: 'MLFLOW_EXPERIMENT'>, "
        "mlflow_experiment=MlflowExperimentLocation(experiment_id='0'), inference_table=None, "
        "uc_schema=None, uc_table_prefix=None), request_time=1795677585718, "
        "state=<TraceState.OK: 'OK'>, request_preview="
    )
    assert repr(chat.status) == "SpanStatus(status_code=<SpanStatusCode.OK: 'OK'>, description='')"
    assert repr(SpanEvent("e", 1)) == "SpanEvent(name='e', timestamp=1, attributes={})"
    made = Feedback("f", True, create_time_ms=1, last_update_time_ms=1)
    assert repr(made) == (
        "Feedback(name='f', source=AssessmentSource(source_type='CODE', source_id='default'), "
        "trace_id=None, run_id=None, rationale=None, metadata=None, span_id=None, "
        "create_time_ms=1, last_update_time_ms=1, assessment_id=None, error=None, "
        "expectation=None, feedback=FeedbackValue(value=True, error=None), issue=None, "
        "overrides=None, valid=True)"
    )


# -- Experiment ----------------------------------------------------------------------------------


def test_experiment_has_mlflows_attributes_and_repr(store: Store) -> None:
    by_id = {e.experiment_id: e for e in store.reader.experiments()}
    default = by_id["0"]
    assert default.name == Experiment.DEFAULT_EXPERIMENT_NAME == "Default"
    assert (default.lifecycle_stage, default.workspace, default.tags) == ("active", "default", {})
    assert default.trace_location is None and default.effective_trace_archival_retention is None
    assert isinstance(default.creation_time, int) and isinstance(default.last_update_time, int)
    assert default.artifact_location is not None and default.artifact_location.endswith("/0")
    assert repr(default).startswith(
        f"<Experiment: artifact_location={default.artifact_location!r}, creation_time="
    )
    assert repr(default).endswith("tags={}, trace_location=None, workspace='default'>")


# -- small things --------------------------------------------------------------------------------


def test_times_print_and_parse_as_protobuf_does() -> None:
    assert iso_time_ms(5_000) == "1970-01-01T00:00:05Z"
    assert iso_time_ms(1_795_677_585_718) == "2026-11-26T07:19:45.718Z"
    for millis in (0, 1, 999, 5_000, 1_795_677_585_718):
        assert parse_iso_time_ms(iso_time_ms(millis)) == millis
    assert parse_iso_time_ms("2026-11-26T09:19:45.718123+02:00") == 1_795_677_585_718


def test_entities_copy_and_compare() -> None:
    made = Feedback("f", 1, create_time_ms=1, last_update_time_ms=1)
    assert copy.deepcopy(made) == made
    assert Feedback("f", 2, create_time_ms=1, last_update_time_ms=1) != made
