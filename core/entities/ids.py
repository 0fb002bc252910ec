"""Id and time encodings MLflow uses: hex ids in columns, base64 ids in span JSON, ISO times."""

from __future__ import annotations

import base64
import datetime as dt


def iso_time_ms(timestamp_ms: int) -> str:
    """Milliseconds since the epoch as MLflow prints them: `2026-11-26T07:20:06.566Z`."""
    moment = dt.datetime.fromtimestamp(timestamp_ms / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{timestamp_ms % 1000:03d}Z"


def hex_to_base64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode("ascii")


def base64_to_hex(b64_id: str) -> str:
    return base64.b64decode(b64_id).hex()
