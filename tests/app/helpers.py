"""Test helpers for the app: thread-leak detection, opening a window on a database, bad files,
screenshots."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from core.store.store import Store

WAIT_MS = 10_000

#: `shot(widget, name)`: the `shot` fixture (tests/app/conftest.py).
Shot = Callable[[QWidget, str], Path]


def shots_folder(default: Path) -> Path:
    """Where screenshots go: $TRACEDESK_SHOTS when set (kept), else `default`; created."""
    folder = Path(os.environ.get("TRACEDESK_SHOTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_shot(qtbot: QtBot, widget: QWidget, path: Path) -> Path:
    """Grab `widget` as a screen would show it, check that something was drawn, save it."""
    qtbot.wait(50)  # late results and layout requests, as a user's screen would have them
    image = widget.grab().toImage()
    assert not image.isNull() and image.width() == widget.width()
    colors = {
        image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 23)
    }
    assert len(colors) > 3  # something was drawn
    assert image.save(str(path))
    return path


def dangling_threads(before: set[threading.Thread], grace_s: float = 2.0) -> list[threading.Thread]:
    """Threads started since `before` that are still alive after `grace_s` seconds of joining."""
    new = [
        t for t in threading.enumerate() if t not in before and t is not threading.current_thread()
    ]
    for thread in new:
        thread.join(grace_s / max(len(new), 1))
    return [t for t in new if t.is_alive()]


def open_and_wait(qtbot: QtBot, window: MainWindow, path: Path | str) -> Store:
    """Open `path` in `window` and wait for the experiments and the first page of traces."""
    signals = [window.store_opened, window.experiment_model.loaded, window.trace_model.page_loaded]
    with qtbot.waitSignals(signals, timeout=WAIT_MS):
        window.open_location(path)
    assert window.store is not None
    return window.store


def show_window(qtbot: QtBot, window: MainWindow) -> MainWindow:
    """Show and activate `window`: window shortcuts only fire in the active window."""
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    return window


def select_experiment(qtbot: QtBot, window: MainWindow, experiment_id: str) -> None:
    """Pick an experiment in the sidebar and wait for its first page of traces (none to wait
    for when it is the one shown already: a database opens on the experiment used last)."""
    model = window.trace_model
    shown = model.query is not None and model.query.experiment_ids == (experiment_id,)
    if window.experiment_view.current_experiment_id == experiment_id and shown:
        qtbot.waitUntil(lambda: not model.is_loading, timeout=WAIT_MS)
        return
    with qtbot.waitSignal(model.page_loaded, timeout=WAIT_MS):
        assert window.experiment_view.select_experiment(experiment_id)


def shown_ids(window: MainWindow) -> list[str]:
    model = window.trace_model
    return [str(model.trace_id(r)) for r in range(model.rowCount())]


def apply_filter(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Type `text` into the filter bar and press Enter; wait until the list shows it."""
    edit = window.query_bar.edit
    edit.setFocus()
    edit.clear()
    qtbot.keyClicks(edit, text)
    edit.completer_popup.popup().hide()
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.keyClick(edit, Qt.Key.Key_Return)


def fail_to_open(qtbot: QtBot, window: MainWindow, path: Path | str) -> str:
    """Open `path`, expecting an error; return the message the user was shown."""
    with qtbot.waitSignal(window.error_reported, timeout=WAIT_MS) as blocker:
        window.open_location(path)
    return str(blocker.args[0])


def broken_copy(db: Path, name: str) -> Path:
    """A copy of fixture database `db` beside it, for damaging."""
    target = db.parent / name
    shutil.copy2(db, target)
    return target


def truncated_copy(db: Path) -> Path:
    target = broken_copy(db, "truncated.db")
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def newer_layout_copy(db: Path) -> Path:
    target = broken_copy(db, "newer.db")
    with sqlite3.connect(target) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    connection.close()
    return target


def unrelated_sqlite(folder: Path) -> Path:
    target = folder / "inventory.db"
    with sqlite3.connect(target) as connection:
        connection.execute("CREATE TABLE parts (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("INSERT INTO parts (name) VALUES ('bolt')")
    connection.close()
    return target


def lock_exclusively(db: Path) -> sqlite3.Connection:
    """Another connection that holds an exclusive lock until it is closed."""
    connection = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    connection.execute("BEGIN EXCLUSIVE")
    return connection


def _plain_columns(connection: sqlite3.Connection, table: str) -> list[str]:
    """The columns of `table` that can be inserted (generated columns are left out)."""
    return [row[1] for row in connection.execute(f"PRAGMA table_xinfo({table})") if row[6] == 0]


def clone_trace(
    db: Path, source_id: str, new_id: str, timestamp_ms: int, **changes: object
) -> None:
    """Write a copy of trace `source_id` as `new_id` (its info, tags, metadata and spans),
    as another program logging a trace would; `changes` override trace_info columns."""
    values = {"request_id": new_id, "timestamp_ms": timestamp_ms, **changes}
    connection = sqlite3.connect(db)
    with connection:
        columns = _plain_columns(connection, "trace_info")
        picks = ", ".join("?" if c in values else c for c in columns)
        params = [values[c] for c in columns if c in values]
        connection.execute(
            f"INSERT INTO trace_info ({', '.join(columns)}) SELECT {picks} FROM trace_info"
            " WHERE request_id = ?",
            (*params, source_id),
        )
        for table in ("trace_tags", "trace_request_metadata"):
            connection.execute(
                f'INSERT INTO {table} ("key", value, request_id) SELECT "key", value, ?'
                f" FROM {table} WHERE request_id = ?",
                (new_id, source_id),
            )
        span_columns = _plain_columns(connection, "spans")
        picks = ", ".join("?" if c == "trace_id" else c for c in span_columns)
        connection.execute(
            f"INSERT INTO spans ({', '.join(span_columns)}) SELECT {picks} FROM spans"
            " WHERE trace_id = ?",
            (new_id, source_id),
        )
    connection.close()
