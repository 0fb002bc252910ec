"""Trace and span ids in MLflow 3's form: `tr-` + 32 hex (the OTel trace id), 16 hex spans."""

from __future__ import annotations

import secrets

TRACE_ID_PREFIX = "tr-"


def new_trace_id() -> str:
    return TRACE_ID_PREFIX + secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)
