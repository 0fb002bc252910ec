"""`tracedesk-cli` / `python -m core`: tables and JSON for terminals and scripts."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main

NESTED = "tr-8994d05b63f61f086eee7e8a1d4106e8"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


def test_traces_table_and_json(db318: Path) -> None:
    status, text = run("traces", str(db318), "--experiment", "1")
    assert status == 0
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["trace", "id", "name"]
    assert len(lines) == 6 and "outer_span" in lines[1]
    status, text = run("traces", str(db318), "-f", "span.type = 'RERANKER'", "--json")
    assert [json.loads(line)["trace_id"] for line in text.splitlines()] == [NESTED]


def test_one_trace_as_json_and_as_a_tree(db318: Path) -> None:
    status, text = run("trace", str(db318), NESTED)
    assert status == 0 and json.loads(text)["info"]["trace_id"] == NESTED
    status, text = run("trace", str(db318), NESTED, "--spans")
    assert text.splitlines() == [
        "my_cool_span  [custom span]  OK  1.3 ms",
        "  my_span  [LLM]  OK  0.3 ms",
        "  reranker_span  [RERANKER]  OK  0.2 ms",
    ]


def test_prompts_and_experiments(db318: Path) -> None:
    assert "knowledge_prompt  2" in run("prompts", str(db318))[1]
    (record,) = [json.loads(line) for line in run("prompts", str(db318), "--json")[1].splitlines()]
    assert record["name"] == "knowledge_prompt" and record["latest_version"] == 2
    experiments = [
        json.loads(line) for line in run("experiments", str(db318), "--json")[1].splitlines()
    ]
    assert {(e["name"], e["traces"]) for e in experiments} == {
        ("evaluation_test", 6),
        ("custom_tracing", 5),
        ("Default", 1),
    }


def test_errors_are_one_clear_line(
    db318: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("traces", str(tmp_path / "missing.db"))[0] == 1
    assert "does not exist" in capsys.readouterr().err
    assert run("traces", str(db318), "-f", "trace.status =")[0] == 2
    assert "Expected" in capsys.readouterr().err
    assert run("trace", str(db318), "tr-nope")[0] == 1
    assert "does not exist" in capsys.readouterr().err


def test_python_dash_m_core(db318: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "core", "experiments", str(db318)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "custom_tracing" in done.stdout
