"""Id and time encodings MLflow uses: hex ids in columns, base64 ids in span JSON, ISO times."""

from __future__ import annotations

import base64
import datetime as dt


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
