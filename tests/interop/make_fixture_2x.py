"""Make `tests/fixtures/mlflow-2.22-tutorial/` with the real MLflow 2.22.5.

Run it from the repository root with an interpreter that has mlflow==2.22.5 and
langchain-ollama (SQLAlchemy 2.0.x and opentelemetry-sdk 1.34.x: MLflow 2.22.5 breaks with
SQLAlchemy 2.1 and with opentelemetry-sdk >= 1.35):

    /tmp/mlflow2-venv/bin/python tests/interop/make_fixture_2x.py

What it does:

1. Starts the stand-in Ollama server (`tests/ollama_server.py`) on a free port.
2. Creates a fresh `/tmp/tracing-tutorial-2.22/`, chdirs there (MLflow's default artifact root
   is `./mlruns` of the process's cwd), then imports mlflow and sets `sqlite:///mlflow.db`.
3. Runs the GenAI tutorial's cells as `tests/fixtures/mlflow-3.18-tutorial/manifest.json`
   lists them, flushing async trace logging after every cell. A cell that fails is recorded
   (the two `mlflow.genai.evaluate` cells: 2.22 has no `mlflow.genai`).
4. Writes `manifest.json` (cells, versions, row counts) beside the database.
5. In a fresh process (`--expected-only`), writes `expected.json`: what MLflow 2.22.5's own
   client returns, in the format of the 3.18 fixture's `expected.json` (`TRACE_INFO_MAPPING`).
6. Copies the folder to `tests/fixtures/mlflow-2.22-tutorial/` and deletes the original
   (unless `--keep-workdir`), so the absolute paths recorded in the database point at a
   `/tmp/tracing-tutorial-2.22/` that is gone: stale, like the other fixtures' paths.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
WORKDIR = Path("/tmp/tracing-tutorial-2.22")
DESTINATION = REPO / "tests" / "fixtures" / "mlflow-2.22-tutorial"
TRACKING_URI = "sqlite:///mlflow.db"
MODEL = "llama3.2:1b"
ABBREVIATE_AT = 400
EVENT_NAMES_KEPT = 5
PACKAGES = (
    "mlflow",
    "mlflow-skinny",
    "mlflow-tracing",
    "langchain",
    "langchain-core",
    "langchain-ollama",
    "ollama",
    "sqlalchemy",
    "alembic",
    "opentelemetry-sdk",
    "pandas",
    "pydantic",
)

ENVIRONMENT_NOTE = (
    "MLflow 2.22.5 needs SQLAlchemy < 2.1 (2.1 has no FallbackAsyncAdaptedQueuePool) and "
    "opentelemetry-sdk < 1.35 (1.45 leaves spans open: 'MlflowSpanProcessor' object has no "
    "attribute '_shutdown'); the venv got sqlalchemy 2.0.58 and opentelemetry-api/sdk 1.34.1"
)
REQUIRED = {"mlflow": "2.22.5"}
TOO_NEW = {"sqlalchemy": (2, 1), "opentelemetry-sdk": (1, 35)}

#: expected.json trace keys (3.x names) <- MLflow 2.22.5 `TraceInfo` (2.x names).
TRACE_INFO_MAPPING = {
    "trace_id": "info.request_id (32 hex, no 'tr-'; not the OTel trace id of the spans)",
    "client_request_id": "None: 2.22 TraceInfo has no client_request_id",
    "state": "info.status.value: OK | ERROR | IN_PROGRESS | TRACE_STATUS_UNSPECIFIED",
    "request_time_ms": "info.timestamp_ms",
    "execution_duration_ms": "info.execution_time_ms",
    "request_preview": "info.request_metadata['mlflow.traceInputs'], None when missing or ''"
    " (2.22 has no previews; its UI shows this metadata)",
    "response_preview": "info.request_metadata['mlflow.traceOutputs'], None when missing or ''",
    "trace_metadata": "info.request_metadata",
    "tags": "info.tags",
    "spans": "MlflowClient().get_trace(request_id).data.spans (read from traces.json)",
    "assessments": "info.assessments (always empty with a SQLite store in 2.22)",
}

AGENT_CODE = """\
from mlflow.models import set_model
from mlflow.pyfunc import ResponsesAgent
from mlflow.types.responses import ResponsesRequest, ResponsesResponse


