"""`tracedesk [PATH_OR_URL] [--demo] [--read-only | --write] [--smoke] [--version]`.

Starts the application. `--smoke` is the packaged program's self-test: it opens the file, lets
the real window render its main views (offscreen when there is no display), checks each picture
and exits 0, or 1 with the reason on stderr (see `app.smoke.SmokeRun`).
"""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.smoke import SmokeRun, headless_without_display, private_settings

if TYPE_CHECKING:
    from app.main_window import MainWindow

ORGANIZATION = "TraceDesk"
APPLICATION = "TraceDesk"
DISTRIBUTION = "tracedesk"
#: The desktop entry's name (resources/linux/org.tracedesk.TraceDesk.desktop) without ".desktop":
#: Wayland compositors find the window's icon and launcher by it.
DESKTOP_ID = "org.tracedesk.TraceDesk"


def version() -> str:
    """TraceDesk's version from the installed distribution's metadata (the PyInstaller bundle
    carries it too); "unknown" for a source tree that was never installed."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tracedesk",
        description="Browse the traces in an MLflow tracking database, with no server.",
    )
    parser.add_argument(
        "location",
        nargs="?",
        metavar="PATH_OR_URL",
        help="an mlflow.db file (or the folder holding it), sqlite:///path/to/mlflow.db, "
        "or postgresql://user@host:port/db",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the demo database (built on first use)",
    )
    access = parser.add_mutually_exclusive_group()
    access.add_argument(
        "--read-only",
        dest="read_only",
        action="store_const",
        const=True,
        default=None,
        help="never write to the database (the default, unless changed in Settings)",
    )
    access.add_argument(
        "--write",
        "--no-read-only",
        dest="read_only",
        action="store_const",
        const=False,
        help="open the database for writing (new prompt versions, evaluation runs)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="self-test: open PATH_OR_URL (or --demo), render the main views, exit 0 if all "
        "worked, else print why and exit 1 (offscreen when there is no display)",
    )
    parser.add_argument("--version", action="version", version=f"tracedesk {version()}")
    args = parser.parse_args(argv)
    if args.demo and args.location:
        parser.error("give either PATH_OR_URL or --demo, not both")
    if args.smoke and not (args.demo or args.location):
        parser.error("--smoke needs PATH_OR_URL or --demo")
    return args


def create_application() -> QApplication:
    """The QApplication, named so QSettings and QStandardPaths find TraceDesk's folders."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setDesktopFileName(DESKTOP_ID)
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
    if args.smoke:
        headless_without_display()
    app = create_application()
    # A smoke run neither reads nor changes the user's settings (recent files, window layout).
    scratch = private_settings() if args.smoke else None
    try:
        from app import crash

        crash_handler = crash.install()  # a log file, and a dialog instead of a dead window
        app.aboutToQuit.connect(crash_handler.uninstall)
        from app import settings
        from app.main_window import MainWindow, app_icon
        from app.theme import ThemeApplier

        app.setWindowIcon(app_icon())
        theme = ThemeApplier(app)
        theme.apply(settings.theme(), settings.font_points())
        read_only = settings.open_read_only() if args.read_only is None else args.read_only
        window = MainWindow(read_only=read_only)
        window.theme = theme
        # Everything imported so far lives for the whole session: keep the cyclic GC from
        # walking it on every full collection (those pauses would otherwise show as stalls).
        gc.freeze()
        app.aboutToQuit.connect(window.tasks.shutdown)
        _quit_on_ctrl_c(app)
        smoke = SmokeRun(window, crash_handler) if args.smoke else None
        window.show()
        if args.demo:
            open_demo(window)
        elif args.location:
            window.open_location(args.location)
        code = app.exec()
        return smoke.exit_code if smoke is not None else code
    finally:
        if scratch is not None:
            scratch.cleanup()


def open_demo(window: MainWindow) -> None:
    """Build (first time) and open the demo database without blocking the window."""
    from app.demo import prepare_demo

    window.statusBar().showMessage("Building the demo database…")
    window.welcome.show_opening("the demo database")
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
