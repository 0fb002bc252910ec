"""Creating a fresh tracking database in exactly the layout MLflow 3.18.0 creates.

The SQL is MLflow 3.18's own (read from a database it made), so MLflow opens the result
without `mlflow db upgrade`.
"""

from __future__ import annotations

import sqlite3
import time
from importlib import resources
from pathlib import Path

from core.errors import StoreError
from core.store.revisions import HEAD_REVISION


def schema_sql() -> str:
    return resources.files("core.store").joinpath("mlflow_3_18_sqlite.sql").read_text("utf-8")


def create_sqlite_database(path: Path, artifact_root: Path | None = None) -> None:
    """Create `path` with MLflow 3.18's tables, its alembic revision and the Default experiment.

    `artifact_root` defaults to `mlruns/` beside the file, as MLflow's default.
    """
    if path.exists() and path.stat().st_size > 0:
        raise StoreError(f"{path} already exists; refusing to create a database over it.")
    root = (artifact_root or path.parent / "mlruns").resolve()
    now = int(time.time() * 1000)
    connection = sqlite3.connect(path)
    try:
        # One transaction: executescript would otherwise commit (and fsync) every statement.
        connection.executescript(f"BEGIN;\n{schema_sql()}\nCOMMIT;")
        with connection:
            connection.execute(
                "INSERT INTO alembic_version (version_num) VALUES (?)", (HEAD_REVISION,)
            )
            connection.execute(
                "INSERT INTO workspaces (name, description) VALUES ('default', ?)",
                ("Default workspace for legacy resources",),
            )
            connection.execute(
                "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage,"
                " creation_time, last_update_time, workspace)"
                " VALUES (0, 'Default', ?, 'active', ?, ?, 'default')",
                (str(root / "0"), now, now),
            )
    finally:
        connection.close()
