"""Runs, trace tags and assessments both ways with real MLflow 3.18.

* MLflow reads what `Store.runs` / `Store.trace_edits` / `RegisteredModels.log_model` wrote
  (`get_run`, `search_runs`, `get_trace(...).info.tags` / `.assessments`), value by value;
* the rows `core` writes for a sequence of calls equal, column by column (ids and times aside),
  the rows MLflow writes for the same calls (`start_run`, `end_run`, `set_tag`,
  `set_trace_tag`, `delete_trace_tag`, `log_feedback`, `log_expectation`,
  `pyfunc.log_model` inside a run and outside any run);
* what links a trace made inside a run to the run (MLflow facts the tracing side relies on).

Both sides run in a child process started the same way (`python -c`, a temporary folder), so
the run context tags (`mlflow.user`, `mlflow.source.name='-c'`, no git) are the same.
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from core.entities.ids import hex_to_base64
from core.entities.logged_model import NewLoggedModel
from core.store import schema as t
from core.store.store import Store
from tests.core.test_agents import FIXTURE_318
from tests.interop.conftest import MlflowRunner

pytestmark = pytest.mark.interop

AGENT_CODE = (
    FIXTURE_318 / "mlruns/2/models/m-866fdbfcfdf347319958a800541833d7/artifacts/some_code.py"
)
#: MLflow's generated run names: adjective-noun-N with N in 0..1000, cut at 20 characters.
GENERATED_NAME = re.compile(r"^(?=.{1,20}$)[a-z]+-[a-z]+(-\d{0,4})?$")


# -- a finished trace written with the store API ---------------------------------------------


@dataclass(frozen=True)
class HandTrace:
    """The rows of a two-span trace as MLflow 3.18 stores them (for `insert_traces`)."""

    trace_id: str
    experiment_id: str
    info: dict[str, Any]
    tags: dict[str, str]
    metadata: dict[str, str]
    spans: list[dict[str, Any]]
    associations: list[dict[str, Any]] = field(default_factory=list)
    child_span_id: str = ""


def _span(trace_hex: str, span_id: str, parent: str | None, name: str, start: int) -> str:
    return json.dumps(
        {
            "trace_id": hex_to_base64(trace_hex),
            "span_id": hex_to_base64(span_id),
            "parent_span_id": hex_to_base64(parent) if parent else None,
            "name": name,
            "kind": "SPAN_KIND_INTERNAL",
            "start_time_unix_nano": start,
            "end_time_unix_nano": start + 1_000_000,
            "events": [],
            "status": {"code": "STATUS_CODE_OK", "message": ""},
            "attributes": {
                "mlflow.traceRequestId": json.dumps(f"tr-{trace_hex}"),
                "mlflow.spanType": '"UNKNOWN"',
            },
            "links": [],
        }
    )


def hand_trace(experiment_id: str, artifact_location: str, start_ms: int) -> HandTrace:
    trace_hex, root, child = uuid.uuid4().hex, uuid.uuid4().hex[:16], uuid.uuid4().hex[:16]
    trace_id, start = f"tr-{trace_hex}", start_ms * 1_000_000
    spans = [
        {
            "trace_id": trace_id,
            "experiment_id": int(experiment_id),
            "span_id": span_id,
            "parent_span_id": parent,
            "name": name,
            "type": "UNKNOWN",
            "status": "OK",
            "start_time_unix_nano": start,
            "end_time_unix_nano": start + 1_000_000,
            "content": _span(trace_hex, span_id, parent, name, start),
            "model_name": None,
            "model_provider": None,
        }
        for span_id, parent, name in ((root, None, "root"), (child, root, "child"))
    ]
    return HandTrace(
        trace_id=trace_id,
        experiment_id=experiment_id,
        info={
            "request_id": trace_id,
            "experiment_id": int(experiment_id),
            "timestamp_ms": start_ms,
            "execution_time_ms": 1,
            "status": "OK",
            "client_request_id": None,
            "request_preview": None,
            "response_preview": None,
            "db_payload_generation": 2,
            "trace_name": "root",
            "session_id": None,
            "input_tokens": None,
            "output_tokens": None,
            "total_tokens": None,
        },
        tags={
            "mlflow.artifactLocation": f"{artifact_location}/traces/{trace_id}/artifacts",
            "mlflow.trace.spansLocation": "TRACKING_STORE",
        },
        metadata={"mlflow.trace_schema.version": "3", "mlflow.trace.infoFinalized": "true"},
        spans=spans,
        child_span_id=child,
    )


def add_hand_trace(
    store: Store, experiment_id: str, start_ms: int = 1_790_000_000_000
) -> HandTrace:
    trace = hand_trace(
        experiment_id, store.writer.experiment_artifact_location(experiment_id), start_ms
    )
    assert store.writer.insert_traces([trace]) == 1
    return trace


# -- running both sides ----------------------------------------------------------------------


@pytest.fixture
def run_core(tmp_path: Path) -> MlflowRunner:
    """Runs a snippet with `core` (this interpreter) in a child process, like `run_mlflow`."""
    folder = tmp_path / "core-side"
    folder.mkdir()
    return MlflowRunner(Path(sys.executable), folder)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def core_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Store]]:
    """(URL, writable store) of a fresh MLflow 3.18 database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'core.db'}"
        store = Store.open(url, read_only=False, create=True)
    else:
        url = request.getfixturevalue("pg_url")
        store = Store.open(url, read_only=False)
    yield url, store
    store.close()


