"""The window on a PostgreSQL store: File → Open URL…, the password prompt, recent entries,
clear messages, live mode; and the password never reaching settings, titles or the log."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

import core
from app.__main__ import parse_args
from app.dialogs import OpenUrlDialog
from app.logins import Logins, is_server_url, safe_location
from app.main_window import MainWindow
from app.recent import RecentFiles
from core import tracking
from core.store import changes
from tests.app.helpers import (
    WAIT_MS,
    Shot,
    fail_to_open,
    open_and_wait,
    select_experiment,
    shown_ids,
)
from tests.postgres import SECRET_PASSWORD, SECRET_USER, PostgresCluster, free_port
from tests.postgres_fixtures import TutorialStore

pytestmark = pytest.mark.postgres


@pytest.fixture
def no_libpq_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """No PGPASSWORD and no ~/.pgpass: the server can only get a password from TraceDesk."""
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent/pgpass")


@pytest.fixture
def secret_url(pg_cluster: PostgresCluster, pg_fixture318: str) -> str:
    """The 3.18 fixture's rows, for a user who must give a password (without it in the URL)."""
    database = pg_fixture318.rsplit("/", 1)[1]
    pg_cluster.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {SECRET_USER}", database)
    return pg_cluster.url(database, user=SECRET_USER)


def open_url(qtbot: QtBot, dialog: OpenUrlDialog, url: str | None, password: str = "") -> None:
    if url is not None:
        dialog.url_edit.setText(url)
    dialog.password_edit.setText(password)
    buttons = dialog.findChild(QDialogButtonBox)
    assert buttons is not None
    buttons.button(QDialogButtonBox.StandardButton.Open).click()


def test_file_open_url_reads_the_server_like_the_file(
    qtbot: QtBot, window: MainWindow, pg_fixture318: str, db318: Path
) -> None:
    dialog = window.open_url_dialog()
    assert dialog.url_edit.placeholderText().startswith("postgresql://")
    signals = [window.store_opened, window.experiment_model.loaded, window.trace_model.page_loaded]
    with qtbot.waitSignals(signals, timeout=WAIT_MS):
        open_url(qtbot, dialog, pg_fixture318)
    assert window.store is not None and window.store.display_name == pg_fixture318
    assert window.status.file_label.text() == pg_fixture318
    assert "Read-only" in window.status.mode_label.text()
    qtbot.waitUntil(lambda: window.trace_model.total is not None, timeout=WAIT_MS)
    server_rows, server_total = shown_ids(window), window.trace_model.total
    open_and_wait(qtbot, window, db318)
    qtbot.waitUntil(lambda: window.trace_model.total is not None, timeout=WAIT_MS)
    assert (shown_ids(window), window.trace_model.total) == (server_rows, server_total)
    assert RecentFiles().entries() == [str(db318), pg_fixture318]


