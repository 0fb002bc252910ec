"""Creating a fresh tracking database in exactly the layout MLflow 3.18.0 creates, and the rows
MLflow expects in every store: the `default` workspace and the Default experiment (id 0).

The SQL is MLflow 3.18's own (read from a database it made), so MLflow opens the result
without `mlflow db upgrade`.
"""

from __future__ import annotations

import sqlite3
import time
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, Text

from core.errors import StoreError
from core.store.revisions import HEAD_REVISION

#: The workspace every row of a single-tenant MLflow store belongs to (`experiments.workspace`).
DEFAULT_WORKSPACE = "default"
#: The description MLflow's migration gives the `default` workspace row.
DEFAULT_WORKSPACE_DESCRIPTION = "Default workspace for legacy resources"
DEFAULT_EXPERIMENT_ID = 0
DEFAULT_EXPERIMENT_NAME = "Default"

workspaces = Table(
    "workspaces",
    MetaData(),
    Column("name", String(63), primary_key=True),
    Column("description", Text),
)


def schema_sql() -> str:
    return resources.files("core.store").joinpath("mlflow_3_18_sqlite.sql").read_text("utf-8")


def default_experiment_row(artifact_root: str, now_ms: int) -> dict[str, Any]:
    """The `experiments` row of Default as MLflow's `_create_default_experiment` writes it."""
    return {
        "experiment_id": DEFAULT_EXPERIMENT_ID,
        "name": DEFAULT_EXPERIMENT_NAME,
        "artifact_location": f"{artifact_root.rstrip('/')}/{DEFAULT_EXPERIMENT_ID}",
        "lifecycle_stage": "active",
        "creation_time": now_ms,
        "last_update_time": now_ms,
        "workspace": DEFAULT_WORKSPACE,
    }


def create_sqlite_database(path: Path, artifact_root: Path | None = None) -> None:
    """Create `path` with MLflow 3.18's tables, its alembic revision and the Default experiment.

    `artifact_root` defaults to `mlruns/` beside the file, as MLflow's default.
    """
    if path.exists() and path.stat().st_size > 0:
        raise StoreError(f"{path} already exists; refusing to create a database over it.")
    root = (artifact_root or path.parent / "mlruns").resolve()
    default = default_experiment_row(str(root), int(time.time() * 1000))
    connection = sqlite3.connect(path)
    try:
        # One transaction: executescript would otherwise commit (and fsync) every statement.
        connection.executescript(f"BEGIN;\n{schema_sql()}\nCOMMIT;")
        with connection:
            connection.execute(
                "INSERT INTO alembic_version (version_num) VALUES (?)", (HEAD_REVISION,)
            )
            connection.execute(
                "INSERT INTO workspaces (name, description) VALUES (?, ?)",
                (DEFAULT_WORKSPACE, DEFAULT_WORKSPACE_DESCRIPTION),
            )
            columns = ", ".join(default)
            marks = ", ".join("?" for _ in default)
            connection.execute(
                f"INSERT INTO experiments ({columns}) VALUES ({marks})", tuple(default.values())
            )
    finally:
        connection.close()
