"""The demo database, built once for the labelling tests; each test works on its own copy."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import tracking
from core.demo import build


@pytest.fixture(scope="session")
def built_labeling_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("labeling-demo") / "demo.db"
    build.build_demo_database(path)
    yield path
    tracking.reset()  # the build set core's global tracking URI


@pytest.fixture
def demo(built_labeling_demo: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "demo.db"
    shutil.copy(built_labeling_demo, copy)
    return copy
