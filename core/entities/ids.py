"""Id and time encodings MLflow uses: hex ids in columns, base64 ids in span JSON, ISO times;
and stored times and counts read as numbers even when a row holds text instead."""

from __future__ import annotations

import base64
import datetime as dt
import math
from typing import Any


def iso_time_ms(timestamp_ms: int) -> str:
    """Milliseconds since the epoch as MLflow prints them (protobuf's JSON form):
    `2026-11-26T07:20:06.566Z`, and `2026-11-26T07:20:06Z` on a whole second."""
    seconds, millis = divmod(int(timestamp_ms), 1000)
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    fraction = f".{millis:03d}" if millis else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def parse_iso_time_ms(text: str) -> int:
    """The milliseconds of an RFC 3339 time as `iso_time_ms` writes it (any fraction length,
    `Z` or an offset); ValueError for anything else."""
    body = text.strip()
    if body.endswith(("Z", "z")):
        body = body[:-1] + "+00:00"
    fraction = ""
    if "." in body:
        head, rest = body.split(".", 1)
        digits = len(rest) - len(rest.lstrip("0123456789"))
        fraction, body = rest[:digits], head + rest[digits:]
    moment = dt.datetime.fromisoformat(body)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    whole = int(moment.timestamp()) * 1000
    return whole + (int(fraction[:3].ljust(3, "0")) if fraction else 0)


def hex_to_base64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode("ascii")


def base64_to_hex(b64_id: str) -> str:
    return base64.b64decode(b64_id).hex()


def stored_number(value: Any) -> int | float | None:
    """A number as stored, also one written as text (`'12'`, `'1.5'`); None for anything else
    (other text in a numeric column, a blob, NaN, NULL)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if isinstance(value, int) or math.isfinite(value) else None


def whole_number(value: Any) -> int | None:
    """A stored time, duration or count as an int (see `stored_number`)."""
    if type(value) is int:
        return value
    number = stored_number(value)
    return None if number is None else int(number)