def sqlite_rows(path: Path, table: str) -> list[dict[str, Any]]:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in connection.execute(f'SELECT * FROM "{table}" ORDER BY rowid')]
    finally:
        connection.close()


# -- MLflow reads what core wrote ------------------------------------------------------------

READ_RUNS = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
out = {"runs": {}}
for run_id in ARGS["run_ids"]:
    run = mlflow.get_run(run_id)
    names = ["run_id", "run_name", "experiment_id", "status", "start_time", "end_time",
             "user_id", "artifact_uri", "lifecycle_stage"]
    out["runs"][run_id] = {
        "info": {name: getattr(run.info, name) for name in names},
        "tags": run.data.tags, "params": run.data.params, "metrics": run.data.metrics,
        "model_outputs": [[o.model_id, o.step] for o in run.outputs.model_outputs],
    }
found = mlflow.search_runs(experiment_ids=[ARGS["experiment_id"]], output_format="list")
out["search"] = [[r.info.run_id, r.info.run_name, r.info.status] for r in found]
out["model"] = mlflow.MlflowClient().get_logged_model(ARGS["model_id"]).source_run_id
print(json.dumps(out))
"""


def test_mlflow_reads_runs_core_wrote(
    core_store: tuple[str, Store], run_mlflow: MlflowRunner
) -> None:
    url, store = core_store
    runs, experiment_id = store.runs, store.writer.create_experiment("core-runs")
    plain = runs.create_run(experiment_id, start_time_ms=1_000)
    runs.end_run(plain.info.run_id, end_time_ms=1_500)
    named = runs.create_run(experiment_id, "named", {"a": "1", "b": "x"}, start_time_ms=2_000)
    runs.set_tag(named.info.run_id, "k", "v")
    failed = runs.create_run(experiment_id, "boom", start_time_ms=3_000)
    runs.end_run(failed.info.run_id, "FAILED", end_time_ms=3_500)
    running = runs.create_run(experiment_id, "still", user="alice", start_time_ms=4_000)
    store.writer.transaction(
        lambda c: c.execute(insert(t.params).values(key="p", value="1", run_uuid=named.info.run_id))
    )
    location = store.writer.experiment_artifact_location(experiment_id)
    model_id = f"m-{uuid.uuid4().hex}"
    store.models.log_model(
        NewLoggedModel(
            model_id=model_id,
            run_id=named.info.run_id,
            name="agent",
            experiment_id=experiment_id,
            artifact_location=f"{location}/models/{model_id}/artifacts",
            tags={"mlflow.user": "alice"},
            start_ms=2_100,
            end_ms=2_200,
        ),
        None,
    )
    runs.end_run(named.info.run_id, end_time_ms=2_500)

    ids = [r.info.run_id for r in (plain, named, failed, running)]
    seen = run_mlflow(
        READ_RUNS, uri=url, run_ids=ids, experiment_id=experiment_id, model_id=model_id
    )
    for run_id in ids:
        ours, theirs = runs.get_run(run_id), seen["runs"][run_id]
        for name, value in theirs["info"].items():
            assert getattr(ours.info, name) == value, (run_id, name)
        assert dict(ours.data.tags) == theirs["tags"]
        assert dict(ours.data.params) == theirs["params"]
        assert dict(ours.data.metrics) == theirs["metrics"]
    assert seen["runs"][named.info.run_id]["model_outputs"] == [[model_id, 0]]
    assert seen["runs"][named.info.run_id]["params"] == {"p": "1"}
    assert seen["runs"][named.info.run_id]["tags"]["k"] == "v"
    assert seen["runs"][running.info.run_id]["info"]["user_id"] == "alice"
    assert seen["runs"][running.info.run_id]["info"]["end_time"] is None
    assert GENERATED_NAME.match(seen["runs"][plain.info.run_id]["info"]["run_name"])
    assert seen["model"] == named.info.run_id
    # MLflow's default order: newest start first
    assert seen["search"] == [
        [running.info.run_id, "still", "RUNNING"],
        [failed.info.run_id, "boom", "FAILED"],
        [named.info.run_id, "named", "FINISHED"],
        [plain.info.run_id, plain.info.run_name, "FINISHED"],
    ]


READ_TRACE = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
info = mlflow.get_trace(ARGS["trace_id"]).info
out = {"tags": info.tags, "name": info.tags.get("mlflow.traceName"), "assessments": []}
for a in info.assessments:
    out["assessments"].append({
        "assessment_id": a.assessment_id, "name": a.name, "trace_id": a.trace_id,
        "kind": "feedback" if a.feedback is not None else "expectation",
        "value": a.feedback.value if a.feedback is not None else a.expectation.value,
        "error": a.feedback.error.to_dictionary() if a.feedback is not None and a.feedback.error
                 else None,
        "source_type": a.source.source_type, "source_id": a.source.source_id,
        "rationale": a.rationale, "metadata": a.metadata, "span_id": a.span_id,
        "run_id": a.run_id, "valid": a.valid, "create_time_ms": a.create_time_ms,
        "last_update_time_ms": a.last_update_time_ms,
    })
print(json.dumps(out))
"""


