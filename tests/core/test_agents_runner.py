"""`AgentRunner`: an agent in a child process, over JSON lines, surviving what agents do wrong.

Small agents written in tmp_path crash (`os._exit`), hang, print junk, or raise; the runner must
report each clearly and never leave the caller waiting. The tutorial's agent, which imports
mlflow, runs under the MLflow 3.18 virtualenv (`make mlflow-venv`) and is traced by MLflow.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import core
from core import tracking
from core.agents.child_process import child_environment, core_root
from core.agents.errors import (
    AgentCallError,
    AgentCrashedError,
    AgentLoadError,
    AgentStoppedError,
    AgentTimeoutError,
)
from core.agents.runner import AgentRunner
from tests.core.test_agents import AGENT_CODE, ANSWER, QUESTION, TUTORIAL_OUTPUT, write_code
from tests.interop.conftest import mlflow_python

WAIT_S = 60.0  # generous: a child imports core (pandas, SQLAlchemy) before it answers


def agent_code(body: str, at_import: str = "") -> str:
    """A core agent whose predict runs `body` (indented) after `at_import` ran at import."""
    lines = "\n".join(f"        {line}" for line in body.splitlines())
    return f'''
import os, sys, time
import core

{at_import}

class Agent(core.ResponsesAgent):
    def predict(self, request):
{lines}
        return core.ResponsesAgentResponse(
            output=[self.create_text_output_item(text="{ANSWER}", id="msg_1")]
        )

    def predict_stream(self, request):
        for word in ("The result", " is 12."):
            yield core.ResponsesAgentStreamEvent(**self.create_text_delta(word, "msg_1"))
        item = self.create_text_output_item(text="The result is 12.", id="msg_1")
        yield core.ResponsesAgentStreamEvent(type="response.output_item.done", item=item)


core.set_model(Agent())
'''


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "mlflow.db"
    core.set_tracking_uri(path)
    yield path
    tracking.reset()


def logged(tmp_path: Path, code: str, name: str = "agent") -> str:
    """Log `code` as registered model `name`; return its `models:/name/<v>` URI."""
    info = core.log_model(
        python_model=write_code(tmp_path, code, f"{name}.py"),
        name=name,
        registered_model_name=name,
    )
    return f"models:/{name}/{info.registered_model_version}"


class Lines:
    """Collects callback lines; `wait_for(text)` blocks (with a timeout) until one contains it."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()

    def __call__(self, *parts: str) -> None:
        with self._changed:
            self.lines.append(" ".join(parts))
            self._changed.notify_all()

    def wait_for(self, text: str, timeout_s: float = WAIT_S) -> bool:
        with self._changed:
            return self._changed.wait_for(
                lambda: any(text in line for line in self.lines), timeout_s
            )


def test_runs_a_core_agent_and_traces_it(db: Path, tmp_path: Path) -> None:
    uri = logged(tmp_path, agent_code("print('thinking about', request.input[-1].content)"))
    stderr, logs = Lines(), Lines()
    runner = AgentRunner(uri, db, on_stderr=stderr, on_log=logs, timeout_s=WAIT_S)
    assert runner.pinned_uri == uri == "models:/agent/1"
    assert runner.code_file is not None and runner.code_file.name == "agent.py"
    assert runner.code_file.parent.name == "artifacts" and not runner.needs_mlflow
    with runner:
        assert runner.load_info["runtime"] == "core" and runner.load_info["pid"] == runner.pid
        result = runner.predict(QUESTION)
        assert result.response == TUTORIAL_OUTPUT
        assert runner.ping() >= 0
    assert runner.returncode == 0  # it finished when asked to
    assert stderr.wait_for("thinking about what is 4*3 in python")  # prints go to stderr
    assert result.trace_id is not None
    trace = core.get_trace(result.trace_id)  # written before the answer came back
    assert trace is not None and trace.info.request_preview == "what is 4*3 in python"
    assert trace.info.trace_metadata["mlflow.modelId"] == runner.load_info["model_id"]
    assert [(s.name, s.span_type) for s in trace.data.spans] == [("predict", "AGENT")]


