"""Text for cells and tooltips: times, durations, token counts, one-line previews (no Qt)."""

from __future__ import annotations

import datetime as dt
import html
import os
from pathlib import Path

from core.safe_text import isolated

#: A preview cell never holds more than this; the full text is in the tooltip.
PREVIEW_CHARS = 240
#: Tooltips show at most this much of a preview (MLflow caps previews at 1000 anyway).
TOOLTIP_CHARS = 2000
EMPTY = "—"


def local_time(timestamp_ms: int) -> str:
    """Milliseconds since the epoch as a readable local time: `2026-11-26 08:19:45`."""
    moment = dt.datetime.fromtimestamp(timestamp_ms / 1000).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def local_time_detail(timestamp_ms: int) -> str:
    """Local time with milliseconds and the zone, for tooltips."""
    moment = dt.datetime.fromtimestamp(timestamp_ms / 1000).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{timestamp_ms % 1000:03d} {moment:%Z}"


def duration(ms: int | None) -> str:
    """A duration in the largest unit that keeps it short: `850 ms`, `2.35 s`, `3 min 05 s`."""
    if ms is None:
        return EMPTY
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def count(value: int | None) -> str:
    """An integer with thousands separators, or nothing."""
    return "" if value is None else f"{value:,}"


def home_path(text: str) -> str:
    """`text` with the user's home folder written `~` wherever a path in it starts there:
    shorter in a status bar, and no user name in a screenshot."""
    home = str(Path.home())
    return text.replace(home + os.sep, "~" + os.sep) if home not in ("", os.sep) else text


def one_line(text: str | None, limit: int = PREVIEW_CHARS) -> str:
    """Collapse whitespace (newlines included) and cut at `limit` characters with an ellipsis;
    a right-to-left override inside stays inside (`core.safe_text.isolated`)."""
    if not text:
        return ""
    flat = " ".join(text.split())
    return isolated(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def rich_tooltip(text: str | None, limit: int = TOOLTIP_CHARS) -> str:
    """Untrusted text as an escaped, wrapping rich-text tooltip (Qt wraps only rich text)."""
    if not text:
        return ""
    shown = text if len(text) <= limit else text[:limit] + "…"
    return f"<p style='white-space:pre-wrap'>{html.escape(shown)}</p>"
