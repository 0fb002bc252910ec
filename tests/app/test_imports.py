"""The app's import graph: no module imports itself back, through any chain.

Panels and command objects get narrow collaborators and report with signals, so nothing needs
the main window (or a page) in return; imports made only for type checking count too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest


def import_cycles(package: str) -> list[tuple[str, str]]:
    """(importer, imported) pairs of `package` whose imported module leads back to the importer."""
    graph = grimp.build_graph(package, cache_dir=None)
    return sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    )


def test_the_app_has_no_import_cycles() -> None:
    assert import_cycles("app") == []


def test_a_cycle_through_a_type_checking_import_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "window.py").write_text("from cyclic.actions import Actions\n")
    (package / "actions.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cyclic.window import W\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclic") == [
        ("cyclic.actions", "cyclic.window"),
        ("cyclic.window", "cyclic.actions"),
    ]


def test_the_window_starts_without_pandas() -> None:
    """pandas takes ~0.4 s to import and the window never needs it to open a database: it is
    imported where a DataFrame is made (`search_traces`, `evaluate`), so launch stays short."""
    script = (
        "import sys, app.main_window, core, core.store\n"
        "import core.tracking_client, core.client\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert out.stdout.strip() == "False"
