"""The agent a trace names (issue 18): its `mlflow.modelId` metadata (the logged model that
produced it, as MLflow records it), and the registered version of that model in the same
database, which "Replay in Agent" loads in the Agents tab (no Qt).

`find_trace_agent` runs in the database thread: it reads the logged model's
`mlflow.modelVersions` tag, and falls back to every registered model's versions (older
layouts, or a model registered without the tag).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.entities import TraceInfo
from core.errors import NotFoundError
from core.mlflow_keys import MODEL_ID_METADATA, MODEL_VERSIONS_TAG
from core.store import Store


@dataclass(frozen=True)
class TraceAgent:
    """The registered version of the model a trace names, or why there is none."""

    model_id: str | None
    name: str | None = None
    version: int | None = None
    problem: str | None = None

    @property
    def available(self) -> bool:
        return self.name is not None and self.version is not None and self.problem is None

    def describe(self) -> str:
        """A tooltip: what Replay in Agent does for this trace, or why it cannot."""
        if self.available:
            return (
                f"Send this turn again to {self.name} v{self.version} in the Agents tab, with "
                "the recorded conversation before it (Ctrl+Shift+R)"
            )
        return self.problem or "Checking which agent produced this trace…"


def trace_model_id(info: TraceInfo | None) -> str | None:
    """The logged model that produced the trace (`mlflow.modelId`), if it names one."""
    value = info.trace_metadata.get(MODEL_ID_METADATA) if info is not None else None
    return (value.strip() or None) if isinstance(value, str) else None


def no_model_id() -> TraceAgent:
    return TraceAgent(
        None,
        problem="Replay in Agent: this trace names no agent (it has no mlflow.modelId metadata).",
    )


def find_trace_agent(store: Store, model_id: str) -> TraceAgent:
    """Database thread: the newest registered version of logged model `model_id`."""
    models = store.models
    candidates: list[tuple[str, int]] = []
    try:
        tags = models.logged_model(model_id).tags
        entries = json.loads(tags.get(MODEL_VERSIONS_TAG) or "[]")
        candidates = [(str(e["name"]), int(e["version"])) for e in entries]
    except (NotFoundError, ValueError, TypeError, KeyError):
        candidates = []  # not a logged model here, or no readable tag: look at the versions
    for name, number in sorted(candidates, key=lambda c: -c[1]):
        try:
            if models.version(name, number).model_id == model_id:
                return TraceAgent(model_id, name, number)
        except NotFoundError:
            continue
    for registered in models.registered_models():
        for version in reversed(models.versions(registered.name)):
            if version.model_id == model_id:
                return TraceAgent(model_id, version.name, version.version)
    return TraceAgent(
        model_id,
        problem=(
            f"Replay in Agent: the model {model_id} that produced this trace is not a registered "
            "model version in this database (the Agents tab loads registered versions)."
        ),
    )
