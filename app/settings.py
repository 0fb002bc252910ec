"""User settings kept in QSettings, with their defaults, in one place.

The settings dialog (Help → Settings) edits these; features read them through the functions
here so a default lives in one spot.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

OLLAMA_URL = "ollama/url"
OLLAMA_MODEL = "ollama/model"
DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
DEFAULT_OLLAMA_MODEL = "llama3.2:1b"


def ollama_url() -> str:
    """Where Ollama answers: the setting, else $TRACEDESK_OLLAMA_URL, else the local default."""
    stored = QSettings().value(OLLAMA_URL, "")
    return str(stored or os.environ.get("TRACEDESK_OLLAMA_URL") or DEFAULT_OLLAMA_URL)


def ollama_model() -> str:
    return str(QSettings().value(OLLAMA_MODEL, "") or DEFAULT_OLLAMA_MODEL)


def set_ollama(url: str, model: str) -> None:
    settings = QSettings()
    settings.setValue(OLLAMA_URL, url.strip())
    settings.setValue(OLLAMA_MODEL, model.strip())
