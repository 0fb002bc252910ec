"""The real main window with a huge trace, measured in this (fresh) process; one JSON line out.

    .venv/bin/python -m tests.bench.huge_gui DB TRACE_ID SMALL_TRACE_ID

After the database is open and its small trace shown, the huge trace is opened by id (Ctrl+L's
path). Timed: until the explorer has it, until its span tree has painted it, and until the
detail has rendered its root span. Then, like a user: the tree is dragged through from top to
bottom, "Expand all" is clicked and the expanded tree dragged through, a name filter is typed
(and cleared), and three spans are selected one after another (each one's JSON is read in the
database thread). A QTimer beats every 5 ms on the GUI thread during each
phase: the longest gap between two beats is that phase's longest GUI stall. Peak memory is the
process's own high-water mark (`VmHWM`), taken before the huge trace is opened and at the end.
A child process of its own, so that its memory is the window's alone.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.main_window import MainWindow
from tests.bench.gui import PaintWatch, StallProbe, wait_signal, wait_until
from tests.bench.probe import _peak_rss_mb

#: Positions of the scroll bar a drag through the tree passes (a drag moves in steps).
DRAG_STEPS = 60


def _status_mb(key: str) -> float:
    """One `/proc/self/status` figure (VmRSS, RssAnon, RssFile...) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _phase(probe: StallProbe, run: Callable[[], Any]) -> tuple[float, float]:
    """(seconds, longest stall in ms) of `run()` with the event loop turning."""
    probe.start()
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    return seconds, probe.stop()


def _settle(ms: int = 200) -> None:
    """Let queued work (token cells, repaints) land, the probe still beating."""
    deadline = time.perf_counter() + ms / 1000
    wait_until(lambda: time.perf_counter() > deadline)


def _drag_through(window: MainWindow) -> None:
    """Drag the tree's scroll bar from top to bottom, the view painting at each step."""
    bar = window.explorer.spans.view.verticalScrollBar()
    for step in range(DRAG_STEPS + 1):
        bar.setValue(bar.maximum() * step // DRAG_STEPS)
        _settle(15)


def _open(window: MainWindow, trace_id: str, figures: dict[str, Any]) -> None:
    explorer = window.explorer
    watch = PaintWatch([explorer.spans.view.viewport()])
    rendered: list[float] = []
    explorer.detail.rendered.connect(lambda _tab: rendered.append(time.perf_counter()))
    started = time.perf_counter()
    explorer.trace_loaded.connect(watch.arm)
    wait_signal(explorer.trace_loaded, lambda: window.commands.go_to_trace(trace_id))
    figures["loaded_s"] = time.perf_counter() - started
    wait_until(lambda: watch.done)
    figures["tree_visible_s"] = watch.last_paint() - started
    wait_until(lambda: bool(rendered))
    figures["detail_s"] = rendered[0] - started
    watch.remove()


def _expand_all(window: MainWindow) -> None:
    window.explorer.spans.filter_bar.expand_button.click()
    _settle(100)


def _filter(window: MainWindow) -> None:
    """Type a name filter (debounced, as a user types), wait for it, then clear it."""
    bar = window.explorer.spans.filter_bar
    wait_signal(bar.filter_changed, lambda: QTest.keyClicks(bar.search, "lookup"))
    _settle(100)
    wait_signal(bar.filter_changed, bar.search.clear)
    _settle(100)


def _select_spans(window: MainWindow, figures: dict[str, Any]) -> None:
    """Three spans selected one after another (the middle one, the last one, a chat model a
    third of the way down),
    each waited for until its detail has rendered."""
    explorer, times = window.explorer, []
    loaded = explorer.loaded
    assert loaded is not None
    spans = loaded.trace.data.spans
    third = len(spans) // 3
    chat = next(s for s in spans[third:] if s.span_type == "CHAT_MODEL")
    for span in (spans[len(spans) // 2], spans[-1], chat):
        started = time.perf_counter()
        select = functools.partial(explorer.spans.view.select_span, span.span_id)
        wait_signal(explorer.detail.rendered, select)
        times.append(time.perf_counter() - started)
    figures["select_s"] = times


def measure(db: Path, trace_id: str, small_id: str) -> dict[str, Any]:
    window = MainWindow()
    window.resize(1400, 860)
    gc.freeze()  # as `tracedesk` does once its window exists
    window.show()
    wait_signal(window.trace_model.page_loaded, lambda: window.open_location(db))
    wait_signal(window.explorer.trace_loaded, lambda: window.commands.go_to_trace(small_id))
    figures: dict[str, Any] = {"before_mb": _peak_rss_mb(), "before_anon_mb": _status_mb("RssAnon")}
    probe = StallProbe()
    figures["open_total_s"], figures["open_stall_ms"] = _phase(
        probe, lambda: _open(window, trace_id, figures)
    )
    explorer = window.explorer
    loaded = explorer.loaded
    figures["spans"] = len(loaded.trace.data.spans) if loaded is not None else 0
    figures["read_s"] = loaded.read_s if loaded is not None else 0.0
    figures["index_s"] = loaded.index_s if loaded is not None else 0.0
    figures["scroll_s"], figures["scroll_stall_ms"] = _phase(probe, lambda: _drag_through(window))
    figures["expand_s"], figures["expand_stall_ms"] = _phase(probe, lambda: _expand_all(window))
    figures["rows_expanded"] = _visible_rows(window)
    figures["scroll_expanded_s"], figures["scroll_expanded_stall_ms"] = _phase(
        probe, lambda: _drag_through(window)
    )
    figures["filter_s"], figures["filter_stall_ms"] = _phase(probe, lambda: _filter(window))
    figures["select_total_s"], figures["select_stall_ms"] = _phase(
        probe, lambda: _select_spans(window, figures)
    )
    figures["loaded_payloads"] = (
        sum(s.payload_loaded for s in loaded.trace.data.spans) if loaded else 0
    )
    figures["rss_mb"] = _status_mb("VmRSS")
    figures["anon_mb"] = _status_mb("RssAnon")  # the process's own memory, not mapped file pages
    figures["file_mb"] = _status_mb("RssFile")
    figures["peak_mb"] = _peak_rss_mb()
    window.close()
    return figures


def _visible_rows(window: MainWindow) -> int:
    """Rows the expanded tree lays out (a walk of the expanded rows, not timed)."""
    view = window.explorer.spans.view
    model, count = view.model(), 0
    pending = [model.index(r, 0) for r in range(model.rowCount())]
    while pending:
        index = pending.pop()
        count += 1
        if view.isExpanded(index):
            pending.extend(model.index(r, 0, index) for r in range(model.rowCount(index)))
    return count


def main(argv: list[str]) -> None:
    db, trace_id, small_id = argv
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("TraceDeskBench")
    app.setApplicationName("TraceDeskBench")
    with tempfile.TemporaryDirectory() as settings:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings)
        figures = measure(Path(db), trace_id, small_id)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
