"""TraceDesk's plain resource files behind one loader: icons, the stylesheet, the desktop
entry, and the demo database's texts (`demo/*.toml`, read by `core.demo`)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any


def resource_path(name: str) -> Path:
    """The file `name` (e.g. `"icons/tracedesk.svg"`) inside this folder, installed or not."""
    return Path(str(resources.files(__name__).joinpath(name)))


def read_text(name: str) -> str:
    """The UTF-8 text of the file `name` inside this folder."""
    return resources.files(__name__).joinpath(name).read_text("utf-8")


def read_toml(name: str) -> dict[str, Any]:
    """The TOML file `name` inside this folder (e.g. `"demo/rag.toml"`), parsed."""
    return tomllib.loads(read_text(name))
