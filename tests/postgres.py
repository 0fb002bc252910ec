"""A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` + `pg_ctl`, nothing else.

`PostgresCluster` makes a cluster in a folder of its own, starts it on 127.0.0.1 with a free
port, and stops it (and, for a temporary one, deletes the folder) when it is closed, also when
the code using it failed. initdb and postgres refuse to run as root, so when this process is
root the server runs as the unprivileged `nobody` (the folder is handed to that user); any
other user runs it as itself. The binaries are Debian's (`/usr/lib/postgresql/<v>/bin`),
`pg_config --bindir` on the PATH, or `$TRACEDESK_PG_BIN`; `pg_bindir()` returns None when
there are none, and the tests then say so and skip.

Logins (pg_hba.conf): `tracedesk` (the superuser) and every other role connect without a
password over TCP from 127.0.0.1, except `SECRET_USER`, who must give `SECRET_PASSWORD`
(scram-sha-256): the tests of refused logins and of `PGPASSWORD` use that role.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

SUPERUSER = "tracedesk"
SECRET_USER = "secret_user"
SECRET_PASSWORD = "s3cret-pw"
UNPRIVILEGED_USER = "nobody"

#: Settings for a server whose data is thrown away: no fsync, no crash safety.
TEST_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "128MB",
    "max_connections": "100",
    "log_min_messages": "warning",
    "timezone": "UTC",
}

_HBA = f"""\
local all all trust
host all {SECRET_USER} 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
"""


def pg_bindir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None when PostgreSQL is missing."""
    configured = os.environ.get("TRACEDESK_PG_BIN")
    candidates = [Path(configured)] if configured else []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=False
            )
            candidates.append(Path(done.stdout.strip()))
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted(debian.iterdir(), key=_version_key, reverse=True)
        candidates += [v / "bin" for v in versions]
    return next((c for c in candidates if _has_server(c)), None)


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.name)) or (0,)


def _has_server(folder: Path) -> bool:
    return all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres"))


def missing_reason() -> str | None:
    """Why no cluster can be made here (for a skip message), or None when one can."""
    if pg_bindir() is None:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed: "
            "`apt-get install postgresql` (.ci/run does), or set TRACEDESK_PG_BIN"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(UNPRIVILEGED_USER)
        except KeyError:
            return f"running as root and there is no user {UNPRIVILEGED_USER!r} to run PostgreSQL"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    """One PostgreSQL server over a data folder; a context manager that always stops it."""

    def __init__(
        self,
        folder: Path | None = None,
        *,
        settings: Mapping[str, str] | None = None,
        bindir: Path | None = None,
    ) -> None:
        """`folder` keeps the cluster between runs (benchmarks); None makes a temporary one."""
        found = bindir or pg_bindir()
        if found is None:
            raise RuntimeError(missing_reason() or "PostgreSQL is not installed")
        self.bindir = found
        self.temporary = folder is None
        self.folder = Path(tempfile.mkdtemp(prefix="tracedesk-pg-")) if folder is None else folder
        self.datadir = self.folder / "data"
        self.settings = {**TEST_SETTINGS, **(settings or {})}
        self.port = 0
        self._running = False
        self._owner = _unprivileged_ids()

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> PostgresCluster:
        """initdb when the folder has no cluster yet, then start the server and wait for it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._hand_over(self.folder)
        if not (self.datadir / "PG_VERSION").is_file():
            self._initdb()
        self.port = free_port()
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", "-D", str(self.datadir), "-l", str(self.folder / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip
        self._running = True
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown); delete a temporary cluster's folder."""
        if self._running:
            self._running = False
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")
        if self.temporary:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _initdb(self) -> None:
        self._run(
            "initdb", "-D", str(self.datadir), "-U", SUPERUSER, "-E", "UTF8",
            "--locale=C.UTF-8", "--auth=trust",
        )  # fmt: skip
        (self.datadir / "pg_hba.conf").write_text(_HBA, "utf-8")
        extra = "".join(f"{key} = '{value}'\n" for key, value in self.settings.items())
        with (self.datadir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"\n# tracedesk test cluster\n{extra}")
        self._hand_over(self.datadir)
        self._start_once_to_add_roles()

    def _start_once_to_add_roles(self) -> None:
        """The password role needs the server up: start it on the socket only, add, stop."""
        options = f"-k {self.folder} -c listen_addresses=''"
        log = str(self.folder / "server.log")  # also keeps the server off our pipes
        self._run("pg_ctl", "-D", str(self.datadir), "-l", log, "-o", options, "-w", "start")
        try:
            self._run(
                "psql", "-h", str(self.folder), "-U", SUPERUSER, "-d", "postgres", "-v",
                "ON_ERROR_STOP=1", "-c",
                f"CREATE ROLE {SECRET_USER} LOGIN PASSWORD '{SECRET_PASSWORD}'",
            )  # fmt: skip
        finally:
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    # -- running as the unprivileged user -----------------------------------------------------

    def _hand_over(self, path: Path) -> None:
        if self._owner is None:
            return
        uid, gid = self._owner
        for root, folders, files in os.walk(path):
            os.chown(root, uid, gid)
            for name in folders + files:
                with contextlib.suppress(FileNotFoundError):
                    os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)
        path.chmod(0o700)

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        extra: dict[str, Any] = {}
        if self._owner is not None:
            extra = {"user": self._owner[0], "group": self._owner[1], "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C.UTF-8", "HOME": str(self.folder)}
        for variable in ("PGPASSWORD", "PGUSER", "PGHOST", "PGPORT", "PGDATABASE"):
            env.pop(variable, None)
        done = subprocess.run(
            [str(self.bindir / program), *args],
            capture_output=True,
            text=True,
            cwd=self.folder,
            env=env,
            timeout=180,
            check=False,
            **extra,
        )
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text("utf-8", "replace")[-3000:] if log.is_file() else ""
            raise subprocess.CalledProcessError(
                done.returncode, [program, *args], done.stdout, f"{done.stderr}\n{tail}"
            )
        return done

    # -- using it -----------------------------------------------------------------------------

    def url(
        self,
        database: str = "postgres",
        *,
        user: str = SUPERUSER,
        password: str | None = None,
        driver: str = "psycopg",
    ) -> str:
        """A SQLAlchemy URL of `database` (`postgresql+psycopg://tracedesk@127.0.0.1:port/db`)."""
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        secret = f":{password}" if password else ""
        return f"{scheme}://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres", params: Any = None) -> list[Any]:
        """Run one statement in autocommit (CREATE DATABASE needs it); return its rows."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database, autocommit=True
        ) as connection:
            cursor = connection.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE `name` (a copy of `template`); returns its URL."""
        copy = f' TEMPLATE "{template}"' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def databases(self) -> set[str]:
        return {row[0] for row in self.execute("SELECT datname FROM pg_database")}


