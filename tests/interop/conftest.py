"""Run real MLflow 3.18 (the separate `.venv-mlflow` virtualenv) from tests."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def mlflow_python() -> Path | None:
    configured = os.environ.get("TRACEDESK_MLFLOW_PYTHON")
    path = Path(configured) if configured else REPO / ".venv-mlflow" / "bin" / "python"
    return path if path.exists() else None


class MlflowRunner:
    """Runs a Python snippet with real MLflow in a child process; returns its JSON output."""

    def __init__(self, python: Path, workdir: Path) -> None:
        self.python = python
        self.workdir = workdir

    def __call__(self, script: str, **variables: Any) -> Any:
        prelude = (
            "import json, sys, warnings\n"
            "warnings.filterwarnings('ignore')\n"
            f"ARGS = json.loads({json.dumps(json.dumps(variables))})\n"
        )
        env = {**os.environ, "MLFLOW_TRACKING_URI": "", "PYTHONWARNINGS": "ignore"}
        env.pop("MLFLOW_TRACKING_URI")
        done = subprocess.run(
            [str(self.python), "-c", prelude + script],
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"MLflow script failed:\n{done.stderr[-4000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def run_mlflow(tmp_path: Path) -> MlflowRunner:
    python = mlflow_python()
    if python is None:
        if os.environ.get("TRACEDESK_MLFLOW_PYTHON"):  # make test asked for it: a real failure
            pytest.fail(
                f"TRACEDESK_MLFLOW_PYTHON={os.environ['TRACEDESK_MLFLOW_PYTHON']} is missing"
            )
        pytest.skip("real MLflow 3.18 is not installed: run `make mlflow-venv` (make test does)")
    return MlflowRunner(python, tmp_path)
