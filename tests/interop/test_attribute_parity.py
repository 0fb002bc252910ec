"""`core.entities` against `mlflow.entities`, attribute by attribute, on the same databases.

Real MLflow 3.18 reads every trace and experiment of a database and records, for each object
user code touches (Trace, TraceInfo, TraceData, TraceLocation, Span, SpanStatus, SpanEvent,
Link, the assessments and their source, error and value, Experiment), every public name in its
`dir()`: the value of each attribute, or that it is a method (and, for the zero-argument
serialisers, what it returns), and its repr. `core` reads the same database and the same
serialiser records its objects. Then, object by object:

* every name MLflow has and `core` lacks must be one of `LEFT_OUT`, with the reason (and every
  name there must be MLflow's and missing from `core`, so the list stays true);
* every name both have must hold the same value (enums compared by `.value`);
* the reprs must be equal (MLflow's `LazySpan` printing as the `Span` it stands for);
* the names user code needs (`REQUIRED`) must be MLflow's and on `core`'s objects.

Databases: each fixture MLflow 3.18 opens without upgrading it (MLflow migrates an older file
in place, which would compare MLflow's upgrade with `core`'s reading of the original; today
only the 3.18 tutorial), and one MLflow 3.18 writes here with what the fixtures lack: error
spans and exception events, token usage, a description, a span link, feedback with rationale or
error, an overridden feedback, a structured expectation. Each side reads its own copy.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import core
from core.store.revisions import HEAD_REVISION
from tests.conftest import FIXTURE_NAMES, FIXTURES, copy_fixture
from tests.interop.conftest import MlflowRunner

pytestmark = pytest.mark.interop

#: The serialiser both sides run (MLflow's in its own interpreter), so both record alike.
SERIALIZER = r"""
import enum, json, math
from collections.abc import Mapping

#: What is recorded of an object met as a value (each is also compared on its own).
NESTED_FIELDS = {
    "AssessmentSource": ("source_type", "source_id"),
    "AssessmentError": ("error_code", "error_message", "stack_trace"),
    "FeedbackValue": ("value", "error"),
    "ExpectationValue": ("value",),
    "TraceLocation": ("type", "mlflow_experiment"),
    "MlflowExperimentLocation": ("experiment_id",),
    "SpanStatus": ("status_code", "description"),
    "SpanEvent": ("name", "timestamp", "attributes"),
    "Link": ("trace_id", "span_id", "attributes"),
    "Span": ("span_id",),
    "Feedback": ("assessment_id",),
    "Expectation": ("assessment_id",),
    "IssueReference": ("assessment_id",),
    "TraceInfo": ("trace_id",),
    "TraceData": ("spans",),
    "Trace": ("trace_id",),
    "Experiment": ("experiment_id",),
}
#: Methods called (they take no argument) and whose results are compared.
CALLED = {
    "to_dict", "to_dictionary", "to_json", "to_json_bytes", "json",
    "pandas_dataframe_columns", "to_pandas_dataframe_row",
}


def kind_of(obj):
    name = type(obj).__name__
    return "Span" if name in ("LazySpan", "LiveSpan") else name


