"""Both ways with real MLflow 3.18: it reads what `core` writes, `core` reads what it writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import core
from core import tracking
from core.store.ddl import create_sqlite_database
from tests.interop.conftest import MlflowRunner

pytestmark = pytest.mark.interop

READ_WITH_MLFLOW = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
out = {}
exps = [e.experiment_id for e in mlflow.search_experiments()]
for trace_id in mlflow.search_traces(locations=exps)["trace_id"]:
    t = mlflow.get_trace(trace_id)
    out[trace_id] = {
        "experiment_id": t.info.experiment_id,
        "state": str(t.info.state.value if hasattr(t.info.state, "value") else t.info.state),
        "name": t.info.tags.get("mlflow.traceName"),
        "request_preview": t.info.request_preview,
        "response_preview": t.info.response_preview,
        "tags": dict(t.info.tags),
        "metadata": dict(t.info.trace_metadata),
        "token_usage": t.info.token_usage,
        "spans": [
            {"span_id": s.span_id, "parent_id": s.parent_id, "name": s.name,
             "span_type": s.span_type, "status": s.status.status_code.value,
             "inputs": s.inputs, "outputs": s.outputs,
             "events": [e.name for e in s.events]}
            for s in t.data.spans
        ],
    }
print(json.dumps(out, default=str))
"""


@pytest.fixture
def core_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "mlflow.db"
    core.set_tracking_uri(f"sqlite:///{path}")
    yield path
    tracking.reset()


def write_tutorial_traces() -> None:
    core.set_experiment("custom_tracing")
    with core.start_span(name="my_span", span_type=core.SpanType.LLM) as span:
        span.set_inputs(
            [
                {"role": "system", "content": "System prompt"},
                {"role": "user", "content": "Hello how are you"},
            ]
        )
        span.set_attribute("hello", "new_value")
        span.set_outputs(
            [
                {"role": "assistant", "content": "Answer of the model"},
                {"role": "tool", "content": "The tool call"},
            ]
        )

    @core.trace(name="some_tracing", span_type=core.SpanType.RERANKER, attributes={"k": 3})
    def some_tracing(inp: str) -> str:
        return f"<extra information>{inp}<the data>"

    with core.start_span("outer_span") as outer:
        outer.set_inputs("data of outer span")
        core.update_current_trace(tags={"env": "test"}, metadata={"v": "1"}, session_id="s-9")
        with core.start_span("innder_span", span_type="custom span") as inner:
            inner.set_attribute(
                "mlflow.chat.tokenUsage", {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
            )
            some_tracing("hello")
    with pytest.raises(ZeroDivisionError), core.start_span("failing"):
        _ = 1 / 0
    core.flush_trace_async_logging()


def test_mlflow_reads_what_core_writes(core_db: Path, run_mlflow: MlflowRunner) -> None:
    write_tutorial_traces()
    theirs = run_mlflow(READ_WITH_MLFLOW, uri=f"sqlite:///{core_db}")
    ours = {t: core.get_trace(t) for t in theirs}
    assert len(theirs) == 3
    for trace_id, seen in theirs.items():
        trace = ours[trace_id]
        assert trace is not None
        assert seen["experiment_id"] == trace.info.experiment_id == "1"
        assert seen["state"] == trace.info.state
        assert seen["name"] == trace.info.name
        assert seen["request_preview"] == trace.info.request_preview
        assert seen["response_preview"] == trace.info.response_preview
        assert seen["tags"] == dict(trace.info.tags)
        assert seen["metadata"] == dict(trace.info.trace_metadata)
        mine = [
            {
                "span_id": s.span_id,
                "parent_id": s.parent_id,
                "name": s.name,
                "span_type": s.span_type,
                "status": s.status_code,
                "inputs": s.inputs,
                "outputs": s.outputs,
                "events": [e.name for e in s.events],
            }
            for s in trace.data.spans
        ]
        by_id = {s["span_id"]: s for s in seen["spans"]}
        assert {s["span_id"]: s for s in mine} == by_id
    outer = next(v for v in theirs.values() if v["name"] == "outer_span")
    assert outer["metadata"]["mlflow.trace.session"] == "s-9"
    assert outer["tags"]["env"] == "test"
    assert outer["token_usage"] == {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
    failing = next(v for v in theirs.values() if v["name"] == "failing")
    assert failing["state"] == "ERROR" and failing["spans"][0]["events"] == ["exception"]


WRITE_WITH_MLFLOW = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
mlflow.set_experiment("written_by_mlflow")
with mlflow.start_span(name="parent", span_type="CHAIN") as span:
    span.set_inputs({"messages": [{"role": "user", "content": "hi"}]})
    with mlflow.start_span(name="child", span_type="TOOL") as child:
        child.set_inputs({"x": 1})
        child.set_outputs({"y": 2})
    span.set_outputs({"choices": [{"message": {"role": "assistant", "content": "hello"}}]})
mlflow.flush_trace_async_logging()
experiment = mlflow.get_experiment_by_name("written_by_mlflow")
ids = list(mlflow.search_traces(locations=[experiment.experiment_id])["trace_id"])
print(json.dumps({i: json.loads(mlflow.get_trace(i).to_json()) for i in ids}))
"""


def test_mlflow_writes_into_a_database_core_created(
    tmp_path: Path, run_mlflow: MlflowRunner
) -> None:
    path = tmp_path / "fresh.db"
    create_sqlite_database(path)
    theirs: dict[str, Any] = run_mlflow(WRITE_WITH_MLFLOW, uri=f"sqlite:///{path}")
    assert len(theirs) == 1
    core.set_tracking_uri(path)
    try:
        for trace_id, mlflow_json in theirs.items():
            trace = core.get_trace(trace_id)
            assert trace is not None
            assert json.loads(trace.to_json()) == mlflow_json
            assert trace.info.response_preview == "hello"
    finally:
        tracking.reset()
