"""The trace-list filters Insights opens, in the filter language the query bar shows (no Qt):
a time bucket (and its group), a span name or model, an error message, a session."""

from __future__ import annotations

import json
import re

from app.traces.terms import field, quoted
from core.store import ERROR_PREFIX_CHARS


def bucket_filter(start_ms: int, end_ms: int, by: str | None, group: str | None) -> str:
    """Traces requested in [start_ms, end_ms), of `group` when the chart is broken down `by`
    ("name", "status", "tag:<key>", "span.type" or "span.model")."""
    terms = [f"trace.timestamp_ms >= {start_ms}", f"trace.timestamp_ms < {end_ms}"]
    if by is not None:
        terms.append(group_term(by, group))
    return " AND ".join(terms)


def group_term(by: str, group: str | None) -> str:
    """The term that keeps the traces of one group of a breakdown (None: the ones without)."""
    if by == "name":
        name = "trace.name"
    elif by == "status":
        name = "trace.status"
    elif by.startswith("tag:"):
        name = field("tag", by[4:])
    elif by in ("span.type", "span.model"):
        name = by  # a span breakdown leaves out spans without one: a group has a value
    else:
        raise ValueError(f"No breakdown {by!r}")
    return f"{name} IS NULL" if group is None else f"{name} = {quoted(group)}"


def span_filter(span_name: str) -> str:
    """Traces with a span of this name."""
    return f"span.name = {quoted(span_name)}"


def model_filter(model: str) -> str:
    """Traces with a span that called this model (the spans' model column)."""
    return f"span.model = {quoted(model)}"


def error_filter(kind: str | None, message: str) -> str:
    """Traces with an error span whose JSON holds the start of this message (the part an
    error row's messages share): as JSON writes it (quotes, backslashes and line breaks
    escaped), up to the first character a writer may write either raw or as a `\\u` escape;
    LIKE's wildcards in it match any one character."""
    written = json.dumps(message[:ERROR_PREFIX_CHARS], ensure_ascii=False)[1:-1]
    varies = re.search(r"[^\x20-\x7e]|\\u", written)
    start = written[: varies.start()] if varies else written
    target = re.sub("[%_]", "_", start) if start.strip() else (kind or "")
    terms = ["span.status = 'ERROR'"]
    if target:
        terms.append(f"span.content LIKE {quoted('%' + target + '%')}")
    return " AND ".join(terms)


def session_filter(session_id: str) -> str:
    """The turns of one chat session."""
    return f"trace.session_id = {quoted(session_id)}"