class SimpleResponsesAgent(ResponsesAgent):
    def predict(self, request: ResponsesRequest) -> ResponsesResponse:
        text = "The result of 4 * 3 in Python is 12."
        return ResponsesResponse(
            output=[
                {
                    "type": "message",
                    "id": "msg_1",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text}],
                }
            ]
        )

    def predict_stream(self, request: ResponsesRequest):
        yield from ()


set_model(SimpleResponsesAgent())
"""

EVAL_QUESTIONS = {
    "What is the Scotland's national animal?": "Unicorn",
    "Who was the first person to build an airplane?": "Wright Brothers",
    "Who wrote Romeo and Juliet?": "William Shakespeare",
}


# --------------------------------------------------------------------------- the tutorial


class Tutorial:
    """The tutorial's cells, in the 3.18 manifest's order; `notes` gathers what they saw."""

    def __init__(self, ollama_url: str, code_path: Path) -> None:
        """Prepare the cells; `code_path` is where the agent's code file will be written."""
        self.ollama_url = ollama_url
        self.code_path = code_path
        self.notes: dict[str, Any] = {}
        self.chat: Any = None

    def cells(self) -> list[tuple[str, Callable[[], None]]]:
        """(name, function) of every cell, named exactly as in the 3.18 manifest."""
        return [
            ("import + set uris + ChatOllama", self.setup),
            ("langchain autolog + chat.invoke", self.autolog_invoke),
            ("search_traces (DataFrame)", self.search_traces),
            ("get_trace", self.get_trace),
            (
                "set_experiment custom_tracing + start_span set_inputs/attribute/outputs",
                self.start_span,
            ),
            ("@mlflow.trace some_tracing", self.decorated_function),
            ("SpanType LLM/RERANKER + custom span type", self.span_types),
            ("chat messages span (system/user/assistant/tool)", self.chat_messages_span),
            ("nested spans outer/innder", self.nested_spans),
            ("set_experiment evaluation_test", self.evaluation_experiment),
            ("genai.evaluate with @scorer some_check", self.evaluate_some_check),
            ("genai.evaluate exp_out inside span 'This trace'", self.evaluate_in_span),
            ("register_prompt x2 + load_prompt + format", self.prompts),
            ("write some_code.py + log_model x2 (registered_model_name=agent)", self.log_agents),
            ("load_model models:/agent@latest + predict", self.load_and_predict),
        ]

    def setup(self) -> None:
        """Import mlflow, point it at ./mlflow.db, build the tutorial's ChatOllama."""
        import mlflow
        from langchain_ollama import ChatOllama

        mlflow.set_tracking_uri(TRACKING_URI)
        mlflow.set_registry_uri(TRACKING_URI)
        self.chat = ChatOllama(model=MODEL, base_url=self.ollama_url, temperature=0)

    def autolog_invoke(self) -> None:
        """LangChain autologging, then one chat call (a ChatOllama trace in Default)."""
        import mlflow

        mlflow.langchain.autolog()
        self.notes["first_answer"] = self.chat.invoke("Hello how are you?").content

    def search_traces(self) -> None:
        """The tutorial's `mlflow.search_traces()` DataFrame of the active experiment."""
        import mlflow

        frame = mlflow.search_traces()
        self.notes["search_traces_columns"] = list(frame.columns)
        self.notes["search_traces_rows_default_experiment"] = len(frame)
        self.notes["first_request_id"] = str(frame.iloc[0]["request_id"])

    def get_trace(self) -> None:
        """Fetch the first trace back by id."""
        import mlflow

        trace = mlflow.get_trace(self.notes["first_request_id"])
        self.notes["first_trace_info"] = trace.info.to_dict()
        self.notes["first_trace_span_names"] = [span.name for span in trace.data.spans]

    def start_span(self) -> None:
        """A manual span with inputs, an attribute and outputs."""
        import mlflow

        mlflow.set_experiment("custom_tracing")
        with mlflow.start_span() as span:
            span.set_inputs("Input request")
            span.set_attribute("hello", "new_value")
            span.set_outputs("Span outputs")

    def decorated_function(self) -> None:
        """A function traced with `@mlflow.trace`."""
        import mlflow

        @mlflow.trace
        def some_tracing(inp: str) -> str:
            return f"<extra information>{inp}<the data>"

        some_tracing("hello")

    def span_types(self) -> None:
        """LLM and RERANKER spans under a span of the free-text type 'custom span'."""
        import mlflow
        from mlflow.entities import SpanType

        @mlflow.trace(span_type=SpanType.LLM, name="my_span", attributes={"attr1": "value1"})
        def llm_span(input: str) -> str:
            return "some value"

        @mlflow.trace(span_type=SpanType.RERANKER)
        def reranker_span(input: str) -> str:
            return "output of rerunker span"

        with mlflow.start_span(name="my_cool_span", span_type="custom span"):
            llm_span("input")
            reranker_span("reranker span input")

    def chat_messages_span(self) -> None:
        """A span whose inputs/outputs are system/user/assistant/tool messages."""
        import mlflow
        from mlflow.entities import SpanType

        with mlflow.start_span(name="my_span", span_type=SpanType.LLM) as span:
            span.set_inputs(
                [
                    {"role": "system", "content": "System prompt"},
                    {"role": "user", "content": "Hello how are you"},
                ]
            )
            span.set_outputs(
                [
                    {"role": "assistant", "content": "Answer of the model"},
                    {"role": "tool", "content": "The tool call"},
                ]
            )

    def nested_spans(self) -> None:
        """Two nested spans (the tutorial's 'innder' spelling kept)."""
        import mlflow

        with mlflow.start_span(name="outer_span") as outer:
            outer.set_inputs("data of outer span")
            with mlflow.start_span(name="innder_span") as inner:
                inner.set_inputs("data of inner span")

    def evaluation_experiment(self) -> None:
        """Switch to the evaluation experiment."""
        import mlflow

        mlflow.set_experiment("evaluation_test")

    def evaluate_some_check(self) -> None:
        """`mlflow.genai.evaluate` with a `@scorer` (fails in 2.22: no mlflow.genai)."""
        import mlflow

        self.notes["has_mlflow_genai_evaluate"] = hasattr(mlflow, "genai")
        from mlflow.genai.scorers import scorer  # 2.22: ModuleNotFoundError

        @scorer
        def some_check(outputs: str) -> bool:
            return len(outputs) < 10

        data = [
            {"inputs": {"question": q}, "expectations": {"expected_response": a}}
            for q, a in EVAL_QUESTIONS.items()
        ]
        mlflow.genai.evaluate(data=data, predict_fn=self.predict_fn, scorers=[some_check])

    def predict_fn(self, question: str) -> str:
        """The evaluation's predict function: one chat call."""
        return str(self.chat.invoke(question).content)

    def evaluate_in_span(self) -> None:
        """`mlflow.genai.evaluate` inside the span 'This trace' (fails in 2.22)."""
        import mlflow

        # The import sits inside the span, so 2.22's failure is recorded on the trace, as
        # 3.1.4 recorded its ImportError from evaluate() inside the same span.
        with mlflow.start_span(name="This trace"):
            from mlflow.genai.scorers import scorer

            @scorer
            def exp_out(outputs: str, expectations: dict[str, str]) -> bool:
                return outputs == "ouputs value" and bool(expectations)

            data = [
                {"inputs": {"inp": "inputs value"}, "expectations": {"exp": "expectations value"}}
            ]
            mlflow.genai.evaluate(
                data=data, predict_fn=lambda inp: "ouputs value", scorers=[exp_out]
            )

    def prompts(self) -> None:
        """Register a prompt twice, load version 2 and format it."""
        import mlflow

        first = mlflow.register_prompt(
            name="knowledge_prompt", template="This is my prompt", commit_message="Initial prompt"
        )
        mlflow.register_prompt(name="knowledge_prompt", template="Updated version of the prompt")
        loaded = mlflow.load_prompt("prompts:/knowledge_prompt/2")
        self.notes["prompt_api"] = "mlflow.register_prompt / mlflow.load_prompt"
        self.notes["prompt_v1_template"] = first.template
        self.notes["prompt_v2_format"] = loaded.format()

    def log_agents(self) -> None:
        """Write the agent's code file and log it twice as registered model 'agent'."""
        import mlflow

        self.code_path.parent.mkdir(parents=True, exist_ok=True)
        self.code_path.write_text(AGENT_CODE, encoding="utf-8")
        self.notes["has_ResponsesAgent"] = hasattr(mlflow.pyfunc, "ResponsesAgent")
        self.notes["code_file_path_used"] = str(self.code_path)
        self.notes["log_model_infos"] = [self.log_agent() for _ in range(2)]

    def log_agent(self) -> dict[str, Any]:
        """Log the agent from code in a new run; return what log_model reported."""
        import mlflow

        with mlflow.start_run():
            info = mlflow.pyfunc.log_model(
                artifact_path="agent",
                python_model=str(self.code_path),
                registered_model_name="agent",
            )
        return {
            "model_uri": info.model_uri,
            "run_id": info.run_id,
            "registered_model_version": str(info.registered_model_version),
            "artifact_path": info.artifact_path,
        }

    def load_and_predict(self) -> None:
        """Load the newest 'agent' version and call predict."""
        import mlflow

        try:
            model = mlflow.pyfunc.load_model("models:/agent@latest")
            self.notes["load_model_uri_used"] = "models:/agent@latest"
        except mlflow.exceptions.MlflowException as error:
            self.notes["load_model_at_latest_error"] = f"{type(error).__name__}: {error}"
            model = mlflow.pyfunc.load_model("models:/agent/latest")
            self.notes["load_model_uri_used"] = "models:/agent/latest"
        request = {
            "input": [{"role": "user", "content": "what is 4*3 in python"}],
            "context": {"conversation_id": "123", "user_id": "456"},
        }
        self.notes["agent_predict_output"] = model.predict(request)


