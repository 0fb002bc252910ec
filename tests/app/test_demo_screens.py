"""The demo database in the real window: the kinds of traces it was made to show off.

TRACEDESK_SHOTS=shots QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest tests/app -k demo_shot
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

import pytest
from pytestqt.exceptions import TimeoutError as SignalTimeout
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from core.demo.build import build_demo_database
from tests.app.helpers import open_and_wait, select_experiment


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "mlflow.db"
    build_demo_database(path)
    return path


def trace_where(db: Path, sql: str) -> tuple[str, str]:
    """(experiment id, trace id) of the newest trace matching `sql` (a WHERE clause)."""
    with sqlite3.connect(db) as connection:
        row = connection.execute(
            f"SELECT experiment_id, request_id FROM trace_info t WHERE {sql} "
            "ORDER BY timestamp_ms DESC LIMIT 1"
        ).fetchone()
    assert row is not None, sql
    return str(row[0]), str(row[1])


CASES = {
    "agent-tool-calls": "EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.request_id "
    "AND s.type = 'TOOL') AND trace_name LIKE '%agent%'",
    "rag-reranker": "EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.request_id "
    "AND s.type = 'RERANKER')",
    "error": "status = 'ERROR'",
    "responses-agent": "trace_name = 'predict'",
    "big-batch": "(SELECT count(*) FROM spans s WHERE s.trace_id = t.request_id) >= 2000",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_demo_shot(qtbot: QtBot, window: MainWindow, demo_db: Path, case: str) -> None:
    experiment_id, trace_id = trace_where(demo_db, CASES[case])
    window.resize(1500, 900)
    window.show()
    qtbot.waitExposed(window)
    open_and_wait(qtbot, window, demo_db)
    if window.experiment_view.current_experiment_id != experiment_id:
        with contextlib.suppress(SignalTimeout):  # the shot is nicer with it; not the test's point
            select_experiment(qtbot, window, experiment_id)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=20_000):
        window.commands.go_to_trace(trace_id)
    assert window.shown_trace_id == trace_id
    qtbot.wait(100)
    folder = Path(os.environ.get("TRACEDESK_SHOTS") or demo_db.parent)
    folder.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(folder / f"demo-{case}.png"))
