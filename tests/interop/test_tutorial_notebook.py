"""MLflow's GenAI tutorial runs on `core`: every cell of tests/interop/tutorial_notebook.py, in
one process, as a notebook runs them (one namespace, a cell's last expression is its result),
against the stand-in Ollama server; each cell's result is checked, then real MLflow 3.18 reads
the database the notebook wrote and finds what `core` finds.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import core
from core import tracking
from core.entities import SpanType, Trace, TraceState
from tests.core.test_agents import TUTORIAL_OUTPUT
from tests.interop.conftest import MlflowRunner
from tests.ollama_server import TUTORIAL_ANSWERS, OllamaStandIn

pytestmark = pytest.mark.interop

NOTEBOOK = Path(__file__).with_name("tutorial_notebook.py")
#: What the stand-in Ollama server answers to the tutorial's first call.
HELLO_ANSWER = TUTORIAL_ANSWERS["Hello how are you?"]
#: The DataFrame columns of `mlflow.search_traces()` in MLflow 3.18.
FRAME_COLUMNS = [
    "trace_id",
    "trace",
    "client_request_id",
    "state",
    "request_time",
    "execution_duration",
    "request",
    "response",
    "trace_metadata",
    "tags",
    "spans",
    "assessments",
]
#: What the agent answers: MLflow 3.18's output (`annotations` included; the tutorial's printed
#: answer came from an older MLflow).
AGENT_ANSWER = TUTORIAL_OUTPUT


@dataclass(frozen=True)
class Cell:
    name: str
    first_line: int  # 1-based line of the cell's first code line in NOTEBOOK
    source: str


@dataclass
class Outcome:
    value: Any
    printed: str


def cells() -> list[Cell]:
    """The notebook's cells, split at its `# %% <name>` markers."""
    lines = NOTEBOOK.read_text("utf-8").splitlines()
    found: list[Cell] = []
    starts = [i for i, line in enumerate(lines) if line.startswith("# %% ")]
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        body = "\n".join(lines[start + 1 : end])
        found.append(Cell(lines[start].removeprefix("# %% "), start + 2, body))
    return found


class Notebook:
    """Runs cells in one namespace, as Jupyter does."""

    def __init__(self, **names: Any) -> None:
        self.namespace: dict[str, Any] = {"__name__": "__main__", **names}

    def run(self, cell: Cell) -> Outcome:
        module = ast.parse("\n" * (cell.first_line - 1) + cell.source, str(NOTEBOOK))
        last = module.body[-1] if module.body else None
        shown = isinstance(last, ast.Expr)
        body = module.body[:-1] if shown else module.body
        printed = io.StringIO()
        value = None
        with contextlib.redirect_stdout(printed):
            exec(compile(ast.Module(body, []), str(NOTEBOOK), "exec"), self.namespace)
            if shown and isinstance(last, ast.Expr):
                expression = ast.Expression(last.value)
                value = eval(compile(expression, str(NOTEBOOK), "eval"), self.namespace)
        return Outcome(value, printed.getvalue())


@pytest.fixture
def notebook(tmp_path: Path, ollama_host: OllamaStandIn) -> Iterator[Notebook]:
    (tmp_path / "work").mkdir()
    book = Notebook(DB=tmp_path / "llm_mlflow.db", CODE=tmp_path / "some_code.py")
    with contextlib.chdir(tmp_path / "work"):
        yield book
    core.langchain.autolog(disable=True)
    tracking.reset()


def newest_trace(experiment_name: str) -> Trace:
    experiment = core.get_experiment_by_name(experiment_name)
    assert experiment is not None
    core.flush_trace_async_logging()
    (trace,) = core.search_traces([experiment.experiment_id], max_results=1, return_type="list")
    return trace


def check_setup(book: Notebook, outcome: Outcome) -> None:
    db = book.namespace["DB"]
    assert core.get_tracking_uri() == f"sqlite:///{db}" == core.get_registry_uri()
    assert outcome.value is None and not db.exists()  # nothing written yet


def check_autolog(book: Notebook, outcome: Outcome) -> None:
    assert book.namespace["ans"].content == HELLO_ANSWER


def check_search_traces(book: Notebook, outcome: Outcome) -> None:
    frame = outcome.value
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == FRAME_COLUMNS
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row.trace_id.startswith("tr-") and row.client_request_id is None
    # pandas 3 keeps a column of str enums as text: MLflow 3.18's frame holds "OK" too
    assert row.state == TraceState.OK == "OK"
    # MLflow 3.18 records a chat model's call in OpenAI's chat format (the tutorial's printed
    # frame came from an older MLflow, which kept LangChain's own form)
    assert row.request["messages"][0]["content"] == "Hello how are you?"
    assert row.response["choices"][0]["message"]["content"] == HELLO_ANSWER
    assert row.trace_metadata["mlflow.trace_schema.version"] == "3"
    assert "mlflow.trace.tokenUsage" in row.trace_metadata
    assert row.tags["mlflow.traceName"] == "ChatOllama"
    assert [s["name"] for s in row.spans] == ["ChatOllama"] and row.assessments == []


