"""Prompts round-trip with real MLflow 3.18 in both directions."""

from __future__ import annotations

from pathlib import Path

import pytest

import core
from core import tracking
from tests.interop.conftest import MlflowRunner

pytestmark = pytest.mark.interop

LOAD_WITH_MLFLOW = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
out = {}
for uri in ARGS["uris"]:
    p = mlflow.genai.load_prompt(uri)
    out[uri] = {"version": int(p.version), "template": p.template,
                "commit_message": p.commit_message, "aliases": sorted(p.aliases or [])}
print(json.dumps(out))
"""

REGISTER_WITH_MLFLOW = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
mlflow.genai.register_prompt(name="from_mlflow", template="Hi {{name}}", commit_message="by mlflow")
mlflow.genai.register_prompt(
    name="from_mlflow",
    template=[{"role": "user", "content": "Hi {{name}}"}],
    commit_message="chat now",
)
mlflow.genai.set_prompt_alias("from_mlflow", alias="production", version=2)
print(json.dumps({"ok": True}))
"""


def test_mlflow_loads_what_core_registered(db318: Path, run_mlflow: MlflowRunner) -> None:
    core.set_tracking_uri(db318)
    try:
        core.register_prompt("knowledge_prompt", "v3 with {{ topic }}", commit_message="third")
        core.register_prompt("support", [{"role": "system", "content": "Be {{tone}}"}], "chat one")
        core.set_prompt_alias("knowledge_prompt", "production", 3)
    finally:
        tracking.reset()
    uris = [
        "prompts:/knowledge_prompt@production",
        "prompts:/support/1",
        "prompts:/knowledge_prompt/1",
    ]
    seen = run_mlflow(LOAD_WITH_MLFLOW, uri=f"sqlite:///{db318}", uris=uris)
    assert seen[uris[0]] == {
        "version": 3,
        "template": "v3 with {{ topic }}",
        "commit_message": "third",
        "aliases": ["production"],
    }
    assert seen[uris[1]]["template"] == [{"role": "system", "content": "Be {{tone}}"}]
    assert seen[uris[1]]["commit_message"] == "chat one"
    assert seen[uris[2]]["template"] == "This is my prompt"


def test_core_loads_what_mlflow_registered(db318: Path, run_mlflow: MlflowRunner) -> None:
    assert run_mlflow(REGISTER_WITH_MLFLOW, uri=f"sqlite:///{db318}") == {"ok": True}
    core.set_tracking_uri(db318)
    try:
        first = core.load_prompt("prompts:/from_mlflow/1")
        second = core.load_prompt("prompts:/from_mlflow@production")
    finally:
        tracking.reset()
    assert first is not None and second is not None
    assert (first.template, first.commit_message) == ("Hi {{name}}", "by mlflow")
    assert second.template == [{"role": "user", "content": "Hi {{name}}"}]
    assert second.format(name="Ada") == [{"role": "user", "content": "Hi Ada"}]
