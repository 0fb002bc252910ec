"""The JSON-lines protocol between `AgentRunner` and its child (`core.agents.child`).

One JSON object per line, ASCII only. The runner writes requests to the child's stdin:

    {"id": "7", "type": "predict" | "predict_stream" | "ping" | "shutdown", "request": {...}}

The child answers on its stdout, which carries nothing else (the agent's own prints go to
stderr):

    {"id": "load", "type": "result", "result": {...}}       first: the model loaded (or "error")
    {"id": "7", "type": "event", "event": {...}}            each event of a predict_stream
    {"id": "7", "type": "result", "result": {"response": {...}, "trace_id": "tr-...", ...}}
    {"id": "7", "type": "error", "error": {"type", "message", "traceback"}, "trace_id": ...}
    {"id": null, "type": "log", "level": "info" | "warning", "message": "..."}

A line that is not such an object is not part of the protocol; the runner reports and skips it.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Mapping
from typing import Any

LOAD_ID = "load"
PREDICT, PREDICT_STREAM, PING, SHUTDOWN = "predict", "predict_stream", "ping", "shutdown"
REQUEST_TYPES = frozenset({PREDICT, PREDICT_STREAM, PING, SHUTDOWN})
RESULT, EVENT, ERROR, LOG = "result", "event", "error", "log"
RESPONSE_TYPES = frozenset({RESULT, EVENT, ERROR, LOG})


def _default(value: Any) -> Any:
    dump = getattr(value, "model_dump", None) or getattr(value, "to_dict", None)
    if callable(dump):
        return dump()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def encode(message: Mapping[str, Any]) -> bytes:
    """One protocol line (with its newline)."""
    return (json.dumps(message, ensure_ascii=True, default=_default) + "\n").encode("ascii")


def decode(line: bytes | str, allowed: frozenset[str]) -> dict[str, Any] | None:
    """The message on `line`, or None when the line is not a protocol message of `allowed` type."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("type") not in allowed:
        return None
    return message


def error_payload(error: BaseException) -> dict[str, str]:
    """An exception as the protocol carries it."""
    return {
        "type": type(error).__name__,
        "message": str(error),
        "traceback": "".join(traceback.format_exception(error)),
    }
