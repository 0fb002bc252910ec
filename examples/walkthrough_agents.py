"""The MLflow GenAI tutorial's two agent cells, written with `core`.

    python examples/walkthrough_agents.py /tmp/demo/mlflow.db

Cell "write some_code.py + log_model x2 (registered_model_name=agent)": a ResponsesAgent is
written to a temporary some_code.py ("models from code"), then logged twice, each time inside
`with core.start_run():` as the tutorial does; each log goes in its run and makes a logged
model folder (MLmodel, the code file, requirements and environment files, input
examples) and a version of the registered model `agent`. The temporary file is gone afterwards,
as the tutorial's /tmp/some_code.py was: MLmodel still names it, and the copy in the model
folder is what runs.

Cell "load_model models:/agent@latest + predict": the newest version (2) is loaded, its copy of
some_code.py runs, and "what is 4*3 in python" gets the tutorial's answer. The call is traced:
an AGENT span `predict` whose trace carries the metadata `mlflow.modelId` of version 2, as in
the database real MLflow 3.18 wrote (tests/fixtures/mlflow-3.18-tutorial).

The tutorial's code file imports mlflow; this one imports `core`, so it runs without MLflow.
tests/test_walkthrough_agents.py runs this script and compares what it stored with the fixture.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import core

AGENT_CODE = """\
import core

ANSWER = "The result of 4 * 3 in Python is 12."


class SimpleResponsesAgent(core.ResponsesAgent):
    def predict(self, request: core.ResponsesAgentRequest) -> core.ResponsesAgentResponse:
        return core.ResponsesAgentResponse(
            output=[self.create_text_output_item(text=ANSWER, id="msg_1")]
        )


core.set_model(SimpleResponsesAgent())
"""
REQUEST = {
    "input": [{"role": "user", "content": "what is 4*3 in python"}],
    "context": {"conversation_id": "123", "user_id": "456"},
}


def log_agents() -> list[core.ModelInfo]:
    """Cell "write some_code.py + log_model x2 (registered_model_name=agent)"."""
    with tempfile.TemporaryDirectory() as folder:
        code_path = Path(folder) / "some_code.py"
        code_path.write_text(AGENT_CODE, "utf-8")
        infos = []
        for _ in range(2):
            with core.start_run():
                infos.append(
                    core.pyfunc.log_model(
                        python_model=code_path, name="agent", registered_model_name="agent"
                    )
                )
        return infos


def load_and_predict() -> tuple[dict[str, object], str | None]:
    """Cell "load_model models:/agent@latest + predict"; returns the answer and its trace."""
    model = core.load_model("models:/agent@latest")
    return model.predict(REQUEST), model.last_trace_id


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("database", type=Path, help="SQLite file to write (created if missing)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.database.parent.mkdir(parents=True, exist_ok=True)
    core.set_tracking_uri(f"sqlite:///{args.database.resolve()}")
    core.set_experiment("evaluation_test")
    for info in log_agents():
        print(f"logged {info.model_uri} as agent v{info.registered_model_version}")
    answer, trace_id = load_and_predict()
    core.flush_trace_async_logging()  # the predict trace is in the database before we say so
    print(json.dumps(answer))
    print(f"Done: {args.database} (trace {trace_id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