def test_mlflow_reads_trace_tags_and_assessments_core_wrote(
    core_store: tuple[str, Store], run_mlflow: MlflowRunner
) -> None:
    url, store = core_store
    trace = add_hand_trace(store, store.writer.create_experiment("core-edits"))
    edits, tid = store.trace_edits, trace.trace_id
    edits.set_trace_tag(tid, "k", "v1")
    edits.set_trace_tag(tid, "k", "v2")
    edits.set_trace_tag(tid, "gone", "x")
    edits.delete_trace_tag(tid, "gone")
    edits.set_trace_tag(tid, "mlflow.traceName", "renamed")
    ids = [
        edits.log_feedback(tid, "fb_default", True),
        edits.log_feedback(
            tid,
            "fb_full",
            0.5,
            source_type="LLM_JUDGE",
            source_id="gpt",
            rationale="because",
            metadata={"m": "1"},
            span_id=trace.child_span_id,
        ),
        edits.log_feedback(tid, "fb_err", error={"error_code": "E", "error_message": "boom"}),
        edits.log_expectation(tid, "exp_default", "yes"),
        edits.log_expectation(
            tid, "exp_full", {"a": [1, 2]}, source_type="CODE", source_id="me", metadata={"x": "y"}
        ),
    ]
    seen = run_mlflow(READ_TRACE, uri=url, trace_id=tid)
    assert seen["tags"]["k"] == "v2" and "gone" not in seen["tags"]
    assert seen["name"] == "renamed"
    theirs = {a["assessment_id"]: a for a in seen["assessments"]}
    assert set(theirs) == set(ids)
    for assessment_id in ids:
        ours = edits.assessment(tid, assessment_id)
        mine = theirs[assessment_id]
        assert mine["name"] == ours.name and mine["trace_id"] == tid
        assert mine["kind"] == ours.assessment_type
        assert mine["value"] == ours.value
        assert mine["source_type"] == ours.source_type and mine["source_id"] == ours.source_id
        assert mine["rationale"] == ours.rationale and mine["span_id"] == ours.span_id
        assert (mine["metadata"] or {}) == dict(ours.metadata or {})
        assert mine["valid"] is True and mine["run_id"] is None
        assert mine["create_time_ms"] == ours.create_time_ms
        assert mine["last_update_time_ms"] == ours.last_update_time_ms
    by_name = {a["name"]: a for a in seen["assessments"]}
    assert by_name["fb_err"]["error"] == {
        "error_code": "E",
        "error_message": "boom",
        "stack_trace": None,
    }
    assert by_name["fb_err"]["value"] is None
    assert by_name["fb_full"]["span_id"] == trace.child_span_id
    assert (by_name["fb_full"]["source_type"], by_name["exp_default"]["source_type"]) == (
        "LLM_JUDGE",
        "HUMAN",
    )
    assert by_name["exp_full"]["value"] == {"a": [1, 2]}


