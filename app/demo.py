"""The demo database: built once by the recipe in `core.demo` in a child process, then reused.

The recipe writes through `core`'s tracing API, which keeps process-wide state (the tracking
URI), so it runs in its own interpreter. A stamp with the hash of the recipe's files (its
modules and its texts under resources/demo/) rebuilds the demo when the recipe changes; a
half-built file is never opened.

In the PyInstaller bundle `sys.executable` is the bundle's own program, which has no `-m`: the
child is the same program started with `BUILD_DEMO_FLAG`, which the bundle's entry point
(`packaging/tracedesk_entry.py`) hands to `core.demo.build.main` before Qt is loaded.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from app.folders import data_folder
from app.tasks import JobToken
from core.demo import recipe_files

STAMP = "recipe.sha256"
#: `tracedesk --build-demo OUT.db` builds the demo database (the frozen bundle only).
BUILD_DEMO_FLAG = "--build-demo"


def demo_folder() -> Path:
    """`<TraceDesk's data folder>/demo` (`app.folders`)."""
    return data_folder() / "demo"


def recipe_digest() -> str:
    """The SHA-256 of the recipe's files, together: a change to any of them rebuilds the demo
    (the bundle ships them as files: packaging/tracedesk.spec)."""
    digest = hashlib.sha256()
    for name, content in recipe_files():
        digest.update(name.encode() + b"\0" + content)
    return digest.hexdigest()


def prepare_demo(token: JobToken | None = None, target: Path | None = None) -> Path:
    """The demo database, building it first when missing or made by an older recipe."""
    target = target or demo_folder()
    database = target / "mlflow.db"
    stamp = target / STAMP
    digest = recipe_digest()
    if database.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return database
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    partial = target / "mlflow.db.partial"
    _run_recipe(partial, token)
    partial.rename(database)
    stamp.write_text(digest)
    return database


def recipe_command(output: Path) -> list[str]:
    """The child process that runs the recipe: `python -m core.demo OUT`, or the bundle's
    program with `BUILD_DEMO_FLAG` when frozen (PyInstaller sets `sys.frozen`)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, BUILD_DEMO_FLAG, str(output)]
    return [sys.executable, "-m", "core.demo", str(output)]


def _run_recipe(output: Path, token: JobToken | None) -> None:
    command = recipe_command(output)
    with subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    ) as child:
        assert child.stderr is not None
        messages = []
        for line in child.stderr:
            messages.append(line.rstrip())
            _report(line, token)
            if token is not None and token.cancelled:
                child.kill()
                raise RuntimeError("Building the demo database was cancelled.")
        if child.wait() != 0:
            detail = "\n".join(messages[-8:])
            raise RuntimeError(f"The demo database could not be built:\n{detail}")


def _report(line: str, token: JobToken | None) -> None:
    """Relay the recipe's `progress N/M` lines to the task's progress signal."""
    if token is None or not line.startswith("progress "):
        return
    done, _, total = line.split()[1].partition("/")
    if done.isdigit() and total.isdigit():
        token.report(int(done), int(total))