# --------------------------------------------------------------------------- running cells


def flush_traces() -> None:
    """Let MLflow finish writing traces, as the gap between notebook cells would."""
    import mlflow

    mlflow.flush_trace_async_logging()


def is_unsupported(error: BaseException) -> bool:
    """The feature does not exist in this MLflow version (not a failure of the script)."""
    name = getattr(error, "name", None) or ""
    return isinstance(error, ModuleNotFoundError) and name.startswith("mlflow.genai")


def run_cell(name: str, cell: Callable[[], None]) -> dict[str, Any]:
    """Run one cell; return its manifest entry."""
    started = time.perf_counter()
    try:
        cell()
    except Exception as error:
        return {
            "cell": name,
            "seconds": round(time.perf_counter() - started, 3),
            "ok": False,
            "error": f"{type(error).__name__}: {error}",
            "traceback_tail": traceback.format_exc()[-2000:],
            "unsupported": is_unsupported(error),
        }
    return {"cell": name, "seconds": round(time.perf_counter() - started, 3), "ok": True}


def run_tutorial(tutorial: Tutorial) -> list[dict[str, Any]]:
    """Run every cell in order and print one line per cell."""
    results = []
    for index, (name, cell) in enumerate(tutorial.cells()):
        result = run_cell(name, cell)
        if index > 0:  # after the first cell MLflow's tracer exists and can be flushed
            flush_traces()
        print(f"{'ok ' if result['ok'] else 'ERR'} {result['seconds']:7.3f}s {name}", flush=True)
        results.append(result)
    return results


