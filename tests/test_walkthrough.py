"""examples/walkthrough.py writes what the MLflow 3.18 tutorial wrote, ids and times aside.

The script runs once, in a child process of the project's interpreter, against the stand-in
Ollama server; its database is compared experiment by experiment, trace by trace and span by
span with tests/fixtures/mlflow-3.18-tutorial, which real MLflow wrote from the same tutorial.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import core
from core import tracking
from core.entities import Span, Trace
from tests.conftest import load_expected
from tests.ollama_server import OllamaStandIn

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "examples" / "walkthrough.py"

#: Differ by nature (ids) or are LangChain's own (package versions in `metadata`).
VOLATILE_ATTRIBUTES = frozenset({"mlflow.traceRequestId", "mlflow.spanLogLevel"})


@pytest.fixture(scope="module")
def walkthrough_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("walkthrough") / "mlflow.db"
    env = {k: v for k, v in os.environ.items() if k != "TRACEDESK_OLLAMA_URL"}
    with OllamaStandIn() as server:
        done = subprocess.run(
            [sys.executable, str(SCRIPT), str(db), "--ollama-url", server.url],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-4000:]
        assert [r["messages"][-1]["content"] for r in server.chat_requests] == [
            "Hello how are you?"
        ]
    assert "Done:" in done.stdout
    return db


@pytest.fixture
def reading() -> Iterator[None]:
    yield
    tracking.reset()


def snapshot(db: Path) -> dict[str, list[dict[str, Any]]]:
    """Each experiment's traces, oldest first, with what must match and nothing that may not."""
    return {name: [trace_summary(t) for t in traces] for name, traces in read_traces(db).items()}


def read_traces(db: Path) -> dict[str, list[Trace]]:
    """Each experiment's traces in start order (the walkthrough starts several per millisecond,
    so the nanosecond start of the root span orders them, not `timestamp_ms`)."""
    core.set_tracking_uri(f"sqlite:///{db}")
    found = {}
    for experiment in core.search_experiments():
        frame = core.search_traces(locations=[experiment.experiment_id])
        traces = [t for t in (core.get_trace(i) for i in frame.trace_id) if t is not None]
        found[experiment.name] = sorted(
            traces, key=lambda t: min(s.start_time_ns for s in t.data.spans)
        )
    return found


def trace_summary(trace: Trace) -> dict[str, Any]:
    usage = trace.info.token_usage
    names = {s.span_id: s.name for s in trace.data.spans}
    spans = sorted(trace.data.spans, key=lambda s: s.start_time_ns)
    return {
        "name": trace.info.name,
        "state": trace.info.state,
        "request_preview": trace.info.request_preview,
        "response_preview": trace.info.response_preview,
        "token_usage": usage.to_dict() if usage else None,
        "spans": [span_summary(s, names.get(s.parent_id or "")) for s in spans],
    }


def span_summary(span: Span, parent: str | None) -> dict[str, Any]:
    attributes = {k: v for k, v in span.attributes.items() if k not in VOLATILE_ATTRIBUTES}
    if isinstance(attributes.get("metadata"), dict):
        attributes["metadata"] = {**attributes["metadata"], "lc_versions": "installed packages"}
    return {
        "name": span.name,
        "type": span.span_type,
        "parent": parent,
        "status": (span.status_code, span.status_message),
        "inputs": span.inputs,
        "outputs": span.outputs,
        "attributes": attributes,
        "events": [(e.name, e.attributes.get("token")) for e in span.events],
    }


def test_experiments_are_the_tutorials(walkthrough_db: Path, db318: Path, reading: None) -> None:
    ours, real = snapshot(walkthrough_db), snapshot(db318)
    assert {"Default", "custom_tracing"} <= set(ours) <= set(real)


@pytest.mark.parametrize("experiment", ["Default", "custom_tracing"])
def test_traces_match_the_fixture(
    walkthrough_db: Path, db318: Path, reading: None, experiment: str
) -> None:
    ours, real = snapshot(walkthrough_db)[experiment], snapshot(db318)[experiment]
    assert [t["name"] for t in ours] == [t["name"] for t in real]
    for mine, theirs in zip(ours, real, strict=True):
        assert mine == theirs


def test_the_chat_trace_has_mlflows_token_counts(walkthrough_db: Path, reading: None) -> None:
    (chat,) = snapshot(walkthrough_db)["Default"]
    assert chat["token_usage"] == {"input_tokens": 35, "output_tokens": 25, "total_tokens": 60}
    assert [name for name, _ in chat["spans"][0]["events"]] == ["new_token"] * 26


def test_span_log_levels_match_the_fixture(
    walkthrough_db: Path, db318: Path, reading: None
) -> None:
    def levels(db: Path) -> list[tuple[str, Any]]:
        traces = read_traces(db)
        spans = [s for e in ("Default", "custom_tracing") for t in traces[e] for s in t.data.spans]
        ordered = sorted(spans, key=lambda s: s.start_time_ns)
        return [(s.name, s.attributes.get("mlflow.spanLogLevel")) for s in ordered]

    assert levels(walkthrough_db) == levels(db318)


def load_walkthrough(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("walkthrough", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # its dataclass resolves annotations through sys.modules
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_ollama_url_from_flag_environment_or_default(monkeypatch: pytest.MonkeyPatch) -> None:
    walkthrough = load_walkthrough(monkeypatch)
    monkeypatch.delenv("TRACEDESK_OLLAMA_URL", raising=False)
    assert walkthrough.parse_args(["x.db"]).ollama_url == "http://127.0.0.1:11434"
    monkeypatch.setenv("TRACEDESK_OLLAMA_URL", "http://ollama.test:1")
    assert walkthrough.parse_args(["x.db"]).ollama_url == "http://ollama.test:1"
    flagged = walkthrough.parse_args(["x.db", "--ollama-url", "http://other:2"])
    assert flagged.ollama_url == "http://other:2"


# --------------------------------------------------------------------------- prompts


def prompt_versions(db: Path, name: str) -> list[dict[str, Any]]:
    """The versions of prompt `name` as expected.json describes them."""
    core.set_tracking_uri(f"sqlite:///{db}")
    versions = []
    for number in (1, 2):
        prompt = core.load_prompt(name, version=number)
        assert prompt is not None
        versions.append(
            {
                "version": prompt.version,
                "template": prompt.template,
                "commit_message": prompt.commit_message,
                "aliases": list(prompt.aliases),
                "tags": dict(prompt.tags),
                "response_format": prompt.response_format,
            }
        )
    return versions


def test_prompts_match_the_fixture(walkthrough_db: Path, db318: Path, reading: None) -> None:
    """Register twice, load versions 1 and 2, format: the versions real MLflow wrote.

    The prompt-level `_mlflow_experiment_ids` tag names the experiment active when it was
    registered: the tutorial had run its evaluation cells (experiment 2) by then, this script
    registers it after the tracing cells, so only the versions are compared.
    """
    (expected,) = load_expected(db318)["prompts"]
    ours = prompt_versions(walkthrough_db, expected["name"])
    assert ours == expected["versions"]
    assert prompt_versions(db318, expected["name"]) == expected["versions"]
    core.set_tracking_uri(f"sqlite:///{walkthrough_db}")
    assert [p.name for p in core.search_prompts()] == ["knowledge_prompt"]
    second = core.load_prompt("prompts:/knowledge_prompt/2")
    assert second is not None and second.format() == "Updated version of the prompt"
