"""What the explorer loads in the database thread: the trace and its indexed span tree (no Qt).

Indexing 10,000 spans is O(n) Python work; doing it beside the query keeps the GUI thread to
handing a ready structure to the model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from app.spans.tree import SpanTree, build_tree
from core.entities import Trace
from core.errors import NotFoundError, StoreError
from core.store import StoreReader


@dataclass(frozen=True)
class LoadedTrace:
    trace: Trace
    tree: SpanTree
    problems: tuple[str, ...]  # the trace's own, and spans whose JSON is malformed
    read_s: float  # reading the trace (and the database's check of its span JSON)
    index_s: float  # building the tree


def load_trace(reader: StoreReader, trace_id: str) -> LoadedTrace:
    """`reader.get_trace(trace_id)` and the tree of its spans, timed."""
    started = time.perf_counter()
    trace = reader.get_trace(trace_id)
    trace.data.load_payloads()  # here, in the database thread: the GUI never reads the store
    read = time.perf_counter()
    tree = build_tree(trace.data.spans)
    indexed = time.perf_counter()
    problems = trace.problems + malformed_notices(reader, trace, tree)
    checked = time.perf_counter() - indexed
    return LoadedTrace(trace, tree, problems, read - started + checked, indexed - read)


def malformed_notices(reader: StoreReader, trace: Trace, tree: SpanTree) -> tuple[str, ...]:
    """Notices for spans whose stored JSON does not parse, when the trace does not say so.

    The database checks the JSON (`json_valid`), so no span is parsed here. Spans read from
    `traces.json` are parsed already and cannot be malformed this way.
    """
    if not trace.data.spans:
        return ()
    notices = []
    for span_id in reader.malformed_spans(trace.info.trace_id):
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
