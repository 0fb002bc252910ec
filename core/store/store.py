"""`Store`: one opened tracking database, its layout, and its reader."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy import Engine

from core.errors import NotMLflowStoreError, ReadOnlyStoreError
from core.store.changes import ChangeDetector
from core.store.connection import (
    DEFAULT_BUSY_TIMEOUT_S,
    StoreLocation,
    create_store_engine,
    database_errors,
    parse_location,
)
from core.store.ddl import create_sqlite_database
from core.store.evaluations import Evaluations
from core.store.insights import Insights
from core.store.prompt_registry import PromptRegistry
from core.store.reader import StoreReader
from core.store.registered_models import RegisteredModels
from core.store.runs import Runs
from core.store.schema import REQUIRED_TABLES, Layout, detect_layout
from core.store.sqlite_files import plan_reading, snapshot_notice
from core.store.trace_edits import TraceEdits
from core.store.writer import LOCK_PATIENCE_S, StoreWriter

#: What to do about a server database that has no MLflow tables yet.
_SERVER_HINT = (
    " MLflow creates its tables on first use: point an MLflow client or `mlflow server` at it "
    "once (`mlflow db upgrade <url>`)."
)


class Store:
    """An open tracking store. Reading is always possible; writing only when asked for."""

    def __init__(self, location: StoreLocation, engine: Engine, layout: Layout, read_only: bool):
        self.location = location
        self.engine = engine
        self.layout = layout
        self.read_only = read_only
        self.notices: list[str] = []
        self._db_dir = location.path.parent if location.path is not None else None
        self.reader = StoreReader(engine, layout, location.display, self._db_dir)
        self._writer: StoreWriter | None = None
        self._write_engine: Engine | None = None
        self._busy_timeout_s = DEFAULT_BUSY_TIMEOUT_S
        #: How long a write waits for another writer's lock before failing (seconds).
        self.write_patience_s = LOCK_PATIENCE_S

    @classmethod
    def open(
        cls,
        uri: str | Path,
        *,
        read_only: bool = True,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        create: bool = False,
        password: str | None = None,
    ) -> Store:
        """Open `uri` (a path, `sqlite:///...`, or a SQLAlchemy URL) and detect its layout.

        With `create`, a SQLite file that does not exist yet is created in MLflow 3.18's layout.
        `password` (for a server URL) overrides one in the URL; it is kept in memory only.
        Raises a `StoreError` subclass that says what is wrong with the file or server.
        """
        location = parse_location(uri)
        if password:
            location = dataclasses.replace(location, password=password)
        if create and location.path is not None and not location.path.exists():
            location.path.parent.mkdir(parents=True, exist_ok=True)
            create_sqlite_database(location.path)
        # Reads always go through a read-only engine; writes get their own (see `writer`).
        engine = create_store_engine(location, read_only=True, busy_timeout_s=busy_timeout_s)
        try:
            with database_errors(location.display), engine.connect() as connection:
                layout = detect_layout(connection)
        except BaseException:
            engine.dispose()
            raise
        missing = REQUIRED_TABLES - layout.tables
        if missing:
            engine.dispose()
            kind = "an SQLite database" if location.is_sqlite else "a database"
            if not layout.tables:
                raise NotMLflowStoreError(
                    f"{location.display} is an empty {'SQLite ' if location.is_sqlite else ''}"
                    f"database, not an MLflow tracking store."
                    f"{'' if location.is_sqlite else _SERVER_HINT}"
                )
            found = ", ".join(sorted(layout.tables)[:8])
            raise NotMLflowStoreError(
                f"{location.display} is {kind} but not an MLflow tracking store: it "
                f"has no {', '.join(sorted(missing))} table (it has {found}"
                f"{', ...' if len(layout.tables) > 8 else ''})."
            )
        store = cls(location, engine, layout, read_only)
        store._busy_timeout_s = busy_timeout_s
        snapshot = snapshot_notice(plan_reading(location.path)) if location.path else None
        if snapshot is not None:
            store.notices.append(snapshot)
        if layout.is_newer:
            store.notices.append(
                f"This database was written by a newer MLflow than TraceDesk knows "
                f"(alembic revision {layout.revision}). It is open read-only."
            )
            if not read_only:
                store.read_only = True
        elif not layout.writable and not read_only:
            store.notices.append(
                f"This is an {layout.label}; TraceDesk writes only the MLflow 3.18 layout, "
                "so it is open read-only."
            )
            store.read_only = True
        return store

    @property
    def display_name(self) -> str:
        return self.location.display

    @property
    def prompt_registry(self) -> PromptRegistry:
        """Prompts (and registered models) of this store."""
        return PromptRegistry(self)

    @property
    def evaluations(self) -> Evaluations:
        """Evaluation runs (`core.evaluate`, `mlflow.genai.evaluate`) of this store."""
        return Evaluations(self)

    @property
    def insights(self) -> Insights:
        """Traces, spans and sessions in aggregate, grouped in the database (issue 20)."""
        return Insights(self)

    @property
    def models(self) -> RegisteredModels:
        """Registered models (not prompts) and logged models of this store, with their files."""
        return RegisteredModels(self)

    @property
    def runs(self) -> Runs:
        """Runs (`mlflow.start_run` / `end_run` / `set_tag`) of this store."""
        return Runs(self)

    @property
    def trace_edits(self) -> TraceEdits:
        """Tags and assessments users add to finished traces (`set_trace_tag`, `log_feedback`)."""
        return TraceEdits(self)

    def change_detector(self) -> ChangeDetector:
        """A detector of writes by other programs (for live mode); close it when done."""
        return ChangeDetector(self.location, self.engine)

    @property
    def writer(self) -> StoreWriter:
        """The write side; raises `ReadOnlyStoreError` when the store is open for reading."""
        if self.read_only:
            raise ReadOnlyStoreError(
                f"{self.display_name} is open read-only; open it for writing to change it."
            )
        if self._writer is None:
            self._write_engine = create_store_engine(
                self.location, read_only=False, busy_timeout_s=self._busy_timeout_s
            )
            self._writer = StoreWriter(
                self._write_engine, self.layout, self.display_name, self._db_dir
            )
        self._writer.patience_s = self.write_patience_s
        return self._writer

    def close(self) -> None:
        self.engine.dispose()
        if self._write_engine is not None:
            self._write_engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
