"""A small, safe Markdown subset as rich text: every character of the input is escaped first.

Paragraphs, line breaks, headings, bullet and numbered lists, block quotes, rules, **bold**,
*emphasis*, ~~strike~~, `inline code` and fenced code blocks (highlighted by language).
Links and images are deliberately left as the literal text the author wrote: nothing in a
message can become a link, an image or a resource request. Raw HTML stays visible text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from app.messages.highlight import MONO_FONTS, code_block

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s{0,6}[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s{0,6}\d{1,9}[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_EMPHASIS = (
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), r"<b>\1</b>"),
    (re.compile(r"(?<![\w])__(?=\S)(.+?)(?<=\S)__(?![\w])"), r"<b>\1</b>"),
    (re.compile(r"\*(?=[^\s*])(.+?)(?<=[^\s*])\*"), r"<i>\1</i>"),
    (re.compile(r"(?<![\w])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w])"), r"<i>\1</i>"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"<s>\1</s>"),
)
_HEADING_SIZES = {1: "130%", 2: "118%", 3: "108%"}


def inline(text: str) -> str:
    """One line or paragraph of raw text: escaped, then code spans and emphasis."""
    out = []
    last = 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_emphasis(html.escape(text[last : match.start()])))
        code = html.escape(match.group(2).strip(" ") or match.group(2))
        out.append(f'<code style="font-family:{MONO_FONTS}">{code}</code>')
        last = match.end()
    out.append(_emphasis(html.escape(text[last:])))
    return "".join(out)


def _emphasis(escaped: str) -> str:
    for pattern, replacement in _EMPHASIS:
        escaped = pattern.sub(replacement, escaped)
    return escaped


@dataclass
class _Blocks:
    """Collects finished blocks while the converter walks the lines."""

    dark: bool
    out: list[str] = field(default_factory=list)
    paragraph: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    ordered: bool = False
    quote: list[str] = field(default_factory=list)

    def flush(self) -> None:
        if self.paragraph:
            body = "<br>".join(inline(line.strip()) for line in self.paragraph)
            self.out.append(f'<p style="margin-top:0; margin-bottom:6px">{body}</p>')
            self.paragraph = []
        if self.items:
            tag = "ol" if self.ordered else "ul"
            rows = "".join(f"<li>{inline(item)}</li>" for item in self.items)
            self.out.append(f'<{tag} style="margin-top:0; margin-bottom:6px">{rows}</{tag}>')
            self.items = []
        if self.quote:
            body = "<br>".join(inline(line) for line in self.quote)
            self.out.append(f'<blockquote style="margin-left:12px; color:gray">{body}</blockquote>')
            self.quote = []

    def item(self, text: str, ordered: bool) -> None:
        if self.paragraph or self.quote or (self.items and ordered != self.ordered):
            self.flush()
        self.ordered = ordered
        self.items.append(text)


def to_html(text: str, dark: bool = False) -> str:
    """Markdown-ish `text` as escaped rich text."""
    blocks = _Blocks(dark)
    lines = text.replace("\r\n", "\n").split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        if fence:
            blocks.flush()
            index = _code(blocks, lines, index, fence.group(1), fence.group(2))
            continue
        _line(blocks, line)
        index += 1
    blocks.flush()
    return "".join(blocks.out)


def _code(blocks: _Blocks, lines: list[str], start: int, marker: str, language: str) -> int:
    """Add the fenced block opened at `start`; return the index after its closing fence."""
    end = start + 1
    while end < len(lines) and not lines[end].strip().startswith(marker):
        end += 1
    blocks.out.append(code_block("\n".join(lines[start + 1 : end]), language, blocks.dark))
    return end + 1


def _line(blocks: _Blocks, line: str) -> None:
    if not line.strip():
        blocks.flush()
        return
    heading = _HEADING.match(line)
    if heading:
        blocks.flush()
        size = _HEADING_SIZES.get(len(heading.group(1)), "100%")
        blocks.out.append(
            f'<p style="margin-top:4px; margin-bottom:4px; font-size:{size}; font-weight:600">'
            f"{inline(heading.group(2))}</p>"
        )
    elif _RULE.match(line):
        blocks.flush()
        blocks.out.append("<hr>")
    elif bullet := _BULLET.match(line):
        blocks.item(bullet.group(1), ordered=False)
    elif numbered := _NUMBERED.match(line):
        blocks.item(numbered.group(1), ordered=True)
    elif quote := _QUOTE.match(line):
        if blocks.paragraph or blocks.items:
            blocks.flush()
        blocks.quote.append(quote.group(1))
    elif blocks.items and line.startswith((" ", "\t")):
        blocks.items[-1] += " " + line.strip()  # a list item continued on the next line
    else:
        if blocks.items or blocks.quote:
            blocks.flush()
        blocks.paragraph.append(line)
