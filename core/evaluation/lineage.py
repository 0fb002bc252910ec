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
import random
from collections.abc import Callable, Sequence
from typing import Any

from core.evaluation.entities import RUN_TYPE_EVALUATE
from core.evaluation.scorer import Scorer
from core.mlflow_keys import (
    AGENT_DIGEST_TAG,
    AGENT_FUNCTION_TAG,
    GIT_BRANCH_TAG,
    GIT_COMMIT_TAG,
    GIT_REPO_URL_TAG,
    RUN_NAME_TAG,
    RUN_TYPE_TAG,
    SCORERS_DIGEST_TAG,
    SOURCE_NAME_TAG,
    SOURCE_TYPE_TAG,
    USER_TAG,
)
from core.source_code import source_of
from core.tracing.encode import source_metadata

_ADJECTIVES = (
    "able", "amazing", "bedecked", "bold", "brave", "bright", "calm", "capable", "clean",
    "clever", "crisp", "dapper", "defiant", "eager", "enchanting", "fearless", "fun", "gentle",
    "glamorous", "gregarious", "handsome", "honorable", "illustrious", "indecisive", "kind",
    "legendary", "lively", "luminous", "magnificent", "merciful", "nimble", "orderly", "polite",
    "puzzled", "resilient", "rogue", "sassy", "secretive", "shivering", "skillful", "smiling",
    "stately", "suave", "thundering", "unique", "upbeat", "valuable", "welcoming", "zealous",
)  # fmt: skip
_ANIMALS = (
    "ant", "ape", "bass", "bat", "bear", "bird", "boar", "bug", "calf", "carp", "cat", "cod",
    "colt", "crab", "crow", "cub", "deer", "doe", "dog", "dove", "duck", "eel", "elk", "fawn",
    "finch", "fish", "foal", "fowl", "fox", "frog", "gnat", "goat", "grouse", "gull", "hare",
    "hawk", "hen", "hog", "horse", "hound", "jay", "kit", "koi", "lamb", "lark", "lynx", "mink",
    "mole", "moth", "mouse", "mule", "newt", "owl", "ox", "panda", "pig", "pug", "ram", "rat",
    "roo", "seal", "shad", "shark", "shrew", "skink", "slug", "snail", "snipe", "sow", "squid",
    "stag", "stork", "swan", "toad", "trout", "vole", "whale", "wolf", "worm", "wren",
)  # fmt: skip


def run_name(rng: random.Random | None = None) -> str:
    """A name like MLflow's: adjective-animal-number (`sassy-elk-4`), at most 20 characters."""
    pick = rng or random.SystemRandom()
    for _ in range(10):
        name = f"{pick.choice(_ADJECTIVES)}-{pick.choice(_ANIMALS)}-{pick.randint(0, 1000)}"
        if len(name) <= 20:
            return name
    return name[:20]


def context_tags() -> dict[str, str]:
    """Who ran the evaluation from where (MLflow's run context tags)."""
    facts = source_metadata()
    tags = {key: facts[key] for key in (USER_TAG, SOURCE_NAME_TAG, SOURCE_TYPE_TAG)}
    if facts.get(GIT_COMMIT_TAG):
        for key in (GIT_COMMIT_TAG, GIT_BRANCH_TAG):
            tags[key] = facts[key]
        if facts.get(GIT_REPO_URL_TAG):
            tags[GIT_REPO_URL_TAG] = facts[GIT_REPO_URL_TAG]
    return tags


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
