"""Agents in-process: the Responses types, the traced `predict`, `log_model`, `load_model`, the
registered-model read API and aliases, checked against what MLflow 3.18 wrote for the tutorial."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import core
from core import tracking
from core.agents import codefile
from core.agents.errors import AgentLoadError
from core.agents.responses import ResponsesAgentStreamEvent, responses_agent_output_reducer
from core.errors import NotFoundError, ReadOnlyStoreError, StoreError
from core.store.mlmodel import read_mlmodel
from core.store.model_uris import parse_model_uri
from core.store.store import Store
from tests.conftest import FIXTURES, load_expected

FIXTURE_318 = FIXTURES / "mlflow-3.18-tutorial"
PREDICT_TRACE = "tr-d38c517e699415ebefa97cf1d320ceaf"
TUTORIAL_MODEL_FILES = {
    "MLmodel",
    "some_code.py",
    "requirements.txt",
    "conda.yaml",
    "python_env.yaml",
    "input_example.json",
    "serving_input_example.json",
}
QUESTION = {
    "input": [{"role": "user", "content": "what is 4*3 in python"}],
    "context": {"conversation_id": "123", "user_id": "456"},
}
ANSWER = "The result of 4 * 3 in Python is 12."
TUTORIAL_OUTPUT = {
    "object": "response",
    "output": [
        {
            "type": "message",
            "id": "msg_1",
            "content": [{"text": ANSWER, "type": "output_text", "annotations": []}],
            "role": "assistant",
        }
    ],
}
AGENT_CODE = f'''
import core


class SimpleResponsesAgent(core.ResponsesAgent):
    def predict(self, request: core.ResponsesAgentRequest) -> core.ResponsesAgentResponse:
        return core.ResponsesAgentResponse(
            output=[self.create_text_output_item(text="{ANSWER}", id="msg_1")]
        )


core.set_model(SimpleResponsesAgent())
'''


class SimpleAgent(core.ResponsesAgent):
    def predict(self, request: core.ResponsesAgentRequest) -> core.ResponsesAgentResponse:
        return core.ResponsesAgentResponse(
            output=[self.create_text_output_item(text=ANSWER, id="msg_1")]
        )


class StreamingAgent(core.ResponsesAgent):
    def predict(self, request: core.ResponsesAgentRequest) -> core.ResponsesAgentResponse:
        raise NotImplementedError

    def predict_stream(self, request: core.ResponsesAgentRequest) -> Iterator[Any]:
        for delta in ("The result ", "is 12."):
            yield core.ResponsesAgentStreamEvent(**self.create_text_delta(delta, "msg_1"))
        item = self.create_text_output_item(text="The result is 12.", id="msg_1")
        yield {"type": "response.output_item.done", "item": item}


def fixture_predict_span() -> dict[str, Any]:
    with sqlite3.connect(FIXTURE_318 / "mlflow.db") as connection:
        content = connection.execute(
            "SELECT content FROM spans WHERE trace_id = ?", (PREDICT_TRACE,)
        ).fetchone()[0]
    return dict(json.loads(content))


def write_code(folder: Path, text: str = AGENT_CODE, name: str = "some_code.py") -> Path:
    path = folder / name
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def agents_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "db" / "mlflow.db"
    core.set_tracking_uri(path)
    yield path
    tracking.reset()


def without_git(keys: Any) -> set[str]:
    """Tag keys but `mlflow.source.git.*`, which MLflow (and core) add inside a git work tree;
    the fixtures were written outside one."""
    return {k for k in keys if not k.startswith("mlflow.source.git.")}


def rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql, args).fetchall()


# -- the Responses types ----------------------------------------------------------------------


def test_request_dumps_exactly_as_mlflow_did() -> None:
    request = core.ResponsesAgentRequest.from_dict({**QUESTION, "not_a_field": 1})
    stored = json.loads(fixture_predict_span()["attributes"]["mlflow.spanInputs"])
    assert json.dumps({"request": request.to_dict()}) == json.dumps(stored)
    assert request.to_dict(exclude_none=True) == {
        "input": [{"content": "what is 4*3 in python", "role": "user", "type": "message"}],
        "context": {"conversation_id": "123", "user_id": "456"},
    }
    assert request.input[0].content == "what is 4*3 in python"  # MLflow code reads attributes
    assert request.input[0]["role"] == "user"
    assert request.context is not None and request.context.user_id == "456"
    assert request.model_dump() == request.to_dict()


def test_request_items_follow_mlflow_message_or_output_item() -> None:
    request = core.ResponsesAgentRequest(
        input=[
            {"role": "user", "content": [{"type": "input_text", "text": "hi", "extra": 1}]},
            core.create_function_call_item("fc_1", "call_1", "calc", '{"x": 4}'),
            core.create_function_call_output_item("call_1", "12"),
        ],
        custom_inputs={"k": None},
        context={"conversation_id": "c"},  # type: ignore[arg-type]
    )
    assert request.to_dict(exclude_none=True)["input"] == [
        {"content": [{"text": "hi", "type": "input_text"}], "role": "user", "type": "message"},
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_1",
            "name": "calc",
            "arguments": '{"x": 4}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "12"},
    ]
    assert request.custom_inputs == {"k": None}
    assert request.input[1].name == "calc"
    with pytest.raises(ValueError, match="a message needs a role"):
        core.ResponsesAgentRequest(input=[{"role": "robot", "content": "x"}])
    with pytest.raises(ValueError, match="needs an 'input'"):
        core.ResponsesAgentRequest.from_dict({"context": {}})
    with pytest.raises(ValueError, match="'call_id' is missing"):
        core.ResponsesAgentRequest(input=[{"type": "function_call_output", "output": "x"}])


def test_helpers_make_mlflows_dicts() -> None:
    assert core.create_text_output_item("hi", "m1") == {
        "id": "m1",
        "content": [{"text": "hi", "type": "output_text", "annotations": []}],
        "role": "assistant",
        "type": "message",
    }
    assert core.create_function_call_item("fc", "c1", "f", "{}") == {
        "type": "function_call",
        "id": "fc",
        "call_id": "c1",
        "name": "f",
        "arguments": "{}",
    }
    assert core.create_function_call_output_item("c1", "out") == {
        "type": "function_call_output",
        "call_id": "c1",
        "output": "out",
    }
    assert core.create_text_delta("he", "m1") == {
        "type": "response.output_text.delta",
        "item_id": "m1",
        "delta": "he",
    }
    assert core.ResponsesAgent.create_text_output_item is core.create_text_output_item


def test_response_checks_items_and_dumps_as_mlflow() -> None:
    response = core.ResponsesAgentResponse(
        output=[core.create_text_output_item(text=ANSWER, id="msg_1")]
    )
    stored = json.loads(fixture_predict_span()["attributes"]["mlflow.spanOutputs"])
    assert json.dumps(response.to_dict()) == json.dumps(stored)
    assert response.to_dict(exclude_none=True) == TUTORIAL_OUTPUT
    assert response.output_text == ANSWER
    assert response.output[0].id == "msg_1"
    for bad, why in (
        ({"type": "message", "content": [{"type": "output_text", "text": "x"}]}, "'id'"),
        ({"type": "message", "id": "m", "content": []}, "non-empty"),
        (
            {
                "type": "message",
                "id": "m",
                "role": "user",
                "content": [{"type": "output_text", "text": "x"}],
            },
            "must be 'assistant'",
        ),
        ({"type": "function_call", "call_id": "c", "name": "f"}, "'arguments'"),
        ({"type": "teleport"}, "Invalid item type"),
        ({"id": "x"}, "has no 'type'"),
    ):
        with pytest.raises(ValueError, match=why):
            core.ResponsesAgentResponse(output=[bad])


def test_stream_events_and_their_reduction() -> None:
    delta = core.ResponsesAgentStreamEvent(**core.create_text_delta("he", "m1"))
    assert delta.to_dict() == {
        "type": "response.output_text.delta",
        "custom_outputs": None,
        "item_id": "m1",
        "delta": "he",
    }
    assert delta.delta == "he"
    done = core.ResponsesAgentStreamEvent(
        type="response.output_item.done", item=core.create_text_output_item("hello", "m1")
    )
    assert done.to_dict(exclude_none=True)["item"]["type"] == "message"
    assert responses_agent_output_reducer([delta, done]) == {
        "object": "response",
        "output": [core.ResponsesAgentResponse(output=[done["item"]]).output[0]],
    }
    with pytest.raises(ValueError, match="'delta'"):
        core.ResponsesAgentStreamEvent(type="response.output_text.delta", item_id="m1")
    assert ResponsesAgentStreamEvent.from_dict({"type": "error", "message": "x"}).message == "x"


# -- tracing ------------------------------------------------------------------------------------


def test_predict_is_traced_as_mlflow_traces_it(agents_db: Path) -> None:
    response = SimpleAgent().predict(QUESTION)  # type: ignore[arg-type]
    assert isinstance(response, core.ResponsesAgentResponse)
    core.flush_trace_async_logging()
    (trace_id,) = core.search_traces()["trace_id"]
    ours = rows(agents_db, "SELECT name, type, content FROM spans WHERE trace_id = ?", trace_id)
    assert [(name, kind) for name, kind, _ in ours] == [("predict", "AGENT")]
    attributes = json.loads(ours[0][2])["attributes"]
    theirs = fixture_predict_span()["attributes"]
    for key in (
        "mlflow.spanType",
        "mlflow.spanFunctionName",
        "mlflow.spanInputs",
        "mlflow.spanOutputs",
        "mlflow.spanLogLevel",
    ):
        assert attributes[key] == theirs[key], key
    previews = rows(
        agents_db, "SELECT trace_name, request_preview, response_preview FROM trace_info"
    )
    assert previews == [("predict", "what is 4*3 in python", ANSWER)]
    trace = core.get_trace(trace_id)
    assert trace is not None and "mlflow.modelId" not in trace.info.trace_metadata


def test_predict_stream_is_traced_with_chunks_and_reduced_outputs(agents_db: Path) -> None:
    events = list(StreamingAgent().predict_stream(QUESTION))  # type: ignore[arg-type]
    assert [e["type"] for e in events] == ["response.output_text.delta"] * 2 + [
        "response.output_item.done"
    ]
    core.flush_trace_async_logging()
    trace = core.get_trace(core.search_traces()["trace_id"][0])
    assert trace is not None
    (span,) = trace.data.spans
    assert (span.name, span.span_type) == ("predict_stream", "AGENT")
    assert span.outputs == {
        "object": "response",
        "output": [core.ResponsesAgentResponse(output=[events[2]["item"]]).output[0]],
    }
    assert [e.name for e in span.events] == [f"mlflow.chunk.item.{i}" for i in range(3)]
    assert json.loads(span.events[0].attributes["mlflow.chunk.value"])["delta"] == "The result "


# -- log_model ----------------------------------------------------------------------------------


def fixture_mlmodel() -> dict[str, Any]:
    folder = FIXTURE_318 / "mlruns/2/models/m-866fdbfcfdf347319958a800541833d7/artifacts"
    facts = read_mlmodel(folder)
    assert facts is not None
    return dict(facts.raw)


def check_logged_files(info: core.ModelInfo, code: Path) -> None:
    """The folder holds what MLflow 3.18 writes, with the same MLmodel keys and values."""
    folder = info.artifact_dir
    assert {p.name for p in folder.iterdir()} == TUTORIAL_MODEL_FILES
    facts = read_mlmodel(folder)
    assert facts is not None and facts.error is None
    theirs = fixture_mlmodel()
    assert set(facts.raw) == set(theirs)
    for key in (
        "signature",
        "metadata",
        "saved_input_example_info",
        "mlflow_version",
        "is_signature_from_type_hint",
        "type_hint_from_example",
        "prompts",
    ):
        assert facts.raw[key] == theirs[key], key
    pyfunc, their_pyfunc = (
        facts.raw["flavors"]["python_function"],
        theirs["flavors"]["python_function"],
    )
    assert set(pyfunc) == set(their_pyfunc) - {"cloudpickle_version"}
    assert pyfunc["loader_module"] == "mlflow.pyfunc.loaders.code_model"
    assert (facts.model_code_path, facts.code_file) == (str(code), folder / "some_code.py")
    assert (facts.model_id, facts.run_id) == (info.model_id, info.run_id)
    assert facts.raw["artifact_path"] == info.artifact_path
    assert (folder / "some_code.py").read_text() == code.read_text()
    sizes = sum(
        (folder / n).stat().st_size
        for n in ("some_code.py", "input_example.json", "serving_input_example.json")
    )
    assert facts.raw["model_size_bytes"] == sizes
    tutorial = FIXTURE_318 / "mlruns/2/models/m-866fdbfcfdf347319958a800541833d7/artifacts"
    for name in ("input_example.json", "serving_input_example.json"):
        assert (folder / name).read_bytes() == (tutorial / name).read_bytes()
    assert facts.requirements == (f"tracedesk=={codefile.package_version('tracedesk')}",)


def check_logged_rows(db: Path, info: core.ModelInfo, version: int) -> None:
    """The rows MLflow 3.18 writes for one `log_model(registered_model_name="agent")`."""
    run = rows(
        db,
        "SELECT status, experiment_id, artifact_uri, name FROM runs WHERE run_uuid = ?",
        info.run_id,
    )
    assert run[0][:2] == ("FINISHED", int(info.experiment_id))
    assert run[0][2].endswith(f"/{info.experiment_id}/{info.run_id}/artifacts")
    tags = dict(rows(db, "SELECT key, value FROM tags WHERE run_uuid = ?", info.run_id))
    assert without_git(tags) == {
        "mlflow.user",
        "mlflow.source.name",
        "mlflow.source.type",
        "mlflow.runName",
    }
    assert tags["mlflow.runName"] == run[0][3]
    model = rows(
        db,
        "SELECT name, artifact_location, status, lifecycle_stage, source_run_id "
        "FROM logged_models WHERE model_id = ?",
        info.model_id,
    )
    assert model == [("agent", info.artifact_path, 2, "active", info.run_id)]
    model_tags = dict(
        rows(
            db, "SELECT tag_key, tag_value FROM logged_model_tags WHERE model_id = ?", info.model_id
        )
    )
    assert model_tags["mlflow.modelVersions"] == json.dumps([{"name": "agent", "version": version}])
    assert {k: v for k, v in model_tags.items() if k != "mlflow.modelVersions"} == {
        k: v for k, v in tags.items() if k != "mlflow.runName"
    }
    assert rows(
        db,
        "SELECT source_type, destination_type, step FROM inputs WHERE source_id = ? "
        "AND destination_id = ?",
        info.run_id,
        info.model_id,
    ) == [("RUN_OUTPUT", "MODEL_OUTPUT", 0)]
    assert rows(
        db,
        "SELECT source, run_id, storage_location, status, current_stage "
        "FROM model_versions WHERE name = 'agent' AND version = ?",
        version,
    ) == [(info.model_uri, info.run_id, info.artifact_path, "READY", "None")]


def log_in_a_run(code: Path | str) -> core.ModelInfo:
    """`with mlflow.start_run(): mlflow.pyfunc.log_model(...)`, as the tutorial logs it."""
    with core.start_run():
        return core.pyfunc.log_model(python_model=code, name="agent", registered_model_name="agent")


def test_log_model_twice_into_a_fresh_db(agents_db: Path, tmp_path: Path) -> None:
    code = write_code(tmp_path)
    core.set_experiment("evaluation_test")
    infos = [log_in_a_run(code) for _ in range(2)]
    assert [i.registered_model_version for i in infos] == [1, 2]
    for number, info in enumerate(infos, start=1):
        assert info.model_uri == f"models:/{info.model_id}" and info.name == "agent"
        assert info.artifact_dir == agents_db.parent / f"mlruns/1/models/{info.model_id}/artifacts"
        check_logged_files(info, code)
        check_logged_rows(agents_db, info, number)
    assert rows(agents_db, "SELECT name, description FROM registered_models") == [("agent", None)]
    (summary,) = Store.open(agents_db).models.registered_models()
    assert (summary.name, summary.latest_version, summary.aliases) == ("agent", 2, {})


def test_log_model_into_a_copy_of_the_318_fixture(db318: Path, tmp_path: Path) -> None:
    code = write_code(tmp_path)
    core.set_tracking_uri(db318)
    try:
        core.set_experiment("evaluation_test")
        third = log_in_a_run(str(code))
        fourth = log_in_a_run(code)
    finally:
        tracking.reset()
    assert (third.registered_model_version, fourth.registered_model_version) == (3, 4)
    for number, info in ((3, third), (4, fourth)):
        # The recorded root (/home/user/...) is gone: the files go beside the copied database.
        assert info.artifact_dir == db318.parent / f"mlruns/2/models/{info.model_id}/artifacts"
        check_logged_files(info, code)
        check_logged_rows(db318, info, number)
    with Store.open(db318) as store:
        versions = store.models.versions("agent")
        assert [v.version for v in versions] == [1, 2, 3, 4]
        assert all(
            v.folder.code_file is not None and v.folder.code_file.is_file() for v in versions
        )
        assert [p.name for p in store.prompt_registry.prompts()] == ["knowledge_prompt"]


def test_a_model_logged_outside_a_run_has_no_run(agents_db: Path, tmp_path: Path) -> None:
    """As MLflow 3.18: no run row, no run id in the model, its version or its MLmodel."""
    info = core.pyfunc.log_model(python_model=write_code(tmp_path), registered_model_name="agent")
    assert info.run_id is None and info.registered_model_version == 1
    assert rows(agents_db, "SELECT count(*) FROM runs") == [(0,)]
    assert rows(agents_db, "SELECT source_run_id FROM logged_models") == [(None,)]
    assert rows(agents_db, "SELECT run_id FROM model_versions") == [(None,)]
    assert rows(agents_db, "SELECT count(*) FROM inputs") == [(0,)]
    facts = read_mlmodel(info.artifact_dir)
    assert facts is not None and "run_id" not in facts.raw and facts.run_id is None
    assert core.load_model("models:/agent/1").predict(QUESTION) == TUTORIAL_OUTPUT


def test_a_model_logged_in_a_run_belongs_to_the_run(agents_db: Path, tmp_path: Path) -> None:
    code = write_code(tmp_path)
    other = core.create_experiment("elsewhere")
    with core.start_run(experiment_id=other) as run:
        info = core.pyfunc.log_model(python_model=code, name="agent")
    assert (info.run_id, info.experiment_id) == (run.info.run_id, other)
    assert core.get_run(run.info.run_id).info.status == "FINISHED"
    assert rows(agents_db, "SELECT count(*) FROM runs") == [(1,)]


def test_log_model_refuses_what_it_cannot_log(agents_db: Path, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"path of a \.py file"):
        core.log_model(python_model=SimpleAgent(), name="agent")  # type: ignore[arg-type]
    no_set_model = write_code(tmp_path, "x = 1\n", "plain.py")
    with pytest.raises(ValueError, match="never calls set_model"):
        core.log_model(python_model=no_set_model)
    broken = write_code(tmp_path, "def (:\n", "broken.py")
    with pytest.raises(ValueError, match="not valid Python"):
        core.log_model(python_model=broken)
    code = write_code(tmp_path)
    with pytest.raises(ValueError, match="a message needs a role"):
        core.log_model(python_model=code, input_example={"input": [{"content": "x"}]})
    with pytest.raises(ValueError, match="cannot be a registered model name"):
        core.log_model(python_model=code, registered_model_name="a/b")
    core.register_prompt("taken", "a prompt")
    with pytest.raises(StoreError, match="is a prompt"):
        core.log_model(python_model=code, registered_model_name="taken")
    # Nothing of the refused call is left: no rows, no folder.
    assert rows(agents_db, "SELECT count(*) FROM logged_models") == [(0,)]
    assert rows(agents_db, "SELECT count(*) FROM runs") == [(0,)]
    assert not list((agents_db.parent / "mlruns/0").glob("models/*"))


def test_log_model_writes_only_the_318_layout(db31: Path, tmp_path: Path) -> None:
    core.set_tracking_uri(db31)
    try:
        with pytest.raises(ReadOnlyStoreError):
            core.log_model(python_model=write_code(tmp_path), name="agent")
    finally:
        tracking.reset()


def test_requirements_and_examples_as_given(agents_db: Path, tmp_path: Path) -> None:
    code = write_code(tmp_path, "import json, os\nimport mlflow\nimport core\n" + AGENT_CODE)
    assert codefile.infer_requirements(codefile.inspect_code_file(code)) == [
        "mlflow==3.18.0",  # not installed here: the release whose layout core writes
        f"tracedesk=={codefile.package_version('tracedesk')}",
    ]
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# pinned\nmlflow==3.18.0\n\npydantic>=2\n")
    example = core.ResponsesAgentRequest(input=[{"role": "user", "content": "Hi"}])
    info = core.log_model(
        python_model=code, pip_requirements=str(requirements), input_example=example
    )
    folder = info.artifact_dir
    assert (folder / "requirements.txt").read_text() == "mlflow==3.18.0\npydantic>=2"
    assert "  - pydantic>=2\n" in (folder / "conda.yaml").read_text()
    assert json.loads((folder / "input_example.json").read_text()) == {
        "input": [{"content": "Hi", "role": "user", "type": "message"}]
    }
    listed = core.log_model(python_model=code, pip_requirements=["a==1"])
    assert (listed.artifact_dir / "requirements.txt").read_text() == "a==1"
    assert listed.registered_model_version is None


# -- load_model ---------------------------------------------------------------------------------


def test_load_model_by_every_uri(agents_db: Path, tmp_path: Path) -> None:
    code = write_code(tmp_path)
    first = core.log_model(python_model=code, name="agent", registered_model_name="agent")
    second = log_in_a_run(code)
    core.set_model_alias("agent", "champion", 1)
    expected = {
        "models:/agent/1": first,
        "models:/agent/2": second,
        "models:/agent@latest": second,
        "models:/agent/latest": second,
        "models:/agent/None": second,  # the stage every version has
        "models:/agent": second,
        "models:/agent@champion": first,
        f"models:/{first.model_id}": first,
        f"runs:/{second.run_id}/agent": second,
        first.artifact_path: first,
    }
    traces = {}
    for uri, info in expected.items():
        model = core.load_model(uri)
        assert (model.model_id, model.runtime.name) == (info.model_id, "core"), uri
        assert model.code_file == info.artifact_dir / "some_code.py"
        assert model.predict(QUESTION) == TUTORIAL_OUTPUT, uri
        assert model.last_trace_id is not None
        traces[model.last_trace_id] = info.model_id
    core.flush_trace_async_logging()
    for trace_id, model_id in traces.items():
        trace = core.get_trace(trace_id)
        assert trace is not None and trace.info.trace_metadata["mlflow.modelId"] == model_id
    assert isinstance(core.load_model("models:/agent/1").unwrap_python_model(), core.ResponsesAgent)


def test_load_model_says_what_is_wrong(agents_db: Path, tmp_path: Path) -> None:
    raising = write_code(
        tmp_path, "import core\nraise RuntimeError('no key')\ncore.set_model(None)\n", "raising.py"
    )
    silent = write_code(tmp_path, "import core\nif False:\n    core.set_model(1)\n", "silent.py")
    for code, why in ((raising, "RuntimeError: no key"), (silent, "never called core.set_model")):
        info = core.log_model(python_model=code, name="m", registered_model_name="m")
        with pytest.raises(AgentLoadError, match=why) as error:
            core.load_model(info.model_uri)
        assert "raising.py" in error.value.traceback or code == silent
    with pytest.raises(NotFoundError, match="no version 9"):
        core.load_model("models:/m/9")
    with pytest.raises(NotFoundError, match="does not exist"):
        core.load_model("models:/missing@champion")
    with pytest.raises(ValueError, match="not a model URI"):
        core.load_model("models:/a/b/c")
    gone = core.log_model(python_model=write_code(tmp_path), name="gone")
    for path in gone.artifact_dir.iterdir():
        path.unlink()
    with pytest.raises(AgentLoadError, match=r"files of .* are missing"):
        core.load_model(gone.model_uri)


def test_mlflow_code_needs_an_interpreter_with_mlflow(db318: Path) -> None:
    core.set_tracking_uri(db318)
    try:
        with pytest.raises(AgentLoadError, match="imports mlflow, which is not installed"):
            core.load_model("models:/agent/2")
    finally:
        tracking.reset()


def test_uris_parse_as_mlflow_parses_them() -> None:
    assert parse_model_uri("models:/agent/3").version == 3
    assert parse_model_uri("models:/agent@prod").alias == "prod"
    assert parse_model_uri("models:/agent@latest").alias == "latest"
    assert parse_model_uri("models:/agent/Production").stage == "Production"
    assert parse_model_uri("models:/m-0123").model_id == "m-0123"
    parsed = parse_model_uri("runs:/abc/models/agent")
    assert (parsed.run_id, parsed.artifact_path) == ("abc", "models/agent")
    with pytest.raises(ValueError, match="not a model URI"):
        parse_model_uri("s3://bucket/model")


# -- the read API and aliases ---------------------------------------------------------------------


def test_store_models_reads_every_fixture(fixture_db: Path) -> None:
    expected = load_expected(fixture_db)["registered_models"]
    with Store.open(fixture_db) as store:
        assert [m.name for m in store.models.registered_models()] == [m["name"] for m in expected]
        for model in expected:
            versions = store.models.versions(model["name"])
            assert [v.version for v in versions] == [v["version"] for v in model["versions"]]
            for ours, theirs in zip(versions, model["versions"], strict=True):
                assert (ours.source, ours.run_id, ours.status) == (
                    theirs["source"],
                    theirs["run_id"],
                    theirs["status"],
                )
                assert ours.experiment_id == "2"
                # Recorded under /home/user or /tmp; found beside the copied database.
                assert ours.folder.artifact_dir is not None
                assert ours.folder.artifact_dir.is_relative_to(fixture_db.parent / "mlruns/2")
                facts = ours.folder.mlmodel
                assert facts is not None and facts.is_agent and facts.streamable
                assert ours.folder.code_file == ours.folder.artifact_dir / "some_code.py"
                assert ours.folder.code_file.is_file()
                assert facts.model_id == ours.model_id


def test_2_22_models_live_among_run_artifacts(db222: Path) -> None:
    with Store.open(db222) as store:
        version = store.models.version("agent", 2)
        assert version.model_id is None and version.source == version.storage_location
        assert version.folder.artifact_dir == (
            db222.parent / f"mlruns/2/{version.run_id}/artifacts/agent"
        )
        assert version.folder.mlmodel is not None
        assert version.folder.mlmodel.mlflow_version == "2.22.5"
        resolved = store.models.resolve(f"runs:/{version.run_id}/agent")
        assert resolved.folder.artifact_dir == version.folder.artifact_dir
        assert store.models.resolve("models:/agent/latest").version == 2


def test_3_1_versions_and_logged_models(db31: Path) -> None:
    with Store.open(db31) as store:
        latest = store.models.resolve("models:/agent@latest")
        assert latest.version == 2 and latest.model_id == "m-4e8f69d84cf84447b5d786f7d338de46"
        model = store.models.logged_model(str(latest.model_id))
        assert (model.status, model.name, model.experiment_id) == ("READY", "agent", "2")
        assert model.tags["mlflow.modelVersions"] == '[{"name": "agent", "version": 2}]'
        assert model.folder.mlmodel is not None
        assert model.folder.mlmodel.mlflow_version == "3.1.4"


def test_model_aliases_move_and_go(agents_db: Path, tmp_path: Path) -> None:
    code = write_code(tmp_path)
    for _ in range(3):
        core.log_model(python_model=code, name="agent", registered_model_name="agent")
    core.set_model_alias("agent", "champion", 1)
    core.set_model_alias("agent", "champion", 3)
    core.set_model_alias("agent", "challenger", 2)
    with Store.open(agents_db) as store:
        (summary,) = store.models.registered_models()
        assert summary.aliases == {"champion": 3, "challenger": 2}
        assert [v.aliases for v in store.models.versions("agent")] == [
            (),
            ("challenger",),
            ("champion",),
        ]
    core.delete_model_alias("agent", "challenger")
    assert core.load_model("models:/agent@champion").model_id is not None
    with pytest.raises(NotFoundError, match="no alias 'challenger'"):
        core.load_model("models:/agent@challenger")
    for alias in ("latest", "v2", "a b", ""):
        with pytest.raises(ValueError, match="cannot be an alias"):
            core.set_model_alias("agent", alias, 1)
    with pytest.raises(NotFoundError, match="no version 7"):
        core.set_model_alias("agent", "champion", 7)
    core.register_prompt("qa", "prompt")
    with pytest.raises(NotFoundError, match="is a prompt"):
        core.set_model_alias("qa", "champion", 1)
