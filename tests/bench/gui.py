"""GUI benchmark: the real main window on the synthetic databases, with a GUI-thread stall probe.

    .venv/bin/python -m tests.bench.gui                       # 10k-span trace, 100k-trace list
    .venv/bin/python -m tests.bench.gui --quick --list-size 10000

Two phases, each timed on the real `MainWindow` (offscreen unless QT_QPA_PLATFORM says otherwise):

* the 10,000-span trace is opened by id (Ctrl+L's path): time until the explorer has the trace,
  and until the span tree and the span detail have painted it;
* the list of all 100,000 traces is scrolled to its end the way a user drags the scroll bar:
  each time the view reaches the bottom it fetches the next page (keyset, 100 rows).

During each phase a QTimer beats every 5 ms on the GUI thread; the longest gap between two beats
is the longest time the GUI could not react (its longest stall). Bar: no stall over 100 ms.
Settings go to a temporary folder, so a developer's own TraceDesk settings are never touched.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, Qt, QTimer, SignalInstance
from PySide6.QtWidgets import QApplication, QWidget

from app.main_window import MainWindow
from app.traces.rows import TraceQuery
from tests.bench import report
from tests.bench.synth import BenchDatabase, ensure_database
from tests.bench.timing import Sample

BEAT_MS = 5
POLL_MS = 20
STALL_BAR_MS = 100.0
TIMEOUT_S = 120.0


class StallProbe(QObject):
    """Beats every 5 ms on the GUI thread and keeps the gaps between beats."""

    def __init__(self) -> None:
        super().__init__()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(BEAT_MS)
        self._timer.timeout.connect(self._beat)
        self._last = 0.0
        self.gaps: list[float] = []

    def start(self) -> None:
        self.gaps = []
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        """Stop beating; return the longest gap in ms (the gap up to now included)."""
        self._beat()
        self._timer.stop()
        return max(self.gaps, default=0.0)

    def _beat(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1e3)
        self._last = now


class PaintWatch(QObject):
    """Notes when each watched widget paints for the first time after `arm()`."""

    def __init__(self, widgets: Sequence[QWidget]) -> None:
        super().__init__()
        self._widgets = list(widgets)
        self.painted: dict[int, float] = {}
        for widget in self._widgets:
            widget.installEventFilter(self)

    def arm(self, *_args: object) -> None:
        self.painted = {}

    @property
    def done(self) -> bool:
        return len(self.painted) == len(self._widgets)

    def last_paint(self) -> float:
        return max(self.painted.values())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # QObject.eventFilter
        if event.type() == QEvent.Type.Paint and id(watched) not in self.painted:
            self.painted[id(watched)] = time.perf_counter()
        return False

    def remove(self) -> None:
        for widget in self._widgets:
            widget.removeEventFilter(self)


def wait_until(condition: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> None:
    """Run the event loop (the probe keeps beating) until `condition()` holds.

    The loop is `exec()`, as the application runs it, with the condition checked every
    `POLL_MS`: a Python loop of `processEvents(WaitForMoreEvents)` keeps the GIL while it
    waits, which made a database thread reading a million rows four times slower.
    """
    if condition():
        return
    loop, deadline = QEventLoop(), time.perf_counter() + timeout_s

    def check() -> None:
        if condition() or time.perf_counter() > deadline:
            loop.quit()

    poll = QTimer()
    poll.setInterval(POLL_MS)
    poll.timeout.connect(check)
    poll.start()
    loop.exec()
    poll.stop()
    if not condition():
        raise TimeoutError("the window did not get there in time")


def wait_signal(signal: SignalInstance, trigger: Callable[[], object]) -> list[Any]:
    """Call `trigger` and run the event loop until `signal` is emitted; return its arguments."""
    got: list[list[Any]] = []

    def keep(*args: Any) -> None:
        got.append(list(args))

    signal.connect(keep)
    try:
        trigger()
        wait_until(lambda: bool(got))
    finally:
        signal.disconnect(keep)
    return got[0]


def print_child_figures(measure: Callable[[], dict[str, Any]]) -> None:
    """A bench child process's work: `measure()` in a QApplication whose settings go to a
    temporary folder (a developer's own are never touched), its figures printed as the one
    JSON line `timing.run_child` reads."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("TraceDeskBench")
    app.setApplicationName("TraceDeskBench")
    with tempfile.TemporaryDirectory() as settings:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings)
        figures = measure()
    print(json.dumps(figures), flush=True)


