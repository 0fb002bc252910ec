"""How a diff reads: status marks and their colours (light and dark), signed deltas (no Qt)."""

from __future__ import annotations

from app.spans.colors import span_duration_text
from core.tracediff import CHANGED, ONLY_LEFT, ONLY_RIGHT, SAME

#: The minus sign (U+2212) of negative deltas: as wide as the plus, so columns line up.
MINUS = "\N{MINUS SIGN}"
#: The status column's mark per row status (as in the Markdown export); "↕": reordered.
MARKS = {SAME: "", CHANGED: "~", ONLY_LEFT: MINUS, ONLY_RIGHT: "+"}
MOVED_MARK = "↕"
#: (light, dark) text colours per status: mid-dark on white, light on the dark base.
STATUS_COLOURS = {
    CHANGED: ("#b45309", "#fbbf24"),
    ONLY_LEFT: ("#b91c1c", "#f87171"),
    ONLY_RIGHT: ("#15803d", "#4ade80"),
}
#: (light, dark) colours of a slower (worse) and a faster (better) delta.
SLOWER, FASTER = ("#b91c1c", "#f87171"), ("#15803d", "#4ade80")
#: A duration delta is coloured past this share of the left side and this floor.
NOTABLE_SHARE, NOTABLE_FLOOR_NS = 0.10, 1_000_000


def status_colour(status: str, dark: bool) -> str | None:
    pair = STATUS_COLOURS.get(status)
    return pair[dark] if pair else None


def mark_text(status: str, moved: bool) -> str:
    text = MARKS[status]
    return f"{text}{MOVED_MARK}" if moved else text


def duration_or_dash(ns: int | None) -> str:
    return "—" if ns is None else span_duration_text(ns)


def signed_duration(ns: int) -> str:
    """`+4.00 s`, `-12.0 ms` (with a minus sign), `±0`."""
    if ns == 0:
        return "±0"
    return ("+" if ns > 0 else MINUS) + span_duration_text(abs(ns))


def share_text(delta: float, base: float | None) -> str:
    """The delta as a share of `base`: ` (+57%)`; "" when there is no base to divide by."""
    if not base or not delta:
        return ""
    return f" ({delta / base:+.0%})".replace("-", MINUS)


def duration_delta(left: int | None, right: int | None) -> str:
    """Right less left with its share (`+4.00 s (+471%)`); a missing side counts as nothing."""
    if left is None and right is None:
        return ""
    delta = (right or 0) - (left or 0)
    return signed_duration(delta) + share_text(delta, left)


def is_notable(left: int | None, right: int | None) -> bool:
    """Whether a duration moved enough to colour (not every microsecond of jitter)."""
    delta = abs((right or 0) - (left or 0))
    return delta >= max(NOTABLE_FLOOR_NS, NOTABLE_SHARE * (left or 0))


def delta_colour(delta: float, dark: bool) -> str:
    return (SLOWER if delta > 0 else FASTER)[dark]


def count_text(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def signed_count(delta: int) -> str:
    return "±0" if delta == 0 else f"{delta:+,}".replace("-", MINUS)


def dollars(value: float | None) -> str:
    return "—" if value is None else f"${value:.4f}"


def signed_dollars(delta: float) -> str:
    if delta == 0:
        return "±0"
    return ("+" if delta > 0 else MINUS) + f"${abs(delta):.4f}"
