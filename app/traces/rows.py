"""What the trace list shows of one trace: display cells prepared off the GUI thread (no Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple

from app import formatting as fmt
from core.entities import TraceRow
from core.store import StoreReader


class Column(IntEnum):
    TRACE_ID = 0
    NAME = 1
    STATE = 2
    REQUEST_TIME = 3
    DURATION = 4
    TOKENS = 5
    REQUEST = 6
    RESPONSE = 7


HEADERS: dict[Column, tuple[str, str]] = {
    Column.TRACE_ID: ("Trace ID", "The trace's id in the tracking store"),
    Column.NAME: ("Name", "The trace's name (its root span's name unless set)"),
    Column.STATE: ("State", "OK, Error or In progress"),
    Column.REQUEST_TIME: ("Request time", "When the trace started, in local time"),
    Column.DURATION: ("Duration", "Execution time of the whole trace"),
    Column.TOKENS: ("Tokens", "Total tokens the trace's LLM calls reported"),
    Column.REQUEST: ("Request", "Preview of the trace's input"),
    Column.RESPONSE: ("Response", "Preview of the trace's output"),
}

STATE_LABELS = {
    "OK": "OK",
    "ERROR": "Error",
    "IN_PROGRESS": "In progress",
    "STATE_UNSPECIFIED": "Unspecified",
}


@dataclass(frozen=True)
class TraceQuery:
    """Which traces the list shows: experiments (None = all), a filter, and an order."""

    experiment_ids: tuple[str, ...] | None
    filter_string: str | None = None
    order_by: tuple[str, ...] | None = None


class TraceItem(NamedTuple):
    """One row of the list, formatted; `error` is set when the row could not be read.

    A tuple of strings and numbers on purpose: Python's garbage collector stops tracking such
    tuples, so 100,000 loaded rows add nothing to the full collections that would otherwise
    pause the GUI thread for 100 ms and more.
    """

    trace_id: str
    state: str
    cells: tuple[str, ...]
    tooltips: tuple[str, ...]
    error: str | None = None
    request_time: int = 0  # ms since the epoch: live mode asks for traces from the newest on


@dataclass(frozen=True)
class LoadedPage:
    items: tuple[TraceItem, ...]
    next_key: tuple[Any, ...] | None


def state_label(state: str | None) -> str:
    if not state:
        return fmt.EMPTY
    return STATE_LABELS.get(state, state.replace("_", " ").capitalize())


def make_item(row: TraceRow) -> TraceItem:
    """Format `row`; a row whose values cannot be formatted becomes a disabled error row."""
    try:
        return _format(row)
    except Exception as exc:  # one bad row must not lose the page
        trace_id = str(getattr(row, "trace_id", "") or "?")
        message = f"Could not read this trace: {exc}"
        cells = (trace_id, message, "", "", "", "", "", "")
        tips = (fmt.rich_tooltip(trace_id), fmt.rich_tooltip(message), *[""] * 6)
        when = getattr(row, "request_time", 0)
        return TraceItem(
            trace_id,
            "",
            cells,
            tips,
            error=message,
            request_time=when if isinstance(when, int) else 0,
        )


def _format(row: TraceRow) -> TraceItem:
    cells = (
        row.trace_id,
        fmt.one_line(row.name),
        state_label(row.state),
        fmt.local_time(row.request_time),
        fmt.duration(row.execution_duration),
        fmt.count(row.total_tokens),
        fmt.one_line(row.request_preview),
        fmt.one_line(row.response_preview),
    )
    trace_tip = row.trace_id + (f"\nSession: {row.session_id}" if row.session_id else "")
    tooltips = (  # all escaped: Qt would render a plain tooltip that looks like HTML as HTML
        fmt.rich_tooltip(trace_tip),
        fmt.rich_tooltip(row.name),
        fmt.rich_tooltip(row.state),
        fmt.local_time_detail(row.request_time),
        "" if row.execution_duration is None else f"{row.execution_duration:,} ms",
        "" if row.total_tokens is None else f"{row.total_tokens:,} tokens",
        fmt.rich_tooltip(row.request_preview),
        fmt.rich_tooltip(row.response_preview),
    )
    return TraceItem(row.trace_id, row.state or "", cells, tooltips, request_time=row.request_time)


def load_page(
    reader: StoreReader, query: TraceQuery, after: Sequence[Any] | None, limit: int
) -> LoadedPage:
    """Database thread: read one page of `query` after key `after` and format its rows."""
    page = reader.trace_page(
        query.experiment_ids,
        filter_string=query.filter_string,
        order_by=query.order_by,
        after=after,
        limit=limit,
    )
    return LoadedPage(tuple(make_item(row) for row in page.rows), page.next_key)


def count_traces(reader: StoreReader, query: TraceQuery) -> int:
    """Database thread: how many traces `query` matches."""
    return reader.count_traces(query.experiment_ids, query.filter_string)


@dataclass(frozen=True)
class NewerRows:
    """Live mode: the rows from `since_ms` on, newest first, and the query's new total.

    `complete` is False when more rows arrived than one page holds; the list is then read again
    from the top instead of merged.
    """

    items: tuple[TraceItem, ...]
    complete: bool
    total: int


def since_filter(filter_string: str | None, since_ms: int) -> str:
    """`filter_string` narrowed to traces that started at or after `since_ms`."""
    bound = f"trace.timestamp_ms >= {int(since_ms)}"
    return f"({filter_string}) AND {bound}" if filter_string else bound


def load_newer(reader: StoreReader, query: TraceQuery, since_ms: int, limit: int) -> NewerRows:
    """Database thread: the rows of `query` from `since_ms` on (newest first), and the count."""
    page = reader.trace_page(
        query.experiment_ids, filter_string=since_filter(query.filter_string, since_ms), limit=limit
    )
    items = tuple(make_item(row) for row in page.rows)
    return NewerRows(items, page.next_key is None, count_traces(reader, query))
