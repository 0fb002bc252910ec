"""Realistic exceptions with stack traces, as MLflow records them (made up: nothing is raised).

The messages and frames are in `resources/demo/failures.toml`: frames of the demo's own
services (`app_frames("rag_retrieve")`) run into the frames of the library that raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.demo import texts
from core.demo.plan import Failure, Gen

Frame = tuple[str, int, str, str]

_TEXTS = texts("failures")
MESSAGES: dict[str, str] = _TEXTS["messages"]


def _frames(found: list[list[Any]]) -> tuple[Frame, ...]:
    site = _TEXTS["site"]
    return tuple(
        (path.replace("{site}", site), line, function, code) for path, line, function, code in found
    )


LIBRARY_FRAMES = {name: _frames(found) for name, found in _TEXTS["libraries"].items()}
APP_FRAMES = {name: _frames(found) for name, found in _TEXTS["app"].items()}
#: Where each of the support agent's tools calls its API (others: `APP_FRAMES["tool_call"]`).
TOOL_FRAMES = {name: _frames(found) for name, found in _TEXTS["tools"].items()}


def app_frames(name: str) -> tuple[Frame, ...]:
    """The frames of one of the demo's services, e.g. "support_agent" or "rag_cite"."""
    return APP_FRAMES[name]


def failure(
    type_name: str, qualified: str, message: str, app: Sequence[Frame], lib: Sequence[Frame]
) -> Failure:
    """A `Failure` whose stack trace runs through the app's frames, then the library's."""
    lines = ["Traceback (most recent call last):"]
    for path, line, function, code in (*app, *lib):
        lines += [f'  File "{path}", line {line}, in {function}', f"    {code}"]
    lines.append(f"{qualified}: {message}")
    return Failure(type_name, message, "\n".join(lines) + "\n")


def rate_limit_failure(g: Gen, model: str, app: Sequence[Frame]) -> Failure:
    wait = g.between(120, 950)
    organization = g.token(24)
    used, requested = g.between(195_000, 199_800), g.between(900, 4_800)
    message = MESSAGES["rate_limit"].format(
        model=model, organization=organization, used=used, requested=requested, wait=wait
    )
    return failure(
        "RateLimitError", "openai.RateLimitError", message, app, LIBRARY_FRAMES["openai"]
    )


def context_length_failure(g: Gen, app: Sequence[Frame]) -> Failure:
    message = MESSAGES["context_length"].format(tokens=g.between(128_400, 161_000))
    return failure(
        "BadRequestError", "openai.BadRequestError", message, app, LIBRARY_FRAMES["openai"]
    )


def timeout_failure(app: Sequence[Frame]) -> Failure:
    message = MESSAGES["read_timeout"]
    return failure("ReadTimeout", "httpx.ReadTimeout", message, app, LIBRARY_FRAMES["httpx"])


def ollama_failure(kind: str, app: Sequence[Frame]) -> Failure:
    """Ollama refusing connections (server down) or timing out (model still loading)."""
    frames = LIBRARY_FRAMES["ollama"]
    if kind == "connect":
        message = MESSAGES["ollama_refused"]
        return failure("ConnectError", "httpx.ConnectError", message, app, frames)
    return failure("ReadTimeout", "httpx.ReadTimeout", MESSAGES["ollama_timeout"], app, frames)


def validation_failure(model: str, location: str, detail: str, app: Sequence[Frame]) -> Failure:
    error_type = detail.rsplit("type=", 1)[-1].split(",", maxsplit=1)[0]
    message = MESSAGES["validation"].format(
        model=model, location=location, detail=detail, error_type=error_type
    )
    qualified = "pydantic_core._pydantic_core.ValidationError"
    return failure("ValidationError", qualified, message, app, LIBRARY_FRAMES["pydantic"])


def qdrant_failure(app: Sequence[Frame]) -> Failure:
    qualified = "qdrant_client.http.exceptions.ResponseHandlingException"
    message = MESSAGES["qdrant_timeout"]
    return failure("ResponseHandlingException", qualified, message, app, LIBRARY_FRAMES["qdrant"])