def test_streams_events_as_they_come(db: Path, tmp_path: Path) -> None:
    uri = logged(tmp_path, agent_code(""))
    seen: list[dict[str, object]] = []
    with AgentRunner(uri, db, timeout_s=WAIT_S) as runner:
        result = runner.predict_stream(QUESTION, on_event=seen.append)
    assert [e["type"] for e in seen] == ["response.output_text.delta"] * 2 + [
        "response.output_item.done"
    ]
    assert list(result.events) == seen
    assert result.response["output"][0]["content"][0]["text"] == "The result is 12."
    trace = core.get_trace(str(result.trace_id))
    assert trace is not None and trace.data.spans[0].name == "predict_stream"


def test_an_agent_error_comes_back_with_its_trace(db: Path, tmp_path: Path) -> None:
    uri = logged(
        tmp_path,
        agent_code(
            "if request.input[-1].content == 'fail':\n    raise ValueError('cannot compute')"
        ),
    )
    with AgentRunner(uri, db, timeout_s=WAIT_S) as runner:
        with pytest.raises(AgentCallError, match="ValueError: cannot compute") as error:
            runner.predict({"input": [{"role": "user", "content": "fail"}]})
        assert error.value.error_type == "ValueError"
        assert "raise ValueError" in error.value.traceback
        assert runner.predict(QUESTION).response == TUTORIAL_OUTPUT  # still serving
    trace = core.get_trace(str(error.value.trace_id))
    assert trace is not None and trace.info.state == "ERROR"


def test_a_crash_while_loading_says_how_it_ended(db: Path, tmp_path: Path) -> None:
    code = agent_code("", at_import="print('about to leave', file=sys.stderr)\nos._exit(3)")
    runner = AgentRunner(logged(tmp_path, code), db, timeout_s=WAIT_S)
    with pytest.raises(AgentCrashedError, match="exited with code 3 while loading") as error:
        runner.start()
    assert error.value.exit_code == 3 and "about to leave" in error.value.stderr
    assert "about to leave" in str(error.value)
    assert not runner.is_running


def test_a_crash_while_answering_then_a_restart(db: Path, tmp_path: Path) -> None:
    uri = logged(tmp_path, agent_code("if request.input[-1].content == 'die':\n    os._exit(7)"))
    runner = AgentRunner(uri, db, timeout_s=WAIT_S)
    runner.start()
    with pytest.raises(AgentCrashedError, match="exited with code 7 while answering"):
        runner.predict({"input": [{"role": "user", "content": "die"}]})
    with pytest.raises(AgentStoppedError, match=r"not running .*exited with code 7"):
        runner.predict(QUESTION)
    runner.start()  # a new child
    assert runner.predict(QUESTION).response == TUTORIAL_OUTPUT
    runner.stop()


def test_a_hanging_agent_is_stopped_after_the_timeout(db: Path, tmp_path: Path) -> None:
    uri = logged(tmp_path, agent_code("time.sleep(3600)"))
    runner = AgentRunner(uri, db, timeout_s=WAIT_S)
    runner.start()
    with pytest.raises(AgentTimeoutError, match=r"did not answer within 0\.5 s"):
        runner.predict(QUESTION, timeout_s=0.5)
    assert not runner.is_running and runner.returncode is not None


def test_load_errors_carry_the_childs_traceback(db: Path, tmp_path: Path) -> None:
    code = agent_code("", at_import="raise RuntimeError('missing API key')")
    runner = AgentRunner(logged(tmp_path, code), db, timeout_s=WAIT_S)
    with pytest.raises(AgentLoadError, match="RuntimeError: missing API key") as error:
        runner.start()
    assert "agent.py" in error.value.traceback
    assert not runner.is_running


