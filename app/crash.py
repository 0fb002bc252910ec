"""Crash safety: a log file, and a dialog instead of a dead window on an unexpected exception.

`install()` sends Python's logging to a rotating file in the user's log folder and replaces
`sys.excepthook` / `threading.excepthook`: an exception nobody caught is logged with its
traceback and shown in a dialog that says where the log is. The window stays open.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from app.folders import data_folder

log = logging.getLogger("tracedesk")

LOG_NAME = "tracedesk.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 3


def log_folder() -> Path:
    return data_folder() / "logs"


def log_file() -> Path:
    return log_folder() / LOG_NAME


class _Relay(QObject):
    """Carries an exception report from any thread to the GUI thread."""

    crashed = Signal(str)


class CrashHandler:
    """Logs unexpected exceptions and shows them; `reports` keeps them (tests read it)."""

    def __init__(self) -> None:
        self.reports: list[str] = []
        self._open: list[QMessageBox] = []  # a parentless box lives as long as Python holds it
        self._relay = _Relay()
        self._relay.crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._previous = (sys.excepthook, threading.excepthook)

    def handle(
        self,
        kind: type[BaseException],
        error: BaseException,
        trace: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        text = "".join(traceback.format_exception(kind, error, trace))
        log.error("Unexpected error:\n%s", text)
        self.reports.append(text)
        self._relay.crashed.emit(text)

    def handle_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self.handle(args.exc_type, args.exc_value, args.exc_traceback)

    def _show(self, text: str) -> None:
        app = QApplication.instance()
        if not isinstance(app, QApplication) or app.closingDown():
            return
        box = QMessageBox(app.activeWindow())
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("TraceDesk — Unexpected Error")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            "Something went wrong inside TraceDesk. Your data is safe and the window keeps "
            f"working.\n\nThe details were written to:\n{log_file()}"
        )
        box.setDetailedText(text)
        box.setModal(False)
        box.finished.connect(lambda _result: self._open.remove(box))
        self._open.append(box)
        box.show()

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous


def configure_logging(folder: Path | None = None) -> Path:
    """Log INFO and up to a rotating file (and warnings to the terminal); return the file."""
    folder = folder or log_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_NAME
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    return path


def install() -> CrashHandler:
    """Set up logging and the exception hooks for the running application."""
    configure_logging()
    handler = CrashHandler()
    sys.excepthook = handler.handle
    threading.excepthook = handler.handle_thread
    return handler