def open_window(db: BenchDatabase, gc_freeze: bool) -> MainWindow:
    """A shown main window with `db` open and its first page of traces listed; with
    `gc_freeze` what is alive then is frozen out of full GC passes, as `tracedesk` does."""
    window = MainWindow()
    window.resize(1400, 860)
    window.show()
    wait_signal(window.trace_model.page_loaded, lambda: window.open_location(db.path))
    if gc_freeze:
        gc.freeze()
    return window


# -- phase 1: the 10,000-span trace --------------------------------------------------------------


@dataclass
class TraceFigures:
    spans: int
    loaded: Sample  # go to trace -> the explorer has the trace
    painted: Sample  # go to trace -> tree and detail painted
    stall_ms: float


def _open_big_trace(window: MainWindow, trace_id: str, watch: PaintWatch) -> tuple[float, float]:
    """Show a small trace first (so the big one is new), then time opening the big one.

    Paints are counted from the moment the explorer has the trace: the tree and the detail
    painting it, not the "loading" state before."""
    if window.shown_trace_id != window.trace_model.trace_id(0):
        wait_signal(window.explorer.trace_loaded, lambda: window.trace_view.select_row(0))
    started = time.perf_counter()
    window.explorer.trace_loaded.connect(watch.arm)
    try:
        wait_signal(window.explorer.trace_loaded, lambda: window.commands.go_to_trace(trace_id))
    finally:
        window.explorer.trace_loaded.disconnect(watch.arm)
    loaded = time.perf_counter() - started
    wait_until(lambda: watch.done)
    return loaded, watch.last_paint() - started


def measure_big_trace(db: BenchDatabase, repeats: int, gc_freeze: bool) -> TraceFigures:
    window = open_window(db, gc_freeze)
    trace_id = db.big_trace_ids["10000"]
    explorer = window.explorer
    watch = PaintWatch([explorer.spans.view.viewport(), explorer.detail])
    probe = StallProbe()
    loaded, painted = [], []
    try:
        probe.start()
        for _ in range(repeats):
            first, second = _open_big_trace(window, trace_id, watch)
            loaded.append(first)
            painted.append(second)
        stall = probe.stop()
        trace = explorer.current_trace()
        spans = len(trace.data.spans) if trace is not None else 0
    finally:
        watch.remove()
        window.close()
    return TraceFigures(spans, Sample(tuple(loaded)), Sample(tuple(painted)), stall)


# -- phase 2: scrolling the whole list ------------------------------------------------------------


@dataclass
class ListFigures:
    rows: int
    pages: int
    total_s: float
    page: Sample  # reaching the bottom -> the next page's rows are in the view
    stall_ms: float
    slowest_gaps: list[float] = field(default_factory=list)


def _page_arrived(window: MainWindow, rows: int) -> Callable[[], bool]:
    model, root = window.trace_model, window.trace_view.rootIndex()
    return lambda: model.rowCount() > rows or not model.canFetchMore(root)


def _scroll_to_end(window: MainWindow) -> list[float]:
    """Drag to the bottom, wait for the page the view asks for, again, until the end."""
    view, model = window.trace_view, window.trace_model
    bar, times = view.verticalScrollBar(), []
    while model.canFetchMore(view.rootIndex()):
        rows = model.rowCount()
        started = time.perf_counter()
        bar.setValue(bar.maximum())  # the view fetches more when it reaches its end
        wait_until(_page_arrived(window, rows))
        times.append(time.perf_counter() - started)
        QApplication.processEvents()  # the new rows are laid out and painted
    return times


