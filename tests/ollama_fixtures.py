"""Pytest plugin with the stand-in Ollama server fixtures.

Enable it for the whole suite from `tests/conftest.py`:

    pytest_plugins = ["tests.ollama_fixtures"]

or from one test module with the same line.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ollama_server import OllamaStandIn


@pytest.fixture
def ollama_server() -> Iterator[OllamaStandIn]:
    """A fresh, well-behaved stand-in Ollama server for one test; stopped afterwards."""
    with OllamaStandIn() as server:
        yield server


@pytest.fixture
def ollama_host(ollama_server: OllamaStandIn, monkeypatch: pytest.MonkeyPatch) -> OllamaStandIn:
    """The stand-in server, also set as `OLLAMA_HOST` so default-configured clients reach it."""
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    return ollama_server
