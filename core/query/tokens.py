"""The tokenizer of the filter language: names, quoted strings, numbers, operators, keywords.

A field name is read whole, dots and quoted segments included (tag.`mlflow.traceName`), so the
parser sees one NAME token holding its unquoted segments. Every token keeps its position and
the text as written, for error messages.

What no database could take fails here, at its position, before any SQL is built: a NUL
character or half of a surrogate pair anywhere in the text, and a number no SQL column compares
with (beyond BIGINT, or beyond a float's range).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from core.query.errors import fail


class Kind(Enum):
    """What a token is; the value names it in messages ("Expected a field, found ...")."""

    NAME = "a field"
    STRING = "a quoted string"
    NUMBER = "a number"
    OPERATOR = "an operator"
    KEYWORD = "a keyword"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    END = "the end of the filter"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # exactly as written, for messages and for moving past the token
    position: int
    #: NAME: tuple of unquoted segments; STRING: unquoted text; NUMBER: int or float;
    #: KEYWORD and OPERATOR: the upper-case operator or keyword.
    value: Any = None

    def describe(self) -> str:
        if self.kind is Kind.END:
            return "the end of the filter"
        # A quoted value already shows its quotes; anything else gets a pair.
        return self.text if self.text[:1] in QUOTES else f"'{self.text}'"


KEYWORDS = frozenset(
    {"AND", "OR", "NOT", "LIKE", "ILIKE", "IN", "IS", "NULL", "TRUE", "FALSE", "RLIKE"}
)
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
#: SQL's BIGINT, the widest whole number SQLite and PostgreSQL store and bind.
MIN_INTEGER, MAX_INTEGER = -(2**63), 2**63 - 1
#: Characters no database takes in text: NUL (PostgreSQL refuses it) and lone surrogates
#: (not encodable as UTF-8, so no driver can bind them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
QUOTES = "`\"'"
_PUNCTUATION = {"(": Kind.LPAREN, ")": Kind.RPAREN, ",": Kind.COMMA}
_OPERATOR = re.compile(r"<=|>=|!=|[<>=]")
_FIRST_WORD = re.compile(r"[^\W\d]\w*")  # a field starts with a letter or underscore
_KEY_WORD = re.compile(r"\w+")  # later key segments may start with a digit


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens; the list always ends with an END token."""
    check_characters(text)
    tokens: list[Token] = []
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            tokens.append(Token(Kind.END, "", len(text)))
            return tokens
        token = _next_token(text, index)
        tokens.append(token)
        index = token.position + len(token.text)


def check_characters(text: str) -> None:
    """Fail at the first character of `text` that no database can store or search for."""
    if found := _UNSTORABLE.search(text):
        char, position = found.group(), found.start()
        if char == "\x00":
            fail(text, position, "A NUL character (U+0000) cannot be searched for", "text")
        message = f"Invalid character U+{ord(char):04X}: half of a surrogate pair is not text"
        fail(text, position, message, expected="text")


def number_value(written: str, text: str, position: int) -> int | float:
    """The number `written` (a NUMBER token, or a quoted number) stands for.

    Fails at `position` in `text` when it is beyond what a database compares with: a whole
    number outside BIGINT, or a decimal too large for a float. A whole number's digits are
    counted before converting, so a 5,000-digit one never reaches Python's int() limit.
    """
    written = written.strip()
    if any(c in written for c in ".eE"):
        value = float(written)
        if math.isfinite(value):
            return value
        message = "This number is too large: decimals go from about -1.8e308 to 1.8e308"
        fail(text, position, message, expected="a smaller number")
    sign = "-" if written.startswith("-") else ""
    digits = written.lstrip("+-").lstrip("0") or "0"  # int() counts leading zeros too
    whole = int(sign + digits) if len(digits) <= len(str(MAX_INTEGER)) else None
    if whole is None or not MIN_INTEGER <= whole <= MAX_INTEGER:
        bounds = f"from {MIN_INTEGER} to {MAX_INTEGER}"
        fail(
            text,
            position,
            f"This number is out of range: whole numbers go {bounds}",
            expected=f"a whole number {bounds}",
        )
    return whole


def _next_token(text: str, index: int) -> Token:
    char = text[index]
    if char in _PUNCTUATION:
        return Token(_PUNCTUATION[char], char, index)
    if char in "'\"":
        value, end = _read_quoted(text, index, "string")
        return Token(Kind.STRING, text[index:end], index, value)
    if number := NUMBER.match(text, index):
        written = number.group()
        return Token(Kind.NUMBER, written, index, number_value(written, text, index))
    if operator := _OPERATOR.match(text, index):
        return Token(Kind.OPERATOR, operator.group(), index, operator.group())
    if char == "`" or _FIRST_WORD.match(char):
        return _read_name(text, index)
    fail(
        text,
        index,
        f"Unexpected character {char!r}",
        expected="a field, a value, an operator or a parenthesis",
    )


def _read_quoted(text: str, start: int, what: str) -> tuple[str, int]:
    """The unquoted content of the quoted run at `start`, and the index after its closing quote."""
    quote = text[start]
    parts: list[str] = []
    index = start + 1
    while (end := text.find(quote, index)) >= 0:
        parts.append(text[index:end])
        if not text.startswith(quote * 2, end):
            return "".join(parts), end + 1
        parts.append(quote)  # SQL style: a doubled quote is one literal quote
        index = end + 2
    fail(text, start, f"Unterminated {what}: no closing {quote}", expected=f"a closing {quote}")


def _read_name(text: str, start: int) -> Token:
    """A dotted field name such as tag.`mlflow.traceName`, or a keyword."""
    segments: list[str] = []
    index = start
    while True:
        segment, index = _read_segment(text, index, first=not segments)
        segments.append(segment)
        if not text.startswith(".", index):
            break
        index += 1
        if index >= len(text) or not (text[index] in QUOTES or _KEY_WORD.match(text[index])):
            fail(text, index, "Expected a key after '.'", expected="a key name")
    written = text[start:index]
    if len(segments) == 1 and written.upper() in KEYWORDS:
        return Token(Kind.KEYWORD, written, start, written.upper())
    return Token(Kind.NAME, written, start, tuple(segments))


def _read_segment(text: str, index: int, *, first: bool) -> tuple[str, int]:
    if text[index] in QUOTES:
        return _read_quoted(text, index, "quoted key")
    match = (_FIRST_WORD if first else _KEY_WORD).match(text, index)
    assert match is not None  # callers check the first character
    return match.group(), match.end()
