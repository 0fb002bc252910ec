"""Artifact folders: re-basing recorded absolute paths onto the folder beside a moved `.db`.

MLflow records absolute artifact paths (SCHEMA.md §1). A database copied elsewhere, or received
from a colleague, still names the folder it was made in; its artifacts are in `mlruns/` next to
the file. `ArtifactResolver` maps recorded paths to where they are now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import jsonutil
from core.errors import StoreError

TRACES_JSON = "traces.json"


def _strip_scheme(location: str) -> str:
    if location.startswith("file://"):
        return location[len("file://") :]
    if location.startswith("file:"):
        return location[len("file:") :]
    return location


@dataclass(frozen=True)
class ArtifactResolver:
    """Resolves artifact paths recorded in a database opened from `db_dir`."""

    db_dir: Path | None
    #: Recorded artifact roots (an experiment's location minus its `/<id>`), longest first.
    recorded_roots: tuple[str, ...] = ()

    @classmethod
    def for_experiments(
        cls, db_dir: Path | None, locations: Iterable[tuple[str, str | None]]
    ) -> ArtifactResolver:
        """Build from `(experiment_id, artifact_location)` pairs as stored."""
        roots = set()
        for experiment_id, location in locations:
            if not location:
                continue
            path = _strip_scheme(location).rstrip("/")
            suffix = f"/{experiment_id}"
            if path.endswith(suffix):
                roots.add(path[: -len(suffix)])
        return cls(db_dir, tuple(sorted(roots, key=len, reverse=True)))

    def candidates(self, recorded: str) -> list[Path]:
        """Where the artifact folder recorded as `recorded` may be now, most likely first."""
        raw = _strip_scheme(recorded)
        paths: list[Path] = []
        if self.db_dir is not None:
            for root in self.recorded_roots:
                if raw == root or raw.startswith(root + "/"):
                    paths.append(self.db_dir / "mlruns" / raw[len(root) :].lstrip("/"))
            if not Path(raw).is_absolute():
                paths.append(self.db_dir / raw)
        paths.append(Path(raw))
        return paths

    def resolve(self, recorded: str) -> Path | None:
        """The first existing candidate for `recorded`, or None when none exists."""
        return next((p for p in self.candidates(recorded) if p.exists()), None)


def read_traces_json(resolver: ArtifactResolver, artifact_location: str | None) -> Any:
    """Read a trace's `traces.json`; raise `StoreError` saying which paths were tried."""
    if not artifact_location:
        raise StoreError("the trace records no artifact folder, so its spans cannot be found")
    tried = [p / TRACES_JSON for p in resolver.candidates(artifact_location)]
    for path in tried:
        if path.is_file():
            try:
                return jsonutil.loads(path.read_bytes())
            except (OSError, ValueError) as exc:
                raise StoreError(f"{path} cannot be read: {exc}") from exc
    where = ", ".join(str(p) for p in dict.fromkeys(tried))
    raise StoreError(f"its spans file traces.json is missing (looked in {where})")