# -- the same calls, MLflow's rows against core's --------------------------------------------

MLFLOW_CALLS = """
import mlflow
from mlflow.entities import AssessmentError, AssessmentSource
mlflow.set_tracking_uri(ARGS["uri"])
mlflow.set_experiment("cmp")
mlflow.start_run()
mlflow.end_run()
with mlflow.start_run(run_name="named", tags={"a": "1", "b": "x"}):
    pass
try:
    with mlflow.start_run(run_name="boom"):
        raise ValueError("x")
except ValueError:
    pass
mlflow.start_run(run_name="killed")
mlflow.end_run(status="KILLED")
with mlflow.start_run(run_name="tagged"):
    mlflow.set_tag("k", "v")
    mlflow.set_tag("mlflow.runName", "renamed")
with mlflow.start_run(run_name="traced") as run:
    with mlflow.start_span("in-run"):
        pass
    in_run = mlflow.get_last_active_trace_id()
with mlflow.start_span("root"):
    with mlflow.start_span("child") as child:
        pass
tid = mlflow.get_last_active_trace_id()
mlflow.flush_trace_async_logging()
import time
for _ in range(300):  # the trace must be stored before it is edited
    if mlflow.get_trace(tid, silent=True) is not None:
        break
    time.sleep(0.1)
mlflow.set_trace_tag(tid, "k", "v1")
mlflow.set_trace_tag(tid, "k", "v2")
mlflow.set_trace_tag(tid, "gone", "x")
mlflow.delete_trace_tag(tid, "gone")
mlflow.set_trace_tag(tid, "mlflow.traceName", "renamed")
mlflow.log_feedback(trace_id=tid, name="fb_default", value=True)
mlflow.log_feedback(trace_id=tid, name="fb_full", value=0.5,
                    source=AssessmentSource(source_type="LLM_JUDGE", source_id="gpt"),
                    rationale="because", metadata={"m": "1"}, span_id=child.span_id)
mlflow.log_feedback(trace_id=tid, name="fb_err",
                    error=AssessmentError(error_code="E", error_message="boom"))
mlflow.log_feedback(trace_id=tid, name="fb_exc", error=ValueError("bad"))
mlflow.log_feedback(trace_id=tid, name="fb_text", error="oops")
mlflow.log_feedback(trace_id=tid, value="no")
mlflow.log_expectation(trace_id=tid, name="exp_default", value="yes")
mlflow.log_expectation(trace_id=tid, name="exp_full", value={"a": [1, 2]},
                       source=AssessmentSource(source_type="CODE", source_id="me"),
                       metadata={"x": "y"}, span_id=child.span_id)
with mlflow.start_run(run_name="fb-run"):
    mlflow.log_feedback(trace_id=tid, name="fb_in_run", value=3)
print(json.dumps({"trace_id": tid, "child": child.span_id, "in_run_trace": in_run,
                  "in_run": run.info.run_id}))
"""

