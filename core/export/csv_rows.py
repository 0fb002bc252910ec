"""The trace list's columns as CSV rows: one header, one row per trace, from its `TraceInfo`.

Cells are plain values (ISO times in UTC, milliseconds, token counts, USD). A text cell that
a spreadsheet would take for a formula (`=`, `+`, `-`, `@` first) gets a leading apostrophe,
so opening the file never runs what a traced program wrote.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

from core.entities import TraceInfo
from core.export.errors import TraceFileError
from core.mlflow_keys import TRACE_USER_METADATA, USER_TAG


def _user(info: TraceInfo) -> str | None:
    return info.trace_metadata.get(TRACE_USER_METADATA) or info.tags.get(USER_TAG)


#: The list's built-in columns, by key: (header, cell of a trace). The app names these keys.
BUILT_IN: dict[str, tuple[str, Callable[[TraceInfo], Any]]] = {
    "trace_id": ("Trace ID", lambda i: i.trace_id),
    "name": ("Name", lambda i: i.name),
    "state": ("State", lambda i: i.state.value),
    "request_time": ("Request time (UTC)", lambda i: _iso(i.request_time)),
    "duration": ("Duration (ms)", lambda i: i.execution_duration),
    "tokens": ("Tokens", lambda i: i.token_usage.total_tokens if i.token_usage else None),
    "request": ("Request", lambda i: i.request_preview),
    "response": ("Response", lambda i: i.response_preview),
    "session": ("Session", lambda i: i.session_id),
    "user": ("User", _user),
    "cost": ("Cost (USD)", lambda i: (i.cost or {}).get("total_cost")),
}
DEFAULT_COLUMNS = tuple(BUILT_IN)
ASSESSMENT_PREFIX = "assessment:"
TAG_PREFIX = "tag:"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def header(columns: Sequence[str]) -> list[str]:
    """The header row of `columns` (built-in keys, `assessment:<name>`, `tag:<key>`)."""
    out = []
    for column in columns:
        if column in BUILT_IN:
            out.append(BUILT_IN[column][0])
        elif column.startswith(ASSESSMENT_PREFIX):
            out.append(column.removeprefix(ASSESSMENT_PREFIX))
        elif column.startswith(TAG_PREFIX):
            out.append(column.removeprefix(TAG_PREFIX))
        else:
            raise TraceFileError(f"No trace list column is called {column!r}.")
    return [_inert(text) for text in out]


def row(info: TraceInfo, columns: Sequence[str]) -> list[str]:
    """One trace's cells for `columns`, as text."""
    return [_text(_value(info, column)) for column in columns]


def _value(info: TraceInfo, column: str) -> Any:
    if column in BUILT_IN:
        return BUILT_IN[column][1](info)
    if column.startswith(TAG_PREFIX):
        return info.tags.get(column.removeprefix(TAG_PREFIX))
    return _assessment(info, column.removeprefix(ASSESSMENT_PREFIX))


def _assessment(info: TraceInfo, name: str) -> Any:
    """The newest valid assessment of `name`, as the list's cell shows it ("error" if failed)."""
    found = [a for a in info.assessments if a.name == name and a.valid is not False]
    if not found:
        return None
    newest = max(found, key=lambda a: a.create_time_ms or 0)
    if newest.error is not None and newest.value is None:
        return "error"
    return newest.value


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="milliseconds")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return _inert(value)
    return _inert(json.dumps(value, ensure_ascii=False, default=str))


def _inert(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text