def _unprivileged_ids() -> tuple[int, int] | None:
    """(uid, gid) to run the server as when this process is root; None otherwise."""
    if os.geteuid() != 0:
        return None
    user = pwd.getpwnam(UNPRIVILEGED_USER)
    return user.pw_uid, user.pw_gid


@contextlib.contextmanager
def running_cluster(folder: Path | None = None, **kwargs: Any) -> Iterator[PostgresCluster]:
    """`with running_cluster() as cluster:` a started cluster, stopped at the end."""
    cluster = PostgresCluster(folder, **kwargs)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def copy_sqlite_store(sqlite_path: Path, url: str) -> None:
    """Replace every row of the MLflow database at `url` with those of an SQLite store.

    The PostgreSQL schema must be MLflow's (the same alembic revision): the tables are
    reflected from it and filled in foreign-key order; generated columns (`spans.duration_ns`)
    are left to the server, JSON columns get decoded values, and the experiment id sequence
    is moved past the copied ids, as MLflow's own inserts would have left it.
    """
    from sqlalchemy import MetaData, create_engine, inspect, text

    source = create_engine(f"sqlite:///{sqlite_path}")
    target = create_engine(url)
    metadata = MetaData()
    metadata.reflect(target)
    tables = [t for t in metadata.sorted_tables if t.name != "alembic_version"]
    try:
        with source.connect() as src, target.begin() as dst:
            present = {
                name: {c["name"] for c in inspect(src).get_columns(name)}
                for name in inspect(src).get_table_names()
            }
            every = ", ".join(f'"{t.name}"' for t in tables)
            dst.execute(text(f"TRUNCATE {every} CASCADE"))
            for table in tables:
                _copy_table(src, dst, table, present.get(table.name, set()))
            dst.execute(
                text(
                    "SELECT setval('experiments_experiment_id_seq', "
                    "(SELECT max(experiment_id) FROM experiments))"
                )
            )
    finally:
        source.dispose()
        target.dispose()


def _copy_table(src: Any, dst: Any, table: Any, present: set[str]) -> None:
    """Copy the rows of one table, with the columns both databases have."""
    from sqlalchemy import JSON, text

    columns = [c for c in table.columns if c.computed is None and c.name in present]
    if not columns:
        return
    names = ", ".join(f'"{c.name}"' for c in columns)
    found = src.execute(text(f'SELECT {names} FROM "{table.name}"')).mappings()
    rows = [dict(r) for r in found]
    for column in columns:
        if isinstance(column.type, JSON):
            for row in rows:
                if isinstance(row[column.name], str):
                    row[column.name] = json.loads(row[column.name])
    if rows:
        dst.execute(table.insert(), rows)
