"""How the trace list's column widths fit the room it has (no Qt widgets: plain numbers).

The list is full width with no trace open and about half the window beside one. Its layout
steps down as the room shrinks, so the columns a user scans (id, name, state, time, duration,
tokens) never need sideways scrolling at 1280 px:

1. natural widths, Request and Response share the rest;
2. compact widths (a shorter id, the time without year and seconds), previews share;
3. compact widths without the previews (the explorer beside shows the request and response);
   the name, shorter too, takes what is left.

With more columns chosen than fit even then, the list scrolls sideways.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QStyledItemDelegate

#: A preview column is never narrower than this; below it, it is left out for want of room.
MIN_PREVIEW = 120
_FULL_TIME = re.compile(r"^\d{4}-(\d\d-\d\d \d\d:\d\d):\d\d$")


@dataclass(frozen=True)
class WidthPlan:
    """Widths for the visible sections, and the previews left out for want of room."""

    widths: dict[int, int]
    squeezed: frozenset[int] = frozenset()
    compact: bool = False


def plan_widths(
    natural: Mapping[int, int],
    compact: Mapping[int, int],
    previews: Sequence[int],
    room: int,
    stretch: int | None = None,
) -> WidthPlan:
    """Fit the sections of `natural` (every visible one but the previews) and `previews` into
    `room` pixels. `compact` gives the narrower width of the sections that have one; `stretch`
    (the name) takes the width the left-out previews leave."""
    narrow = {section: compact.get(section, width) for section, width in natural.items()}
    named = dict(narrow)  # beside the previews the name keeps its width: it is what one reads
    if stretch is not None and stretch in natural:
        named[stretch] = natural[stretch]
    for widths, is_compact in ((dict(natural), False), (named, True)):
        rest = room - sum(widths.values())
        if not previews and rest >= 0:
            return WidthPlan(widths, compact=is_compact)
        if previews and rest >= len(previews) * MIN_PREVIEW:
            share = rest // len(previews)
            return WidthPlan(widths | dict.fromkeys(previews, share), compact=is_compact)
    if stretch is not None and stretch in narrow:
        narrow[stretch] += max(room - sum(narrow.values()), 0)
    return WidthPlan(narrow, frozenset(previews), compact=True)


def compact_time(text: str) -> str:
    """`2026-11-26 07:19:45` as `11-26 07:19` (the tooltip keeps the whole time)."""
    match = _FULL_TIME.match(text)
    return match.group(1) if match else text


class TimeDelegate(QStyledItemDelegate):
    """Shows the Request time column's cells in the compact form while the list is compact."""

    compact = False

    def displayText(  # QStyledItemDelegate.displayText: Qt paints what this returns
        self, value: object, locale: QLocale | QLocale.Language
    ) -> str:
        text = super().displayText(value, locale)
        return compact_time(text) if self.compact else text
