"""The write side of a store: short transactions that add rows the way MLflow 3.18 does.

Writes take SQLite's write lock up front (`BEGIN IMMEDIATE`) so two writers queue on the busy
timeout instead of failing mid-transaction, and a locked database is retried, never dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from sqlalchemy import Connection, Engine, insert, select, update

from core.errors import NotFoundError, StoreError, StoreLockedError, WriteConflictError
from core.store import schema as t
from core.store.connection import database_errors
from core.store.ddl import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    DEFAULT_WORKSPACE,
    DEFAULT_WORKSPACE_DESCRIPTION,
    default_experiment_row,
    workspaces,
)
from core.store.dialect import insert_experiment, insert_missing
from core.store.schema import Layout

Result = TypeVar("Result")
#: How long a writer keeps retrying a locked database before giving up (seconds).
LOCK_PATIENCE_S = 120.0
#: How often a transaction that lost a unique-key race on a server is run again.
CONFLICT_RETRIES = 5


def experiment_row(connection: Connection, experiment_id: str) -> Any:
    """The experiment's `artifact_location` and `lifecycle_stage`; `NotFoundError` if none."""
    e = t.experiments
    row = connection.execute(
        select(e.c.artifact_location, e.c.lifecycle_stage).where(
            e.c.experiment_id == int(experiment_id)
        )
    ).first()
    if row is None:
        raise NotFoundError(f"Experiment {experiment_id} does not exist.")
    return row


