"""Replay the MLflow GenAI tutorial with real MLflow 3.18 against any tracking URI (PostgreSQL).

Run with the MLflow interpreter (`.venv-mlflow`, which `make mlflow-venv` gives langchain-ollama
and psycopg), from an empty working folder (MLflow's artifact root is `./mlruns` of the cwd):

    .venv-mlflow/bin/python tests/interop/replay_tutorial_postgres.py \\
        --tracking-uri postgresql+psycopg://tracedesk@127.0.0.1:5432/tutorial \\
        --ollama-url http://127.0.0.1:11434 --out golden.json

It runs the cells `make_fixture_2x.Tutorial` runs for the SQLite fixtures (autologged ChatOllama
against the stand-in Ollama server, a manual span, `@mlflow.trace`, span types, chat messages,
nested spans, two `mlflow.genai.evaluate` with scorers, `register_prompt` twice, the agent
logged twice and called), flushing traces after every cell, then writes what MLflow itself
returns for the store: `search_traces` of every experiment and `get_trace(...).to_json()` of
every trace (the format of tests/fixtures/*/golden.json), the prompt versions and the
registered model versions. The exit status is 1 when a cell failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.interop.make_fixture_2x import MODEL, Tutorial, run_tutorial  # noqa: E402

#: The agent of the 3.18 fixture (mlruns/2/models/*/artifacts/some_code.py), 3.x names.
AGENT_CODE = """\
from mlflow.models import set_model
from mlflow.pyfunc import ResponsesAgent
from mlflow.types.responses import ResponsesAgentRequest, ResponsesAgentResponse


class SimpleResponsesAgent(ResponsesAgent):
    def predict(self, request: ResponsesAgentRequest) -> ResponsesAgentResponse:
        text = "The result of 4 * 3 in Python is 12."
        return ResponsesAgentResponse(output=[self.create_text_output_item(text=text, id="msg_1")])


set_model(SimpleResponsesAgent())
"""


class ServerTutorial(Tutorial):
    """The tutorial's cells with the tracking and registry URIs pointed at `tracking_uri`."""

    def __init__(self, ollama_url: str, code_path: Path, tracking_uri: str) -> None:
        super().__init__(ollama_url, code_path)
        self.tracking_uri = tracking_uri

    def setup(self) -> None:
        import mlflow
        from langchain_ollama import ChatOllama

        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        self.chat = ChatOllama(model=MODEL, base_url=self.ollama_url, temperature=0)

    def search_traces(self) -> None:
        """The tutorial's `mlflow.search_traces()` (MLflow 3 calls the id column trace_id)."""
        import mlflow

        frame = mlflow.search_traces()
        self.notes["search_traces_rows_default_experiment"] = len(frame)
        self.notes["first_request_id"] = str(frame.iloc[0]["trace_id"])

    def log_agents(self) -> None:
        """The 3.x agent, logged twice by name as registered model 'agent'."""
        import mlflow

        self.code_path.write_text(AGENT_CODE, encoding="utf-8")
        for _ in range(2):
            with mlflow.start_run():
                mlflow.pyfunc.log_model(
                    name="agent", python_model=str(self.code_path), registered_model_name="agent"
                )


def golden(tracking_uri: str) -> dict[str, Any]:
    """What MLflow returns for the store (tests/interop/make_golden.py), its prompts and agents."""
    from tests.interop.make_golden import traces_golden

    return {**traces_golden(tracking_uri), "prompts": _prompts(), "models": _models()}


def _prompts() -> dict[str, Any]:
    import mlflow

    out = {}
    for version in (1, 2):
        prompt = mlflow.genai.load_prompt(f"prompts:/knowledge_prompt/{version}")
        out[str(version)] = {"template": prompt.template, "commit_message": prompt.commit_message}
    return out


def _models() -> list[dict[str, Any]]:
    from mlflow import MlflowClient

    versions = MlflowClient().search_model_versions("name = 'agent'")
    return sorted(
        ({"version": int(v.version), "source": v.source, "run_id": v.run_id} for v in versions),
        key=lambda v: v["version"],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracking-uri", required=True)
    parser.add_argument("--ollama-url", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    tutorial = ServerTutorial(args.ollama_url, Path.cwd() / "some_code.py", args.tracking_uri)
    cells = run_tutorial(tutorial)
    failed = [c for c in cells if not c["ok"]]
    result = golden(args.tracking_uri)
    result["cells"] = cells
    args.out.write_text(json.dumps(result, indent=1, default=str), "utf-8")
    for cell in failed:
        print(f"cell {cell['cell']!r} failed: {cell['error']}\n{cell['traceback_tail']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