CORE_CALLS = """
from core.store.store import Store
store = Store.open(ARGS["uri"], read_only=False)
runs, edits, exp = store.runs, store.trace_edits, ARGS["experiment_id"]
runs.end_run(runs.create_run(exp).info.run_id)
runs.end_run(runs.create_run(exp, "named", {"a": "1", "b": "x"}).info.run_id)
runs.end_run(runs.create_run(exp, "boom").info.run_id, "FAILED")
runs.end_run(runs.create_run(exp, "killed").info.run_id, "KILLED")
tagged = runs.create_run(exp, "tagged").info.run_id
runs.set_tag(tagged, "k", "v")
runs.set_tag(tagged, "mlflow.runName", "renamed")
runs.end_run(tagged)
runs.end_run(runs.create_run(exp, "traced").info.run_id)
tid, child = ARGS["trace_id"], ARGS["child"]
edits.set_trace_tag(tid, "k", "v1")
edits.set_trace_tag(tid, "k", "v2")
edits.set_trace_tag(tid, "gone", "x")
edits.delete_trace_tag(tid, "gone")
edits.set_trace_tag(tid, "mlflow.traceName", "renamed")
edits.log_feedback(tid, "fb_default", True)
edits.log_feedback(tid, "fb_full", 0.5, source_type="LLM_JUDGE", source_id="gpt",
                   rationale="because", metadata={"m": "1"}, span_id=child)
edits.log_feedback(tid, "fb_err", error={"error_code": "E", "error_message": "boom"})
edits.log_feedback(tid, "fb_exc", error=ValueError("bad"))
edits.log_feedback(tid, "fb_text", error="oops")
edits.log_feedback(tid, value="no")
edits.log_expectation(tid, "exp_default", "yes")
edits.log_expectation(tid, "exp_full", {"a": [1, 2]}, source_type="CODE", source_id="me",
                      metadata={"x": "y"}, span_id=child)
fb_run = runs.create_run(exp, "fb-run").info.run_id
edits.log_feedback(tid, "fb_in_run", 3)
runs.end_run(fb_run)
store.close()
print(json.dumps({"ok": True}))
"""