def test_the_password_is_asked_for_and_never_kept(
    qtbot: QtBot,
    window: MainWindow,
    secret_url: str,
    temporary_settings: Path,
    no_libpq_password: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    window.open_location(secret_url)
    qtbot.waitUntil(lambda: window.findChild(OpenUrlDialog) is not None, timeout=WAIT_MS)
    dialog = window.findChild(OpenUrlDialog)
    assert dialog is not None and dialog.url == secret_url
    assert "needs a password" in dialog.message.text()
    with qtbot.waitSignal(window.trace_model.page_loaded, timeout=WAIT_MS):
        open_url(qtbot, dialog, None, SECRET_PASSWORD)
    assert window.store is not None and window.store.display_name == secret_url
    # Enable Editing reopens the same server: the password is remembered, no second prompt.
    with qtbot.waitSignal(window.store_opened, timeout=WAIT_MS):
        window.enable_editing()
    assert window.store is not None and not window.store.read_only
    window.close()
    kept = "".join(p.read_text("utf-8") for p in temporary_settings.rglob("*.ini"))
    assert secret_url in kept and SECRET_PASSWORD not in kept
    assert SECRET_PASSWORD not in caplog.text
    assert SECRET_PASSWORD not in window.windowTitle() + window.status.file_label.toolTip()


def test_a_password_in_the_url_is_taken_out_at_once(
    qtbot: QtBot, window: MainWindow, secret_url: str, no_libpq_password: None
) -> None:
    with_password = secret_url.replace(f"{SECRET_USER}@", f"{SECRET_USER}:{SECRET_PASSWORD}@")
    open_and_wait(qtbot, window, with_password)
    assert window.store is not None and window.store.display_name == secret_url
    assert SECRET_PASSWORD not in window.status.currentMessage() + window.windowTitle()
    assert RecentFiles().entries() == [secret_url]
    menu = window.menu_actions.recent_menu
    menu.rebuild()
    assert all(SECRET_PASSWORD not in a.text() for a in menu.actions())


def test_a_wrong_password_asks_again(
    qtbot: QtBot, window: MainWindow, secret_url: str, no_libpq_password: None
) -> None:
    window.open_url_dialog(secret_url.replace(f"{SECRET_USER}@", f"{SECRET_USER}:nope@"))
    dialog = window.findChild(OpenUrlDialog)
    assert dialog is not None
    open_url(qtbot, dialog, None, "")
    qtbot.waitUntil(
        lambda: any(
            "password is wrong" in d.message.text() for d in window.findChildren(OpenUrlDialog)
        ),
        timeout=WAIT_MS,
    )
    assert window.store is None


@pytest.mark.parametrize(
    ("make_url", "words"),
    [
        (lambda c: c.url("no_such_db"), "has no database 'no_such_db'"),
        (
            lambda c: c.url("postgres").replace(f":{c.port}/", f":{free_port()}/"),
            "Cannot reach the database server",
        ),
        (lambda c: c.url("postgres"), "not an MLflow tracking store"),
        (lambda c: c.url("postgres", user="nobody_here"), "refused the login"),
    ],
)
def test_clear_messages(
    qtbot: QtBot,
    window: MainWindow,
    pg_cluster: PostgresCluster,
    make_url: Callable[[PostgresCluster], str],
    words: str,
) -> None:
    assert words in fail_to_open(qtbot, window, make_url(pg_cluster))
    assert window.store is None


def test_the_dialog_wants_a_url(qtbot: QtBot, window: MainWindow) -> None:
    dialog = window.open_url_dialog()
    open_url(qtbot, dialog, "mlflow.db")
    assert dialog.isVisible() and "Type a database URL" in dialog.message.text()
    dialog.reject()


def test_the_command_line_takes_a_url() -> None:
    url = "postgresql://me@db.example.com:5432/mlflow"
    assert parse_args([url]).location == url


def test_logins_keep_passwords_in_memory_only() -> None:
    logins = Logins()
    safe, password = logins.split("postgresql://me:pw@host:5432/db")
    assert (safe, password) == ("postgresql://me@host:5432/db", "pw")
    assert logins.split(safe) == (safe, "pw")
    logins.forget(safe)
    assert logins.split(safe) == (safe, None)
    assert logins.remember(safe, "typed") == safe and logins.knows(safe)
    assert safe_location("postgresql+psycopg://me:pw@host/db") == "postgresql+psycopg://me@host/db"
    assert safe_location("/data/mlflow.db") == "/data/mlflow.db"
    assert is_server_url("postgresql://h/db") and not is_server_url("sqlite:///x.db")
    RecentFiles().add("postgresql://me:pw@host:5432/db")
    assert RecentFiles().entries() == ["postgresql://me@host:5432/db"]


@pytest.fixture
def live_server(
    qtbot: QtBot, window: MainWindow, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    monkeypatch.setattr(changes, "SERVER_MIN_INTERVAL_S", 0.05)
    monkeypatch.setattr(changes, "SERVER_MAX_INTERVAL_S", 0.2)
    window.live.interval_ms = 40
    core.set_tracking_uri(pg_url)
    core.set_experiment("live")
    open_and_wait(qtbot, window, pg_url)
    yield window
    tracking.reset()


def test_live_mode_shows_traces_another_program_writes(
    qtbot: QtBot, live_server: MainWindow
) -> None:
    window = live_server
    assert window.live.is_polling
    assert window.experiment_view.select_experiment("1")
    qtbot.waitUntil(lambda: window.trace_model.total == 0, timeout=WAIT_MS)
    with core.start_span(name="written by another program"):
        pass
    assert core.flush_trace_async_logging(30)
    qtbot.waitUntil(lambda: window.trace_model.rowCount() == 1, timeout=WAIT_MS)


def test_shot_postgres_store(
    qtbot: QtBot, shown: MainWindow, pg_tutorial: TutorialStore, shot: Shot
) -> None:
    """The tutorial MLflow wrote to PostgreSQL, an evaluation trace open in the explorer."""
    window = shown
    open_and_wait(qtbot, window, pg_tutorial.url)
    experiments = pg_tutorial.golden["experiments"]
    select_experiment(
        qtbot, window, next(k for k, v in experiments.items() if v == "custom_tracing")
    )
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.trace_view.select_row(2)
    shot(window, "postgres-store")
    dialog = window.open_url_dialog(pg_tutorial.url, "")
    qtbot.waitExposed(dialog)
    shot(dialog, "postgres-open-url")
    dialog.reject()
