"""What the trace list shows of one trace: display cells prepared off the GUI thread (no Qt
objects are made here: this runs in the database thread)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, NamedTuple

from app import formatting as fmt
from app.explorer.assessments import value_text
from app.traces import terms
from core.entities import TraceListKeys, TraceRow, TraceRowExtras
from core.mlflow_keys import TRACE_USER_METADATA, USER_TAG
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
    SESSION = 8
    USER = 9
    COST = 10


HEADERS: dict[Column, tuple[str, str]] = {
    Column.TRACE_ID: ("Trace ID", "The trace's id in the tracking store"),
    Column.NAME: ("Name", "The trace's name (its root span's name unless set)"),
    Column.STATE: ("State", "OK, Error or In progress"),
    Column.REQUEST_TIME: ("Request time", "When the trace started, in local time"),
    Column.DURATION: ("Duration", "Execution time of the whole trace"),
    Column.TOKENS: ("Tokens", "Total tokens the trace's LLM calls reported"),
    Column.REQUEST: ("Request", "Preview of the trace's input"),
    Column.RESPONSE: ("Response", "Preview of the trace's output"),
    Column.SESSION: ("Session", "The conversation the trace belongs to (mlflow.trace.session)"),
    Column.USER: ("User", "Who the trace was for (mlflow.trace.user, else mlflow.user)"),
    Column.COST: ("Cost", "What the trace's LLM calls cost, in USD, where MLflow priced them"),
}
#: The metadata the User column reads; the first one set wins, as in the explorer's header.
USER_KEYS = (TRACE_USER_METADATA, USER_TAG)

STATE_LABELS = {
    "OK": "OK",
    "ERROR": "Error",
    "IN_PROGRESS": "In progress",
    "STATE_UNSPECIFIED": "Unspecified",
}


@dataclass(frozen=True)
class TraceQuery:
    """Which traces the list shows: experiments (None = all), a filter, and an order; and
    what rows carry beyond `trace_info` (the tag and assessment columns, the user)."""

    experiment_ids: tuple[str, ...] | None
    filter_string: str | None = None
    order_by: tuple[str, ...] | None = None
    extras: TraceRowExtras = field(default_factory=TraceRowExtras)


class ExtraColumn(NamedTuple):
    """A column after the built-in ones: an assessment's value or a tag's."""

    kind: str  # "assessment" or "tag"
    key: str  # the assessment name or tag key


def extra_columns(extras: TraceRowExtras) -> tuple[ExtraColumn, ...]:
    """The columns `extras` adds, in order: assessments, then tags."""
    return tuple(ExtraColumn("assessment", name) for name in extras.assessment_names) + tuple(
        ExtraColumn("tag", key) for key in extras.tag_keys
    )


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
    #: Per column, the filter term "filter by this value" applies ("" where there is none).
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedPage:
    items: tuple[TraceItem, ...]
    next_key: tuple[Any, ...] | None


def state_label(state: str | None) -> str:
    if not state:
        return fmt.EMPTY
    return STATE_LABELS.get(state, state.replace("_", " ").capitalize())


def make_item(row: TraceRow, extras: TraceRowExtras | None = None) -> TraceItem:
    """Format `row` with the columns of `extras`; a row whose values cannot be formatted
    becomes a disabled error row."""
    extras = extras or TraceRowExtras()
    try:
        return _format(row, extras)
    except Exception as exc:  # one bad row must not lose the page
        trace_id = str(getattr(row, "trace_id", "") or "?")
        message = f"Could not read this trace: {exc}"
        blank = len(Column) + len(extra_columns(extras)) - 2
        cells = (trace_id, message, *[""] * blank)
        tips = (fmt.rich_tooltip(trace_id), fmt.rich_tooltip(message), *[""] * blank)
        when = getattr(row, "request_time", 0)
        return TraceItem(
            trace_id,
            "",
            cells,
            tips,
            error=message,
            request_time=when if isinstance(when, int) else 0,
        )


def _format(row: TraceRow, extras: TraceRowExtras) -> TraceItem:
    user_key = next((key for key in USER_KEYS if row.metadata.get(key)), None)
    user = row.metadata[user_key] if user_key else None
    cells = (
        row.trace_id,
        fmt.one_line(row.name),
        state_label(row.state),
        fmt.local_time(row.request_time),
        fmt.duration(row.execution_duration),
        fmt.count(row.total_tokens),
        fmt.one_line(row.request_preview),
        fmt.one_line(row.response_preview),
        fmt.one_line(row.session_id),
        fmt.one_line(user),
        cost_text(row.total_cost),
    )
    trace_tip = row.trace_id + (f"\nSession: {row.session_id}" if row.session_id else "")
    trace_tip += "".join(f"\n⚠ {problem}" for problem in row.problems)  # e.g. a time that is text
    tooltips = (  # all escaped: Qt would render a plain tooltip that looks like HTML as HTML
        fmt.rich_tooltip(trace_tip),
        fmt.rich_tooltip(row.name),
        fmt.rich_tooltip(row.state),
        fmt.local_time_detail(row.request_time),
        "" if row.execution_duration is None else f"{row.execution_duration:,} ms",
        "" if row.total_tokens is None else f"{row.total_tokens:,} tokens",
        fmt.rich_tooltip(row.request_preview),
        fmt.rich_tooltip(row.response_preview),
        fmt.rich_tooltip(row.session_id),
        fmt.rich_tooltip(f"{user}\n\n({user_key})" if user_key else None),
        "" if row.total_cost is None else f"{row.total_cost} USD",
    )
    filters = {  # the columns a value of which makes a useful filter
        Column.NAME: terms.equals("trace", "name", row.name) if row.name else "",
        Column.STATE: terms.equals("trace", "status", row.state) if row.state else "",
        Column.SESSION: (
            terms.equals("trace", "session_id", row.session_id) if row.session_id else ""
        ),
        Column.USER: terms.equals("metadata", user_key, user) if user_key and user else "",
    }
    found = tuple(filters.get(column, "") for column in Column)
    extra = [_extra_cell(row, column) for column in extra_columns(extras)]
    return TraceItem(
        row.trace_id,
        row.state or "",
        cells + tuple(cell for cell, _tip, _term in extra),
        tooltips + tuple(tip for _cell, tip, _term in extra),
        request_time=row.request_time,
        terms=found + tuple(term for _cell, _tip, term in extra),
    )


def _extra_cell(row: TraceRow, column: ExtraColumn) -> tuple[str, str, str]:
    """(cell, tooltip, filter term) of a tag or assessment column."""
    if column.kind == "tag":
        value = row.tags.get(column.key)
        if value is None:
            return "", "", ""
        tip = fmt.rich_tooltip(f"{column.key}\n\n{value}")
        return fmt.one_line(value), tip, terms.equals("tag", column.key, value)
    found = row.assessments.get(column.key)
    if found is None:
        return "", "", ""
    if found.failed:
        tip = f"{column.key} ({found.assessment_type}): the assessment failed"
        return "Error", fmt.rich_tooltip(tip), ""
    text, _colour = value_text(found.value)
    term = terms.assessment_term(found.assessment_type, column.key, found.value)
    tip = fmt.rich_tooltip(f"{column.key} ({found.assessment_type})\n\n{text}")
    return fmt.one_line(text), tip, term


def cost_text(usd: float | None) -> str:
    """A cost in dollars, to a hundredth of a cent below one dollar: `$0.0012`, `$3.20`."""
    if usd is None:
        return ""
    if usd == 0:
        return "$0"
    if abs(usd) < 0.0001:
        return "<$0.0001"
    return f"${usd:.4f}" if abs(usd) < 1 else f"${usd:,.2f}"


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
        extras=query.extras,
    )
    return LoadedPage(tuple(make_item(row, query.extras) for row in page.rows), page.next_key)


def count_traces(reader: StoreReader, query: TraceQuery) -> int:
    """Database thread: how many traces `query` matches."""
    return reader.count_traces(query.experiment_ids, query.filter_string)


def list_keys(reader: StoreReader, experiment_ids: tuple[str, ...] | None) -> TraceListKeys:
    """Database thread: the tag keys and assessment names the column chooser offers."""
    return reader.trace_list_keys(experiment_ids)


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
        query.experiment_ids,
        filter_string=since_filter(query.filter_string, since_ms),
        limit=limit,
        extras=query.extras,
    )
    items = tuple(make_item(row, query.extras) for row in page.rows)
    return NewerRows(items, page.next_key is None, count_traces(reader, query))