def test_junk_on_stdout_never_breaks_the_protocol(db: Path, tmp_path: Path) -> None:
    # The agent prints at import (lands on stderr), and the interpreter itself prints junk on
    # the protocol's stdout before the child starts (skipped and reported).
    code = agent_code("print('{not json')", at_import="print('hello from import')")
    wrapper = tmp_path / "python-with-junk"
    wrapper.write_text(
        f'#!/bin/sh\necho "junk before start"\necho "[1, 2]"\nexec "{sys.executable}" "$@"\n'
    )
    wrapper.chmod(0o755)
    stderr, logs = Lines(), Lines()
    runner = AgentRunner(
        logged(tmp_path, code), db, python=wrapper, timeout_s=WAIT_S, on_stderr=stderr, on_log=logs
    )
    with runner:
        assert runner.predict(QUESTION).response == TUTORIAL_OUTPUT
    assert stderr.wait_for("hello from import") and stderr.wait_for("{not json")
    assert logs.wait_for("not protocol: junk before start") and logs.wait_for("[1, 2]")


def call_in_background(runner: AgentRunner) -> tuple[threading.Thread, list[BaseException]]:
    """Start `runner.predict` in a thread; the list gets what it raised."""
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            runner.predict(QUESTION)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=call)
    thread.start()
    return thread, outcome


def test_stop_ends_a_call_that_is_waiting(db: Path, tmp_path: Path) -> None:
    uri = logged(tmp_path, agent_code("print('entered', file=sys.stderr)\ntime.sleep(3600)"))
    stderr = Lines()
    runner = AgentRunner(uri, db, timeout_s=WAIT_S, on_stderr=stderr)
    runner.start()
    caller, outcome = call_in_background(runner)
    assert stderr.wait_for("entered")
    code = runner.stop(grace_s=0.5)
    caller.join(timeout=WAIT_S)
    assert not caller.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], AgentStoppedError)
    assert code is not None and not runner.is_running
    assert runner.stop() == code  # stopping twice is harmless


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_an_agent_that_ignores_terminate_is_killed(db: Path, tmp_path: Path) -> None:
    ignore = "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)"
    code = agent_code("print('entered', file=sys.stderr)\ntime.sleep(3600)", at_import=ignore)
    stderr = Lines()
    runner = AgentRunner(logged(tmp_path, code), db, timeout_s=WAIT_S, on_stderr=stderr)
    runner.start()
    caller, outcome = call_in_background(runner)
    assert stderr.wait_for("entered")
    assert runner.stop(grace_s=0.2) == -9  # SIGTERM ignored, then SIGKILL
    caller.join(timeout=WAIT_S)
    assert not caller.is_alive() and isinstance(outcome[0], AgentStoppedError)


def test_a_failing_callback_never_stops_the_output_draining(db: Path, tmp_path: Path) -> None:
    # 400 KB on stderr is far more than a pipe holds: the child blocks unless it is read.
    uri = logged(
        tmp_path, agent_code("for _ in range(400):\n    print('x' * 1000, file=sys.stderr)")
    )

    def broken(line: str) -> None:
        raise RuntimeError("the app's callback has a bug")

    with AgentRunner(uri, db, timeout_s=WAIT_S, on_stderr=broken) as runner:
        assert runner.predict(QUESTION).response == TUTORIAL_OUTPUT
        assert runner.predict(QUESTION).response == TUTORIAL_OUTPUT


def test_an_interpreter_that_does_not_exist(db: Path, tmp_path: Path) -> None:
    runner = AgentRunner(logged(tmp_path, AGENT_CODE), db, python=tmp_path / "no-python")
    with pytest.raises(AgentCrashedError, match="cannot be started"):
        runner.start()
    with pytest.raises(AgentStoppedError, match="not running"):
        runner.predict(QUESTION)


def test_the_child_imports_this_core_first(tmp_path: Path) -> None:
    env = child_environment({"PYTHONPATH": "/somewhere"})
    assert env["PYTHONPATH"].split(os.pathsep) == [str(core_root()), "/somewhere"]
    assert all(Path(p).is_dir() for p in env["TRACEDESK_FALLBACK_PATH"].split(os.pathsep))


def test_unknown_models_fail_before_anything_starts(db: Path) -> None:
    core.set_experiment("x")
    with pytest.raises(core.NotFoundError, match="does not exist"):
        AgentRunner("models:/nothing/1", db)


@pytest.fixture
def mlflow_interpreter() -> Path:
    python = mlflow_python()
    if python is None:
        pytest.skip("real MLflow 3.18 is not installed: run `make mlflow-venv` (make test does)")
    return python


