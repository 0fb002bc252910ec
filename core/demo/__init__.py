"""TraceDesk's demo database: a recipe that writes it through `core` alone (no Qt).

`python -m core.demo OUT.db [--seed N]` (or `core.demo.build.build_demo_database`) writes
about 350 back-dated traces over five experiments, then prompts, two evaluation runs and a
registered agent. The app runs it in a child process (`app/demo.py`); the bundle runs it as
`tracedesk --build-demo OUT.db` (`packaging/tracedesk_entry.py`).

The code is here, one module per part of the demo: `plan` (spans as plain trees and the
clock), `failures` and `llm` (the pieces every pipeline uses), the traces of each experiment
(`notebook`, `shop` + `scenarios` + `support_loop` + `support`, `rag`, `documents` +
`summarizer`, `harness`), the registry (`prompts`, `evaluations`, `agents`) and `build`, which
writes it all. The texts (questions, answers, documents, prompts, stack traces) are TOML files
under `resources/demo/`, read with `texts(name)`.
"""

from __future__ import annotations

import importlib.resources
from typing import Any

from resources import read_text, read_toml

#: The folder under resources/ that holds the demo's texts.
TEXTS = "demo"


def texts(name: str) -> dict[str, Any]:
    """`resources/demo/<name>.toml`, parsed."""
    return read_toml(f"{TEXTS}/{name}.toml")


def template(name: str) -> str:
    """`resources/demo/<name>`, a text file (the agent's code template)."""
    return read_text(f"{TEXTS}/{name}")


def recipe_files() -> list[tuple[str, bytes]]:
    """Every file the demo is made from, as (name, content): this package's modules and the
    texts under resources/demo/. The bundle ships both as files (packaging/tracedesk.spec)."""
    code = importlib.resources.files(__name__)
    data = importlib.resources.files("resources").joinpath(TEXTS)
    found = [
        *((f"core/demo/{f.name}", f) for f in code.iterdir() if f.name.endswith(".py")),
        *((f"resources/{TEXTS}/{f.name}", f) for f in data.iterdir() if f.is_file()),
    ]
    files = [(name, item.read_bytes()) for name, item in sorted(found, key=lambda x: x[0])]
    if not any(name.startswith("core/") for name, _ in files):
        raise FileNotFoundError("core/demo has no .py files to hash (a bundle without them?)")
    return files
