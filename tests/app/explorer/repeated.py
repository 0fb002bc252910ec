"""An agent trace with 300 repeated tool calls, as plain spans or written with core's tracing
API: what folding and the critical path are about.

    research agent (AGENT)
      plan (CHAT_MODEL)
      gather (CHAIN): 300 x search_docs (TOOL), one after another, 3 of them fail
      fetch pages (CHAIN): 6 x fetch_page (TOOL) in parallel, the 4th is the slowest
      summarize (CHAT_MODEL)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import core
from core import tracking
from core.entities import Span

MS = 1_000_000
T0 = 1_795_677_600_000_000_000
SEARCHES = 300
FAILED_SEARCHES = (13, 110, 207)  # the calls that fail
FETCHES = (180, 240, 150, 620, 90, 300)  # fetch_page durations (ms); all start together
SLOWEST_FETCH = 3


@dataclass(frozen=True)
class Step:
    """One span of the plan: its id, parent id, name, type, times (ns) and status."""

    span_id: str
    parent: str | None
    name: str
    kind: str
    start: int
    end: int
    status: str = "OK"


def search_ms(call: int) -> int:
    """How long search call `call` took: 40 to 390 ms, with every 50th a 1.5 s outlier."""
    return 1500 if call % 50 == 49 else 40 + (call * 37) % 351


def plan() -> list[Step]:
    """The spans of the trace, parents before children."""
    steps = [Step("plan", "root", "plan", "CHAT_MODEL", T0, T0 + 400 * MS)]
    clock = T0 + 410 * MS
    gather_start = clock
    searches = []
    for call in range(SEARCHES):
        end = clock + search_ms(call) * MS
        status = "ERROR" if call in FAILED_SEARCHES else "OK"
        searches.append(Step(f"search{call}", "gather", "search_docs", "TOOL", clock, end, status))
        clock = end + 2 * MS
    steps.append(Step("gather", "root", "gather", "CHAIN", gather_start, clock))
    steps.extend(searches)
    fetch_start = clock + 5 * MS
    fetches = [
        Step(f"fetch{n}", "fetch", "fetch_page", "TOOL", fetch_start, fetch_start + ms * MS)
        for n, ms in enumerate(FETCHES)
    ]
    clock = fetch_start + max(FETCHES) * MS + 3 * MS
    steps.append(Step("fetch", "root", "fetch pages", "CHAIN", fetch_start, clock))
    steps.extend(fetches)
    steps.append(Step("summarize", "root", "summarize", "CHAT_MODEL", clock, clock + 800 * MS))
    root = Step("root", None, "research agent", "AGENT", T0, clock + 810 * MS)
    return [root, *steps]


def repeated_spans() -> list[Span]:
    """The trace as core spans with empty payloads."""
    return [
        Span("tr-1", s.span_id, s.parent, s.name, s.kind, s.status, s.start, s.end, "{}")
        for s in plan()
    ]


def build_repeated_trace(path: Path) -> str:
    """The trace written to a new database at `path` with core's tracing API; its id."""
    core.set_tracking_uri(f"sqlite:///{path}")
    try:
        steps = plan()
        live: dict[str, core.LiveSpan] = {}
        for step in steps:
            parent = live.get(step.parent) if step.parent else None
            span = core.start_span_no_context(
                step.name,
                step.kind,
                parent_span=parent,
                inputs={"query": f"{step.span_id} input"},
                start_time_ns=step.start,
            )
            if step.status == "ERROR":
                span.set_status("ERROR", f"{step.span_id} timed out")
            live[step.span_id] = span
        for step in reversed(steps):  # children end before their parents
            live[step.span_id].end(outputs=f"{step.span_id} output", end_time_ns=step.end)
        trace_id = live["root"].trace_id
        core.flush_trace_async_logging()
    finally:
        tracking.reset()
    return trace_id
