"""Who and what produces data in this process, as MLflow records it: the run context (user,
script, git facts) and MLflow's random run names (`sassy-elk-4`).

Traces carry these facts in their metadata, runs (`start_run`, evaluations, logged models) in
their tags.
"""

from __future__ import annotations

import getpass
import random
import sys
from functools import cache
from pathlib import Path

from core.mlflow_keys import (
    GIT_BRANCH_TAG,
    GIT_COMMIT_TAG,
    GIT_REPO_URL_TAG,
    SOURCE_NAME_TAG,
    SOURCE_TYPE_TAG,
    USER_TAG,
)


@cache
def source_metadata() -> dict[str, str]:
    """Who and what produced traces in this process, as MLflow records it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    script = sys.argv[0] if sys.argv and sys.argv[0] else "<console>"  # as given, as MLflow
    branch, commit, url = _git_facts(Path(sys.argv[0] or ".").resolve().parent)
    return {
        USER_TAG: user,
        SOURCE_NAME_TAG: script,
        SOURCE_TYPE_TAG: "LOCAL",
        GIT_BRANCH_TAG: branch,
        GIT_COMMIT_TAG: commit,
        GIT_REPO_URL_TAG: url,
    }


def _git_facts(start: Path) -> tuple[str, str, str]:
    """(branch, commit, origin URL) read from `.git` files, without running git; '' if unknown."""
    for folder in (start, *start.parents):
        git = folder / ".git"
        if not git.is_dir():
            continue
        try:
            head = (git / "HEAD").read_text().strip()
        except OSError:
            return "", "", ""
        branch, commit = "", head
        if head.startswith("ref: "):
            ref = head[5:]
            branch = ref.removeprefix("refs/heads/")
            ref_file = git / ref
            commit = ref_file.read_text().strip() if ref_file.is_file() else ""
        return branch, commit, _origin_url(git / "config")
    return "", "", ""


def _origin_url(config: Path) -> str:
    try:
        lines = config.read_text().splitlines()
    except OSError:
        return ""
    in_origin = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            in_origin = stripped == '[remote "origin"]'
        elif in_origin and stripped.startswith("url"):
            return stripped.split("=", 1)[1].strip()
    return ""


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
    """Who runs what from where: MLflow's run context tags (git facts only when known)."""
    facts = source_metadata()
    tags = {key: facts[key] for key in (USER_TAG, SOURCE_NAME_TAG, SOURCE_TYPE_TAG)}
    if facts.get(GIT_COMMIT_TAG):
        for key in (GIT_COMMIT_TAG, GIT_BRANCH_TAG):
            tags[key] = facts[key]
        if facts.get(GIT_REPO_URL_TAG):
            tags[GIT_REPO_URL_TAG] = facts[GIT_REPO_URL_TAG]
    return tags