def test_the_tutorials_mlflow_agent_runs_under_mlflow(
    db318: Path, mlflow_interpreter: Path
) -> None:
    # MLflow writes traces under the experiment's recorded folder (/home/user/... in the
    # fixture); point Default at the copy so nothing is written outside tmp_path.
    with sqlite3.connect(db318) as connection:
        connection.execute(
            "UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
            (str(db318.parent / "mlruns" / "0"),),
        )
    stderr = Lines()
    runner = AgentRunner(
        "models:/agent@latest",
        db318,
        python=mlflow_interpreter,
        experiment_id="0",
        timeout_s=WAIT_S,
        on_stderr=stderr,
    )
    assert runner.pinned_uri == "models:/agent/2"  # what @latest named when asked
    assert runner.needs_mlflow and runner.code_file is not None
    assert runner.code_file.read_text().startswith("from mlflow.models import set_model")
    with runner:
        assert (runner.load_info["runtime"], runner.load_info["mlflow_version"]) == (
            "mlflow",
            "3.18.0",
        )
        result = runner.predict(QUESTION)
    assert result.response == TUTORIAL_OUTPUT  # what MLflow's predict returned in the tutorial
    core.set_tracking_uri(db318)
    try:
        trace = core.get_trace(str(result.trace_id))
    finally:
        tracking.reset()
    assert trace is not None, "\n".join(stderr.lines)
    assert trace.info.trace_metadata["mlflow.modelId"] == "m-866fdbfcfdf347319958a800541833d7"
    assert (trace.info.request_preview, trace.info.response_preview) == (
        "what is 4*3 in python",
        ANSWER,
    )
    assert [(s.name, s.span_type) for s in trace.data.spans] == [("predict", "AGENT")]


def test_a_core_agent_runs_under_the_mlflow_interpreter(
    db: Path, tmp_path: Path, mlflow_interpreter: Path
) -> None:
    # That virtualenv lacks some of core's dependencies (orjson): they come from this one.
    uri = logged(tmp_path, AGENT_CODE)
    with AgentRunner(uri, db, python=mlflow_interpreter, timeout_s=WAIT_S) as runner:
        assert runner.load_info["runtime"] == "core"
        assert runner.load_info["python"].startswith(str(mlflow_interpreter.parent))
        result = runner.predict(QUESTION)
    assert result.response == TUTORIAL_OUTPUT and result.trace_id is not None
    assert core.get_trace(result.trace_id) is not None


def alembic_revision(db: Path) -> str:
    with sqlite3.connect(db) as connection:
        return str(connection.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def test_older_databases_are_never_upgraded_by_mlflow(db31: Path, mlflow_interpreter: Path) -> None:
    # MLflow 3.18 upgrades, in place, any older SQLite database it is pointed at, and writes
    # trace folders under the recorded (/home/user/...) paths: the child does neither.
    before = alembic_revision(db31)
    recorded_root = Path("/home/user/tracing-tutorial-3.1")
    existed = recorded_root.exists()
    logs = Lines()
    with AgentRunner(
        "models:/agent/latest", db31, python=mlflow_interpreter, timeout_s=WAIT_S, on_log=logs
    ) as runner:
        assert runner.load_info["traced"] is False
        result = runner.predict(QUESTION)
    assert result.response == TUTORIAL_OUTPUT and result.trace_id is None
    assert logs.wait_for("Calls are not traced: the database has the MLflow 3.1 layout")
    assert alembic_revision(db31) == before == "bda7b8c39065"
    assert recorded_root.exists() == existed


def test_a_2_22_agent_fails_to_load_under_mlflow_3_18(
    db222: Path, mlflow_interpreter: Path
) -> None:
    runner = AgentRunner("models:/agent/2", db222, python=mlflow_interpreter, timeout_s=WAIT_S)
    assert runner.code_file is not None and runner.code_file.parent.name == "agent"
    with pytest.raises(AgentLoadError, match="cannot import name 'ResponsesRequest'"):
        runner.start()  # its code was written for MLflow 2.22's types
    assert not runner.is_running
