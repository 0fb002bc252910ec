"""TraceDesk's plain resource files (icons, stylesheet, desktop entry) behind one loader."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def resource_path(name: str) -> Path:
    """The file `name` (e.g. `"icons/tracedesk.svg"`) inside this folder, installed or not."""
    return Path(str(resources.files(__name__).joinpath(name)))
