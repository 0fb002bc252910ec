"""Which Ollama model a judge asks, and where the Ollama server is.

Judge models are spelled as MLflow spells them, `<provider>:/<model>`; TraceDesk judges run on a
local Ollama model only, so the provider is `ollama` (`"ollama:/llama3.2"`,
`"ollama:/llama3.2:1b"`). A bare name (`"llama3.2:1b"`) means an Ollama model too. The server is
`base_url`, else `$TRACEDESK_OLLAMA_URL`, else `$OLLAMA_HOST` (as the `ollama` CLI reads it), else
Ollama's default `http://127.0.0.1:11434`.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

#: The Ollama model a judge asks when none is given, and its MLflow-style URI.
DEFAULT_MODEL = "llama3.2:1b"
PROVIDER = "ollama"
DEFAULT_MODEL_URI = f"{PROVIDER}:/{DEFAULT_MODEL}"
DEFAULT_URL = "http://127.0.0.1:11434"
DEFAULT_PORT = 11434
#: Environment variables naming the server, in the order they are read.
URL_ENV = "TRACEDESK_OLLAMA_URL"
HOST_ENV = "OLLAMA_HOST"


def ollama_model(model: str | None) -> str:
    """The Ollama model name in `model` (`"ollama:/<name>"` or a bare name; None: the default).

    Raises `ValueError` for any other provider: TraceDesk judges run on a local Ollama model.
    """
    if model is None:
        return DEFAULT_MODEL
    text = model.strip()
    provider, separator, name = text.partition(":/")
    if not separator:
        if not text or text == "databricks":
            raise ValueError(_refusal(model))
        return text
    name = name.lstrip("/")
    if provider.strip().lower() != PROVIDER or not name:
        raise ValueError(_refusal(model))
    return name


def model_uri(name: str) -> str:
    """MLflow's spelling of an Ollama model (`ollama:/llama3.2:1b`), as assessments record it."""
    return f"{PROVIDER}:/{name}"


def _refusal(model: str) -> str:
    return (
        f"TraceDesk judges run on a local Ollama model, so model={model!r} cannot be used. "
        f"Spell an Ollama model as 'ollama:/<model>', e.g. model='{DEFAULT_MODEL_URI}' "
        f"(pull it first with `ollama pull {DEFAULT_MODEL}`)."
    )


def ollama_url(base_url: str | None = None) -> str:
    """The Ollama server: `base_url`, else $TRACEDESK_OLLAMA_URL, else $OLLAMA_HOST, else
    Ollama's default; `host`, `host:port` and `:port` are completed as the ollama client does."""
    for candidate in (base_url, os.environ.get(URL_ENV), os.environ.get(HOST_ENV)):
        if candidate and candidate.strip():
            return normalize_url(candidate)
    return DEFAULT_URL


def normalize_url(value: str) -> str:
    """`value` as a URL: a scheme, a host and a port (11434 when neither is given)."""
    text = value.strip().rstrip("/")
    if "://" in text:
        return text
    parts = urlsplit(f"http://{text}")
    host = parts.hostname or "127.0.0.1"
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:  # not a number: leave it for the client to refuse
        return f"http://{text}"
    return f"http://{host}:{port}{parts.path}"
