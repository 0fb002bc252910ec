"""Time TraceDesk's read paths in this (fresh) process, so no cache of an earlier call helps.

    python -m tests.bench.probe page DB [EXPERIMENT_IDS|-]
    python -m tests.bench.probe get DB TRACE_ID
    python -m tests.bench.probe get-only DB TRACE_ID
    python -m tests.bench.probe search DB EXPERIMENT_IDS MAX_RESULTS
    python -m tests.bench.probe memory DB TRACE_ID

Each prints one JSON object with the seconds of the import, of `Store.open`, and of the first
(cold) call; `memory` prints the peak resident set size (VmHWM, else ru_maxrss) after each step.
The OS page cache is not dropped (that needs root): "cold" means a new process, warm disk.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()


def _scope(text: str) -> list[str] | None:
    return None if text == "-" else text.split(",")


def _peak_rss_mb() -> float:
    """Peak resident set size of this process since it started, in MB.

    `VmHWM` is the high-water mark of this process's own address space. `ru_maxrss` is not
    used when VmHWM exists: on Linux it keeps the peak of the address space replaced by
    `execve`, which for a child started by a large parent is the parent's forked copy.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def _decode_all(trace: Any) -> int:
    """Decode every attribute of every span, as a UI that expanded everything would."""
    return sum(len(span.attributes) for span in trace.data.spans)


def _call(store: Any, operation: str, args: list[str]) -> dict[str, Any]:
    reader = store.reader
    if operation == "page":
        page, seconds = _timed(lambda: reader.trace_page(_scope(args[0]), limit=100))
        return {"call_s": seconds, "size": len(page.rows)}
    if operation == "get":
        trace, seconds = _timed(lambda: reader.get_trace(args[0]))
        attributes, decode_s = _timed(lambda: _decode_all(trace))
        return {
            "call_s": seconds,
            "decode_s": decode_s,
            "size": len(trace.data.spans),
            "attributes": attributes,
        }
    if operation == "get-only":  # a huge trace: its spans, not the decoding of every attribute
        trace, seconds = _timed(lambda: reader.get_trace(args[0]))
        return {"call_s": seconds, "size": len(trace.data.spans), "peak_mb": _peak_rss_mb()}
    if operation == "search":
        import pandas  # noqa: F401 - as `import mlflow` does: the call alone is timed

        import core

        core.set_tracking_uri(store.location.path)
        frame, seconds = _timed(
            lambda: core.search_traces(locations=args[0].split(","), max_results=int(args[1]))
        )
        return {"call_s": seconds, "size": len(frame)}
    raise SystemExit(f"unknown operation {operation!r}")


def _memory(store: Any, trace_id: str) -> dict[str, Any]:
    steps = {"opened_mb": _peak_rss_mb()}
    store.reader.trace_page(None, limit=100)
    steps["first_page_mb"] = _peak_rss_mb()
    trace = store.reader.get_trace(trace_id)
    steps["get_trace_mb"] = _peak_rss_mb()
    _decode_all(trace)
    steps["decoded_mb"] = _peak_rss_mb()
    return steps


def main(argv: list[str]) -> None:
    operation, db_path, *args = argv
    from core.store.store import Store

    imported = time.perf_counter()
    store, open_s = _timed(lambda: Store.open(db_path))
    memory = operation == "memory"
    result = _memory(store, args[0]) if memory else _call(store, operation, args)
    result |= {"import_s": imported - STARTED, "open_s": open_s}
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