class StoreWriter:
    """Adds rows to a writable store. Thread-safe: each call is one short transaction."""

    def __init__(self, engine: Engine, layout: Layout, location: str, db_dir: Any) -> None:
        self._engine = engine
        self.layout = layout
        self._location = location
        self._db_dir = db_dir
        #: How long `transaction` keeps retrying a locked database (the store sets it).
        self.patience_s = LOCK_PATIENCE_S

    def transaction(
        self, work: Callable[[Connection], Result], patience_s: float | None = None
    ) -> Result:
        """Run `work` in one transaction, retrying while another writer holds the lock.

        On a server, a transaction that lost a race for a unique key to a concurrent writer
        (`WriteConflictError`: e.g. MLflow took the same next version number) is run again a
        few times; `work` reads what it needs inside the transaction, so the rerun sees the
        other writer's row.
        """
        deadline = time.monotonic() + (self.patience_s if patience_s is None else patience_s)
        delay = 0.005
        conflicts = 0
        while True:
            try:
                with database_errors(self._location), self._engine.begin() as connection:
                    return work(connection)
            except StoreLockedError:
                if time.monotonic() > deadline:
                    raise
            except WriteConflictError:
                conflicts += 1
                if conflicts > CONFLICT_RETRIES:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    # -- experiments ------------------------------------------------------------------------

    def default_artifact_root(self) -> str:
        """Where the Default experiment of this store keeps artifacts when it has to be made.

        A SQLite file: `mlruns/` beside the file (TraceDesk's rule, as for the files it creates,
        so a database and its artifacts move together). A server: MLflow's own default,
        `./mlruns` resolved against the current directory, as MLflow's `SqlAlchemyStore`
        resolves its `default_artifact_root` when a client (not `mlflow server`) opens the URL.
        """
        if self._db_dir is not None:
            return str(Path(self._db_dir) / "mlruns")
        return str(Path.cwd() / "mlruns")

    def ensure_default_experiment(self, artifact_root: str | Path | None = None) -> str:
        """Create experiment 0 "Default" when the store has none; return its artifact location.

        A store made by `mlflow db upgrade <url>` has MLflow's tables and the `default`
        workspace row (the migration adds it) but no experiment: MLflow adds Default the first
        time its `SqlAlchemyStore` is constructed (`_create_default_experiment`). This writes the
        same row: id 0, name `Default`, lifecycle `active`, creation and last update time now,
        workspace `default`, artifact location `<artifact root>/0`, where the root is
        `artifact_root` when given (a relative local path resolved against the current
        directory, as MLflow does), else `default_artifact_root()`: `mlruns/` beside a SQLite
        file, `<current directory>/mlruns` for a server URL. The `default` workspace row is
        added too when missing (older upgrades, hand-made schemas).

        Idempotent and safe when processes race: both rows are inserted with
        `ON CONFLICT DO NOTHING`, so a Default made meanwhile by another process (or by MLflow)
        is kept as it is. A Default that exists is never changed, even when deleted. On
        PostgreSQL the id 0 is given explicitly, as MLflow does: that does not touch the
        `experiments_experiment_id_seq` sequence, which starts at 1 and never hands out 0, so
        later experiments (ours through the sequence, or MLflow's) get 1, 2, ... unharmed.
        """
        root = _resolve_local(artifact_root) if artifact_root is not None else None

        def work(connection: Connection) -> str:
            return self._ensure_default(connection, root)

        return self.transaction(work)

    def _ensure_default(self, connection: Connection, root: str | None = None) -> str:
        e = t.experiments
        lookup = select(e.c.artifact_location).where(e.c.experiment_id == DEFAULT_EXPERIMENT_ID)
        found = connection.execute(lookup).first()
        if found is not None:
            return str(found.artifact_location or "")
        row = default_experiment_row(root or self.default_artifact_root(), _now_ms())
        if self.layout.has_workspaces:
            insert_missing(
                connection,
                workspaces,
                {"name": DEFAULT_WORKSPACE, "description": DEFAULT_WORKSPACE_DESCRIPTION},
            )
        else:
            row.pop("workspace")
        insert_missing(connection, e, row)
        found = connection.execute(lookup).first()
        if found is None:
            raise StoreError(
                f"{self._location} has an experiment named {DEFAULT_EXPERIMENT_NAME!r} whose "
                f"id is not {DEFAULT_EXPERIMENT_ID}, so the Default experiment cannot be made; "
                "rename that experiment first."
            )
        return str(found.artifact_location or "")

    def artifact_root(self, connection: Connection) -> str:
        """Where new experiments put artifacts: beside Default's, else `mlruns/` by the file."""
        location = connection.execute(
            select(t.experiments.c.artifact_location).where(
                t.experiments.c.experiment_id == DEFAULT_EXPERIMENT_ID
            )
        ).scalar()
        if location and location.rstrip("/").endswith("/0"):
            return str(location.rstrip("/")[:-2])
        if self._db_dir is None:
            raise StoreError(
                "This store has no Default experiment to take an artifact root from "
                "(make it with `StoreWriter.ensure_default_experiment()`)."
            )
        return str(self._db_dir / "mlruns")

    def create_experiment(self, name: str, tags: Mapping[str, str] | None = None) -> str:
        """Create experiment `name` (or return the id of the existing one)."""
        if not name.strip():
            raise ValueError("An experiment needs a name.")

        def work(connection: Connection) -> str:
            e = t.experiments
            existing = connection.execute(
                select(e.c.experiment_id).where(e.c.name == name)
            ).scalar()
            if existing is not None:
                return str(existing)
            self._ensure_default(connection)  # MLflow's store makes Default before anything
            now = _now_ms()
            values: dict[str, Any] = {
                "name": name,
                "lifecycle_stage": "active",
                "creation_time": now,
                "last_update_time": now,
            }
            if self.layout.has_workspaces:
                values["workspace"] = "default"
            new_id = insert_experiment(connection, e, values)
            connection.execute(
                update(e)
                .where(e.c.experiment_id == new_id)
                .values(artifact_location=f"{self.artifact_root(connection)}/{new_id}")
            )
            for key, value in (tags or {}).items():
                connection.execute(
                    insert(t.experiment_tags).values(key=key, value=value, experiment_id=new_id)
                )
            return str(new_id)

        return self.transaction(work)

    def experiment_artifact_location(self, experiment_id: str) -> str:
        def work(connection: Connection) -> str:
            row = experiment_row(connection, experiment_id)
            return str(row.artifact_location or f"{self.artifact_root(connection)}/{experiment_id}")

        return self.transaction(work)

    # -- traces -----------------------------------------------------------------------------

    def insert_traces(self, traces: Sequence[Any]) -> int:
        """Insert finished traces (`core.tracing.encode.TraceRows`); returns how many were new.

        A trace already present (a retried batch) is skipped, so a retry never duplicates.
        """
        if not traces:
            return 0

        def work(connection: Connection) -> int:
            ids = [r.trace_id for r in traces]
            present = set(
                connection.execute(
                    select(t.trace_info.c.request_id).where(t.trace_info.c.request_id.in_(ids))
                ).scalars()
            )
            fresh = [r for r in traces if r.trace_id not in present]
            if not fresh:
                return 0
            bulk_insert(connection, t.trace_info, [r.info for r in fresh])
            _insert_key_values(connection, t.trace_tags, fresh, "tags")
            _insert_key_values(connection, t.trace_request_metadata, fresh, "metadata")
            bulk_insert(connection, t.spans, [row for r in fresh for row in r.spans])
            links = [row for r in fresh for row in getattr(r, "associations", ())]
            bulk_insert(connection, t.entity_associations, links)
            return len(fresh)

        return self.transaction(work)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _resolve_local(uri: str | Path) -> str:
    """`uri` with a relative local path made absolute against the current directory (MLflow's
    `resolve_uri_if_local`); URIs with a scheme (`s3://`, `file:///`) are kept as given."""
    text = str(uri)
    if urlparse(text).scheme or Path(text).is_absolute():
        return text.rstrip("/") or "/"
    return str(Path.cwd() / text)


def _insert_key_values(
    connection: Connection, table: Any, traces: Sequence[Any], field: str
) -> None:
    rows = [
        {"request_id": r.trace_id, "key": key, "value": value}
        for r in traces
        for key, value in sorted(getattr(r, field).items())
    ]
    bulk_insert(connection, table, rows)


def bulk_insert(connection: Connection, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows with the driver's executemany, past SQLAlchemy's per-row processing.

    The statement is still compiled by SQLAlchemy for the connection's dialect; only the
    parameters skip its Python-level conversion (three times faster for 20,000-row batches).
    Every row must have the keys of the first.
    """
    if not rows:
        return
    keys = list(rows[0])
    compiled = insert(table).compile(dialect=connection.dialect, column_keys=keys)
    if compiled.positional:
        order = compiled.positiontup or []
        params: list[Any] = [tuple(row[key] for key in order) for row in rows]
    else:
        params = [dict(row) for row in rows]
    connection.exec_driver_sql(compiled.string, params)