# --------------------------------------------------------------------------- traces.json


V2_SPAN_KEYS = {"name", "context", "parent_id", "start_time", "end_time", "status_code"}


def timestamp_unit(value: int) -> str:
    """'ns' or 'us' for an epoch timestamp of this decade (19 or 16 digits)."""
    return {19: "ns", 16: "us", 13: "ms"}.get(len(str(value)), f"{len(str(value))} digits")


def traces_json_shape(mlruns: Path) -> dict[str, Any]:
    """Check every traces.json has the 2.x shape (SCHEMA.md section 4); summarise it."""
    files = sorted(mlruns.glob("*/traces/*/artifacts/traces.json"))
    span_keys: set[str] = set()
    event_units: dict[str, set[str]] = {}
    for path in files:
        document = json.loads(path.read_text("utf-8"))
        missing = {"spans", "request", "response"} - set(document)
        if missing:
            raise SystemExit(f"{path}: no {sorted(missing)}")
        for span in document["spans"]:
            if not V2_SPAN_KEYS.issubset(span) or set(span["context"]) != {"span_id", "trace_id"}:
                raise SystemExit(f"{path}: span {span.get('name')} is not in the 2.x shape")
            span_keys |= set(span)
            for event in span["events"]:
                event_units.setdefault(event["name"], set()).add(timestamp_unit(event["timestamp"]))
    return {
        "files": len(files),
        "top_level_keys": ["request", "response", "spans"],
        "span_keys": sorted(span_keys),
        "event_timestamp_units": {name: sorted(units) for name, units in event_units.items()},
    }


