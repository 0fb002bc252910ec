"""Failing at a position: every problem in a filter or order-by string is a `QuerySyntaxError`."""

from __future__ import annotations

from typing import NoReturn

from core.errors import QuerySyntaxError


def fail(text: str, position: int, message: str, expected: str = "") -> NoReturn:
    """Raise `QuerySyntaxError` for `text`, pointing at the 0-based `position`."""
    raise QuerySyntaxError(message, text=text, position=position, expected=expected)
