"""Access refused: a file or folder the user may not read or write gets a
`StorePermissionError` that says which; a server login refused in `tracedesk --smoke` fails the
run at once.

File permissions are staged in a child process that they bind (tests/faults/unprivileged.py):
as root, the capabilities that bypass them are dropped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.smoke import SMOKE_TIMEOUT_S
from tests.conftest import copy_fixture
from tests.faults import unprivileged
from tests.postgres import SECRET_USER, PostgresCluster

needs_permissions = pytest.mark.skipif(
    unprivileged.skip_reason() is not None, reason=str(unprivileged.skip_reason())
)

NESTED_TRACE = "tr-8994d05b63f61f086eee7e8a1d4106e8"

#: Opens a store for writing and tags a trace; prints the error met, if any.
TAG_A_TRACE = """
import json, sys
from core.errors import StoreError
from core.store.store import Store
try:
    with Store.open(sys.argv[1], read_only=False) as store:
        store.trace_edits.set_trace_tag(sys.argv[2], "reviewed", "yes")
    print(json.dumps({"ok": True}))
except StoreError as error:
    print(json.dumps({"error": type(error).__name__, "message": str(error)}))
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return copy_fixture("mlflow-3.18-tutorial", tmp_path)


@needs_permissions
def test_an_unreadable_file(db: Path) -> None:
    db.chmod(0o000)
    try:
        found = unprivileged.run_python(unprivileged.OPEN_AND_LIST, str(db))
    finally:
        db.chmod(0o644)
    assert found["error"] == "StorePermissionError"
    message = found["message"]
    assert f"Cannot read {db}: you have no read permission on it" in message
    assert "----------" in message  # its mode, to see what is missing


@needs_permissions
def test_a_folder_that_may_not_be_entered(db: Path) -> None:
    folder = db.parent
    folder.chmod(0o600)  # readable listing, but no search (x) permission
    try:
        found = unprivileged.run_python(unprivileged.OPEN_AND_LIST, str(db))
    finally:
        folder.chmod(0o755)
    assert found["error"] == "StorePermissionError"
    assert f"you may not enter the folder {folder}" in found["message"]


@needs_permissions
def test_a_read_only_file_refuses_a_write_and_says_why(db: Path) -> None:
    db.chmod(0o444)
    try:
        found = unprivileged.run_python(TAG_A_TRACE, str(db), NESTED_TRACE)
    finally:
        db.chmod(0o644)
    assert found["error"] == "StorePermissionError"
    assert f"Cannot write {db}: you have no write permission on it" in found["message"]


@needs_permissions
def test_a_read_only_folder_refuses_a_write_and_says_why(db: Path) -> None:
    db.parent.chmod(0o555)
    try:
        found = unprivileged.run_python(TAG_A_TRACE, str(db), NESTED_TRACE)
    finally:
        db.parent.chmod(0o755)
    assert found["error"] == "StorePermissionError"
    assert f"you may not create files in {db.parent}" in found["message"]


@needs_permissions
def test_the_cli_says_it_in_one_line(db: Path) -> None:
    db.chmod(0o000)
    cli = Path(sys.executable).with_name("tracedesk-cli")
    try:
        done = subprocess.run(
            [*unprivileged.bound_python(), str(cli), "traces", str(db)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        db.chmod(0o644)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"Cannot read {db}: you have no read permission" in done.stderr


@pytest.mark.postgres
def test_smoke_run_fails_at_once_when_the_server_wants_a_password(
    pg_cluster: PostgresCluster, tmp_path: Path
) -> None:
    """No login dialog waits for a password nobody types: the refusal is the run's failure."""
    url = pg_cluster.url("postgres", user=SECRET_USER)  # no password in it
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env |= {"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PGPASSFILE": os.devnull}
    started = time.monotonic()
    done = subprocess.run(
        [str(Path(sys.executable).with_name("tracedesk")), "--smoke", url],
        capture_output=True,
        text=True,
        env=env,
        timeout=SMOKE_TIMEOUT_S + 60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert f"{SECRET_USER}@127.0.0.1:{pg_cluster.port}/postgres needs a password" in done.stderr
    assert "not finished after" not in done.stderr
    assert time.monotonic() - started < SMOKE_TIMEOUT_S / 2  # did not wait for a dialog
