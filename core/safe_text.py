"""Untrusted text made safe to show: escaped for a terminal, bidi-isolated for a window.

Trace names, previews and tags are whatever the traced program wrote. Written raw to a
terminal, an escape sequence in them retitles, clears or recolours it; shown in a window, a
right-to-left override (U+202E) reorders the text that follows it: `name-<U+202E>txt.exe`
reads as `name-exe.txt`, and a label's own words after it come out backwards. The data itself
is never changed: these functions make only what is shown.
"""

from __future__ import annotations

import unicodedata

#: Characters that change the direction of the text around them (Unicode's bidi controls).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
#: Those that open a run which lasts until closed (embeddings, overrides, isolates).
_BIDI_OPENERS = frozenset("\u202a\u202b\u202d\u202e\u2066\u2067\u2068")
_FIRST_STRONG_ISOLATE = "\u2068"
_POP_DIRECTIONAL_ISOLATE = "\u2069"
#: Line and paragraph separators end a terminal line as a newline would.
_SEPARATORS = frozenset("\u2028\u2029")


def for_terminal(text: str) -> str:
    """`text` with every control character (C0, DEL, C1), bidi control and line separator
    written as a visible escape (`\\x1b`, `\\u202e`), so printing it cannot act on a terminal.

    Tabs and newlines are escaped too: a table cell is one line.
    """
    if text.isprintable() and not BIDI_CONTROLS.intersection(text):
        return text
    return "".join(_escaped(ch) for ch in text)


def _escaped(ch: str) -> str:
    if ch in BIDI_CONTROLS or ch in _SEPARATORS:
        return _unicode_escape(ch)
    if unicodedata.category(ch) == "Cc":
        return f"\\x{ord(ch):02x}"
    return ch


def bidi_escaped(text: str) -> str:
    """`text` with each bidi control written as `\\u202e`: in JSON (or Python) source, the
    same value, now visible, and unable to reorder the code around it."""
    if not BIDI_CONTROLS.intersection(text):
        return text
    return "".join(_unicode_escape(ch) if ch in BIDI_CONTROLS else ch for ch in text)


def _unicode_escape(ch: str) -> str:
    """`\\u202e`: how JSON, Python and a terminal user write the character."""
    return f"\\u{ord(ch):04x}"


def isolated(text: str) -> str:
    """`text` as a bidi isolate when it opens a directional run, so the run ends with it.

    Text with no embedding, override or isolate comes back as it is. Otherwise it is wrapped in
    FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE, which closes every run opened inside; stray
    POP DIRECTIONAL ISOLATEs inside are left out, since one would close the wrapper early.
    """
    if not _BIDI_OPENERS.intersection(text):
        return text
    inner = text.replace(_POP_DIRECTIONAL_ISOLATE, "")
    return f"{_FIRST_STRONG_ISOLATE}{inner}{_POP_DIRECTIONAL_ISOLATE}"
