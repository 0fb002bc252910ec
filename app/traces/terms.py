"""Filter terms for "filter by this value": a field and a value as the filter language spells
them (`tag.env = 'prod'`, `feedback.correct = TRUE`), and a term added to a filter (no Qt).

Values are quoted SQL style (a quote inside is doubled) and keys that are not plain dotted words
are put in backticks, so any tag key or value the database holds gives a filter that parses.
"""

from __future__ import annotations

import math
import re
from typing import Any

_PLAIN_KEY = re.compile(r"\w+(?:\.\w+)*")
_OR = re.compile(r"\bOR\b", re.IGNORECASE)
_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)


def quoted(value: str) -> str:
    """`value` as a filter string literal."""
    return "'" + value.replace("'", "''") + "'"


def field(scope: str, key: str) -> str:
    """`scope.key`, the key in backticks unless it is plain dotted words (`mlflow.user`)."""
    if _PLAIN_KEY.fullmatch(key):
        return f"{scope}.{key}"
    return f"{scope}.`{key.replace('`', '``')}`"


def tag_key(text: str) -> str | None:
    """The key of a `tag.key` field as `field` writes it; None for any other text."""
    if not text.startswith("tag.") or len(text) < 5:
        return None
    key = text[4:]
    if len(key) >= 2 and key[0] == key[-1] == "`":
        return key[1:-1].replace("``", "`")
    return key if _PLAIN_KEY.fullmatch(key) else None


def equals(scope: str, key: str, value: str) -> str:
    """`scope.key = 'value'`: a trace field, tag or metadata entry with this value."""
    return f"{field(scope, key)} = {quoted(value)}"


def assessment_term(assessment_type: str, name: str, value: Any) -> str:
    """`feedback.name = value` for a boolean, number or text value; "" for any other value
    (a structure, or none), which the filter language cannot compare."""
    if assessment_type not in ("feedback", "expectation"):
        return ""
    if isinstance(value, bool):
        literal = "TRUE" if value else "FALSE"
    elif isinstance(value, int | float) and math.isfinite(value):
        literal = repr(value)
    elif isinstance(value, str):
        literal = quoted(value)
    else:
        return ""
    return f"{field(assessment_type, name)} = {literal}"


def add_term(filter_text: str, term: str) -> str:
    """`filter_text` narrowed by `term` (AND); unchanged when it already has that term."""
    current = filter_text.strip()
    if not current:
        return term
    if term in (part.strip() for part in _AND.split(current)):
        return current
    if _OR.search(current):  # AND binds tighter than OR: keep the user's filter whole
        current = f"({current})"
    return f"{current} AND {term}"