def ser(value):
    if isinstance(value, enum.Enum):
        return {"enum": ser(value.value)}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, bytes):
        return {"bytes": value.decode("utf-8", "replace")}
    if isinstance(value, Mapping):
        return {str(k): ser(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [ser(v) for v in value]
    kind = kind_of(value)
    return {"__class__": kind, **{f: ser(getattr(value, f)) for f in NESTED_FIELDS.get(kind, ())}}


def called(name, method):
    result = method()
    if name == "to_json":
        result = json.loads(result)
    elif name == "to_json_bytes":
        result = json.loads(result.decode("utf-8"))
    elif name == "to_pandas_dataframe_row":
        result = {**result, "trace": json.loads(result["trace"])}
    return ser(result)


def snapshot(obj):
    attrs = {}
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            value = getattr(obj, name)
        except Exception as exc:
            attrs[name] = {"raises": type(exc).__name__}
            continue
        if callable(value) and not isinstance(value, type):
            entry = {"callable": True}
            if name in CALLED:
                try:
                    entry["result"] = called(name, value)
                except Exception as exc:
                    entry["result"] = {"raises": type(exc).__name__}
            attrs[name] = entry
        else:
            attrs[name] = {"value": ser(value)}
    # After the walk, so that MLflow's LazySpan prints as the Span it has become.
    return {"kind": kind_of(obj), "attrs": attrs, "repr": repr(obj).replace("LazySpan(", "Span(")}


def walk_trace(trace, add):
    tid = trace.info.trace_id
    add(f"Trace {tid}", trace)
    add(f"TraceInfo {tid}", trace.info)
    add(f"TraceData {tid}", trace.data)
    add(f"TraceLocation {tid}", trace.info.trace_location)
    for span in trace.data.spans:
        key = f"{tid}/{span.span_id}"
        add(f"Span {key}", span)
        add(f"SpanStatus {key}", span.status)
        for number, event in enumerate(span.events):
            add(f"SpanEvent {key}#{number}", event)
        for number, link in enumerate(span.links):
            add(f"Link {key}#{number}", link)
    for assessment in trace.info.assessments:
        key = assessment.assessment_id
        add(f"Assessment {key}", assessment)
        add(f"AssessmentSource {key}", assessment.source)
        if assessment.error is not None:
            add(f"AssessmentError {key}", assessment.error)
        if assessment.feedback is not None:
            add(f"FeedbackValue {key}", assessment.feedback)
        if assessment.expectation is not None:
            add(f"ExpectationValue {key}", assessment.expectation)
"""

READ_WITH_MLFLOW = (
    SERIALIZER
    + """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
objects = {}
def add(key, obj):
    objects[key] = snapshot(obj)
experiments = mlflow.search_experiments()
for experiment in experiments:
    add(f"Experiment {experiment.experiment_id}", experiment)
frame = mlflow.search_traces(locations=[e.experiment_id for e in experiments])
ids = [str(i) for i in frame["trace_id"]]
for trace_id in ids:
    walk_trace(mlflow.get_trace(trace_id), add)
print(json.dumps({"trace_ids": ids, "objects": objects}))
"""
)

#: Traces and assessments the fixtures lack, written by MLflow 3.18 itself.
WRITE_WITH_MLFLOW = """
import mlflow
from mlflow.entities import AssessmentSource, Link, SpanEvent, SpanType
mlflow.set_tracking_uri(ARGS["uri"])
mlflow.set_experiment("parity")

with mlflow.start_span("agent", span_type=SpanType.AGENT) as root:
    root.set_inputs({"question": "What is 6 * 7?", "n": [1, 2.5]})
    mlflow.update_current_trace(tags={"team": "qa"}, metadata={"k": "v"})
    with mlflow.start_span("chat", span_type=SpanType.CHAT_MODEL) as chat:
        chat.set_inputs([{"role": "user", "content": "6 * 7?"}])
        chat.set_attribute("mlflow.chat.tokenUsage",
                           {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7})
        chat.set_description("asks the model")
        chat.add_event(SpanEvent("retry", attributes={"attempt": 2, "why": "timeout"}))
        chat.set_outputs({"choices": [{"message": {"role": "assistant", "content": "42"}}]})
        chat_span_id = chat.span_id
    try:
        with mlflow.start_span("tool", span_type=SpanType.TOOL) as tool:
            tool.set_inputs({"x": 1})
            raise ValueError("the tool broke")
    except ValueError:
        pass
    root.set_outputs("42")
mlflow.flush_trace_async_logging()
trace_id = mlflow.get_last_active_trace_id()

@mlflow.trace(name="fails")
def fails(x):
    mlflow.get_current_active_span().add_link(
        Link(trace_id=trace_id, span_id=chat_span_id, attributes={"why": "retries it"})
    )
    raise RuntimeError("nothing works")

try:
    fails(3)
except RuntimeError:
    pass
mlflow.flush_trace_async_logging()

judge = AssessmentSource(source_type="LLM_JUDGE", source_id="ollama:/llama3.2:1b")
mlflow.log_feedback(trace_id=trace_id, name="relevance", value=0.75, rationale="mostly",
                    source=judge, metadata={"run": "r1"})
mlflow.log_feedback(trace_id=trace_id, name="broken", error=ValueError("judge failed"))
mlflow.log_feedback(trace_id=trace_id, name="as_text", error="rate limited")
mlflow.log_expectation(trace_id=trace_id, name="expected", value={"answer": 42, "ok": [True]})
mlflow.log_expectation(trace_id=trace_id, name="expected_text", value="42")
first = mlflow.log_feedback(trace_id=trace_id, name="correct", value=False)
mlflow.override_feedback(trace_id=trace_id, assessment_id=first.assessment_id, value=True,
                         rationale="checked by hand")
print(json.dumps({"trace_id": trace_id}))
"""

#: What `core` deliberately lacks of MLflow's public names, per object, with the reason.
PROTOBUF = "protobuf conversion: core neither reads nor writes MLflow's protobuf messages"
LEFT_OUT: dict[str, dict[str, str]] = {
    "Trace": {
        "from_dictionary": "_MlflowObject's generic constructor; Trace.from_dict is the real one",
        "from_proto": PROTOBUF,
        "to_proto": PROTOBUF,
    },
    "TraceInfo": {
        "from_dictionary": "_MlflowObject's generic constructor; TraceInfo.from_dict is used",
        "from_proto": PROTOBUF,
        "to_proto": PROTOBUF,
    },
    "TraceData": {
        "intermediate_outputs": "deprecated in MLflow 3.6 (to be removed), search_spans instead",
    },
    "TraceLocation": {
        "from_databricks_uc_schema": "Databricks Unity Catalog locations: not in tracking DBs",
        "from_databricks_uc_table_prefix": "Databricks Unity Catalog locations: not in DBs",
        "from_dictionary": "_MlflowObject's generic constructor; from_dict is the real one",
        "from_proto": PROTOBUF,
        "to_proto": PROTOBUF,
    },
    "Span": {
        "from_dict_v2": "Span.from_dict reads MLflow 2's span dictionaries too",
        "from_otel_proto": PROTOBUF + " (OpenTelemetry's)",
        "to_otel_proto": PROTOBUF + " (OpenTelemetry's)",
        "from_stored_content": "LazySpan's loader of a spans.content value (the store's job)",
        "json_for_export": "LazySpan's artifact-export helper (MLflow server internals)",
    },
    "SpanStatus": {
        "from_otel_proto_status": PROTOBUF + " (OpenTelemetry's)",
        "to_otel_proto_status": PROTOBUF + " (OpenTelemetry's)",
        "from_otel_status": "OpenTelemetry SDK objects: core does not use the OTel SDK",
        "to_otel_status": "OpenTelemetry SDK objects: core does not use the OTel SDK",
    },
    "SpanEvent": {
        "from_dictionary": "_MlflowObject's generic constructor (broken for SpanEvent in MLflow)",
        "from_proto": PROTOBUF,
        "to_otel_proto": PROTOBUF + " (OpenTelemetry's)",
    },
    "Link": {
        "from_dictionary": "_MlflowObject's generic constructor; Link.from_dict is the real one",
        "from_otel_proto": PROTOBUF + " (OpenTelemetry's)",
        "from_proto": PROTOBUF,
    },
    "Feedback": {"from_proto": PROTOBUF, "to_proto": PROTOBUF},
    "Expectation": {"from_proto": PROTOBUF, "to_proto": PROTOBUF},
    "AssessmentSource": {"from_proto": PROTOBUF, "to_proto": PROTOBUF},
    "AssessmentError": {"from_proto": PROTOBUF, "to_proto": PROTOBUF},
    "FeedbackValue": {"from_proto": PROTOBUF, "to_proto": PROTOBUF},
    "ExpectationValue": {"from_proto": PROTOBUF, "to_proto": PROTOBUF},
    "Experiment": {
        "from_dictionary": "_MlflowObject's generic constructor",
        "from_proto": PROTOBUF,
        "to_proto": PROTOBUF,
    },
}

#: Names user code reads, which `core`'s objects must have (so this test fails without them).
REQUIRED: dict[str, set[str]] = {
    "Trace": {
        "info",
        "data",
        "trace_id",
        "to_dict",
        "to_json",
        "from_dict",
        "from_json",
        "search_spans",
        "search_assessments",
        "to_pandas_dataframe_row",
        "pandas_dataframe_columns",
    },
    "TraceInfo": {
        "trace_id",
        "request_id",
        "trace_location",
        "experiment_id",
        "request_time",
        "timestamp_ms",
        "execution_duration",
        "execution_time_ms",
        "state",
        "status",
        "request_preview",
        "response_preview",
        "client_request_id",
        "trace_metadata",
        "request_metadata",
        "tags",
        "assessments",
        "token_usage",
        "cost",
        "to_dict",
        "from_dict",
    },
    "TraceData": {"spans", "request", "response", "to_dict", "from_dict"},
    "TraceLocation": {"type", "mlflow_experiment", "to_dict", "from_dict", "from_experiment_id"},
    "Span": {
        "trace_id",
        "request_id",
        "span_id",
        "parent_id",
        "name",
        "span_type",
        "start_time_ns",
        "end_time_ns",
        "status",
        "inputs",
        "outputs",
        "attributes",
        "get_attribute",
        "events",
        "links",
        "description",
        "model_name",
        "llm_cost",
        "log_level",
        "to_dict",
        "from_dict",
    },
    "SpanStatus": {"status_code", "description"},
    "SpanEvent": {"name", "timestamp", "attributes", "json", "from_exception"},
    "Feedback": {
        "name",
        "value",
        "source",
        "trace_id",
        "run_id",
        "rationale",
        "metadata",
        "span_id",
        "create_time_ms",
        "last_update_time_ms",
        "assessment_id",
        "error",
        "error_code",
        "error_message",
        "feedback",
        "expectation",
        "overrides",
        "valid",
        "to_dictionary",
        "from_dictionary",
    },
    "Expectation": {
        "name",
        "value",
        "source",
        "trace_id",
        "span_id",
        "metadata",
        "create_time_ms",
        "assessment_id",
        "expectation",
        "valid",
        "to_dictionary",
    },
    "AssessmentSource": {"source_type", "source_id", "to_dictionary"},
    "AssessmentError": {"error_code", "error_message", "stack_trace", "to_dictionary"},
    "Experiment": {
        "experiment_id",
        "name",
        "artifact_location",
        "lifecycle_stage",
        "tags",
        "creation_time",
        "last_update_time",
        "workspace",
    },
}


def readable_fixtures() -> list[str]:
    """Fixtures at MLflow 3.18's schema revision: MLflow reads them as they are."""
    names = []
    for name in FIXTURE_NAMES:
        uri = f"file:{FIXTURES / name / 'mlflow.db'}?mode=ro"
        with sqlite3.connect(uri, uri=True) as connection:
            (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision == HEAD_REVISION:
            names.append(name)
    return names


def read_with_core(db: Path, trace_ids: list[str]) -> dict[str, Any]:
    """What the serialiser records of `core`'s objects, as the MLflow snippet does of MLflow's."""
    namespace: dict[str, Any] = {}
    exec(SERIALIZER, namespace)  # the test's own code, shared with the MLflow snippet
    snapshot, walk_trace = namespace["snapshot"], namespace["walk_trace"]
    objects: dict[str, Any] = {}

    def add(key: str, obj: object) -> None:
        objects[key] = snapshot(obj)

    client = core.Client(f"sqlite:///{db}")
    try:
        for experiment in client.search_experiments():
            add(f"Experiment {experiment.experiment_id}", experiment)
        for trace_id in trace_ids:
            trace = client.get_trace(trace_id)
            assert trace is not None, trace_id
            walk_trace(trace, add)
    finally:
        client.close()
    return objects


def differences(theirs: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """Every way `core`'s objects differ from MLflow's, in words."""
    found = []
    if set(theirs) != set(ours):
        found.append(
            f"objects only MLflow has: {sorted(set(theirs) - set(ours))}; "
            f"only core has: {sorted(set(ours) - set(theirs))}"
        )
    for key in sorted(set(theirs) & set(ours)):
        mlflow_object, core_object = theirs[key], ours[key]
        kind = mlflow_object["kind"]
        if core_object["kind"] != kind:
            found.append(f"{key}: core has a {core_object['kind']}, MLflow a {kind}")
            continue
        if core_object["repr"] != mlflow_object["repr"]:
            found.append(
                f"{key} repr: core {core_object['repr']!r} != MLflow {mlflow_object['repr']!r}"
            )
        their_names, our_names = set(mlflow_object["attrs"]), set(core_object["attrs"])
        missing = their_names - our_names - set(LEFT_OUT.get(kind, {}))
        if missing:
            found.append(f"{key}: core lacks {sorted(missing)}")
        for name in sorted(their_names & our_names):
            mine, other = core_object["attrs"][name], mlflow_object["attrs"][name]
            found += [
                f"{key}.{name}{path}: core {_short(a)} != MLflow {_short(b)}"
                for path, a, b in _leaf_differences(mine, other)
            ]
    return found


def _leaf_differences(mine: Any, other: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Where two recorded values differ, down to the innermost differing part."""
    if isinstance(mine, dict) and isinstance(other, dict):
        out = []
        for key in sorted(set(mine) | set(other), key=str):
            if key not in mine or key not in other:
                out.append(
                    (f"{path}[{key!r}]", mine.get(key, "<absent>"), other.get(key, "<absent>"))
                )
            else:
                out += _leaf_differences(mine[key], other[key], f"{path}[{key!r}]")
        return out
    if isinstance(mine, list) and isinstance(other, list) and len(mine) == len(other):
        out = []
        for index, (a, b) in enumerate(zip(mine, other, strict=True)):
            out += _leaf_differences(a, b, f"{path}[{index}]")
        return out
    return [] if mine == other else [(path, mine, other)]


def _short(entry: Any) -> str:
    text = json.dumps(entry, sort_keys=True, default=str)
    return text if len(text) <= 300 else text[:300] + "…"


def compare(db_for_mlflow: Path, db_for_core: Path, run_mlflow: MlflowRunner) -> dict[str, Any]:
    """Read both copies; assert no difference; return MLflow's snapshot for further checks."""
    seen = run_mlflow(READ_WITH_MLFLOW, uri=f"sqlite:///{db_for_mlflow}")
    assert seen["trace_ids"], "MLflow read no trace: nothing would be compared"
    ours = read_with_core(db_for_core, seen["trace_ids"])
    found = differences(seen["objects"], ours)
    assert not found, f"{len(found)} difference(s):\n" + "\n".join(found)
    our_names, their_names = _names_by_kind(ours), _names_by_kind(seen["objects"])
    for kind, reasons in LEFT_OUT.items():
        if kind in their_names:  # each name left out is MLflow's, and core indeed lacks it
            stale = {n for n in reasons if n not in their_names[kind] or n in our_names[kind]}
            assert not stale, f"LEFT_OUT[{kind!r}] is out of date: {sorted(stale)}"
    for kind, names in REQUIRED.items():
        if kind in their_names:  # the kinds this database has
            assert names <= their_names[kind], f"not MLflow's: {kind}.{names - their_names[kind]}"
            assert names <= our_names[kind], f"core's {kind} lacks {names - our_names[kind]}"
    return seen


def _names_by_kind(objects: dict[str, Any]) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for entry in objects.values():
        names.setdefault(entry["kind"], set()).update(entry["attrs"])
    return names


@pytest.mark.parametrize("fixture", readable_fixtures())
def test_fixture_objects_have_mlflows_attributes(
    fixture: str, tmp_path: Path, run_mlflow: MlflowRunner
) -> None:
    theirs = copy_fixture(fixture, tmp_path / "mlflow")
    ours = copy_fixture(fixture, tmp_path / "core")
    seen = compare(theirs, ours, run_mlflow)
    kinds = {entry["kind"] for entry in seen["objects"].values()}
    assert {"Trace", "TraceInfo", "Span", "SpanEvent", "Feedback", "Experiment"} <= kinds


def test_objects_of_a_database_mlflow_wrote_here_have_mlflows_attributes(
    tmp_path: Path, run_mlflow: MlflowRunner
) -> None:
    written = tmp_path / "written" / "mlflow.db"
    written.parent.mkdir()
    run_mlflow(WRITE_WITH_MLFLOW, uri=f"sqlite:///{written}")
    ours = tmp_path / "core" / "mlflow.db"
    ours.parent.mkdir()
    shutil.copyfile(written, ours)
    seen = compare(written, ours, run_mlflow)
    kinds = {entry["kind"] for entry in seen["objects"].values()}
    assert {
        "Feedback",
        "Expectation",
        "AssessmentError",
        "SpanEvent",
        "SpanStatus",
        "Link",
    } <= kinds
    statuses = [
        e["attrs"]["status_code"]["value"]
        for e in seen["objects"].values()
        if e["kind"] == "SpanStatus"
    ]
    assert {"enum": "ERROR"} in statuses, "an ERROR span was compared"