def check_get_trace(book: Notebook, outcome: Outcome) -> None:
    trace = book.namespace["trace_obj"]
    assert isinstance(trace, Trace)
    assert trace.info.trace_id == book.namespace["traces"]["trace_id"].iloc[0]


def check_trace_info(book: Notebook, outcome: Outcome) -> None:
    info = outcome.value
    assert repr(info).startswith(f"TraceInfo(trace_id='{info.trace_id}', trace_location=")
    assert info.trace_location.mlflow_experiment.experiment_id == "0"
    assert info.state.value == "OK" and info.assessments == []
    usage = info.token_usage
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
    assert info.request_preview == "Hello how are you?"
    assert info.response_preview == HELLO_ANSWER
    assert info.tags["mlflow.traceName"] == "ChatOllama"


def check_trace_data(book: Notebook, outcome: Outcome) -> None:
    data = outcome.value
    (span,) = data.spans
    assert repr(data) == (
        f"TraceData(spans=[Span(name='ChatOllama', trace_id='{span.trace_id}', "
        f"span_id='{span.span_id}', parent_id=None)])"
    )
    assert span.span_type == SpanType.CHAT_MODEL and span.status.status_code.value == "OK"


def check_set_experiment(book: Notebook, outcome: Outcome) -> None:
    experiment = book.namespace["ans"]
    assert experiment.name == "custom_tracing" and experiment.experiment_id != "0"
    assert core.tracking.active_experiment_id() == experiment.experiment_id


def check_start_span(book: Notebook, outcome: Outcome) -> None:
    (span,) = newest_trace("custom_tracing").data.spans
    assert (span.name, span.inputs, span.outputs) == ("span", "Input request", "Span outputs")
    assert span.get_attribute("hello") == "new_value"


def check_decorator(book: Notebook, outcome: Outcome) -> None:
    assert outcome.value == "<extra information>hello<the data>"


def check_decorated_span(book: Notebook, outcome: Outcome) -> None:
    assert outcome.printed == "{'inp': 'hello'} -> <extra information>hello<the data>\n"


def check_span_types(book: Notebook, outcome: Outcome) -> None:
    spans = {s.name: s for s in newest_trace("custom_tracing").data.spans}
    assert spans["my_cool_span"].span_type == "custom span"
    assert spans["my_span"].span_type == SpanType.LLM
    assert spans["my_span"].get_attribute("attr1") == "value1"
    assert spans["my_span"].inputs == {"input": "input"}
    assert spans["reranker_span"].span_type == SpanType.RERANKER
    root = spans["my_cool_span"].span_id
    assert spans["my_span"].parent_id == root == spans["reranker_span"].parent_id


def check_inputs_outputs(book: Notebook, outcome: Outcome) -> None:
    (span,) = newest_trace("custom_tracing").data.spans
    assert (span.span_type, span.inputs, span.outputs) == ("LLM", "The input", "The output")


def check_chat_messages(book: Notebook, outcome: Outcome) -> None:
    (span,) = newest_trace("custom_tracing").data.spans
    assert [m["role"] for m in span.inputs] == ["system", "user"]
    assert [m["role"] for m in span.outputs] == ["assistant", "tool"]


def check_nested(book: Notebook, outcome: Outcome) -> None:
    spans = {s.name: s for s in newest_trace("custom_tracing").data.spans}
    assert spans["innder_span"].parent_id == spans["outer_span"].span_id
    assert spans["innder_span"].inputs == "data of inner span"


def check_evaluate(book: Notebook, outcome: Outcome) -> None:
    result = outcome.value
    data = book.namespace["eval_dataset"]
    short = {  # some_check's verdict on the stand-in's answer, by expected response
        row["expectations"]["expected_response"]: len(TUTORIAL_ANSWERS[row["inputs"]["question"]])
        < 10
        for row in data
    }
    assert short == {"Unicorn": True, "Wright Brothers": False, "William Shakespeare": False}
    assert result.metrics["some_check/mean"] == pytest.approx(1 / 3)
    traces = core.search_traces(run_id=result.run_id, return_type="list")
    assert len(traces) == 3
    verdicts = {}
    for trace in traces:
        (expected,) = trace.search_assessments("expected_response")
        (verdict,) = trace.search_assessments("some_check")
        verdicts[expected.value] = verdict.value
        # predict_fn's ChatOllama call is the row's trace, as MLflow keeps it
        (span,) = trace.data.spans
        assert span.name == "ChatOllama" and span.inputs["messages"][-1]["role"] == "user"
    assert verdicts == short


def check_custom_scorer(book: Notebook, outcome: Outcome) -> None:
    printed = outcome.printed.splitlines()
    assert "Inputs: {'inp': 'inputs value'}" in printed
    assert "Expectations: {'exp': 'expectations value'}" in printed
    assert "Outputs: ouputs value" in printed
    (kind,) = [line for line in printed if line.startswith("Trace: ")]
    assert kind == f"Trace: {core.entities.Trace}"


