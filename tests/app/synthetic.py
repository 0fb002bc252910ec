"""A synthetic MLflow 3.18 database with thousands of traces, built in well under a second."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from core.store.ddl import create_sqlite_database

BASE_MS = 1_795_677_585_718  # 2026-11-26, like the fixtures
LOAD_TEST = "1"
SMALL = "2"
DELETED = "3"


@dataclass(frozen=True)
class SyntheticDb:
    path: Path
    traces: dict[
        str, list[tuple[str, int]]
    ]  # experiment id -> [(trace id, timestamp)] newest first


def _request(i: int) -> str:
    if i % 5 == 0:
        return f"Line one of request {i}\n\tline two with  spaces\nline three " + "x" * 400
    return f'{{"question": "What is {i} + {i}?"}}'


def _row(i: int, experiment_id: str) -> tuple[object, ...]:
    state = "ERROR" if i % 7 == 3 else "IN_PROGRESS" if i % 50 == 49 else "OK"
    duration = None if state == "IN_PROGRESS" else (i * 37) % 90_000
    tokens = None if i % 4 == 0 else 10 + i % 3000
    return (
        f"tr-{i:032x}",
        int(experiment_id),
        BASE_MS - (i // 2) * 1500,  # pairs share a timestamp: the keyset's tie-break matters
        duration,
        state,
        _request(i),
        f"The answer is {2 * i}.",
        0,
        f"pipeline_{i % 3}",
        tokens,
    )


EXPERIMENTS = [
    (LOAD_TEST, "load-test", "active"),
    (SMALL, "small <b>i18n</b> ✨ 多言語", "active"),  # newest; untrusted-looking name
    (DELETED, "scratch-old", "deleted"),
]


def _insert_experiments(connection: sqlite3.Connection, root: Path) -> None:
    connection.execute(  # Default is the oldest, so the order is predictable
        "UPDATE experiments SET creation_time = ?, last_update_time = ? WHERE experiment_id = 0",
        (BASE_MS, BASE_MS),
    )
    for age, (experiment_id, name, stage) in enumerate(EXPERIMENTS, start=1):
        connection.execute(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage,"
            " creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)",
            (int(experiment_id), name, str(root / experiment_id), stage, BASE_MS + age, BASE_MS),
        )


def _insert_traces(connection: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    connection.executemany(
        "INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms,"
        " status, request_preview, response_preview, db_payload_generation, trace_name,"
        " total_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def build_synthetic_db(path: Path, load_traces: int = 3000, small_traces: int = 40) -> SyntheticDb:
    """Experiments: load-test (`load_traces`), small (`small_traces`), a deleted one with 3,
    and an empty Default."""
    create_sqlite_database(path)
    plan = [(LOAD_TEST, load_traces), (SMALL, small_traces), (DELETED, 3)]
    traces: dict[str, list[tuple[str, int]]] = {}
    connection = sqlite3.connect(path)
    with connection:
        _insert_experiments(connection, path.parent / "mlruns")
        first = 0
        for experiment_id, count in plan:
            rows = [_row(first + k, experiment_id) for k in range(count)]
            first += count
            _insert_traces(connection, rows)
            pairs = [(str(r[0]), int(str(r[2]))) for r in rows]
            traces[experiment_id] = sorted(pairs, key=lambda t: (t[1], t[0]), reverse=True)
    connection.close()
    return SyntheticDb(path, traces)