# --------------------------------------------------------------------------- manifest.json


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that shape the database (None: absent)."""
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def database_facts(db_path: Path) -> dict[str, Any]:
    """Alembic head, experiments and row counts, read with sqlite3 (manifest only)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        counts = {
            t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)
        }
        alembic = [row[0] for row in db.execute("SELECT version_num FROM alembic_version")]
        experiments = [
            {"experiment_id": row[0], "name": row[1], "artifact_location": row[2]}
            for row in db.execute(
                "SELECT experiment_id, name, artifact_location FROM experiments ORDER BY 1"
            )
        ]
    return {"alembic_version": alembic, "experiments": experiments, "table_row_counts": counts}


def write_manifest(
    workdir: Path, cells: list[dict[str, Any]], tutorial: Tutorial, seconds: float
) -> None:
    """Write manifest.json: cells, notes, versions, database facts (as the 3.18 one)."""
    import mlflow

    manifest: dict[str, Any] = {
        "db": "mlflow.db",
        "tracking_uri_used": TRACKING_URI,
        "cwd_used": str(workdir),
        "generator": "tests/interop/make_fixture_2x.py",
        "cells": cells,
        "fake_ollama": tutorial.ollama_url,
        "mlflow_version": mlflow.__version__,
        "notes": {
            **tutorial.notes,
            "flush": "mlflow.flush_trace_async_logging() after every cell",
            "agent": "2.22.5 has mlflow.pyfunc.ResponsesAgent (ResponsesRequest/"
            "ResponsesResponse, no create_text_output_item), logged from code with "
            "artifact_path='agent'; 2.22 has no logged models",
            "evaluate": "2.22.5 has no mlflow.genai: both evaluate cells fail on the import",
            "expected_json_mapping": TRACE_INFO_MAPPING,
            "traces_json": traces_json_shape(workdir / "mlruns"),
            "environment": ENVIRONMENT_NOTE,
        },
        "total_seconds": round(seconds, 2),
        "package_versions": package_versions(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        **database_facts(workdir / "mlflow.db"),
        "artifact_root": str(workdir / "mlruns"),
        "failures": sum(1 for c in cells if not c["ok"] and not c.get("unsupported")),
    }
    text = json.dumps(manifest, indent=2, default=str)
    (workdir / "manifest.json").write_text(text + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- expected.json


def abbreviate(value: Any) -> str:
    """A str as is, anything else as JSON; cut past 400 chars with the full length noted."""
    text = value if isinstance(value, str) else json.dumps(value)
    if len(text) > ABBREVIATE_AT:
        return text[:ABBREVIATE_AT] + f"...<{len(text)} chars>"
    return text


def tree_depth(spans: Iterable[Any]) -> int:
    """Levels in the span tree (a lone root is 1)."""
    parents = {span.span_id: span.parent_id for span in spans}

    def depth(span_id: str | None) -> int:
        level = 0
        while span_id is not None and span_id in parents:
            level += 1
            span_id = parents[span_id]
        return level

    return max((depth(span_id) for span_id in parents), default=0)


def span_record(span: Any) -> dict[str, Any]:
    """One span as expected.json lists it (ids in hex, inputs/outputs abbreviated)."""
    names = [event.name for event in span.events]
    return {
        "span_id": span.span_id,
        "parent_id": span.parent_id,
        "name": span.name,
        "span_type": span.span_type,
        "status": span.status.status_code.value,
        "start_time_ns": span.start_time_ns,
        "end_time_ns": span.end_time_ns,
        "attribute_keys": sorted(span.attributes),
        "inputs": abbreviate(span.inputs),
        "outputs": abbreviate(span.outputs),
        "n_events": len(names),
        "event_names": names[:EVENT_NAMES_KEPT],
    }


def trace_record(trace: Any) -> dict[str, Any]:
    """One trace in expected.json's 3.x keys, from 2.22 names (see TRACE_INFO_MAPPING)."""
    info, spans = trace.info, trace.data.spans
    metadata = dict(info.request_metadata)
    return {
        "trace_id": info.request_id,
        "client_request_id": None,
        "state": info.status.value,
        "request_time_ms": info.timestamp_ms,
        "execution_duration_ms": info.execution_time_ms,
        "request_preview": metadata.get("mlflow.traceInputs") or None,
        "response_preview": metadata.get("mlflow.traceOutputs") or None,
        "trace_metadata": metadata,
        "tags": dict(info.tags),
        "span_count": len(spans),
        "max_depth": tree_depth(spans),
        "spans": [span_record(span) for span in spans],
        "assessments": [assessment.to_dictionary() for assessment in info.assessments],
    }


def run_record(run: Any) -> dict[str, Any]:
    """One run with its metrics, params and tags."""
    return {
        "run_id": run.info.run_id,
        "run_name": run.info.run_name,
        "status": run.info.status,
        "artifact_uri": run.info.artifact_uri,
        "start_time": run.info.start_time,
        "end_time": run.info.end_time,
        "metrics": dict(run.data.metrics),
        "params": dict(run.data.params),
        "tags": dict(run.data.tags),
    }


def experiment_record(client: Any, experiment: Any) -> dict[str, Any]:
    """One experiment with its traces (newest first) and runs (newest first)."""
    import mlflow

    found = mlflow.search_traces(experiment_ids=[experiment.experiment_id], return_type="list")
    traces = [trace_record(client.get_trace(t.info.request_id)) for t in found]
    runs = client.search_runs([experiment.experiment_id])
    return {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "artifact_location": experiment.artifact_location,
        "lifecycle_stage": experiment.lifecycle_stage,
        "tags": dict(experiment.tags),
        "traces": traces,
        "runs": [run_record(run) for run in runs],
        "trace_count": len(traces),
        "trace_states": dict(Counter(trace["state"] for trace in traces)),
    }


def model_versions(client: Any, name: str, prompts: bool) -> list[Any]:
    """Versions of a registered model or prompt, oldest first (2.22 hides prompts unless asked)."""
    prompt_filter = " AND tags.`mlflow.prompt.is_prompt` = 'true'" if prompts else ""
    found = client.search_model_versions(f"name = '{name}'{prompt_filter}")
    return sorted(found, key=lambda version: int(version.version))


def registered_model_record(client: Any, model: Any) -> dict[str, Any]:
    """One registered model (not a prompt) with its versions."""
    versions = [
        {
            "version": int(version.version),
            "source": version.source,
            "run_id": version.run_id,
            "status": version.status,
            "tags": dict(version.tags),
            "aliases": list(version.aliases),
            "model_id": getattr(version, "model_id", None),
        }
        for version in model_versions(client, model.name, prompts=False)
    ]
    return {
        "name": model.name,
        "tags": dict(model.tags),
        "aliases": dict(model.aliases),
        "versions": versions,
    }


def prompt_record(client: Any, model: Any) -> dict[str, Any]:
    """A prompt via 2.22's read-only `load_prompt(name, version)` (3.x's is a write)."""
    loaded = [
        client.load_prompt(model.name, version=int(version.version))
        for version in model_versions(client, model.name, prompts=True)
    ]
    versions = [
        {
            "version": int(prompt.version),
            "template": prompt.template,
            "commit_message": prompt.commit_message,
            "aliases": list(prompt.aliases),
            "tags": dict(prompt.version_metadata),
            "response_format": None,
        }
        for prompt in loaded
    ]
    return {
        "name": model.name,
        "tags": dict(loaded[-1].tags) if loaded else {},
        "versions": versions,
    }


def expected_json(db_path: Path) -> dict[str, Any]:
    """What MLflow 2.22.5's client returns for the database, in the 3.18 expected.json format."""
    import mlflow
    from mlflow import MlflowClient

    uri = f"sqlite:///{db_path}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient()
    prompt_models = client.search_registered_models("tags.`mlflow.prompt.is_prompt` = 'true'")
    return {
        "mlflow_version": mlflow.__version__,
        "experiments": [experiment_record(client, e) for e in mlflow.search_experiments()],
        "registered_models": [
            registered_model_record(client, m) for m in client.search_registered_models()
        ],
        "prompts": [prompt_record(client, m) for m in prompt_models],
        "logged_models": [],
    }


def write_expected(workdir: Path) -> None:
    """Write expected.json beside the database."""
    expected = expected_json(workdir / "mlflow.db")
    text = json.dumps(expected, indent=1, default=str)
    (workdir / "expected.json").write_text(text + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- folders


def fresh_folder(path: Path) -> None:
    """Empty `path`, refusing to delete a folder this script did not make."""
    if path.exists():
        known = {"mlflow.db", "mlruns", "manifest.json", "expected.json"}
        strangers = {child.name for child in path.iterdir()} - known
        if strangers:
            raise SystemExit(f"refusing to delete {path}: it holds {sorted(strangers)}")
        shutil.rmtree(path)
    path.mkdir(parents=True)


def copy_fixture(workdir: Path, destination: Path) -> None:
    """Replace the repository's fixture folder with a copy of the generated one."""
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(workdir, destination)


def check_environment() -> None:
    """Stop early, with the reason, in an interpreter that cannot make this fixture."""
    versions = package_versions()
    problems = [
        f"{name}=={wanted} is required, found {versions.get(name)}"
        for name, wanted in REQUIRED.items()
        if versions.get(name) != wanted
    ]
    for name, limit in TOO_NEW.items():
        found = versions.get(name)
        release = tuple(int(part) for part in (found or "0").split(".")[:2])
        if release >= limit:
            problems.append(f"{name} {found} is too new for MLflow 2.22.5 (need < {limit})")
    if problems:
        raise SystemExit("cannot make the 2.22 fixture here:\n  " + "\n  ".join(problems))


def generate(workdir: Path, destination: Path, keep_workdir: bool = False) -> None:
    """Steps 1-6 of the module docstring."""
    check_environment()
    sys.path.insert(0, str(REPO))
    from tests.ollama_server import OllamaStandIn

    fresh_folder(workdir)
    code_path = workdir.parent / f"{workdir.name}-code" / "some_code.py"
    started = time.perf_counter()
    with OllamaStandIn(models=[MODEL]) as ollama:
        os.chdir(workdir)
        tutorial = Tutorial(ollama.url, code_path)
        cells = run_tutorial(tutorial)
        write_manifest(workdir, cells, tutorial, time.perf_counter() - started)
    shutil.rmtree(code_path.parent, ignore_errors=True)
    script = str(Path(__file__).resolve())
    subprocess.run([sys.executable, script, "--expected-only", str(workdir)], check=True)
    copy_fixture(workdir, destination)
    if not keep_workdir:  # the recorded paths must be stale here too, not only elsewhere
        shutil.rmtree(workdir)
    print(f"wrote {destination}")


def main(argv: list[str] | None = None) -> None:
    """Command line: generate everything, or only expected.json (`--expected-only`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    parser.add_argument("--destination", type=Path, default=DESTINATION)
    parser.add_argument("--expected-only", type=Path, metavar="WORKDIR")
    parser.add_argument("--keep-workdir", action="store_true", help="keep the /tmp original")
    args = parser.parse_args(argv)
    if args.expected_only:
        write_expected(args.expected_only.resolve())
    else:
        generate(args.workdir.resolve(), args.destination.resolve(), args.keep_workdir)


if __name__ == "__main__":
    main()
