"""Agents both ways with real MLflow 3.18: MLflow loads, predicts and lists the models
`core.log_model` wrote, and `core` reads and runs (through `AgentRunner`) what MLflow logged."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import core
from core import tracking
from core.agents.runner import AgentRunner
from core.store.mlmodel import read_mlmodel
from core.store.store import Store
from tests.core.test_agents import ANSWER, FIXTURE_318, QUESTION, TUTORIAL_OUTPUT, without_git
from tests.interop.conftest import MlflowRunner, mlflow_python

pytestmark = pytest.mark.interop

#: The tutorial's code file, which uses mlflow.pyfunc.ResponsesAgent and mlflow's set_model.
MLFLOW_AGENT = (
    FIXTURE_318 / "mlruns/2/models/m-866fdbfcfdf347319958a800541833d7/artifacts/some_code.py"
).read_text("utf-8")

LOAD_WITH_MLFLOW = """
import mlflow
from mlflow import MlflowClient
mlflow.set_tracking_uri(ARGS["uri"])
client = MlflowClient()
out = {"predictions": {}, "versions": {}, "logged_models": {}, "runs": {}}
for uri in ARGS["uris"]:
    model = mlflow.pyfunc.load_model(uri)
    output = model.predict(ARGS["request"])
    out["predictions"][uri] = {"output": output, "model_id": model.model_id,
                               "trace_id": mlflow.get_last_active_trace_id()}
mlflow.flush_trace_async_logging()
for uri, seen in out["predictions"].items():
    trace = mlflow.get_trace(seen["trace_id"])
    seen["trace"] = {"model_id": trace.info.trace_metadata.get("mlflow.modelId"),
                     "spans": [[s.name, s.span_type] for s in trace.data.spans],
                     "response_preview": trace.info.response_preview}
for v in client.search_model_versions("name='agent'"):
    out["versions"][v.version] = {
        "source": v.source, "run_id": v.run_id, "status": v.status, "model_id": v.model_id,
        "download_uri": client.get_model_version_download_uri("agent", v.version),
    }
    model_id = v.source.removeprefix("models:/")
    if model_id.startswith("m-"):
        lm = client.get_logged_model(model_id)
        out["logged_models"][model_id] = {
            "name": lm.name, "status": str(lm.status), "source_run_id": lm.source_run_id,
            "artifact_location": lm.artifact_location, "tags": lm.tags,
            "experiment_id": lm.experiment_id,
        }
        run = client.get_run(v.run_id)
        out["runs"][v.run_id] = {
            "status": run.info.status, "name": run.info.run_name,
            "outputs": [o.model_id for o in run.outputs.model_outputs],
        }
info = mlflow.models.get_model_info(ARGS["uris"][0])
out["model_info"] = {"model_id": info.model_id, "run_id": info.run_id,
                     "metadata": info.metadata, "flavors": sorted(info.flavors),
                     "signature_inputs": info.signature.inputs.input_names()}
out["champion"] = client.get_model_version_by_alias("agent", "champion").version
print(json.dumps(out, default=str))
"""

LOG_WITH_MLFLOW = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
mlflow.set_experiment("evaluation_test")
infos = []
for _ in range(2):
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="agent", python_model=ARGS["code"],
                                       registered_model_name="agent")
    infos.append({"model_id": info.model_id, "run_id": info.run_id,
                  "version": info.registered_model_version})
print(json.dumps(infos))
"""


def log_twice(db: Path, code: Path) -> list[core.ModelInfo]:
    core.set_tracking_uri(db)
    try:
        core.set_experiment("evaluation_test")
        infos = []
        for _ in range(2):  # as LOG_WITH_MLFLOW: each in a run of its own
            with core.start_run():
                info = core.pyfunc.log_model(
                    python_model=code, name="agent", registered_model_name="agent"
                )
            infos.append(info)
        return infos
    finally:
        tracking.reset()


