"""Child process: the Compare Traces window on two readings of the 100,000-span trace, its GUI
thread watched for stalls (`StallProbe`) while it reads, compares and shows them, then while
the user walks the changes, toggles Changed only and scrolls.

    python -m tests.bench.diff_gui DB TRACE_ID

Prints one JSON object: the seconds to the comparison on screen, the longest stall of each
phase (ms) and the rows shown.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.tasks import TaskRunner
from app.tracediff.window import TraceDiffWindow
from core.store import Store
from tests.bench.gui import StallProbe, print_child_figures, wait_signal, wait_until

DRAG_STEPS = 40


def _phase(probe: StallProbe, run: Callable[[], Any]) -> tuple[float, float]:
    """(seconds, longest stall ms) of `run`, the event loop running."""
    probe.start()
    started = time.perf_counter()
    run()
    return time.perf_counter() - started, probe.stop()


def _settle(ms: int) -> None:
    deadline = time.perf_counter() + ms / 1000
    wait_until(lambda: time.perf_counter() > deadline)


def _scroll(window: TraceDiffWindow) -> None:
    bar = window.tree.verticalScrollBar()
    for step in range(DRAG_STEPS + 1):
        bar.setValue(bar.maximum() * step // DRAG_STEPS)
        _settle(15)


def _walk(window: TraceDiffWindow) -> None:
    """Next change five times, Changed only on and off, a row's detail."""
    for _ in range(5):
        window.step()
        _settle(30)
    window.set_changed_only(True)
    _settle(100)
    window.set_changed_only(False)
    _settle(100)
    window.select_row(len(window.comparison.diff.pairs) // 2 if window.comparison else 0)
    _settle(300)


def measure(db: Path, trace_id: str) -> dict[str, Any]:
    tasks = TaskRunner()
    store = Store.open(db)
    window = TraceDiffWindow(tasks)
    gc.freeze()  # as `tracedesk` does once its window exists
    window.show()
    probe = StallProbe()

    def read() -> list[Any]:
        return [store.reader.get_trace(trace_id), store.reader.get_trace(trace_id)]

    figures: dict[str, Any] = {}
    figures["open_s"], figures["open_stall_ms"] = _phase(
        probe, lambda: wait_signal(window.compared, lambda: window.load(read))
    )
    comparison = window.comparison
    figures["rows"] = len(comparison.diff.pairs) if comparison is not None else 0
    figures["shown_rows"] = window.model.shown_count()
    figures["scroll_s"], figures["scroll_stall_ms"] = _phase(probe, lambda: _scroll(window))
    figures["walk_s"], figures["walk_stall_ms"] = _phase(probe, lambda: _walk(window))
    window.close()
    tasks.shutdown()
    store.close()
    return figures


def main(argv: list[str]) -> None:
    db, trace_id = argv
    print_child_figures(lambda: measure(Path(db), trace_id))


if __name__ == "__main__":
    main(sys.argv[1:])
