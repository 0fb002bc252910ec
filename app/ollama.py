"""Asking an Ollama server which models it has, and its failures in words (no Qt).

`model_names(url)` is the one request for the list (Settings → Test Connection, the prompt
Try It pane, the rerun dialog). `list_models` runs it for a rerun (in the job pool:
`tasks.submit_job(fetch_models, url)`): a server that is down, a wrong URL or an answer that is
not Ollama's becomes an `OllamaUnavailable` whose message the rerun dialog shows as it is.
"""

from __future__ import annotations

from typing import Any

from core.evaluation import describe_failure

TAGS_PATH = "/api/tags"
LIST_TIMEOUT_S = 5.0


class OllamaUnavailable(RuntimeError):
    """The server could not be asked (down, wrong URL, not Ollama); the message says which."""


def normalized_url(url: str) -> str:
    """`url` without surrounding spaces and trailing slashes; refuses what is not http(s)."""
    text = url.strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise OllamaUnavailable(
            f"{url.strip() or 'An empty URL'} is not an Ollama URL: use http://host:port "
            "(Ollama listens on http://127.0.0.1:11434 by default)."
        )
    return text


def model_names(url: str, timeout_s: float = LIST_TIMEOUT_S) -> list[str]:
    """The names of the models the server at `url` has pulled, sorted (`GET /api/tags`).

    Raises httpx's errors, or ValueError for an answer that is not Ollama's."""
    import httpx

    response = httpx.get(url.strip().rstrip("/") + TAGS_PATH, timeout=timeout_s)
    response.raise_for_status()
    payload: Any = response.json()
    models = payload.get("models") if isinstance(payload, dict) else None
    if not isinstance(models, list):
        raise ValueError(f"{url} did not answer like Ollama")
    names = {str(m.get("name") or m.get("model")) for m in models if isinstance(m, dict)}
    return sorted(n for n in names if n and n != "None")


def list_models(url: str, timeout_s: float = LIST_TIMEOUT_S) -> list[str]:
    """`model_names`, its failures as an `OllamaUnavailable` that says what to do."""
    import httpx

    base = normalized_url(url)
    try:
        return model_names(base, timeout_s)
    except httpx.HTTPStatusError as error:
        raise OllamaUnavailable(
            f"The server at {base} answered HTTP {error.response.status_code} for the model "
            "list: is it an Ollama server?"
        ) from error
    except ValueError as error:
        raise OllamaUnavailable(f"The server at {base} did not answer like Ollama.") from error
    except Exception as error:  # httpx raises many kinds; each means the same to the user
        raise OllamaUnavailable(
            f"Cannot list the models: {describe_failure(error, base)}. Is Ollama running "
            "(`ollama serve`)?"
        ) from error


def fetch_models(_token: object, url: str) -> list[str]:
    """`list_models` in the shape `tasks.submit_job` calls (the token is not needed)."""
    return list_models(url)


def is_retryable(error: BaseException) -> bool:
    """Worth another try: the server could not be reached, timed out, or failed (5xx)."""
    import httpx
    import ollama

    if isinstance(error, httpx.TransportError | ConnectionError | TimeoutError):
        return True
    if isinstance(error, ollama.ResponseError):
        return error.status_code >= 500
    return False
