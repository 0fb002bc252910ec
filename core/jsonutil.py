"""Fast JSON decoding for span payloads, with the standard library as the fallback.

orjson is several times faster than `json` on span documents (BENCHMARKS.md) but rejects what
Python's `json.dumps` can write and MLflow therefore stores: `NaN`, `Infinity` and integers
beyond 64 bits. Those fall back to `json.loads`, so every value MLflow wrote still decodes.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(text: str | bytes) -> Any:
    """Decode one JSON document; raise `ValueError` when it is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


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
