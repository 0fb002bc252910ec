"""Loading the scripts in packaging/, which is a folder of scripts, not a package.

(It must not become one: a `packaging` package at the repository's root would shadow the
`packaging` distribution that pip, setuptools and PyInstaller import.)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
RESOURCES = ROOT / "resources"
APP_ID = "org.tracedesk.TraceDesk"


def load_script(name: str) -> ModuleType:
    """packaging/<name>.py as a module (cached in sys.modules as `tracedesk_packaging_<name>`)."""
    key = f"tracedesk_packaging_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module
