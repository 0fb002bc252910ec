"""What the explorer loads in the database thread: the trace and its indexed span tree (no Qt).

Indexing 10,000 spans is O(n) Python work; doing it beside the query keeps the GUI thread to
handing a ready structure to the model.

A large trace (over `LARGE_TRACE_SPANS` spans) opens on a lighter path: the tree is built from
the columns and its spans' JSON stays in the database, read span by span for what a view
shows (`read_span` for the detail, the tree's token cells), so memory follows what is shown,
not the trace. Its spans' JSON is checked by the database afterwards (`check_large_trace`,
on the job pool) instead of before the tree shows.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass

from app.spans.tree import SpanTree, build_tree
from core.entities import Span, Trace
from core.errors import NotFoundError, StoreError
from core.store import StoreReader, no_gc_pause

#: Traces with more spans than this open on the light path (their JSON read span by span).
LARGE_TRACE_SPANS = 5_000


@dataclass(frozen=True)
class LoadedTrace:
    trace: Trace
    tree: SpanTree
    problems: tuple[str, ...]  # the trace's own, and spans whose JSON is malformed
    read_s: float  # reading the trace (and the database's check of its span JSON)
    index_s: float  # building the tree
    large: bool = False  # its spans' JSON stays in the database until a view asks


def load_trace(reader: StoreReader, trace_id: str, large_over: int | None = None) -> LoadedTrace:
    """`reader.get_trace(trace_id)` and the tree of its spans, timed; a trace of more than
    `large_over` spans (`LARGE_TRACE_SPANS`) keeps its JSON in the database but for its root
    span's (shown first)."""
    started = time.perf_counter()
    limit = LARGE_TRACE_SPANS if large_over is None else large_over
    with no_gc_pause():  # no full collections walking the new spans
        trace = reader.get_trace(trace_id, payloads_per_span_over=limit)
        large = len(trace.data.spans) > limit
        if large:
            root = trace.data.root_span
            if root is not None:
                read_span(reader, root)
        else:
            trace.data.load_payloads()  # in the database thread: the GUI never reads the store
        read = time.perf_counter()
        tree = build_tree(trace.data.spans)
        if large:
            # Out of the GC's generations before it is back on: else the first collection
            # walked a million new spans (170 ms holding the GIL, a stall of the GUI thread),
            # and each later one walked them again. They hold no reference cycles: reference
            # counting frees them with the trace.
            gc.freeze()
    indexed = time.perf_counter()
    problems = trace.problems if large else trace.problems + malformed_notices(reader, trace, tree)
    checked = time.perf_counter() - indexed
    return LoadedTrace(trace, tree, problems, read - started + checked, indexed - read, large)


def read_span(reader: StoreReader, span: Span) -> Span:
    """`span` with its JSON read and decoded (in the database thread), ready for the detail
    panel: only this span's row is read."""
    reader.load_payloads([span])
    if span.decode_error is None:
        _ = span.attributes, span.notes  # decoded here rather than in the GUI thread
    return span


def check_large_trace(
    _token: object, reader: StoreReader, loaded: LoadedTrace
) -> tuple[tuple[str, ...], list[str]]:
    """Notices of a large trace's spans whose JSON is malformed, and their ids (a job: the
    database checks every span's JSON, seconds for a million spans). Their JSON is read too,
    so the tree marks them unreadable without reading anything itself."""
    broken = reader.malformed_spans(loaded.trace.info.trace_id)
    if not broken:
        return (), []
    spans = [loaded.tree.spans[n] for n in map(loaded.tree.by_id.get, broken) if n is not None]
    reader.load_payloads(spans)
    for span in spans:
        _ = span.decode_error
    return malformed_notices(reader, loaded.trace, loaded.tree, broken), broken


def malformed_notices(
    reader: StoreReader, trace: Trace, tree: SpanTree, broken: list[str] | None = None
) -> tuple[str, ...]:
    """Notices for spans whose stored JSON does not parse, when the trace does not say so.

    The database checks the JSON (`json_valid`), so no span is parsed here. Spans read from
    `traces.json` are parsed already and cannot be malformed this way.
    """
    if not trace.data.spans:
        return ()
    notices = []
    if broken is None:
        broken = reader.malformed_spans(trace.info.trace_id)
    for span_id in broken:
        node = tree.by_id.get(span_id)
        name = tree.spans[node].name if node is not None else span_id
        if not any(repr(name) in problem for problem in trace.problems):
            notices.append(f"Span {name!r}: the span's JSON is malformed and cannot be shown.")
    return tuple(notices)


def failure_message(trace_id: str, error: BaseException) -> str:
    """What to tell the user when a trace cannot be loaded."""
    if isinstance(error, NotFoundError):
        return f"Trace {trace_id} no longer exists (it may have been deleted)."
    if isinstance(error, StoreError):
        return f"Trace {trace_id} could not be read: {error}"
    return f"Trace {trace_id} could not be read ({type(error).__name__}: {error})."
