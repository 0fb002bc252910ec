"""`tracedesk --smoke` and `--version`, run in-process through `main()` like the gui-script."""

from __future__ import annotations

import sqlite3
import sys
from importlib import metadata
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLabel, QVBoxLayout

import app.__main__ as entry
import app.main_window
import app.smoke
from app.__main__ import main, parse_args
from app.demo import BUILD_DEMO_FLAG, recipe_command
from app.main_window import MainWindow
from app.pages import Page
from app.smoke import is_blank
from core.store.ddl import create_sqlite_database

# `main` names the application and handles Ctrl+C: put both back after each test.
pytestmark = pytest.mark.usefixtures("restore_app_state")


def test_smoke_opens_renders_and_exits_0(db318: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--smoke", str(db318)]) == 0
    out, err = capsys.readouterr()
    assert "tracedesk --smoke: OK" in out and "FAILED" not in err
    assert str(db318) in out and "6 traces" in out
    for view in ("trace list", "explorer", "span tree", "span detail", "Traces tab", "window"):
        assert view in out
    assert "span detail tab Inputs" in out  # every detail tab rendered, not only the first


def test_smoke_leaves_the_users_settings_alone(
    db318: Path, temporary_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--smoke", str(db318)]) == 0
    assert not any(temporary_settings.rglob("*.ini"))  # no recent file, no window geometry


def test_an_empty_store_shows_its_empty_views(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "mlflow.db"
    create_sqlite_database(empty)
    assert main(["--smoke", str(empty)]) == 0
    out = capsys.readouterr().out
    tabs = "Traces tab, Evaluations tab, Prompts tab, Agents tab, Insights tab"
    assert "0 traces" in out and f"rendered 7 views: trace list, {tabs}, window" in out


def test_an_exception_in_the_window_fails_the_run(
    db318: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Caught by the crash handler (a dialog for the user): the smoke run fails on it."""
    show_trace = MainWindow.show_trace

    def broken(self: MainWindow, trace_id: str | None, *, reload: bool = False) -> None:
        if trace_id is not None:
            raise RuntimeError("the explorer broke")
        show_trace(self, trace_id, reload=reload)

    monkeypatch.setattr(MainWindow, "show_trace", broken)
    assert main(["--smoke", str(db318)]) == 1
    err = capsys.readouterr().err
    assert "FAILED while showing the newest trace" in err and "an unexpected error" in err
    assert "RuntimeError: the explorer broke" in err


def test_a_file_that_is_not_sqlite_fails_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("not a database")
    assert main(["--smoke", str(notes)]) == 1
    out, err = capsys.readouterr()
    assert "OK" not in out
    assert "tracedesk --smoke: FAILED while opening the database" in err
    assert "not an SQLite database" in err


def test_an_sqlite_file_that_is_not_mlflow_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    assert main(["--smoke", str(other)]) == 1
    assert "FAILED" in capsys.readouterr().err


def test_a_run_that_hangs_times_out(
    db318: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(app.smoke, "SMOKE_TIMEOUT_S", 0.3)
    monkeypatch.setattr(MainWindow, "open_location", lambda self, location: None)
    assert main(["--smoke", str(db318)]) == 1
    err = capsys.readouterr().err
    assert "FAILED while opening the database: not finished after 0.3 s" in err


class _LabelPage(Page):
    title = "&Extra"

    def __init__(self, text: str) -> None:
        super().__init__()
        QVBoxLayout(self).addWidget(QLabel(text))


def _window_with_page(page_text: str) -> type[MainWindow]:
    class WindowWithPage(MainWindow):
        def __init__(self, *, read_only: bool = True) -> None:
            super().__init__(read_only=read_only)
            self.add_page(_LabelPage(page_text))

    return WindowWithPage


def test_every_mode_tab_is_rendered(
    db318: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(app.main_window, "MainWindow", _window_with_page("Prompts go here"))
    assert main(["--smoke", str(db318)]) == 0
    out = capsys.readouterr().out
    tabs = "Traces tab, Evaluations tab, Prompts tab, Agents tab, Insights tab"
    assert f"{tabs}, Extra tab, window" in out


def test_a_page_that_renders_nothing_fails(
    db318: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(app.main_window, "MainWindow", _window_with_page(""))
    assert main(["--smoke", str(db318)]) == 1
    assert "the Extra tab rendered as a blank image" in capsys.readouterr().err


def test_blank_images() -> None:
    assert is_blank(QImage())
    image = QImage(40, 30, QImage.Format.Format_ARGB32)
    image.fill(QColor("#efefef"))
    assert is_blank(image)
    image.setPixelColor(39, 29, QColor(Qt.GlobalColor.black))  # one pixel is enough
    assert not is_blank(image)


def test_smoke_needs_something_to_open() -> None:
    assert parse_args(["--smoke", "x.db"]).smoke
    assert parse_args(["--smoke", "--demo"]).smoke
    with pytest.raises(SystemExit):
        parse_args(["--smoke"])


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"tracedesk {metadata.version('tracedesk')}\n"


def test_version_without_package_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert entry.version() == "unknown"


def test_the_frozen_demo_recipe_runs_the_bundle_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "demo.db"
    assert recipe_command(out) == [sys.executable, "-m", "core.demo", str(out)]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert recipe_command(out) == [sys.executable, BUILD_DEMO_FLAG, str(out)]
