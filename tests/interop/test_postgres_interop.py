"""Real MLflow 3.18 and `core` sharing a PostgreSQL store, both ways.

MLflow replays the tutorial into a throwaway cluster (`pg_tutorial`: autologged ChatOllama
against the stand-in Ollama server, custom spans, `@mlflow.trace`, nested spans, two
`genai.evaluate` runs with scorers, `register_prompt` twice, the agent logged twice) and
records what it reads back itself; `core` must read exactly that. Then `core` writes traces, a
prompt version and an evaluation run into a fresh MLflow database, and MLflow reads them back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import core
from core import tracking
from core.store.store import Store
from tests.interop.conftest import MlflowRunner
from tests.postgres_fixtures import TutorialStore

pytestmark = [pytest.mark.interop, pytest.mark.postgres]


@pytest.fixture
def tutorial(pg_tutorial: TutorialStore) -> Iterator[TutorialStore]:
    core.set_tracking_uri(pg_tutorial.url)
    yield pg_tutorial
    tracking.reset()


def test_every_cell_ran(pg_tutorial: TutorialStore) -> None:
    assert all(cell["ok"] for cell in pg_tutorial.golden["cells"])
    assert len(pg_tutorial.golden["get_trace"]) == 12


def test_search_traces_equals_mlflow(tutorial: TutorialStore) -> None:
    golden = tutorial.golden
    frame = core.search_traces(locations=golden["experiment_ids"])
    assert list(frame.columns) == golden["search_traces"]["columns"]
    assert {c: str(t) for c, t in frame.dtypes.items()} == golden["search_traces"]["dtypes"]
    rows, want = frame.to_dict("records"), golden["search_traces"]["rows"]
    assert [r["trace_id"] for r in rows] == [r["trace_id"] for r in want]
    for ours, theirs in zip(rows, want, strict=True):
        for column in ("client_request_id", "state", "request", "response", "trace_metadata"):
            assert ours[column] == theirs[column], column
        assert int(ours["request_time"]) == theirs["request_time"]
        assert int(ours["execution_duration"]) == theirs["execution_duration"]
        assert (ours["tags"], ours["spans"]) == (theirs["tags"], theirs["spans"])
        assert ours["assessments"] == theirs["assessments"]
        assert json.loads(ours["trace"]) == json.loads(theirs["trace"])


def test_get_trace_json_equals_mlflow(tutorial: TutorialStore) -> None:
    for trace_id, theirs in tutorial.golden["get_trace"].items():
        trace = core.get_trace(trace_id)
        assert trace is not None
        assert json.loads(trace.to_json()) == theirs


def _shape(store: Store) -> dict[str, list[Any]]:
    """Per experiment name: each trace's name, spans (name, type, parent's name) and
    assessments, oldest first: what the tutorial wrote, free of ids and times."""
    names = {e.experiment_id: e.name for e in store.reader.experiments()}
    out: dict[str, list[Any]] = {}
    for trace in store.reader.traces(store.reader.search_trace_ids(None, order_by=["timestamp"])):
        by_id = {s.span_id: s.name for s in trace.data.spans}
        spans = [(s.name, s.span_type, by_id.get(s.parent_id or "")) for s in trace.data.spans]
        assessments = sorted((a.name, a.assessment_type) for a in trace.info.assessments)
        entry = [trace.info.tags.get("mlflow.traceName"), spans, assessments]
        out.setdefault(names[trace.info.experiment_id], []).append(entry)
    return out


def test_core_reads_the_server_as_it_reads_the_sqlite_fixture(
    tutorial: TutorialStore, db318: Path
) -> None:
    with Store.open(tutorial.url) as server, Store.open(db318) as file:
        assert _shape(server) == _shape(file)
        assert server.layout.label == file.layout.label
        assert [p.name for p in server.prompt_registry.prompts()] == ["knowledge_prompt"]
        ours = server.prompt_registry.prompt_versions("knowledge_prompt")
        assert [(v.template, v.commit_message) for v in ours] == [
            (p["template"], p["commit_message"]) for p in tutorial.golden["prompts"].values()
        ]
        assert [
            {"version": v.version, "source": v.source, "run_id": v.run_id}
            for v in server.models.versions("agent")
        ] == tutorial.golden["models"]
        runs = server.evaluations.runs(
            server.reader.experiment_by_name("evaluation_test").experiment_id
        )
        fixture_runs = file.evaluations.runs("2")
        means = sorted(json.dumps(r.scorer_means) for r in runs)
        assert means == sorted(json.dumps(r.scorer_means) for r in fixture_runs)
        assert sorted(r.row_count for r in runs) == sorted(r.row_count for r in fixture_runs)


READ_BACK_WITH_MLFLOW = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
exp = mlflow.get_experiment_by_name("from_core")
traces = mlflow.search_traces(locations=[exp.experiment_id], return_type="list")
run = mlflow.get_run(ARGS["run_id"])
prompt = mlflow.genai.load_prompt("prompts:/core_prompt/2")
new_exp = mlflow.create_experiment("made_by_mlflow_after_core")
print(json.dumps({
    "traces": sorted(
        [t.info.tags.get("mlflow.traceName"), [s.name for s in t.data.spans],
         sorted(a.name for a in t.info.assessments)]
        for t in traces
    ),
    "run": {"status": run.info.status, "metrics": run.data.metrics,
            "type": run.data.tags.get("mlflow.runType")},
    "prompt": [prompt.template, prompt.commit_message],
    "new_experiment": new_exp,
}))
"""


def test_mlflow_reads_what_core_writes(pg_url: str, run_mlflow: MlflowRunner) -> None:
    core.set_tracking_uri(pg_url)
    try:
        experiment = core.set_experiment("from_core")
        with core.start_span(name="outer_span") as outer:
            outer.set_inputs("data of outer span")
            with core.start_span(name="innder_span", span_type=core.SpanType.LLM):
                pass

        @core.scorer
        def short(outputs: str) -> bool:
            return len(outputs) < 10

        result = core.evaluate(
            data=[{"inputs": {"q": "a"}}, {"inputs": {"q": "bbbbbbbbbbbb"}}],
            predict_fn=lambda q: q,
            scorers=[short],
        )
        core.register_prompt("core_prompt", "first {{x}}")
        core.register_prompt("core_prompt", "second {{x}}", commit_message="by core")
        assert core.flush_trace_async_logging(60)
    finally:
        tracking.reset()
    seen = run_mlflow(READ_BACK_WITH_MLFLOW, uri=pg_url, run_id=result.run_id)
    assert seen["traces"] == [
        ["<lambda>", ["<lambda>"], ["short"]],
        ["<lambda>", ["<lambda>"], ["short"]],
        ["outer_span", ["outer_span", "innder_span"], []],
    ]
    assert seen["run"] == {
        "status": "FINISHED",
        "metrics": {"short/mean": 0.5},
        "type": "genai_evaluate",
    }
    assert seen["prompt"] == ["second {{x}}", "by core"]
    assert int(seen["new_experiment"]) == int(experiment.experiment_id) + 1
