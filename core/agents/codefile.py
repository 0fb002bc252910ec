"""What a "models from code" file imports and whether it names its model, read without running it.

Logging checks that the file ends with `set_model(...)` and pins the packages it imports;
loading picks the runtime (the file imports `mlflow`: MLflow runs it); the app shows the file
before anything executes it.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from dataclasses import dataclass
from pathlib import Path

from core.source_code import parse

#: The MLflow release whose layout `core` writes; what a file importing mlflow requires.
MLFLOW_VERSION = "3.18.0"
#: Distributions whose import names differ from what a requirement should say.
_REQUIREMENT_NAMES = {"mlflow-skinny": "mlflow", "mlflow-tracing": "mlflow"}


@dataclass(frozen=True)
class CodeFile:
    """Facts about one code file, from its syntax tree."""

    path: Path
    #: Top-level modules it imports (anywhere in the file), in source order, once each.
    imports: tuple[str, ...]
    calls_set_model: bool

    @property
    def imports_mlflow(self) -> bool:
        return "mlflow" in self.imports


def inspect_code_file(path: Path) -> CodeFile:
    """Read and parse `path`; raise ValueError (saying why) when it is not a Python file."""
    if not path.is_file():
        raise ValueError(f"{path} does not exist or is not a file.")
    try:
        source = path.read_text("utf-8")
        tree = parse(source, filename=str(path))
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} cannot be read: {error}") from error
    except SyntaxError as error:
        raise ValueError(
            f"{path} is not valid Python (line {error.lineno}: {error.msg})."
        ) from error
    return CodeFile(path, _imports(tree), _calls_set_model(tree))


def _imports(tree: ast.AST) -> tuple[str, ...]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return tuple(dict.fromkeys(name for _, name in sorted(found)))


def _calls_set_model(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else None
            if isinstance(function, ast.Name):
                name = function.id
            if name == "set_model":
                return True
    return False


def infer_requirements(code: CodeFile) -> list[str]:
    """Pinned requirements for the third-party packages `code` imports (`mlflow==3.18.0`, ...)."""
    distributions = importlib.metadata.packages_distributions()
    requirements: list[str] = []
    for module in code.imports:
        if module in sys.stdlib_module_names or module == "__future__":
            continue
        names = list(dict.fromkeys(distributions.get(module, [])))
        if module == "mlflow" and not names:
            requirements.append(f"mlflow=={MLFLOW_VERSION}")
        for name in names:
            requirements.append(_pinned(name))
    return list(dict.fromkeys(requirements))


def _pinned(distribution: str) -> str:
    name = _REQUIREMENT_NAMES.get(distribution.lower(), distribution)
    try:
        return f"{name}=={importlib.metadata.version(distribution)}"
    except importlib.metadata.PackageNotFoundError:
        return name


def package_version(name: str) -> str | None:
    """The installed version of distribution `name`, or None."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
