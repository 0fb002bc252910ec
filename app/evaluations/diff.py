"""A word-level diff of two outputs, as segments and as escaped rich text (no Qt).

Texts are split into words, runs of spaces and single punctuation marks; `difflib` matches the
tokens. Output texts come from the database: every piece is escaped before it becomes HTML, and
texts are cut at `DIFF_CHARS` first so a huge output cannot make the diff quadratic.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

EQUAL, DELETE, INSERT = "equal", "delete", "insert"
#: Each side is cut here before diffing (the cut is said in the text).
DIFF_CHARS = 20_000
TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
COLOURS = {  # (light background, dark background) of removed and added words
    DELETE: ("#fecaca", "#7f1d1d"),
    INSERT: ("#bbf7d0", "#14532d"),
}
#: Text on those backgrounds: set, so it stays readable in a selected (blue) row too.
TEXT_COLOURS = ("#111827", "#f9fafb")


@dataclass(frozen=True, slots=True)
class Segment:
    kind: str  # EQUAL, DELETE (only in A) or INSERT (only in B)
    text: str


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def word_diff(a: str, b: str, limit: int = DIFF_CHARS) -> tuple[list[Segment], list[Segment]]:
    """The segments of A (equal and deleted words) and of B (equal and inserted words)."""
    left, right = tokens(_cut(a, limit)), tokens(_cut(b, limit))
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    out_a: list[Segment] = []
    out_b: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == EQUAL:
            _add(out_a, EQUAL, "".join(left[i1:i2]))
            _add(out_b, EQUAL, "".join(right[j1:j2]))
            continue
        _add(out_a, DELETE, "".join(left[i1:i2]))
        _add(out_b, INSERT, "".join(right[j1:j2]))
    return out_a, out_b


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f" … ({len(text) - limit:,} more characters not compared)"


def _add(segments: list[Segment], kind: str, text: str) -> None:
    """Append, merging with the previous segment of the same kind; whitespace-only changes
    are shown as equal (they are not worth a colour)."""
    if not text:
        return
    if kind != EQUAL and not text.strip():
        kind = EQUAL
    if segments and segments[-1].kind == kind:
        segments[-1] = Segment(kind, segments[-1].text + text)
    else:
        segments.append(Segment(kind, text))


def segments_html(segments: list[Segment], dark: bool = False, pre: bool = True) -> str:
    """Escaped rich text of `segments`: removed words struck through in red, added in green."""
    parts = []
    for segment in segments:
        text = html.escape(segment.text)
        if segment.kind == EQUAL:
            parts.append(text)
            continue
        color, ink = COLOURS[segment.kind][dark], TEXT_COLOURS[dark]
        strike = "text-decoration:line-through;" if segment.kind == DELETE else ""
        style = f"background-color:{color}; color:{ink};{strike}"
        parts.append(f'<span style="{style}">{text}</span>')
    body = "".join(parts)
    if pre:
        return f'<p style="white-space:pre-wrap; margin:0">{body}</p>'
    return body


def changed(segments: list[Segment]) -> bool:
    return any(s.kind != EQUAL for s in segments)
