"""`tracedesk --smoke`: the packaged program's self-test, run on the real window.

It opens the file, lets the window render its main views (offscreen when there is no display),
checks each picture and exits 0, or 1 with the reason on stderr (see `SmokeRun`). The bundle
test (tests/packaging/test_bundle.py) and `packaging/build.py --smoke` run it.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    from app.crash import CrashHandler
    from app.main_window import MainWindow

#: A smoke run that has not finished by then fails (a bundle missing a module may hang a task).
SMOKE_TIMEOUT_S = 60.0
#: Modules imported only when a feature is used (or by name): a bundle must carry them.
ON_DEMAND_MODULES = (
    "langchain_ollama",
    "yaml",
    "orjson",
    "core.langchain",
    "sqlalchemy.dialects.sqlite.pysqlite",
)
#: Languages of code blocks in messages, which Pygments finds by name at run time.
CODE_LANGUAGES = ("python", "javascript", "typescript", "bash", "json", "yaml", "sql", "markdown")


def headless_without_display() -> None:
    """On Linux with no X11 or Wayland display, render offscreen instead of failing to start."""
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def private_settings() -> tempfile.TemporaryDirectory[str]:
    """Point QSettings at a new empty folder (INI files) for the rest of this process."""
    scratch = tempfile.TemporaryDirectory(prefix="tracedesk-smoke-settings-")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, scratch.name)
    return scratch


def is_blank(image: QImage) -> bool:
    """True for a null or empty image, or one whose pixels are all the same colour."""
    if image.isNull() or image.width() == 0 or image.height() == 0:
        return True
    pixels = image.convertToFormat(QImage.Format.Format_ARGB32)  # 4 bytes a pixel, no padding
    data = bytes(pixels.constBits())[: pixels.sizeInBytes()]
    return data == data[:4] * (len(data) // 4)


class SmokeRun(QObject):
    """`tracedesk --smoke`: follow the window until it shows the file, then check its views.

    The window opens the file as it always does (main() asks it to). Then the newest trace (the
    list's first row) is selected and the explorer must show its span tree and span detail.
    Each view is rendered to an image in memory and must not be blank: the trace list, the
    explorer, span tree and detail (every detail tab), each mode tab of `window.modes` and the
    whole window. Then the window closes and `exit_code` is 0. An error shown to the user (a
    server's refused login too: the window asks for no password), an exception caught by the
    crash handler, or `timeout_s` passing makes it 1, with the reason on stderr.
    """

    def __init__(
        self,
        window: MainWindow,
        crash_handler: CrashHandler | None = None,
        timeout_s: float | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.crash_handler = crash_handler
        self.exit_code = 1  # until it passed
        self.stage = "opening the database"
        self.rendered: list[str] = []
        self.trace_id: str | None = None
        self._first_page = False
        self._done = False
        self._started = time.perf_counter()
        self._timeout_s = SMOKE_TIMEOUT_S if timeout_s is None else timeout_s
        # No one is there to type a password: a login the server refuses fails the run at once.
        window.database.asks_for_passwords = False
        window.error_reported.connect(self.fail)
        window.explorer.load_failed.connect(self.fail)
        window.trace_model.page_loaded.connect(self._page_loaded)
        self._poll = QTimer(self)
        self._poll.setObjectName("smokePoll")
        self._poll.timeout.connect(self._guarded(self._step))
        self._poll.start(25)
        self._deadline = QTimer(self)
        self._deadline.setObjectName("smokeDeadline")
        self._deadline.setSingleShot(True)
        self._deadline.timeout.connect(self._time_out)
        self._deadline.start(round(self._timeout_s * 1000))

    # -- the steps ----------------------------------------------------------------------------

    def _page_loaded(self, _rows: int) -> None:
        self._first_page = True

    def _guarded(self, step: Callable[[], None]) -> Callable[[], None]:
        """`step`, with any exception it raises failing the run (instead of a crash dialog)."""

        def run() -> None:
            try:
                step()
            except Exception:
                self.fail(f"{self.stage} raised:\n{traceback.format_exc().rstrip()}")

        return run

    def _step(self) -> None:
        if self._done:
            return
        if self.crash_handler is not None and self.crash_handler.reports:
            self.fail(f"an unexpected error:\n{self.crash_handler.reports[-1]}")
            return
        window = self.window
        if self.trace_id is None:
            if window.store is None or not self._first_page or window.trace_model.is_loading:
                return
            if window.trace_model.rowCount() == 0:
                self._render()  # an empty database: no trace for the explorer to show
                return
            self.trace_id = window.trace_model.trace_id(0)
            self.stage = f"showing the newest trace {self.trace_id} in the explorer"
            window.trace_view.select_row(0)
            return
        explorer = window.explorer
        shown = explorer.current_trace()
        if (
            explorer.is_loading
            or shown is None
            or shown.info.trace_id != self.trace_id
            or explorer.selected_span() is None
            or explorer.detail.span is None
        ):
            return
        self._render()

    def _render(self) -> None:
        """Render every view to an image; fail on the first blank one."""
        self.stage = "rendering the views"
        window = self.window
        window.modes.setCurrentWidget(window.workspace)
        views: list[tuple[str, QWidget]] = [("trace list", window.trace_view)]
        explorer = window.explorer
        if self.trace_id is not None:
            views += [
                ("explorer", explorer),
                ("span tree", explorer.spans),
                ("span detail", explorer.detail),
            ]
        for name, widget in views:
            self._grab(name, widget)
        if self.trace_id is not None:
            tabs = explorer.detail.tabs
            for index in range(tabs.count()):
                if tabs.isTabVisible(index):
                    tabs.setCurrentIndex(index)  # renders the tab's content
                    self._grab(f"span detail tab {_plain(tabs.tabText(index))}", tabs.widget(index))
        modes = window.modes
        for index in range(modes.count()):
            modes.setCurrentIndex(index)
            self._grab(f"{_plain(modes.tabText(index))} tab", modes.widget(index))
        modes.setCurrentIndex(0)
        self._grab("window", window)
        if not self._done:
            self._check_on_demand_modules()
        if not self._done:
            self._succeed()

    def _check_on_demand_modules(self) -> None:
        """Import what the features load later, so a bundle missing one fails here."""
        self.stage = "importing the modules loaded on demand"
        from pygments.lexers import get_lexer_by_name
        from pygments.styles import get_style_by_name
        from pygments.util import ClassNotFound

        from app.messages.highlight import DARK_STYLE, LIGHT_STYLE

        for name in ON_DEMAND_MODULES:
            try:
                importlib.import_module(name)
            except ImportError as error:
                self.fail(f"{name} cannot be imported: {error}")
                return
        try:
            for language in CODE_LANGUAGES:
                get_lexer_by_name(language)
            for style in (LIGHT_STYLE, DARK_STYLE):
                get_style_by_name(style)
        except ClassNotFound as error:
            self.fail(f"Pygments is missing a lexer or style: {error}")

    def _grab(self, name: str, widget: QWidget | None) -> None:
        if self._done:
            return
        QApplication.processEvents()  # layouts and deferred renders settle first
        if widget is None or not widget.isVisible():
            self.fail(f"the {name} is not shown")
            return
        if is_blank(widget.grab().toImage()):
            self.fail(f"the {name} rendered as a blank image")
            return
        self.rendered.append(name)

    # -- the end --------------------------------------------------------------------------------

    def _succeed(self) -> None:
        window = self.window
        store = window.store
        assert store is not None
        model = window.trace_model
        total = model.total if model.total is not None else model.rowCount()
        parts = [f"{store.display_name} ({store.layout.label})", f"{total:,} traces"]
        parts.append(f"first page {model.rowCount():,} rows")
        loaded = window.explorer.loaded
        if loaded is not None:
            parts.append(f"trace {self.trace_id}: {len(loaded.trace.data.spans):,} spans")
        parts.append(f"rendered {len(self.rendered)} views: {', '.join(self.rendered)}")
        elapsed = time.perf_counter() - self._started
        print(f"tracedesk --smoke: OK in {elapsed:.1f} s: " + "; ".join(parts), flush=True)
        self._finish(0)

    def fail(self, message: str) -> None:
        """End the run with exit code 1, saying why on stderr."""
        if self._done:
            return
        print(f"tracedesk --smoke: FAILED while {self.stage}: {message}", file=sys.stderr)
        self._finish(1)

    def _time_out(self) -> None:
        self.fail(f"not finished after {self._timeout_s:g} s")

    def _finish(self, code: int) -> None:
        self._done = True
        self.exit_code = code
        self._poll.stop()
        self._deadline.stop()
        sys.stderr.flush()
        self.window.close()
        if isinstance(app := QApplication.instance(), QApplication):
            app.closeAllWindows()  # error and crash message boxes too
            app.exit(code)  # even if one of them refused to close


def _plain(title: str) -> str:
    """A tab's title without its mnemonic ("&Traces" -> "Traces")."""
    return title.replace("&&", "\0").replace("&", "").replace("\0", "&")