def check_register(book: Notebook, outcome: Outcome) -> None:
    assert repr(outcome.value) == (
        "PromptVersion(name=knowledge_prompt, version=1, template=This is my prompt)"
    )
    assert outcome.value.commit_message == "Initial prompt"


def check_register_again(book: Notebook, outcome: Outcome) -> None:
    assert repr(outcome.value) == (
        "PromptVersion(name=knowledge_prompt, version=2, template=Updated version of the prompt)"
    )


def check_load_1(book: Notebook, outcome: Outcome) -> None:
    assert repr(outcome.value) == (
        "PromptVersion(name=knowledge_prompt, version=1, template=This is my prompt)"
    )


def check_load_2(book: Notebook, outcome: Outcome) -> None:
    assert outcome.value.version == 2 and outcome.value.template == "Updated version of the prompt"


def check_format(book: Notebook, outcome: Outcome) -> None:
    assert outcome.value == "Updated version of the prompt"


def check_writefile(book: Notebook, outcome: Outcome) -> None:
    assert "set_model(SimpleResponsesAgent())" in book.namespace["CODE"].read_text()


def check_log_model(book: Notebook, outcome: Outcome) -> None:
    assert core.active_run() is None  # the `with` block ended the run
    store = core.context.default_client().store()
    (version,) = store.models.versions("agent")
    run = store.runs.get_run(version.run_id)
    assert run.info.status == "FINISHED" and run.info.experiment_id == version.experiment_id


def check_load_model(book: Notebook, outcome: Outcome) -> None:
    assert outcome.value == AGENT_ANSWER


CHECKS = {
    "set-up": check_setup,
    "autolog": check_autolog,
    "search_traces": check_search_traces,
    "get_trace": check_get_trace,
    "trace info": check_trace_info,
    "trace data": check_trace_data,
    "set_experiment": check_set_experiment,
    "start_span": check_start_span,
    "trace decorator": check_decorator,
    "span of the decorated call": check_decorated_span,
    "span types": check_span_types,
    "inputs and outputs": check_inputs_outputs,
    "chat messages": check_chat_messages,
    "nested spans": check_nested,
    "evaluate": check_evaluate,
    "custom scorer": check_custom_scorer,
    "register_prompt": check_register,
    "register_prompt again": check_register_again,
    "load_prompt version 1": check_load_1,
    "load_prompt version 2": check_load_2,
    "format": check_format,
    "writefile agent": check_writefile,
    "log_model": check_log_model,
    "load_model": check_load_model,
}

READ_WITH_MLFLOW = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
out = {"experiments": {}, "prompts": {}}
for e in mlflow.search_experiments():
    frame = mlflow.search_traces(locations=[e.experiment_id])
    out["experiments"][e.name] = sorted(frame["trace_id"])
for version in (1, 2):
    p = mlflow.genai.load_prompt(f"prompts:/knowledge_prompt/{version}")
    out["prompts"][str(version)] = p.template
# the agent's code imports core (not in MLflow's environment): MLflow lists it, core runs it
version = mlflow.MlflowClient().get_model_version("agent", "1")
out["agent"] = [version.source, version.status, mlflow.get_run(version.run_id).info.status]
print(json.dumps(out, default=str))
"""


def test_every_cell_of_the_tutorial_runs_on_core(
    notebook: Notebook, run_mlflow: MlflowRunner
) -> None:
    found = cells()
    assert [c.name for c in found] == list(CHECKS)  # 24 cells, each checked
    for cell in found:
        outcome = notebook.run(cell)
        CHECKS[cell.name](notebook, outcome)
    core.flush_trace_async_logging()
    db = notebook.namespace["DB"]
    ours = {
        e.name: sorted(core.search_traces([e.experiment_id])["trace_id"])
        for e in core.search_experiments()
    }
    (version,) = core.context.default_client().store().models.versions("agent")
    agent_source = version.source
    tracking.reset()  # let go of the file before MLflow opens it
    theirs = run_mlflow(READ_WITH_MLFLOW, uri=f"sqlite:///{db}")
    assert theirs["experiments"] == ours
    assert theirs["prompts"] == {"1": "This is my prompt", "2": "Updated version of the prompt"}
    assert theirs["agent"] == [agent_source, "READY", "FINISHED"]


def test_the_notebook_only_swaps_mlflow_for_core() -> None:
    """The edits are `import core as mlflow` and `core.` module paths, nothing else."""
    code = "\n".join(cell.source for cell in cells())
    imports = [m.strip() for m in re.findall(r"^[ \t]*(?:import|from) .*$", code, re.MULTILINE)]
    assert "import core as mlflow" in imports
    assert not [line for line in imports if re.search(r"\bmlflow\b", line.split(" as ")[0])]
    assert "from core.genai import scorer" in imports  # from mlflow.genai import scorer
    assert len(cells()) == len(CHECKS)
