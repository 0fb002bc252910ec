"""User settings kept in QSettings, with their defaults, in one place.

The settings dialog (Edit → Settings) edits these; features read them through the functions
here so a default lives in one spot.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import sys

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


# -- agents (app/agents) ----------------------------------------------------------------------

AGENTS_PYTHON = "agents/python"
AGENTS_USER_ID = "agents/user_id"
AGENTS_TIMEOUT_S = "agents/timeout_s"
DEFAULT_AGENTS_TIMEOUT_S = 120.0


def agents_python() -> str:
    """The interpreter that runs agents: the user's choice (e.g. a virtualenv with MLflow and
    the agent's requirements), else this program's own — or, in the packaged application,
    whose executable is not a Python, the system's `python3`."""
    chosen = str(QSettings().value(AGENTS_PYTHON, "") or "")
    if chosen:
        return chosen
    if getattr(sys, "frozen", False):
        return shutil.which("python3") or "python3"
    return sys.executable


def set_agents_python(path: str) -> None:
    """Remember `path` as the agents' interpreter (an empty path restores the default)."""
    QSettings().setValue(AGENTS_PYTHON, path.strip())


def agents_user_id() -> str:
    """The user id sent in an agent request's context: the setting, else the OS user."""
    stored = str(QSettings().value(AGENTS_USER_ID, "") or "").strip()
    if stored:
        return stored
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        return "user"


def set_agents_user_id(user_id: str) -> None:
    QSettings().setValue(AGENTS_USER_ID, user_id.strip())


def agents_timeout_s() -> float:
    """How long an agent may take to answer (between two streamed events) before it is stopped."""
    try:
        value = float(str(QSettings().value(AGENTS_TIMEOUT_S, DEFAULT_AGENTS_TIMEOUT_S)))
    except (TypeError, ValueError):
        return DEFAULT_AGENTS_TIMEOUT_S
    return value if value > 0 else DEFAULT_AGENTS_TIMEOUT_S


def set_agents_timeout_s(seconds: float) -> None:
    QSettings().setValue(AGENTS_TIMEOUT_S, float(seconds))


# -- appearance and files (the settings dialog) ----------------------------------------------

THEME = "appearance/theme"
FONT_POINTS = "appearance/font_points"
OPEN_READ_ONLY = "files/open_read_only"
THEMES = ("system", "light", "dark")


def theme() -> str:
    """ "system", "light" or "dark"."""
    value = str(QSettings().value(THEME, "system"))
    return value if value in THEMES else "system"


def set_theme(name: str) -> None:
    QSettings().setValue(THEME, name if name in THEMES else "system")


def font_points() -> float | None:
    """The font size chosen by the user (None: the system's)."""
    try:
        value = float(str(QSettings().value(FONT_POINTS, 0)))
    except (TypeError, ValueError):
        return None
    return value if value >= 6 else None


def set_font_points(points: float | None) -> None:
    QSettings().setValue(FONT_POINTS, float(points or 0))


def open_read_only() -> bool:
    """Whether databases open read-only when the command line does not say (default: yes)."""
    return str(QSettings().value(OPEN_READ_ONLY, "true")).lower() != "false"


def set_open_read_only(read_only: bool) -> None:
    QSettings().setValue(OPEN_READ_ONLY, "true" if read_only else "false")


# -- evaluations (app/evaluations) ------------------------------------------------------------

#: One JSON object, scorer name → direction: names may hold "/", which QSettings splits on.
SCORER_DIRECTIONS = "evaluations/scorer_directions"


def scorer_directions() -> dict[str, str]:
    """The direction the user gave each scorer in comparisons ("higher", "lower", ...)."""
    try:
        stored = json.loads(str(QSettings().value(SCORER_DIRECTIONS, "") or "{}"))
    except ValueError:
        return {}
    if not isinstance(stored, dict):
        return {}
    return {str(k): str(v) for k, v in stored.items()}


def set_scorer_direction(scorer: str, direction: str | None) -> None:
    """Remember `direction` for scorer `scorer` (None forgets it: the default applies again)."""
    directions = scorer_directions()
    if direction is None:
        directions.pop(scorer, None)
    else:
        directions[scorer] = direction
    QSettings().setValue(SCORER_DIRECTIONS, json.dumps(directions, sort_keys=True))