def test_mlflow_loads_and_predicts_what_core_logged(
    tmp_path: Path, run_mlflow: MlflowRunner
) -> None:
    db = tmp_path / "mlflow.db"
    code = tmp_path / "some_code.py"
    code.write_text(MLFLOW_AGENT, "utf-8")
    first, second = log_twice(db, code)
    core.set_tracking_uri(db)
    try:
        core.set_model_alias("agent", "champion", 1)
    finally:
        tracking.reset()
    uris = ["models:/agent/1", "models:/agent@latest", f"models:/{first.model_id}"]
    seen = run_mlflow(LOAD_WITH_MLFLOW, uri=f"sqlite:///{db}", uris=uris, request=QUESTION)
    expected_ids = [first.model_id, second.model_id, first.model_id]
    for uri, model_id in zip(uris, expected_ids, strict=True):
        prediction = seen["predictions"][uri]
        assert prediction["output"] == TUTORIAL_OUTPUT
        assert prediction["model_id"] == model_id
        assert prediction["trace"] == {
            "model_id": model_id,
            "spans": [["predict", "AGENT"]],
            "response_preview": ANSWER,
        }
    for info in (first, second):
        version = seen["versions"][str(info.registered_model_version)]
        assert version == {
            "source": info.model_uri,
            "run_id": info.run_id,
            "status": "READY",
            "model_id": None,  # as for the versions MLflow itself registers (expected.json)
            "download_uri": info.artifact_path,
        }
        logged = seen["logged_models"][info.model_id]
        assert (logged["name"], logged["status"], logged["source_run_id"]) == (
            "agent",
            "READY",
            info.run_id,
        )
        assert logged["artifact_location"] == info.artifact_path
        assert json.loads(logged["tags"]["mlflow.modelVersions"]) == [
            {"name": "agent", "version": info.registered_model_version}
        ]
        run = seen["runs"][info.run_id]
        assert (run["status"], run["outputs"]) == ("FINISHED", [info.model_id])
    assert seen["model_info"]["metadata"] == {"task": "agent/v1/responses"}
    assert seen["model_info"]["flavors"] == ["python_function"]
    assert "input" in seen["model_info"]["signature_inputs"]
    assert seen["champion"] == 1


def test_mlflow_lists_core_versions_beside_its_own(
    db318: Path, tmp_path: Path, run_mlflow: MlflowRunner
) -> None:
    code = tmp_path / "some_code.py"
    code.write_text(MLFLOW_AGENT, "utf-8")
    third, fourth = log_twice(db318, code)
    script = """
import mlflow
from mlflow import MlflowClient
mlflow.set_tracking_uri(ARGS["uri"])
client = MlflowClient()
versions = client.search_model_versions("name='agent'")
print(json.dumps({v.version: [v.source, v.run_id, v.status] for v in versions}))
"""
    seen = run_mlflow(script, uri=f"sqlite:///{db318}")
    assert sorted(seen, key=int) == ["1", "2", "3", "4"]
    assert seen["3"] == [third.model_uri, third.run_id, "READY"]
    assert seen["4"] == [fourth.model_uri, fourth.run_id, "READY"]
    assert seen["1"][0] == "models:/m-64acf017dd254d2895a62bfcfcf4344a"


def table(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


def test_core_reads_and_runs_what_mlflow_logged(tmp_path: Path, run_mlflow: MlflowRunner) -> None:
    db, code = tmp_path / "mlflow.db", tmp_path / "some_code.py"
    code.write_text(MLFLOW_AGENT, "utf-8")
    ours = log_twice(db, code)  # versions 1-2 by core, then 3-4 by MLflow, in one database
    theirs = run_mlflow(LOG_WITH_MLFLOW, uri=f"sqlite:///{db}", code=str(code))
    assert [t["version"] for t in theirs] == [3, 4]
    with Store.open(db) as store:
        versions = store.models.versions("agent")
        assert [v.model_id for v in versions] == [i.model_id for i in ours] + [
            t["model_id"] for t in theirs
        ]
        mine, mlflows = versions[0].folder, versions[3].folder
        assert mine.artifact_dir is not None and mlflows.artifact_dir is not None
        # The same files and MLmodel keys (MLflow also records its cloudpickle version).
        assert {p.name for p in mine.artifact_dir.iterdir()} == {
            p.name for p in mlflows.artifact_dir.iterdir()
        }
        mine_facts, their_facts = (
            read_mlmodel(mine.artifact_dir),
            read_mlmodel(mlflows.artifact_dir),
        )
        assert mine_facts is not None and their_facts is not None
        assert set(mine_facts.raw) == set(their_facts.raw)
        assert mine_facts.raw["signature"] == their_facts.raw["signature"]
    # The same tag keys (core runs inside this git work tree, MLflow's script outside it).
    model_tags = "SELECT tag_key FROM logged_model_tags WHERE model_id = '{}'"
    run_tags = "SELECT key FROM tags WHERE run_uuid = '{}'"
    for sql, mine_id, their_id in (
        (model_tags, ours[0].model_id, theirs[0]["model_id"]),
        (run_tags, ours[0].run_id, theirs[0]["run_id"]),
    ):
        assert without_git(k for (k,) in table(db, sql.format(mine_id))) == without_git(
            k for (k,) in table(db, sql.format(their_id))
        )
    python = mlflow_python()
    assert python is not None
    with AgentRunner("models:/agent/4", db, python=python, timeout_s=120.0) as runner:
        assert runner.load_info["model_id"] == theirs[1]["model_id"]
        result = runner.predict(QUESTION)
    assert result.response == TUTORIAL_OUTPUT
    core.set_tracking_uri(db)
    try:
        trace = core.get_trace(str(result.trace_id))
    finally:
        tracking.reset()
    assert trace is not None
    assert trace.info.trace_metadata["mlflow.modelId"] == theirs[1]["model_id"]
