"""The detail of one row of a trace diff as escaped rich text (no Qt).

Everything from the database (names, paths, values) is escaped here; word diffs come from
`segments_html`, which escapes its pieces. Both sides of a change sit side by side.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from app.evaluations.diff import segments_html
from app.tracediff.loading import ChangeView, PairDetail
from app.tracediff.look import (
    count_text,
    delta_colour,
    dollars,
    duration_delta,
    duration_or_dash,
    is_notable,
    signed_count,
    signed_dollars,
    status_colour,
)
from core.tracediff import CHANGED, ONLY_LEFT, ONLY_RIGHT, SAME, SpanPair

#: (light, dark) backgrounds of the left and the right side of a change.
SIDES = {"left": ("#fef2f2", "#2b1719"), "right": ("#f0fdf4", "#102418")}
TITLES = {SAME: "Same", CHANGED: "Changed", ONLY_LEFT: "Only left", ONLY_RIGHT: "Only right"}
MUTED = ("#6b7280", "#9ca3af")
KINDS = {"added": "added", "removed": "removed", "changed": "changed", "more": ""}


def detail_html(pair: SpanPair, detail: PairDetail | None, dark: bool) -> str:
    """The row's numbers on both sides, then each changed part by JSON path."""
    out = [_title(pair, dark), _numbers(pair, dark)]
    if detail is None:
        out.append(f'<p style="color:{MUTED[dark]}">Reading what changed…</p>')
        return "".join(out)
    if pair.status == SAME:
        out.append(
            f'<p style="color:{MUTED[dark]}">Inputs, outputs, attributes, events and '
            "status are the same on both sides.</p>"
        )
    for part, changes in detail.parts:
        out.append(_part(part, changes, dark))
    return "".join(out)


def _title(pair: SpanPair, dark: bool) -> str:
    colour = status_colour(pair.status, dark) or MUTED[dark]
    kind = f' <span style="color:{MUTED[dark]}">{html.escape(pair.span_type)}</span>'
    what = TITLES[pair.status]
    if pair.changes:
        what += ": " + ", ".join(pair.changes)
    if pair.moved:
        what += " · reordered among its siblings"
    return (
        f"<h3 style='margin-bottom:2px'>{html.escape(pair.name)}{kind if pair.span_type else ''}"
        f'</h3><p style="margin-top:0"><b style="color:{colour}">{html.escape(what)}</b></p>'
    )


def _numbers(pair: SpanPair, dark: bool) -> str:
    left, right = pair.duration_ns
    rows = [("Duration", duration_or_dash(left), duration_or_dash(right), _delta(pair, dark))]
    rows.append(
        (
            "Own time",
            duration_or_dash(pair.left_self_ns),
            duration_or_dash(pair.right_self_ns),
            duration_delta(pair.left_self_ns, pair.right_self_ns)
            if pair.left and pair.right
            else "",
        )
    )
    tokens, cost = pair.tokens, pair.cost
    rows.append(
        ("Tokens", count_text(tokens[0]), count_text(tokens[1]), _both(tokens, signed_count))
    )
    rows.append(("Cost", dollars(cost[0]), dollars(cost[1]), _both(cost, signed_dollars)))
    states = [s.status_code if s is not None else "—" for s in (pair.left, pair.right)]
    change = "changed" if "status" in pair.changes else ""
    rows.append(("Status", states[0], states[1], change))
    head = "<tr><th></th>" + "".join(f"<th align=right>{t}</th>" for t in ("Left", "Right", "Δ"))
    head += "</tr>"
    body = "".join(
        f"<tr><td>{label}</td><td align=right>{html.escape(a)}</td>"
        f"<td align=right>{html.escape(b)}</td><td align=right>{delta}</td></tr>"
        for label, a, b, delta in rows
    )
    return f'<table cellspacing="0" cellpadding="3">{head}{body}</table>'


def _delta(pair: SpanPair, dark: bool) -> str:
    left, right = pair.duration_ns
    text = html.escape(duration_delta(left, right))
    if text and is_notable(left, right):
        return f'<span style="color:{delta_colour(pair.duration_delta_ns, dark)}">{text}</span>'
    return text


def _both(values: tuple[Any, Any], signed: Callable[[Any], str]) -> str:
    """The signed delta of two numbers, "" when a side has none."""
    left, right = values
    if left is None or right is None:
        return ""
    return html.escape(signed(right - left))


def _part(part: str, changes: tuple[ChangeView, ...], dark: bool) -> str:
    count = sum(1 for c in changes if c.kind != "more")
    title = f"{part.capitalize()} — {count:,} difference{'s' if count != 1 else ''}"
    out = [f"<h4 style='margin-bottom:2px'>{html.escape(title)}</h4>"]
    for change in changes:
        out.append(_change(change, dark))
    return "".join(out)


def _change(change: ChangeView, dark: bool) -> str:
    muted = MUTED[dark]
    if change.kind == "more":
        return f'<p style="color:{muted}">… {html.escape(change.right)}</p>'
    where = html.escape(change.path) if change.path else "(the whole value)"
    head = (
        f'<p style="margin:6px 0 2px 0"><code>{where}</code> '
        f'<span style="color:{muted}">{KINDS.get(change.kind, change.kind)}</span></p>'
    )
    if change.words is not None:
        left = segments_html(change.words[0], dark)
        right = segments_html(change.words[1], dark)
    else:
        left, right = _plain(change.left, muted), _plain(change.right, muted)
    cells = (
        f'<td width="50%" valign="top" style="background-color:{SIDES["left"][dark]}">{left}</td>'
        f'<td width="50%" valign="top" style="background-color:{SIDES["right"][dark]}">{right}</td>'
    )
    return f'{head}<table width="100%" cellspacing="2" cellpadding="4"><tr>{cells}</tr></table>'


def _plain(text: str, muted: str) -> str:
    if not text:
        return f'<span style="color:{muted}">(none)</span>'
    return f'<p style="white-space:pre-wrap; margin:0">{html.escape(text)}</p>'