def measure_list(db: BenchDatabase, gc_freeze: bool) -> ListFigures:
    window = open_window(db, gc_freeze)
    model = window.trace_model
    assert window.store is not None
    wait_signal(model.page_loaded, lambda: model.load(window.store, TraceQuery(None)))
    probe = StallProbe()
    try:
        probe.start()
        started = time.perf_counter()
        times = _scroll_to_end(window)
        total = time.perf_counter() - started
        stall = probe.stop()
        rows = model.rowCount()
    finally:
        window.close()
    slowest = sorted(probe.gaps, reverse=True)[:5]
    return ListFigures(rows, len(times) + 1, total, Sample(tuple(times)), stall, slowest)


# -- report ---------------------------------------------------------------------------------------


@dataclass
class GuiFindings:
    trace: TraceFigures | None
    listing: ListFigures | None
    list_size: int


def bars(findings: GuiFindings) -> list[report.Bar]:
    out = []
    if findings.trace is not None:
        stall = findings.trace.stall_ms
        out.append(
            report.Bar(
                "GUI: opening the 10,000-span trace never stalls the GUI over 100 ms",
                f"longest stall {stall:.0f} ms",
                stall <= STALL_BAR_MS,
            )
        )
    if findings.listing is not None:
        stall = findings.listing.stall_ms
        out.append(
            report.Bar(
                f"GUI: scrolling {findings.list_size:,} traces end to end never stalls over 100 ms",
                f"longest stall {stall:.0f} ms",
                stall <= STALL_BAR_MS,
            )
        )
    return out


def markdown(findings: GuiFindings) -> str:
    """The GUI section for BENCHMARKS.md: both phases, then the bars."""
    rows: list[list[object]] = []
    if (t := findings.trace) is not None:
        rows.append([f"open the {t.spans:,}-span trace: explorer has it (s)", t.loaded.s(), ""])
        rows.append(["… tree and detail painted (s)", t.painted.s(), f"{t.stall_ms:.0f}"])
    if (li := findings.listing) is not None:
        rows.append(
            [
                f"scroll {li.rows:,} traces to the end, {li.pages:,} pages (s)",
                f"{li.total_s:.2f}",
                f"{li.stall_ms:.0f}",
            ]
        )
        rows.append(["… one page: bottom reached → rows shown (ms)", li.page.ms(), ""])
    body = report.table(["measure", "median (min-max)", "longest GUI stall (ms)"], rows)
    return body + "\n\n" + report.bars_table(bars(findings))


def run(
    list_size: int, repeats: int, phases: Sequence[str], gc_freeze: bool = False
) -> GuiFindings:
    """Measure the asked phases in a QApplication with throwaway settings; with `gc_freeze`,
    what is alive once the window is up is frozen out of the GC's full passes."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("TraceDeskBench")
    app.setApplicationName("TraceDeskBench")
    with tempfile.TemporaryDirectory() as settings:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings)
        trace = list_figures = None
        if "trace" in phases:
            print("opening the 10,000-span trace", flush=True)
            trace = measure_big_trace(ensure_database(10_000), repeats, gc_freeze)
        gc.unfreeze()
        if "list" in phases:
            print(f"scrolling {list_size:,} traces", flush=True)
            list_figures = measure_list(ensure_database(list_size), gc_freeze)
        gc.unfreeze()
    return GuiFindings(trace, list_figures, list_size)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.gui", description=__doc__)
    parser.add_argument("--list-size", type=int, default=100_000, help="traces in the list")
    parser.add_argument("--repeats", type=int, default=5, help="openings of the big trace")
    parser.add_argument("--quick", action="store_true", help="two openings of the big trace")
    parser.add_argument("--only", choices=["trace", "list"], help="measure one phase only")
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="skip the gc.freeze() the app does at start-up (the worst case)",
    )
    args = parser.parse_args(argv)
    phases = [args.only] if args.only else ["trace", "list"]
    repeats = 2 if args.quick else args.repeats
    findings = run(args.list_size, repeats, phases, gc_freeze=args.gc_freeze)
    print("\n" + markdown(findings))
    return 1 if any(bar.passed is False for bar in bars(findings)) else 0


if __name__ == "__main__":
    sys.exit(main())
