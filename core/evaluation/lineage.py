"""What an evaluation run records about itself: its name, context, agent and scorers.

Tags as MLflow 3.18's `start_run` + `log_lineage_tags` write them: `mlflow.user`,
`mlflow.source.name`, `mlflow.source.type` (+ git facts when known), `mlflow.runName`,
`mlflow.runType=genai_evaluate`, the evaluated function `<module>.<qualname>` and a digest of
its source, and a digest of the scorers. The digests are sha256 of our own canonical text, so
they identify the same code across our runs but do not equal MLflow's for the same code.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable, Sequence
from typing import Any

from core.entities.evaluation import RUN_TYPE_EVALUATE
from core.evaluation.scorer import Scorer
from core.mlflow_keys import (
    AGENT_DIGEST_TAG,
    AGENT_FUNCTION_TAG,
    RUN_NAME_TAG,
    RUN_TYPE_TAG,
    SCORERS_DIGEST_TAG,
)
from core.run_context import context_tags
from core.source_code import source_of


def run_tags(
    name: str, predict_fn: Callable[..., Any] | None, scorers: Sequence[Scorer]
) -> dict[str, str]:
    """Every tag of a new evaluation run, in MLflow's order."""
    tags = {**context_tags(), RUN_NAME_TAG: name, RUN_TYPE_TAG: RUN_TYPE_EVALUATE}
    tags.update(agent_tags(predict_fn))
    digest = scorers_digest(scorers)
    if digest is not None:
        tags[SCORERS_DIGEST_TAG] = digest
    return tags


def agent_tags(predict_fn: Callable[..., Any] | None) -> dict[str, str]:
    """`<module>.<qualname>` of the evaluated function and a digest of its source."""
    if predict_fn is None:
        return {}
    target: Any = predict_fn
    while isinstance(target, functools.partial):
        target = target.func
    if not (inspect.isroutine(target) or inspect.isclass(target)):
        target = type(target)  # a callable object is identified by its class
    tags = {}
    module, qualname = getattr(target, "__module__", None), getattr(target, "__qualname__", None)
    if module and qualname:
        tags[AGENT_FUNCTION_TAG] = f"{module}.{qualname}"
    source = source_of(target)
    if source is not None:  # no source (a builtin, the REPL): no digest
        tags[AGENT_DIGEST_TAG] = _sha256(source)
    return tags


def scorers_digest(scorers: Sequence[Scorer]) -> str | None:
    """MLflow's `scorersDigest` tag value: `{"digest", "hashed", "total"}` as JSON."""
    if not scorers:
        return None
    digests = sorted(s.digest for s in scorers)
    value = {"digest": _sha256("\n".join(digests)), "hashed": len(digests), "total": len(scorers)}
    return json.dumps(value)


def _sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
