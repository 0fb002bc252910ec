"""`tracedesk [PATH_OR_URL] [--demo] [--read-only | --no-read-only]`: start the application."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from app.main_window import MainWindow

ORGANIZATION = "TraceDesk"
APPLICATION = "TraceDesk"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tracedesk",
        description="Browse the traces in an MLflow tracking database, with no server.",
    )
    parser.add_argument(
        "location",
        nargs="?",
        metavar="PATH_OR_URL",
        help="an mlflow.db file (or the folder holding it), or sqlite:///path/to/mlflow.db",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the demo database (built on first use)",
    )
    parser.add_argument(
        "--read-only",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="never write to the database (default: on; --no-read-only allows writing)",
    )
    args = parser.parse_args(argv)
    if args.demo and args.location:
        parser.error("give either PATH_OR_URL or --demo, not both")
    return args


def create_application() -> QApplication:
    """The QApplication, named so QSettings and QStandardPaths find TraceDesk's folders."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setDesktopFileName("tracedesk")
    return app


def _quit_on_ctrl_c(app: QApplication) -> QTimer:
    """Let Ctrl+C in the terminal close the window cleanly (Python handles signals between
    Qt events, so a timer gives it the chance)."""
    signal.signal(signal.SIGINT, lambda *_: app.closeAllWindows())
    timer = QTimer(app)
    timer.start(250)
    timer.timeout.connect(lambda: None)
    return timer


def main(argv: Sequence[str] | None = None) -> int:
    """The `tracedesk` gui-script."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = create_application()
    from app import crash

    crash_handler = crash.install()  # a log file, and a dialog instead of a dead window
    app.aboutToQuit.connect(crash_handler.uninstall)
    from app.main_window import MainWindow, app_icon

    app.setWindowIcon(app_icon())
    window = MainWindow(read_only=args.read_only)
    # Everything imported so far lives for the whole session: keep the cyclic GC from walking
    # it on every full collection (those pauses would otherwise show as stalls).
    gc.freeze()
    app.aboutToQuit.connect(window.tasks.shutdown)
    _quit_on_ctrl_c(app)
    window.show()
    if args.demo:
        open_demo(window)
    elif args.location:
        window.open_location(args.location)
    return app.exec()


def open_demo(window: MainWindow) -> None:
    """Build (first time) and open the demo database without blocking the window."""
    from app.demo import prepare_demo

    window.statusBar().showMessage("Building the demo database…")
    task = window.tasks.submit_job(prepare_demo)
    task.progress.connect(
        lambda done, total: window.statusBar().showMessage(
            f"Building the demo database… {done} of {total} traces"
        )
    )
    task.finished.connect(window.open_location)
    task.failed.connect(lambda error: window.report_error("Cannot Open the Demo", str(error)))


if __name__ == "__main__":
    sys.exit(main())
