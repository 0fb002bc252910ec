"""The `tracedesk` entry point: arguments, the demo copy, and a real start on the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import app.demo
from app.__main__ import main, parse_args
from app.crash import log_folder
from app.demo import demo_folder, prepare_demo
from app.folders import data_folder
from app.main_window import MainWindow


def test_arguments() -> None:
    args = parse_args([])
    assert args.location is None and not args.demo and args.read_only is None  # Settings decide
    assert parse_args(["--read-only"]).read_only is True
    assert parse_args(["--write"]).read_only is False
    assert parse_args(["--demo"]).demo
    assert parse_args(["/x/mlflow.db", "--no-read-only"]).read_only is False
    assert parse_args(["sqlite:///x.db"]).location == "sqlite:///x.db"
    with pytest.raises(SystemExit):
        parse_args(["/x/mlflow.db", "--demo"])


def test_demo_is_built_once_then_reused(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    seen: list[tuple[int, int]] = []

    class Token:
        cancelled = False

        def report(self, done: int, total: int) -> None:
            seen.append((done, total))

    db = prepare_demo(Token(), target=target)  # type: ignore[arg-type]
    assert db == target / "mlflow.db" and db.stat().st_size > 1_000_000
    assert seen and seen[-1][0] == seen[-1][1]  # progress reached the end
    assert not (target / "mlflow.db.partial").exists()
    built = db.stat().st_mtime_ns
    assert prepare_demo(target=target) == db
    assert db.stat().st_mtime_ns == built  # the same recipe: not built again


def test_a_changed_recipe_rebuilds_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "demo"
    target.mkdir()
    (target / "mlflow.db").write_bytes(b"old demo")
    (target / "recipe.sha256").write_text("an older recipe")
    runs: list[Path] = []
    monkeypatch.setattr(
        app.demo, "_run_recipe", lambda out, token: (runs.append(out), out.write_bytes(b"new"))
    )
    assert prepare_demo(target=target).read_bytes() == b"new"
    assert runs == [target / "mlflow.db.partial"]
    assert (target / "recipe.sha256").read_text() == app.demo.recipe_digest()


def test_a_failing_recipe_says_why(tmp_path: Path) -> None:
    existing = tmp_path / "taken.db"
    existing.write_bytes(b"x")
    with pytest.raises(RuntimeError, match="could not be built"):
        app.demo._run_recipe(existing, None)


def test_demo_lives_in_the_app_data_folder() -> None:
    """`<data folder>/<application name>/demo`: the name once, not `TraceDesk/TraceDesk`."""
    folder = demo_folder()
    assert folder.name == "demo" and folder.parent == data_folder()
    assert data_folder().name == QApplication.applicationName() == "TraceDeskTests"
    assert data_folder().parent.name != QApplication.organizationName()
    assert log_folder().parent == data_folder()


def test_main_starts_on_the_demo(
    qtbot: QtBot,
    qapp: QApplication,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    restore_app_state: None,
) -> None:
    monkeypatch.setattr(app.demo, "demo_folder", lambda: tmp_path / "demo")
    seen: dict[str, object] = {}
    poll = QTimer()

    def check_then_quit() -> None:
        windows = [w for w in qapp.topLevelWidgets() if isinstance(w, MainWindow)]
        window = next((w for w in windows if w.isVisible()), None)
        if window is None or window.trace_model.rowCount() == 0:
            return
        poll.stop()
        seen["title"] = window.windowTitle()
        seen["rows"] = window.trace_model.rowCount()
        seen["visible"] = window.isVisible()
        window.close()  # the last window: the application quits

    # Closing the window quits only if it is the last one on screen: a window an earlier test
    # left open would keep `main` running until `give_up`, and its quit would reach later tests.
    assert not [w.windowTitle() for w in qapp.topLevelWidgets() if w.isVisible()]
    poll.timeout.connect(check_then_quit)
    poll.start(20)
    give_up = QTimer()
    give_up.setSingleShot(True)
    give_up.timeout.connect(qapp.quit)
    give_up.start(60_000)
    try:
        assert main(["--demo"]) == 0
    finally:
        poll.stop()
        give_up.stop()
    assert seen["visible"] and int(str(seen["rows"])) > 0
    assert str(seen["title"]).startswith("mlflow.db — demo")
