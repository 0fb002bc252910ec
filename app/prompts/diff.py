"""A side-by-side diff of two prompt versions, word by word, as escaped rich text (no Qt).

Lines are aligned first (`difflib` over lines), then each changed pair of lines is compared word
by word (`difflib` over word, space and punctuation tokens), so a one-word edit in a long line
marks that word only. Chat templates are aligned message by message (by role), then diffed the
same way inside each message. Every character from the database is escaped.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from app.prompts.template_html import message_block, messages_of, pre
from core.entities.prompt import Template

TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
#: (light, dark) backgrounds: a removed word, an added word, a changed line, a missing line.
REMOVED = {False: "#fca5a5", True: "#7f1d1d"}
ADDED = {False: "#86efac", True: "#14532d"}
REMOVED_LINE = {False: "#fef2f2", True: "#2a1215"}
ADDED_LINE = {False: "#f0fdf4", True: "#0f2a1a"}
EMPTY_LINE = {False: "#f1f5f9", True: "#1e293b"}


@dataclass
class DiffStats:
    """How many words (not spaces or punctuation) were removed and added."""

    removed: int = 0
    added: int = 0

    @property
    def summary(self) -> str:
        if not self.removed and not self.added:
            return "No differences."
        return f"{self.removed} word{'s' * (self.removed != 1)} removed, " + (
            f"{self.added} word{'s' * (self.added != 1)} added"
        )


@dataclass
class _Rows:
    """The table rows of a diff being built, and its statistics."""

    dark: bool
    rows: list[str] = field(default_factory=list)
    stats: DiffStats = field(default_factory=DiffStats)

    def add(self, old: str | None, new: str | None, old_bg: str = "", new_bg: str = "") -> None:
        self.rows.append(f"<tr>{self._cell(old, old_bg)}{self._cell(new, new_bg)}</tr>")

    def _cell(self, inner: str | None, background: str) -> str:
        if inner is None:
            background, inner = EMPTY_LINE[self.dark], ""
        color = f' bgcolor="{background}"' if background else ""
        return f'<td width="50%" valign="top"{color}>{pre(inner or "&nbsp;")}</td>'


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def _words(items: list[str]) -> int:
    return sum(1 for t in items if not t.isspace() and re.match(r"\w", t))


def _marked(items: list[str], color: str) -> str:
    text = html.escape("".join(items))
    return f'<span style="background-color:{color}">{text}</span>' if text else ""


def word_diff(old: str, new: str, dark: bool, stats: DiffStats) -> tuple[str, str]:
    """Both lines escaped, with removed words marked on the left and added words on the right."""
    a, b = tokens(old), tokens(new)
    left: list[str] = []
    right: list[str] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            left.append(html.escape("".join(a[i1:i2])))
            right.append(html.escape("".join(b[j1:j2])))
            continue
        left.append(_marked(a[i1:i2], REMOVED[dark]))
        right.append(_marked(b[j1:j2], ADDED[dark]))
        stats.removed += _words(a[i1:i2])
        stats.added += _words(b[j1:j2])
    return "".join(left), "".join(right)


def _line_rows(old: str, new: str, rows: _Rows) -> None:
    """Rows for two texts: equal lines plain, changed lines paired and diffed word by word."""
    a, b = old.split("\n"), new.split("\n")
    dark = rows.dark
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            for line in a[i1:i2]:
                rows.add(html.escape(line), html.escape(line))
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            left = a[i1 + k] if i1 + k < i2 else None
            right = b[j1 + k] if j1 + k < j2 else None
            if left is not None and right is not None:
                shown = word_diff(left, right, dark, rows.stats)
                rows.add(*shown, REMOVED_LINE[dark], ADDED_LINE[dark])
            elif left is not None:
                rows.stats.removed += _words(tokens(left))
                rows.add(_marked([left], REMOVED[dark]), None, REMOVED_LINE[dark])
            elif right is not None:
                rows.stats.added += _words(tokens(right))
                rows.add(None, _marked([right], ADDED[dark]), "", ADDED_LINE[dark])


def _aligned_messages(
    old: list[tuple[str, str]], new: list[tuple[str, str]]
) -> Iterator[tuple[tuple[str, str] | None, tuple[str, str] | None]]:
    """Pairs of messages, matched by role order; an added or removed message has no partner."""
    roles_a, roles_b = [r for r, _ in old], [r for r, _ in new]
    matcher = difflib.SequenceMatcher(None, roles_a, roles_b, autojunk=False)
    for _op, i1, i2, j1, j2 in matcher.get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            yield (
                old[i1 + k] if i1 + k < i2 else None,
                new[j1 + k] if j1 + k < j2 else None,
            )


def _header(message: tuple[str, str] | None, dark: bool, changed: bool) -> str | None:
    if message is None:
        return None
    note = "role changed" if changed else ""
    return message_block(message[0], "", dark, note, margin=0)


def _message_rows(old: Template, new: Template, rows: _Rows) -> None:
    for left, right in _aligned_messages(messages_of(old), messages_of(new)):
        changed = left is not None and right is not None and left[0] != right[0]
        rows.rows.append(
            f"<tr>{_header_cell(_header(left, rows.dark, changed), rows.dark)}"
            f"{_header_cell(_header(right, rows.dark, changed), rows.dark)}</tr>"
        )
        _line_rows(left[1] if left else "", right[1] if right else "", rows)


def _header_cell(inner: str | None, dark: bool) -> str:
    if inner is None:
        return f'<td width="50%" bgcolor="{EMPTY_LINE[dark]}"></td>'
    return f'<td width="50%" valign="bottom" style="padding-top:8px">{inner}</td>'


def side_by_side(
    old: Template, new: Template, old_title: str, new_title: str, dark: bool = False
) -> tuple[str, DiffStats]:
    """The whole diff as one two-column table, and what it counts."""
    rows = _Rows(dark)
    head = (
        f'<tr><th width="50%" align="left">{html.escape(old_title)}</th>'
        f'<th width="50%" align="left">{html.escape(new_title)}</th></tr>'
    )
    if isinstance(old, str) and isinstance(new, str):
        _line_rows(old, new, rows)
    else:
        _message_rows(old, new, rows)
    table = (
        '<table width="100%" cellspacing="0" cellpadding="3" style="border-collapse:collapse">'
        f"{head}{''.join(rows.rows)}</table>"
    )
    return table, rows.stats
