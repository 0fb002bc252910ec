"""examples/walkthrough_agents.py stores the agents the MLflow 3.18 tutorial stored.

The script runs once, in a child process. Its database and model folders are compared with
what real MLflow wrote from the same tutorial cells (tests/fixtures/mlflow-3.18-tutorial): the
same rows in the same tables, the same files, the same MLmodel facts, and the same `predict`
trace (ids, times and paths aside).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.entities.model_registry import ModelVersion
from core.store.store import Store
from tests.core.test_agents import TUTORIAL_MODEL_FILES, TUTORIAL_OUTPUT, without_git

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "examples" / "walkthrough_agents.py"


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("walkthrough_agents") / "mlflow.db"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(db)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Done:" in done.stdout
    return db, done.stdout


@pytest.fixture
def stores(walkthrough: tuple[Path, str], db318: Path) -> Iterator[tuple[Store, Store]]:
    ours, theirs = Store.open(walkthrough[0]), Store.open(db318)
    yield ours, theirs
    ours.close()
    theirs.close()


def table(store: Store, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    assert store.location.path is not None
    with sqlite3.connect(store.location.path) as connection:
        return connection.execute(sql, args).fetchall()


def agent_versions(store: Store) -> list[ModelVersion]:
    return store.models.versions("agent")


def test_predict_answers_as_in_the_tutorial(walkthrough: tuple[Path, str]) -> None:
    answer = json.loads(walkthrough[1].splitlines()[-2])
    assert answer == TUTORIAL_OUTPUT  # manifest.json's agent_predict_output


def test_registered_versions_like_the_fixture(stores: tuple[Store, Store]) -> None:
    ours, theirs = stores
    for store in stores:
        assert [m.name for m in store.models.registered_models()] == ["agent"]
    for mine, real in zip(agent_versions(ours), agent_versions(theirs), strict=True):
        assert (mine.version, mine.status, mine.stage, mine.aliases) == (
            real.version,
            real.status,
            real.stage,
            real.aliases,
        )
        assert mine.source == f"models:/{mine.model_id}"
        assert mine.storage_location == mine.folder.recorded_location
        assert str(mine.storage_location).endswith(f"/models/{mine.model_id}/artifacts")
        for store, version in ((ours, mine), (theirs, real)):
            experiment = store.reader.experiment_by_name("evaluation_test")
            assert experiment is not None and version.experiment_id == experiment.experiment_id
        model, real_model = (
            ours.models.logged_model(str(mine.model_id)),
            theirs.models.logged_model(str(real.model_id)),
        )
        assert (model.name, model.status, model.source_run_id) == ("agent", "READY", mine.run_id)
        assert without_git(model.tags) == without_git(real_model.tags)
        assert model.tags["mlflow.modelVersions"] == json.dumps(
            [{"name": "agent", "version": mine.version}]
        )


def test_runs_and_inputs_like_the_fixture(stores: tuple[Store, Store]) -> None:
    for store in stores:
        versions = agent_versions(store)
        for version in versions:
            assert table(store, "SELECT status FROM runs WHERE run_uuid = ?", version.run_id) == [
                ("FINISHED",)
            ]
            keys = table(store, "SELECT key FROM tags WHERE run_uuid = ?", version.run_id)
            assert without_git(k for (k,) in keys) == {
                "mlflow.runName",
                "mlflow.source.name",
                "mlflow.source.type",
                "mlflow.user",
            }
            assert table(
                store,
                "SELECT source_type, destination_type, destination_id FROM inputs"
                " WHERE source_id = ?",
                version.run_id,
            ) == [("RUN_OUTPUT", "MODEL_OUTPUT", version.model_id)]


def test_model_folders_like_the_fixture(stores: tuple[Store, Store]) -> None:
    ours, theirs = stores
    for mine, real in zip(agent_versions(ours), agent_versions(theirs), strict=True):
        assert mine.folder.artifact_dir is not None and real.folder.artifact_dir is not None
        assert {p.name for p in mine.folder.artifact_dir.iterdir()} == TUTORIAL_MODEL_FILES
        facts, real_facts = mine.folder.mlmodel, real.folder.mlmodel
        assert facts is not None and real_facts is not None
        assert (facts.loader_module, facts.task, facts.streamable, facts.mlflow_version) == (
            real_facts.loader_module,
            real_facts.task,
            real_facts.streamable,
            real_facts.mlflow_version,
        )
        assert (facts.model_id, facts.run_id) == (mine.model_id, mine.run_id)
        assert Path(str(facts.model_code_path)).name == "some_code.py"
        assert not Path(str(facts.model_code_path)).exists()  # a temporary file, like /tmp/...
        assert facts.raw["signature"] == real_facts.raw["signature"]
        assert mine.folder.code_file is not None
        assert "core.set_model(SimpleResponsesAgent())" in mine.folder.code_file.read_text()


def test_the_predict_trace_like_the_fixture(stores: tuple[Store, Store]) -> None:
    ours, theirs = stores
    traces = []
    for store in stores:
        sql = "SELECT request_id FROM trace_info WHERE trace_name = 'predict'"
        ((trace_id,),) = table(store, sql)
        traces.append(store.reader.get_trace(trace_id))
    mine, real = traces
    assert mine.info.trace_metadata["mlflow.modelId"] == agent_versions(ours)[-1].model_id
    assert real.info.trace_metadata["mlflow.modelId"] == agent_versions(theirs)[-1].model_id
    assert (mine.info.request_preview, mine.info.response_preview) == (
        real.info.request_preview,
        real.info.response_preview,
    )
    (span,), (real_span,) = mine.data.spans, real.data.spans
    assert (span.name, span.span_type, span.inputs, span.outputs) == (
        real_span.name,
        real_span.span_type,
        real_span.inputs,
        real_span.outputs,
    )
    assert span.attributes == real_span.attributes | {"mlflow.traceRequestId": mine.info.trace_id}
