"""The bundle's entry point, run from source: the same dispatch the frozen program does."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

import app.__main__
import app.demo
from tests.packaging.helpers import PACKAGING, load_script

ENTRY = PACKAGING / "tracedesk_entry.py"


def test_the_entry_point_and_app_demo_agree_on_the_flag() -> None:
    assert load_script("tracedesk_entry").BUILD_DEMO_FLAG == app.demo.BUILD_DEMO_FLAG


def test_build_demo_runs_the_recipe_without_qt(tmp_path: Path) -> None:
    """The bundle's demo child, `tracedesk --build-demo OUT`, in a child Python here."""
    out = tmp_path / "demo.db"
    child = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('entry', {str(ENTRY)!r})\n"
        "entry = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(entry)\n"
        "code = entry.run(['--build-demo', sys.argv[1]])\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt was loaded'\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", child, str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "progress" in result.stderr and "Wrote" in result.stdout
    with sqlite3.connect(out) as connection:
        assert connection.execute("SELECT count(*) FROM trace_info").fetchone()[0] > 100


def test_anything_else_goes_to_the_application(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Sequence[str] | None] = []

    def fake_main(argv: Sequence[str] | None = None) -> int:
        seen.append(argv)
        return 7

    monkeypatch.setattr(app.__main__, "main", fake_main)
    assert load_script("tracedesk_entry").run(["--version"]) == 7
    assert seen == [["--version"]]
