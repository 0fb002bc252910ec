"""The PyInstaller bundle, built and started headless (slow: about a minute).

Skipped unless TRACEDESK_BUNDLE_TESTS=1 (`make package` sets it). With TRACEDESK_BUNDLE=DIR
the tests use the bundle already built in DIR (e.g. dist/tracedesk, as `make package` does
right after building it); otherwise they build one into a temporary folder first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from tests.packaging.helpers import APP_ID, ROOT, load_script

pytestmark = [
    pytest.mark.bundle,
    pytest.mark.skipif(
        os.environ.get("TRACEDESK_BUNDLE_TESTS") != "1",
        reason="builds the PyInstaller bundle: set TRACEDESK_BUNDLE_TESTS=1 (make package)",
    ),
]

RUN_TIMEOUT_S = 180
#: The demo recipe's files, which the bundle and the wheel must carry as files (app.demo hashes
#: them): every module of core/demo and every text under resources/demo.
DEMO_FILES = tuple(
    path.relative_to(ROOT).as_posix()
    for folder, pattern in (("core/demo", "*.py"), ("resources/demo", "*"))
    for path in sorted((ROOT / folder).glob(pattern))
)
#: The bundle measured 209 MiB on 2026-11-26 (Qt 6.11, pandas 3.1, numpy 2.4): room to grow,
#: but a Qt module or a test suite pulled in by mistake shows.
MAX_SIZE_MIB = 260


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bundle's `tracedesk` program: TRACEDESK_BUNDLE's, or a fresh build."""
    given = os.environ.get("TRACEDESK_BUNDLE")
    if given:
        built = Path(given).resolve() / "tracedesk"
        assert built.is_file(), f"TRACEDESK_BUNDLE={given} holds no tracedesk program"
        yield built
        return
    build = load_script("build")
    scratch = tmp_path_factory.mktemp("bundle")
    started = time.perf_counter()
    built = build.build(scratch / "dist", scratch / "work", quiet=True)
    size = build.folder_size(built.parent) / 2**20
    print(f"\nbuilt the bundle in {time.perf_counter() - started:.0f} s: {size:.0f} MiB")
    yield built
    shutil.rmtree(scratch, ignore_errors=True)


def run(program: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`program ARGS`, headless, with HOME and the XDG folders inside `home`."""
    env = load_script("build").smoke_environment(home)
    return subprocess.run(
        [str(program), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )


def test_smoke_on_a_fixture_database(program: Path, db318: Path, tmp_path: Path) -> None:
    result = run(program, "--smoke", str(db318), home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert "tracedesk --smoke: OK" in result.stdout
    assert "trace list, explorer, span tree, span detail" in result.stdout


def test_smoke_fails_on_a_file_that_is_not_a_database(program: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("not a database")
    result = run(program, "--smoke", str(notes), home=tmp_path / "home")
    assert result.returncode == 1
    assert "FAILED while opening the database" in result.stderr
    assert "not an SQLite database" in result.stderr


def test_the_demo_is_built_by_the_bundle_itself(program: Path, tmp_path: Path) -> None:
    """A frozen program has no `-m`: the demo recipe runs as `tracedesk --build-demo OUT`."""
    home = tmp_path / "home"
    result = run(program, "--smoke", "--demo", home=home)
    assert result.returncode == 0, result.stderr
    assert "tracedesk --smoke: OK" in result.stdout
    assert list(home.rglob("demo/mlflow.db")), "the demo database was not built"


def test_version(program: Path, tmp_path: Path) -> None:
    result = run(program, "--version", home=tmp_path)
    assert result.stdout == f"tracedesk {metadata.version('tracedesk')}\n"


def test_the_bundle_is_complete_and_lean(program: Path) -> None:
    bundle = program.parent
    inside = bundle / "_internal"
    for needed in (
        "resources/style.qss",
        *DEMO_FILES,  # hashed by app.demo to know when to rebuild the demo
        "resources/icons/tracedesk.svg",
        f"resources/icons/hicolor/256x256/apps/{APP_ID}.png",
        f"resources/linux/{APP_ID}.desktop",
        "core/store/mlflow_3_18_sqlite.sql",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
    ):
        assert (inside / needed).is_file(), needed
    assert (bundle / "install-linux.sh").is_file()
    names = {path.name for path in bundle.rglob("*")}
    unwanted = [
        name
        for name in names
        if any(
            part in name
            for part in ("QtWebEngine", "QtQml", "QtQuick", "QtNetwork", "QtPdf", "libqgtk3")
        )
    ]
    assert not unwanted
    assert not [p for p in inside.rglob("tests") if p.is_dir()], "a test suite was bundled"
    size = load_script("build").folder_size(bundle) / 2**20
    assert size < MAX_SIZE_MIB, f"the bundle grew to {size:.0f} MiB"


def test_install_for_the_user(program: Path, tmp_path: Path) -> None:
    """The bundle's own install-linux.sh installs it; the installed program starts."""
    home = tmp_path / "home"
    env = load_script("build").smoke_environment(home)
    env.pop("PREFIX", None)
    subprocess.run(
        ["sh", str(program.parent / "install-linux.sh")],
        env=env,
        check=True,
        capture_output=True,
    )
    installed = home / ".local/bin/tracedesk"
    result = subprocess.run(
        [str(installed), "--version"], env=env, capture_output=True, text=True, check=False
    )
    assert result.stdout.startswith("tracedesk ")
    assert (home / f".local/share/applications/{APP_ID}.desktop").is_file()


def test_the_wheel_ships_the_resources(tmp_path: Path) -> None:
    """`pip wheel .`: the wheel carries the desktop files, the icons and core's SQL."""
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-cache-dir"]
    subprocess.run([*command, "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("tracedesk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        f"resources/linux/{APP_ID}.desktop",
        f"resources/linux/{APP_ID}.metainfo.xml",
        "resources/linux/tracedesk-mime.xml",
        f"resources/icons/hicolor/512x512/apps/{APP_ID}.png",
        f"resources/icons/hicolor/scalable/apps/{APP_ID}.svg",
        *DEMO_FILES,
        "core/store/mlflow_3_18_sqlite.sql",
    ):
        assert needed in names, needed