def _run_rows(db: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """`runs` rows without ids and times, keyed by name; the run id → name map."""
    found, names = [], {}
    for row in sqlite_rows(db, "runs"):
        name = "<generated>" if GENERATED_NAME.match(row["name"]) else row["name"]
        names[row["run_uuid"]] = name
        assert row["artifact_uri"] == (
            f"{db.parent}/mlruns/{row['experiment_id']}/{row['run_uuid']}/artifacts"
        )
        assert row["start_time"] > 0 and row["end_time"] >= row["start_time"]
        found.append(
            {k: v for k, v in row.items() if k not in ("run_uuid", "start_time", "end_time")}
            | {"name": name, "artifact_uri": "<root>/<exp>/<run>/artifacts"}
        )
    return found, names


def _tag_rows(db: Path, names: dict[str, str]) -> list[tuple[str, str, str]]:
    rows = []
    for row in sqlite_rows(db, "tags"):
        run = names[row["run_uuid"]]
        value = "<generated>" if GENERATED_NAME.match(row["value"]) else row["value"]
        rows.append((run, row["key"], value))
    return rows


_ASSESSMENT_IDS_AND_TIMES = (
    "assessment_id",
    "trace_id",
    "created_timestamp",
    "last_updated_timestamp",
    "trace_timestamp_ms",
)


def _assessment_rows(db: Path, child: str, runs: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for row in sqlite_rows(db, "assessments"):
        assert re.fullmatch(r"a-[0-9a-f]{32}", row["assessment_id"])
        assert row["created_timestamp"] == row["last_updated_timestamp"]
        kept = {k: v for k, v in row.items() if k not in _ASSESSMENT_IDS_AND_TIMES}
        kept["span_id"] = "<child>" if row["span_id"] == child else row["span_id"]
        kept["run_id"] = runs.get(row["run_id"], row["run_id"])
        rows.append(kept)
    return sorted(rows, key=lambda r: r["name"])


def test_core_writes_the_rows_mlflow_writes(
    tmp_path: Path, run_mlflow: MlflowRunner, run_core: MlflowRunner
) -> None:
    theirs_db = run_mlflow.workdir / "mlflow.db"
    facts = run_mlflow(MLFLOW_CALLS, uri=f"sqlite:///{theirs_db}")

    ours_db = run_core.workdir / "mlflow.db"
    with Store.open(ours_db, read_only=False, create=True) as store:
        experiment_id = store.writer.create_experiment("cmp")
        trace = add_hand_trace(store, experiment_id)
    run_core(
        CORE_CALLS,
        uri=str(ours_db),
        experiment_id=experiment_id,
        trace_id=trace.trace_id,
        child=trace.child_span_id,
    )

    their_runs, their_names = _run_rows(theirs_db)
    our_runs, our_names = _run_rows(ours_db)
    assert our_runs == their_runs
    assert _tag_rows(ours_db, our_names) == _tag_rows(theirs_db, their_names)
    for table in ("params", "metrics", "latest_metrics", "inputs", "entity_associations"):
        assert sqlite_rows(ours_db, table) == sqlite_rows(theirs_db, table) == [], table

    def trace_tags(db: Path, trace_id: str) -> dict[str, str]:
        return {
            r["key"]: r["value"]
            for r in sqlite_rows(db, "trace_tags")
            if r["request_id"] == trace_id and not r["key"].startswith("mlflow.")
        }

    assert trace_tags(ours_db, trace.trace_id) == trace_tags(theirs_db, facts["trace_id"])
    assert trace_tags(ours_db, trace.trace_id) == {"k": "v2"}

    def trace_name(db: Path, trace_id: str) -> str:
        rows = sqlite_rows(db, "trace_info")
        return str(next(r["trace_name"] for r in rows if r["request_id"] == trace_id))

    assert trace_name(ours_db, trace.trace_id) == trace_name(theirs_db, facts["trace_id"])
    ours = _assessment_rows(ours_db, trace.child_span_id, our_names)
    theirs = _assessment_rows(theirs_db, facts["child"], their_names)
    assert [r["name"] for r in ours] == [r["name"] for r in theirs]
    for mine, other in zip(ours, theirs, strict=True):
        assert mine == other, mine["name"]


def test_a_trace_inside_a_run_is_linked_by_its_metadata_only(run_mlflow: MlflowRunner) -> None:
    """What MLflow writes for a trace made inside `with mlflow.start_run()` (the tracing side
    must write the same): metadata `mlflow.sourceRun` = the run id; no entity_associations row,
    no run tag, no change to the run."""
    db = run_mlflow.workdir / "mlflow.db"
    facts = run_mlflow(MLFLOW_CALLS, uri=f"sqlite:///{db}")
    metadata = {
        r["key"]: r["value"]
        for r in sqlite_rows(db, "trace_request_metadata")
        if r["request_id"] == facts["in_run_trace"]
    }
    assert metadata["mlflow.sourceRun"] == facts["in_run"]
    others = [
        r
        for r in sqlite_rows(db, "trace_request_metadata")
        if r["key"] == "mlflow.sourceRun" and r["request_id"] != facts["in_run_trace"]
    ]
    assert others == []  # the trace outside a run has none
    assert sqlite_rows(db, "entity_associations") == []
    run_tags = {r["key"] for r in sqlite_rows(db, "tags") if r["run_uuid"] == facts["in_run"]}
    assert run_tags == {"mlflow.user", "mlflow.source.name", "mlflow.source.type", "mlflow.runName"}


# -- log_model inside a run and outside any ----------------------------------------------------

MLFLOW_LOG_MODELS = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
mlflow.set_experiment("models")
outside = mlflow.pyfunc.log_model(name="agent", python_model=ARGS["code"],
                                  registered_model_name="agent")
with mlflow.start_run(run_name="inrun") as run:
    mlflow.log_param("p", "1")
    mlflow.log_metric("acc", 0.5, step=0, timestamp=1000)
    mlflow.log_metric("acc", 0.7, step=1, timestamp=1001)
    inside = mlflow.pyfunc.log_model(name="agent", python_model=ARGS["code"],
                                     registered_model_name="agent")
print(json.dumps({"outside": outside.model_id, "inside": inside.model_id,
                  "run": run.info.run_id}))
"""


def _model_rows(db: Path, run_id: str, models: dict[str, str]) -> dict[str, list[Any]]:
    """The rows of every model table, ids and times replaced by what they stand for."""

    def name(value: Any) -> Any:
        return "<run>" if value == run_id else models.get(value, value)

    out: dict[str, list[Any]] = {}
    for row in sqlite_rows(db, "logged_models"):
        assert row["artifact_location"] == (
            f"{db.parent}/mlruns/{row['experiment_id']}/models/{row['model_id']}/artifacts"
        )
        out.setdefault("logged_models", []).append(
            {k: name(v) for k, v in row.items() if "timestamp" not in k}
            | {"artifact_location": "<model dir>"}
        )
    for table in ("logged_model_params", "inputs", "model_versions"):
        for row in sqlite_rows(db, table):
            kept = {
                k: name(v)
                for k, v in row.items()
                if k not in ("input_uuid", "creation_time", "last_updated_time")
            }
            if table == "model_versions":
                kept["source"] = name(row["source"].removeprefix("models:/"))
                kept["storage_location"] = "<model dir>"
            out.setdefault(table, []).append(kept)
    for row in sqlite_rows(db, "logged_model_metrics"):
        out.setdefault("logged_model_metrics", []).append({k: name(v) for k, v in row.items()})
    out["modelVersions"] = sorted(
        (name(r["model_id"]), r["tag_value"])
        for r in sqlite_rows(db, "logged_model_tags")
        if r["tag_key"] == "mlflow.modelVersions"
    )
    out["registered"] = [r["name"] for r in sqlite_rows(db, "registered_models")]
    return out


def test_log_model_in_a_run_and_outside_any_as_mlflow(
    run_mlflow: MlflowRunner, run_core: MlflowRunner
) -> None:
    theirs_db = run_mlflow.workdir / "mlflow.db"
    facts = run_mlflow(MLFLOW_LOG_MODELS, uri=f"sqlite:///{theirs_db}", code=str(AGENT_CODE))
    theirs = _model_rows(
        theirs_db, facts["run"], {facts["outside"]: "<outside>", facts["inside"]: "<inside>"}
    )

    ours_db = run_core.workdir / "mlflow.db"
    with Store.open(ours_db, read_only=False, create=True) as store:
        experiment_id = store.writer.create_experiment("models")
        location = store.writer.experiment_artifact_location(experiment_id)

        def new(model_id: str, run_id: str | None) -> NewLoggedModel:
            return NewLoggedModel(
                model_id=model_id,
                run_id=run_id,
                name="agent",
                experiment_id=experiment_id,
                artifact_location=f"{location}/models/{model_id}/artifacts",
                tags={"mlflow.user": "root"},
                start_ms=1,
                end_ms=2,
            )

        outside = f"m-{uuid.uuid4().hex}"
        store.models.log_model(new(outside, None), "agent")
        run_id = store.runs.create_run(experiment_id, "inrun").info.run_id

        def fill(connection: Any) -> None:
            connection.execute(insert(t.params).values(key="p", value="1", run_uuid=run_id))
            connection.execute(
                insert(t.metrics),
                [
                    {"key": "acc", "value": 0.5, "timestamp": 1000, "run_uuid": run_id,
                     "step": 0, "is_nan": False},
                    {"key": "acc", "value": 0.7, "timestamp": 1001, "run_uuid": run_id,
                     "step": 1, "is_nan": False},
                ],
            )  # fmt: skip

        store.writer.transaction(fill)
        inside = f"m-{uuid.uuid4().hex}"
        store.models.log_model(new(inside, run_id), "agent")
        store.runs.end_run(run_id)
    ours = _model_rows(ours_db, run_id, {outside: "<outside>", inside: "<inside>"})
    assert set(ours) == set(theirs)
    for table, rows in theirs.items():
        assert ours[table] == rows, table
    # the facts themselves, spelled out
    assert [m["source_run_id"] for m in theirs["logged_models"]] == [None, "<run>"]
    assert [v["run_id"] for v in theirs["model_versions"]] == [None, "<run>"]
    assert [i["source_id"] for i in theirs["inputs"]] == ["<run>"]
    run_rows = sqlite_rows(theirs_db, "runs")
    assert [r["name"] for r in run_rows] == ["inrun"]  # no run made for the outside model
