"""The desktop integration files in resources/linux and resources/icons, and install-linux.sh.

Each file is checked by its format's own validator when the machine has it
(desktop-file-validate, appstreamcli, update-mime-database, gio, shellcheck), else skipped.
"""

from __future__ import annotations

import configparser
import os
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from tests.packaging.helpers import APP_ID, PACKAGING, RESOURCES, ROOT, load_script

LINUX = RESOURCES / "linux"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
MIME = LINUX / "tracedesk-mime.xml"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
OUR_TYPE = "application/x-mlflow-tracking-db"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def needs(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed")
    return path


def run(command: list[str | Path], **options: object) -> subprocess.CompletedProcess[str]:
    """`command`'s result, its output as text; the caller checks the exit code."""
    return subprocess.run(command, check=False, capture_output=True, text=True, **options)  # type: ignore[call-overload,no-any-return]


def desktop_entry(path: Path = DESKTOP) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry() -> None:
    entry = desktop_entry()
    assert entry["Type"] == "Application" and entry["Name"] == "TraceDesk"
    assert entry["Exec"] == "tracedesk %f" and entry["TryExec"] == "tracedesk"
    assert entry["Icon"] == APP_ID
    assert entry["Categories"] == "Development;"
    types = entry["MimeType"].rstrip(";").split(";")
    assert {OUR_TYPE, "application/vnd.sqlite3", "application/x-sqlite3"} <= set(types)
    from app.__main__ import DESKTOP_ID

    assert DESKTOP.stem == DESKTOP_ID  # Wayland finds the window's launcher by this name


def test_desktop_entry_validates() -> None:
    result = run([needs("desktop-file-validate"), DESKTOP])
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_appstream_metadata() -> None:
    component = ET.parse(METAINFO).getroot()
    assert component.get("type") == "desktop-application"
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable") == DESKTOP.name
    assert component.findtext("provides/binary") == "tracedesk"
    assert component.findtext("provides/mediatype") == OUR_TYPE
    from importlib import metadata

    releases = [r.get("version") for r in component.iterfind("releases/release")]
    assert metadata.version("tracedesk") in releases, "add a <release> for this version"


def test_appstream_metadata_validates() -> None:
    result = run([needs("appstreamcli"), "validate", "--no-net", METAINFO])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mime_types() -> None:
    types = {t.get("type"): t for t in ET.parse(MIME).getroot().iter(f"{MIME_NS}mime-type")}
    ours = types[OUR_TYPE]
    assert ours.find(f"{MIME_NS}sub-class-of").get("type") == "application/vnd.sqlite3"  # type: ignore[union-attr]
    assert [g.get("pattern") for g in ours.iter(f"{MIME_NS}glob")] == ["mlflow.db"]


def test_a_double_clicked_db_is_typed_for_tracedesk(tmp_path: Path) -> None:
    """With the system's MIME database plus ours: mlflow.db is ours, any SQLite .db file is
    application/vnd.sqlite3 (by its magic), a .db file of another kind is neither."""
    update = needs("update-mime-database")
    gio = needs("gio")
    system = Path("/usr/share/mime/packages/freedesktop.org.xml")
    if not system.is_file():
        pytest.skip("no shared-mime-info database on this machine")
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(system, packages)
    shutil.copy(MIME, packages)
    subprocess.run([update, str(tmp_path / "mime")], check=True, capture_output=True)
    for name in ("mlflow.db", "runs.db"):
        with sqlite3.connect(tmp_path / name) as connection:
            connection.execute("CREATE TABLE t (x)")
    (tmp_path / "notes.db").write_text("not SQLite")
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path), XDG_DATA_DIRS=str(tmp_path))

    def content_type(name: str) -> str:
        info = subprocess.run(
            [gio, "info", "-a", "standard::content-type", str(tmp_path / name)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return info.rsplit(":", 1)[1].strip()

    assert content_type("mlflow.db") == OUR_TYPE
    assert content_type("runs.db") == "application/vnd.sqlite3"
    assert content_type("notes.db") not in (OUR_TYPE, "application/vnd.sqlite3")


def test_icons(qapp: QApplication) -> None:
    for size in SIZES:
        image = QImage(str(RESOURCES / f"icons/hicolor/{size}x{size}/apps/{APP_ID}.png"))
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel() and image.pixelColor(0, 0).alpha() == 0  # round corners
    scalable = RESOURCES / f"icons/hicolor/scalable/apps/{APP_ID}.svg"
    assert scalable.read_bytes() == (RESOURCES / "icons/tracedesk.svg").read_bytes()


def test_the_pngs_are_rendered_from_the_current_svg(qapp: QApplication) -> None:
    assert load_script("render_icons").main(["--check"]) == 0


def fake_bundle(folder: Path) -> Path:
    """A folder shaped like dist/tracedesk whose program only prints its arguments."""
    (folder / "_internal").mkdir(parents=True)
    shutil.copytree(RESOURCES, folder / "_internal" / "resources")
    program = folder / "tracedesk"
    program.write_text('#!/bin/sh\necho "fake tracedesk $*"\n')
    program.chmod(0o755)
    return folder


def test_install_and_uninstall_for_the_user(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path / "bundle")
    home = tmp_path / "home"
    home.mkdir()
    env = dict(
        os.environ,
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
    )
    env.pop("PREFIX", None)
    script = PACKAGING / "install-linux.sh"
    subprocess.run(["sh", str(script), str(bundle)], env=env, check=True, capture_output=True)
    local = home / ".local"
    program = local / "lib/tracedesk/tracedesk"
    assert (local / "bin/tracedesk").resolve() == program.resolve()
    assert run([local / "bin/tracedesk", "x"]).stdout == "fake tracedesk x\n"
    installed = local / f"share/applications/{APP_ID}.desktop"
    assert desktop_entry(installed)["Exec"] == f"{program} %f"  # a launcher's PATH may lack bin
    assert desktop_entry(installed)["TryExec"] == str(program)
    assert (local / f"share/metainfo/{APP_ID}.metainfo.xml").is_file()
    assert (local / "share/mime/packages/tracedesk-mime.xml").is_file()
    for size in SIZES:
        assert (local / f"share/icons/hicolor/{size}x{size}/apps/{APP_ID}.png").is_file()
    assert (local / f"share/icons/hicolor/scalable/apps/{APP_ID}.svg").is_file()
    if shutil.which("update-mime-database"):
        assert OUR_TYPE in (local / "share/mime/globs2").read_text()
    if shutil.which("xdg-mime") or shutil.which("gio"):
        assert f"{OUR_TYPE}={APP_ID}.desktop" in (home / ".config/mimeapps.list").read_text()

    subprocess.run(["sh", script, "--uninstall"], env=env, check=True, capture_output=True)
    assert not program.exists() and not (local / "bin/tracedesk").exists()
    assert not installed.exists()
    assert not list((local / "share/icons").rglob("*.png"))


def test_install_refuses_a_folder_that_is_no_bundle(tmp_path: Path) -> None:
    env = dict(os.environ, HOME=str(tmp_path))
    result = run(["sh", PACKAGING / "install-linux.sh", tmp_path], env=env)
    assert result.returncode == 1 and "No TraceDesk bundle" in result.stderr
    assert not (tmp_path / ".local").exists()


def test_install_script_passes_shellcheck() -> None:
    result = run([needs("shellcheck"), PACKAGING / "install-linux.sh"])
    assert result.returncode == 0, result.stdout


def test_the_wheel_ships_the_desktop_files() -> None:
    """pyproject's package-data for `resources` is `**/*`: the subfolders are included."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert config["tool"]["setuptools"]["package-data"]["resources"] == ["**/*"]
