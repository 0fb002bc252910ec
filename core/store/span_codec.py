"""Spans from where MLflow keeps them: `spans` rows (3.2+) or `traces.json` files (older).

Everything is turned into `core.entities.Span` with hex ids and a document in MLflow 3's
shape. Rows keep their JSON text undecoded; the tree needs only the columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import Any

from core.entities import PayloadSource, Span
from core.entities.span_dict import span_fields

_START_AND_ID = attrgetter("start_time_ns", "span_id")
_STATUS_FROM_OTEL = {
    "STATUS_CODE_OK": "OK",
    "STATUS_CODE_ERROR": "ERROR",
    "STATUS_CODE_UNSET": "UNSET",
}


def span_from_row(trace_id: str, row: Sequence[Any], payloads: PayloadSource | None = None) -> Span:
    """A span from a `spans` row (MLflow ≥ 3.2): columns now, JSON later.

    `row` is `(span_id, parent_span_id, name, type, status, start_ns, end_ns, content)`, or
    without `content` when `payloads` will provide it on first access. The JSON is checked only
    when first read (`Span.decode_error`). Kept lean: a 10,000-span trace calls this 10,000
    times.
    """
    status = row[4]
    return Span(
        trace_id,
        row[0],
        row[1] or None,
        row[2] or "",
        row[3],
        _STATUS_FROM_OTEL.get(status, status or "UNSET"),
        row[5],
        row[6],
        payloads if payloads is not None else row[7] or "",
    )


def spans_from_traces_json(trace_id: str, document: Any) -> tuple[list[Span], list[str]]:
    """Spans from a parsed `traces.json` (3.x OTel shape or 2.x shape); also returns problems."""
    if not isinstance(document, Mapping) or not isinstance(document.get("spans"), list):
        return [], ["traces.json holds no list of spans"]
    spans: list[Span] = []
    problems: list[str] = []
    for index, raw in enumerate(document["spans"]):
        try:
            if not isinstance(raw, Mapping):
                raise TypeError("not an object")
            spans.append(Span(*span_fields(raw, trace_id)))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"span #{index + 1} in traces.json cannot be read ({exc})")
    return spans, problems


def tree_order(spans: Sequence[Span]) -> list[Span]:
    """Spans in depth-first order: roots first, siblings by start time (then id).

    A span whose parent was never recorded is a root. Spans whose parents form a loop (bad
    data) are reached from no root: each loop is shown from its earliest span, so none is lost
    and nothing is walked twice.
    """
    by_start = sorted(spans, key=_START_AND_ID)  # one sort in C; stable for equal keys
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[Span]] = {}
    for span in by_start:
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)
    ordered: list[Span] = []
    placed: set[int] = set()  # by identity: two spans may share an id
    for start in (children.get(None, []), by_start):
        stack = start[::-1]
        while stack:
            span = stack.pop()
            if id(span) in placed:
                continue
            placed.add(id(span))
            ordered.append(span)
            kids = children.get(span.span_id)
            if kids:
                stack.extend(reversed(kids))
        if len(ordered) == len(spans):
            break
    return ordered
