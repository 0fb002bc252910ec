"""OpenTelemetry in: an OTLP/HTTP receiver that stores spans as MLflow 3.18's own endpoint
does, the recognition of GenAI / OpenInference / OpenLLMetry attributes, and OTLP/JSON
files both ways (`traces_to_otlp_json`, `import_otlp_json`)."""

from __future__ import annotations

from core.otlp.decode import BadBody, OtlpSpan, read_body
from core.otlp.encode import import_otlp_json, traces_to_otlp_json
from core.otlp.ingest import Stored, store_spans
from core.otlp.server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    OtlpReceiver,
    RemoteBindRefused,
    check_host,
)

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "BadBody",
    "OtlpReceiver",
    "OtlpSpan",
    "RemoteBindRefused",
    "Stored",
    "check_host",
    "import_otlp_json",
    "read_body",
    "store_spans",
    "traces_to_otlp_json",
]
