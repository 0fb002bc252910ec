"""Model URIs as MLflow spells them (`models:/name/3`, `models:/name@alias`, `models:/m-<id>`,
`runs:/<run id>/<path>`, a folder), MLflow's alias rules, and where a moved database's model
files are."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from core.store.artifacts import ArtifactResolver

ALIAS = re.compile(r"[\w\-]{1,255}")
_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<suffix>[^/]+)|@(?P<alias>[^/]+))?$")
_RUNS_URI = re.compile(r"^runs:/(?P<run_id>[^/]+)/(?P<path>.+?)/?$")


@dataclass(frozen=True)
class ModelUri:
    """A parsed model URI; exactly one way of naming the model is set."""

    name: str | None = None
    version: int | None = None
    alias: str | None = None
    stage: str | None = None
    model_id: str | None = None
    run_id: str | None = None
    artifact_path: str | None = None
    path: Path | None = None


def parse_model_uri(uri: str) -> ModelUri:
    """`models:/name/3`, `models:/name@alias`, `models:/name@latest`, `models:/name/latest`,
    `models:/name/<stage>`, `models:/m-<id>`, `runs:/<run id>/<path>`, or a local folder."""
    text = str(uri).strip()
    runs = _RUNS_URI.match(text)
    if runs is not None:
        return ModelUri(run_id=runs.group("run_id"), artifact_path=runs.group("path"))
    if not text.startswith("models:"):
        if "://" in text or not text:
            raise ValueError(
                f"{uri!r} is not a model URI: use models:/name/1, models:/name@alias, "
                "models:/m-<id>, runs:/<run id>/<path> or a folder."
            )
        return ModelUri(path=Path(text.removeprefix("file:")).expanduser())
    match = _URI.match(text)
    if match is None:
        raise ValueError(
            f"{uri!r} is not a model URI: use models:/name/1, models:/name@alias, "
            "models:/name@latest or models:/m-<id>."
        )
    name, suffix, alias = match.group("name", "suffix", "alias")
    if alias is not None:
        return ModelUri(name=name, alias=alias)
    if suffix is None:
        return ModelUri(model_id=name) if name.startswith("m-") else ModelUri(name=name)
    if suffix.isdigit():
        return ModelUri(name=name, version=int(suffix))
    return ModelUri(name=name) if suffix.lower() == "latest" else ModelUri(name=name, stage=suffix)


def check_alias(alias: str) -> None:
    """MLflow's alias rules: letters, digits, `_`, `-`; not `latest`, not `v<number>`."""
    if (
        not ALIAS.fullmatch(alias or "")
        or alias.lower() == "latest"
        or re.fullmatch(r"[vV]\d+", alias)
    ):
        raise ValueError(
            f"{alias!r} cannot be an alias: use letters, digits, '_' or '-' "
            "('latest' and 'v<number>' are reserved)."
        )


def model_id_of(source: str | None) -> str | None:
    """The logged model id in a version's `models:/m-<id>` source, else None."""
    if source and source.startswith("models:/m-") and "/" not in source[len("models:/") :]:
        return source[len("models:/") :]
    return None


def writable_folder(resolver: ArtifactResolver, recorded: str) -> Path:
    """Where to write files for recorded location `recorded` of a (possibly moved) database:
    the folder that exists, else the recorded one when its parent exists, else beside the db."""
    candidates = resolver.candidates(recorded)
    existing = next((c for c in candidates if c.exists()), None)
    if existing is not None:
        return existing
    as_recorded = Path(recorded.removeprefix("file://"))
    return as_recorded if as_recorded.parent.exists() else candidates[0]
