"""What the Agents page shows of models, versions, folders and code files (no Qt).

The `load_*` and `read_code` functions run in the database thread: they read the store and the
file system. Everything they return is a frozen value the GUI can keep.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from pathlib import Path

from core.agents import inspect_code_file
from core.entities.mlmodel import MLmodelFacts
from core.entities.model_registry import ModelVersion, RegisteredModel
from core.store import Store

#: Code files larger than this are not shown in full (they are still hashed and run).
CODE_PREVIEW_BYTES = 512 * 1024


def _strip_scheme(location: str) -> str:
    for prefix in ("file://", "file:"):
        if location.startswith(prefix):
            return location[len(prefix) :]
    return location


@dataclass(frozen=True)
class FolderStatus:
    """Where a version's files were recorded, where they are now, and where we looked."""

    recorded: str | None
    found: Path | None
    looked_in: tuple[Path, ...] = ()

    @property
    def missing(self) -> bool:
        return self.found is None

    @property
    def rebased(self) -> bool:
        """Found elsewhere than recorded (the database was moved with its `mlruns` folder)."""
        if self.found is None or self.recorded is None:
            return False
        return self.found != Path(_strip_scheme(self.recorded))

    @property
    def short_state(self) -> str:
        """One word for the versions table."""
        if self.missing:
            return "missing"
        return "moved" if self.rebased else "found"

    def describe(self) -> str:
        """A sentence for the details panel."""
        if self.recorded is None:
            return "This version records no artifact folder, so its files cannot be found."
        if self.found is None:
            places = ", ".join(str(p) for p in dict.fromkeys(self.looked_in)) or self.recorded
            return (
                f"The model's files are missing: nothing at {places}. Copy the mlruns folder "
                "that belongs to this database next to it to load this version."
            )
        if self.rebased:
            return f"{self.found} (found beside the database; recorded as {self.recorded})"
        return str(self.found)


@dataclass(frozen=True)
class AgentVersion:
    """One row of the versions table: the version and the state of its folder."""

    version: ModelVersion
    folder: FolderStatus
    #: Whether the code file is in the folder (checked when read, not on the GUI thread).
    code_present: bool = True

    @property
    def number(self) -> int:
        return self.version.version

    @property
    def mlmodel(self) -> MLmodelFacts | None:
        return self.version.folder.mlmodel

    @property
    def code_file(self) -> Path | None:
        return self.version.folder.code_file

    @property
    def load_summary(self) -> str | None:
        """`load_problem` in one sentence (the details panel lists the folders looked in)."""
        if self.folder.missing and self.folder.recorded is not None:
            return (
                "Its files are missing (see Artifact folder for where they were looked for). "
                "Copy the mlruns folder that belongs to this database next to it."
            )
        return self.load_problem

    @property
    def load_problem(self) -> str | None:
        """Why this version cannot be loaded as it is, or None."""
        if self.folder.missing:
            return self.folder.describe()
        facts = self.mlmodel
        if facts is None:
            return f"{self.folder.found} holds no MLmodel file: it is not a logged model."
        if facts.error is not None:
            return facts.error
        if facts.code_file is not None and not self.code_present:
            return f"The code file {facts.code_file} is missing from the model's folder."
        return None


def load_models(store: Store) -> list[RegisteredModel]:
    """Database thread: the registered models that are not prompts, by name."""
    return store.models.registered_models()


def load_versions(store: Store, name: str) -> list[AgentVersion]:
    """Database thread: every version of `name`, newest first, with its folder's state."""
    resolver = store.reader.artifacts
    rows = []
    for version in store.models.versions(name):
        recorded = version.folder.recorded_location
        looked_in = tuple(resolver.candidates(recorded)) if recorded else ()
        folder = FolderStatus(recorded, version.folder.artifact_dir, looked_in)
        code = version.folder.code_file
        rows.append(AgentVersion(version, folder, code is None or code.is_file()))
    return sorted(rows, key=lambda row: row.number, reverse=True)


@dataclass(frozen=True)
class CodeFacts:
    """A code file as the confirmation shows it: its text, hash, and what it imports."""

    path: Path
    text: str
    sha256: str
    size: int
    imports: tuple[str, ...] = ()
    #: Whether a class in the file defines `predict_stream` (the chat then streams).
    streams: bool = False
    #: Why the file could not be read or parsed, when it could not.
    error: str | None = None

    @property
    def imports_mlflow(self) -> bool:
        return "mlflow" in self.imports

    @property
    def truncated(self) -> bool:
        return self.size > len(self.text.encode("utf-8"))


def defines_predict_stream(source: str) -> bool:
    """Whether a class in `source` defines a `predict_stream` method (read, never run)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return any(
        isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == "predict_stream"
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for item in node.body
    )


def read_code(path: Path) -> CodeFacts:
    """Database thread: read `path` for the confirmation (its hash names what was approved)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return CodeFacts(path, "", "", 0, error=f"{path} cannot be read: {error}")
    text = data[:CODE_PREVIEW_BYTES].decode("utf-8", "replace")
    digest = hashlib.sha256(data).hexdigest()
    try:
        imports = inspect_code_file(path).imports
    except ValueError as error:
        return CodeFacts(path, text, digest, len(data), error=str(error))
    source = data.decode("utf-8", "replace")
    return CodeFacts(path, text, digest, len(data), imports, defines_predict_stream(source))


def mlflow_requirement(facts: MLmodelFacts | None) -> str:
    """The MLflow requirement a model was logged with (`mlflow==3.18.0`), for install hints."""
    if facts is not None:
        for line in facts.requirements:
            if line.lower().startswith("mlflow") and not line.lower().startswith("mlflow-"):
                return line
        if facts.mlflow_version:
            return f"mlflow=={facts.mlflow_version}"
    return "mlflow"
