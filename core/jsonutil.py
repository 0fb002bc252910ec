"""Fast JSON decoding for span payloads, with the standard library as the fallback.

orjson is several times faster than `json` on span documents (BENCHMARKS.md) but rejects what
Python's `json.dumps` can write and MLflow therefore stores: `NaN`, `Infinity` and integers
beyond 64 bits. Those fall back to `json.loads`, so every value MLflow wrote still decodes.

Decoded values nest at most `MAX_DEPTH` lists and objects: a value deeper than that is kept as
its JSON text (a `str`). Whatever walks a value recursively (`json.dumps`, `repr`, a tree view)
then stays far from Python's recursion limit, and a document deeper than orjson's 1,024 levels
or `json`'s recursion limit still decodes.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

#: The deepest nesting of a decoded value; deeper values stay JSON text. orjson encodes no more
#: than this, which makes encoding the cheapest exact check (C, no Python per value).
MAX_DEPTH = 254
#: A shorter text cannot nest deeper than `MAX_DEPTH` (each level takes two brackets).
_SHORTEST_TOO_DEEP = 2 * MAX_DEPTH + 1
#: A JSON string (skipped whole, brackets inside it included) or one bracket.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def loads(text: str | bytes) -> Any:
    """Decode one JSON document; raise `ValueError` when it is not JSON."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _decode_slowly(text)[0]
    if len(text) > _SHORTEST_TOO_DEEP and _too_deep(text, value):
        return _decode_cut(text)
    return value


def decode(text: str | bytes) -> tuple[Any, bool]:
    """`loads`, and whether parts nested deeper than `MAX_DEPTH` were kept as their JSON text."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _decode_slowly(text)
    if len(text) > _SHORTEST_TOO_DEEP and _too_deep(text, value):
        return _decode_cut(text), True
    return value, False


def _decode_slowly(text: str | bytes) -> tuple[Any, bool]:
    """What orjson refuses: `NaN`, huge integers, too deep a nesting, or no JSON at all."""
    try:
        value = json.loads(text)
    except RecursionError:  # deeper than the stack allows: certainly deeper than the cap
        return _decode_cut(text), True
    if _too_deep(text, value):
        return _decode_cut(text), True
    return value, False


def _too_deep(text: str | bytes, value: Any) -> bool:
    """Whether `value`, decoded from `text`, nests deeper than `MAX_DEPTH`. Counting brackets
    (in C) rules out almost every document; orjson's encoder then checks the rest."""
    if isinstance(text, bytes):
        brackets = text.count(b"[") + text.count(b"{")
    else:
        brackets = text.count("[") + text.count("{")
    if brackets <= MAX_DEPTH:
        return False
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:  # too deep, or an integer beyond 64 bits (from `json`)
        return _deeper_than(value, MAX_DEPTH)
    return False


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether `value` nests more than `limit` lists and objects, walked level by level."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def _decode_cut(text: str | bytes) -> Any:
    """Decode `text` with each list or object that starts deeper than `MAX_DEPTH` replaced by
    its JSON text, found by scanning strings and brackets (no recursion)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    pieces = []
    depth = copied = cut_from = 0
    for token in _TOKEN.finditer(text):
        mark = token.group()
        if mark in ("[", "{"):
            depth += 1
            if depth == MAX_DEPTH + 1:
                cut_from = token.start()
        elif mark in ("]", "}"):
            if depth == MAX_DEPTH + 1:
                pieces += [text[copied:cut_from], json.dumps(text[cut_from : token.end()])]
                copied = token.end()
            depth -= 1
    pieces.append(text[copied:])
    shallow = "".join(pieces)
    try:
        try:
            return orjson.loads(shallow)
        except orjson.JSONDecodeError:
            return json.loads(shallow)
    except RecursionError as exc:  # brackets that never close: not JSON
        raise ValueError("the JSON is nested too deeply and never closes") from exc


def decode_attribute(value: Any) -> Any:
    """Decode an attribute value stored as JSON text; a value that is not JSON stays as it is.

    MLflow JSON-encodes every span attribute value (SCHEMA.md §1, "JSON inside JSON").
    """
    if not isinstance(value, str):
        return value
    try:
        return loads(value)
    except ValueError:
        return value


def dumps(value: Any) -> str:
    """Encode as Python's `json.dumps` does with its defaults, which is what MLflow writes."""
    return json.dumps(value, default=str)


def abbreviate(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, marking the cut the way MLflow's previews do."""
    if len(text) <= limit:
        return text
    return text[: limit - 3] + "..."
