"""Reading a logged model's `MLmodel` file into `core.entities.mlmodel.MLmodelFacts`.

PyYAML is not a direct dependency of TraceDesk: it comes with langchain-core (a dependency
through langchain-ollama), and ships no type stubs, so it is imported through `importlib` and
typed `Any`. Writing a folder is `core.agents.model_folder`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.entities.mlmodel import MLMODEL, MLmodelFacts


def yaml_module() -> Any:
    """PyYAML (see the module docstring for why it is imported this way)."""
    return importlib.import_module("yaml")


def read_mlmodel(folder: Path) -> MLmodelFacts | None:
    """The facts of `folder/MLmodel`; None when there is no such file."""
    path = folder / MLMODEL
    if not path.is_file():
        return None
    yaml = yaml_module()
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return MLmodelFacts(folder, {}, f"{path} cannot be read: {error}")
    if not isinstance(raw, Mapping):
        return MLmodelFacts(folder, {}, f"{path} is not an MLmodel file (no YAML mapping).")
    return MLmodelFacts(folder, raw)
