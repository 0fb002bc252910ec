"""Build TraceDesk's one-folder desktop bundle with PyInstaller, then (optionally) smoke it.

    .venv/bin/python packaging/build.py                     # -> dist/tracedesk/tracedesk
    .venv/bin/python packaging/build.py --smoke tests/fixtures/mlflow-3.18-tutorial/mlflow.db

Needs the `package` extra (`pip install -e '.[package]'`). Prints the build time and the
bundle's size; with `--smoke DB` it also starts the built program headless on a copy of DB
with `--smoke` and fails when that run does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "tracedesk.spec"
NAME = "tracedesk"
SMOKE_TIMEOUT_S = 180


def folder_size(folder: Path) -> int:
    """Bytes in the files under `folder` (symlinks not followed, so not counted twice)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def build(dist: Path, work: Path, *, postgres: bool = False, quiet: bool = False) -> Path:
    """Run PyInstaller on the spec; return the bundle's program (`dist/tracedesk/tracedesk`)."""
    env = dict(os.environ, TRACEDESK_BUNDLE_POSTGRES="1" if postgres else "0")
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean"]
    command += ["--distpath", str(dist), "--workpath", str(work)]
    if quiet:
        command += ["--log-level", "WARN"]
    command.append(str(SPEC))
    subprocess.run(command, check=True, cwd=ROOT, env=env)
    program = dist / NAME / (NAME + (".exe" if os.name == "nt" else ""))
    if not program.is_file():
        raise FileNotFoundError(f"PyInstaller finished but {program} is missing")
    return program


def smoke_environment(home: Path) -> dict[str, str]:
    """The environment of a headless run that touches none of the user's files."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(home))
    for name, folder in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ):
        path = home / folder
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        env[name] = str(path)
    return env


def smoke(program: Path, database: Path, timeout_s: float = SMOKE_TIMEOUT_S) -> None:
    """Run `program --smoke` on a copy of `database`; raise with its output when it fails."""
    with tempfile.TemporaryDirectory(prefix="tracedesk-smoke-") as scratch:
        home = Path(scratch)
        copy = home / "mlflow.db"
        shutil.copy2(database, copy)
        result = subprocess.run(
            [str(program), "--smoke", str(copy)],
            env=smoke_environment(home),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"{program} --smoke exited {result.returncode}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="default: dist/")
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller's scratch"
    )
    parser.add_argument("--postgres", action="store_true", help="also bundle psycopg")
    parser.add_argument("--smoke", type=Path, metavar="DB", help="then smoke-run it on DB")
    parser.add_argument("--quiet", action="store_true", help="PyInstaller warnings only")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    program = build(args.dist, args.work, postgres=args.postgres, quiet=args.quiet)
    built = time.perf_counter() - started
    size = folder_size(program.parent)
    print(f"Built {program} in {built:.0f} s; the bundle is {size / 2**20:.0f} MiB")
    if args.smoke is not None:
        started = time.perf_counter()
        smoke(program, args.smoke)
        print(f"Smoke run passed in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
