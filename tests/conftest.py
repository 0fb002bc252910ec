"""Shared fixtures: temporary copies of the real MLflow databases in tests/fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_NAMES = ("mlflow-3.18-tutorial", "mlflow-3.1-tutorial", "mlflow-2.22-tutorial")

pytest_plugins = ["tests.ollama_fixtures", "tests.postgres_fixtures"]


def copy_fixture(name: str, destination: Path) -> Path:
    """Copy fixture folder `name` under `destination`; return the copied mlflow.db path."""
    target = destination / name
    shutil.copytree(FIXTURES / name, target)
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target / "mlflow.db"


@pytest.fixture(params=FIXTURE_NAMES)
def fixture_db(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Each real MLflow database, copied so tests never touch the originals."""
    return copy_fixture(request.param, tmp_path)


@pytest.fixture
def db318(tmp_path: Path) -> Path:
    return copy_fixture("mlflow-3.18-tutorial", tmp_path)


@pytest.fixture
def db222(tmp_path: Path) -> Path:
    return copy_fixture("mlflow-2.22-tutorial", tmp_path)


@pytest.fixture
def db31(tmp_path: Path) -> Path:
    return copy_fixture("mlflow-3.1-tutorial", tmp_path)


def load_expected(db_path: Path) -> dict:
    return json.loads((db_path.parent / "expected.json").read_text("utf-8"))
