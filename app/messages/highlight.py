"""JSON and code highlighted by Pygments as compact, escaped rich text for Qt (no Qt here).

A small Pygments `Formatter` writes one inline-styled `<span>` per run of same-styled tokens
and leaves whitespace bare: Qt's rich text has no use for class names, and this keeps the HTML
about three times the size of the text instead of eight. Every token's text is escaped.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import IO, Any

from pygments import highlight
from pygments.formatter import Formatter
from pygments.lexer import Lexer
from pygments.lexers import JsonLexer, TextLexer, get_lexer_by_name
from pygments.style import StyleMeta
from pygments.styles import get_style_by_name
from pygments.token import Whitespace, _TokenType
from pygments.util import ClassNotFound

LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
MONO_FONTS = "'DejaVu Sans Mono', Menlo, Consolas, monospace"

#: Language names people write after ``` that Pygments knows under another name.
_ALIASES = {"py": "python", "sh": "bash", "shell": "bash", "js": "javascript", "ts": "typescript"}


class InlineHtmlFormatter(Formatter):  # type: ignore[misc]  # Pygments has no type hints
    """Pygments formatter: escaped text in `<span style=...>` runs, whitespace unstyled."""

    name = "TraceDesk inline HTML"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._css: dict[_TokenType, str] = {}

    def _style_of(self, token: _TokenType) -> str:
        css = self._css.get(token)
        if css is None:
            found = self.style.style_for_token(token)
            parts = []
            if found["color"]:
                parts.append(f"color:#{found['color']}")
            if found["bold"]:
                parts.append("font-weight:600")
            if found["italic"]:
                parts.append("font-style:italic")
            css = self._css[token] = ";".join(parts)
        return css

    def format(self, tokensource: Any, outfile: IO[str]) -> None:  # Formatter.format
        run_css, run = "", list[str]()
        for token, value in tokensource:
            css = "" if token in Whitespace or not value.strip() else self._style_of(token)
            if css != run_css and run:
                _write_run(outfile, run_css, "".join(run))
                run = []
            run_css = css
            run.append(value)
        if run:
            _write_run(outfile, run_css, "".join(run))


def _write_run(outfile: IO[str], css: str, text: str) -> None:
    escaped = html.escape(text)
    outfile.write(f'<span style="{css}">{escaped}</span>' if css else escaped)


@lru_cache(maxsize=4)
def _formatter(dark: bool) -> InlineHtmlFormatter:
    return InlineHtmlFormatter(style=DARK_STYLE if dark else LIGHT_STYLE)


@lru_cache(maxsize=64)
def lexer_for(language: str | None) -> Lexer:
    """A lexer for a language name; plain text when the name is unknown or empty."""
    name = (language or "").strip().lower()
    if name in ("", "text", "plain", "plaintext"):
        return TextLexer()
    if name == "json":
        return JsonLexer()
    try:
        return get_lexer_by_name(_ALIASES.get(name, name))
    except ClassNotFound:
        return TextLexer()


def style_colors(dark: bool) -> tuple[str, str]:
    """(background, default text colour) of the code style in use."""
    style: StyleMeta = get_style_by_name(DARK_STYLE if dark else LIGHT_STYLE)
    text = style.style_for_token(Whitespace.parent)["color"] or ("e6edf3" if dark else "1f2328")
    return style.background_color or ("#0d1117" if dark else "#f8f8f8"), f"#{text}"


def highlight_spans(code: str, language: str | None, dark: bool = False) -> str:
    """`code` as escaped, inline-styled spans (no wrapper): for a `<pre>` of one's own."""
    if not code:
        return ""
    lexer = lexer_for(language)
    if isinstance(lexer, TextLexer):
        return html.escape(code)
    return str(highlight(code, lexer, _formatter(dark))).rstrip("\n")


def code_block(code: str, language: str | None, dark: bool = False) -> str:
    """A highlighted block: a one-cell table (Qt pads cells, not `<pre>`) around a `<pre>`."""
    background, color = style_colors(dark)
    body = highlight_spans(code, language, dark)
    return (
        f'<table width="100%" cellspacing="0" cellpadding="6" bgcolor="{background}" '
        f'style="margin-top:4px; margin-bottom:6px"><tr><td>'
        f'<pre style="margin:0; color:{color}; font-family:{MONO_FONTS}; white-space:pre-wrap">'
        f"{body}</pre>"
        "</td></tr></table>"
    )


def document_html(code: str, language: str | None, dark: bool = False) -> str:
    """A whole document of one highlighted value, for a text browser of its own."""
    body = highlight_spans(code, language, dark)
    _background, color = style_colors(dark)
    return (
        f'<pre style="margin:0; color:{color}; font-family:{MONO_FONTS}; '
        f'white-space:pre-wrap">{body}</pre>'
    )
