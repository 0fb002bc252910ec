"""What the demo database holds, without what changes from build to build: a snapshot.

`snapshot(db, build)` reads every table of a demo database built with a fixed clock and keeps
what the recipe decides: experiments, every trace with its tags, metadata, spans and
assessments, the runs, prompts and agent versions with their tags, and the agent's files.
What core or the machine decides is replaced by a placeholder: ids (`<trace>`, `<span 3>`,
`<run baseline>`, `<model support-agent/1>`), times read from the clock during the build
(`<now>`), the database's folder (`<folder>`), and who built it from where (`<env>`: user,
script, git facts). Times taken from the plan (a fixed `now`) are kept.

Each trace becomes a SHA-256 of its canonical JSON, keyed by a label that names it; the
registry tables are kept whole. tests/test_demo_data.py compares the demo built now with the
snapshot in tests/demo_snapshot.json, taken from the demo as it was before the recipe moved
out of resources/. After an intended change to the demo, write it again:

    .venv/bin/python -m tests.demo_snapshot --write

To see what changed, `--whole --out FILE` writes every trace's content: do it before and after.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).resolve().with_suffix(".json")
#: The plan's clock: 2025-01-01 00:00 UTC, long before any build, so plan times and times
#: read from the clock during a build never meet.
FIXED_NOW_NS = 1_735_689_600 * 10**9
#: Keys whose values say who built the demo and from where (core's `source_metadata`).
ENV_KEYS = (
    "mlflow.user",
    "mlflow.source.name",
    "mlflow.source.git.branch",
    "mlflow.source.git.commit",
    "mlflow.source.git.repoURL",
)
GIT_KEYS = ENV_KEYS[2:]
GIT_TAG = ("tag_key", "tag_value")
#: Tables whose rows the snapshot keeps whole (after placeholders), with the columns to sort by.
REGISTRY = {
    "experiments": ("name",),
    "experiment_tags": ("experiment_id", "key"),
    "runs": ("run_uuid",),
    "tags": ("run_uuid", "key"),
    "params": ("run_uuid", "key"),
    "metrics": ("run_uuid", "key", "step"),
    "latest_metrics": ("run_uuid", "key"),
    "inputs": ("destination_id", "source_id"),
    "datasets": ("name", "digest"),
    "registered_models": ("name",),
    "registered_model_tags": ("name", "key"),
    "registered_model_aliases": ("name", "alias"),
    "model_versions": ("name", "version"),
    "model_version_tags": ("name", "version", "key"),
    "logged_models": ("model_id",),
    "logged_model_tags": ("model_id", "tag_key"),
    "logged_model_params": ("model_id", "param_key"),
    "workspaces": ("name",),
    "alembic_version": ("version_num",),
}
#: Trace tables, gathered per trace; any other table must be empty.
PER_TRACE = (
    "trace_info",
    "trace_tags",
    "trace_request_metadata",
    "spans",
    "assessments",
    "entity_associations",
)
#: The agent's files that the recipe decides (the rest is the environment: Python, pip).
AGENT_FILES = ("support_agent.py", "input_example.json", "serving_input_example.json")
#: Ids core draws: trace (`tr-`), logged model (`m-`), assessment (`a-`), run and span ids in hex,
#: and trace and span ids in base64 (span JSON). Only ids the database names are replaced.
ID = re.compile(r"(?:tr-|m-|a-)?[0-9a-f]{32}|[0-9a-f]{16}|[A-Za-z0-9+/]{22}==|[A-Za-z0-9+/]{11}=")
#: Where the evaluated `predict_fn` was defined, before and after the recipe left resources/.
RECIPE_MODULES = r"^(resources\.demo_registry|core\.demo\.evaluations)(?=\.)"
#: Evaluation request ids (`mlflow.eval.requestId`), which core draws as UUIDs.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
AGENT_FOLDER = re.compile(r"tracedesk-demo-agent-[^/\s\"']+")
NUMBER = re.compile(r"(?<![\d.])\d{10}(?:\d{3})?(?:\d{6})?(?![\d.])")
FRAME = re.compile(r'  File "[^"]*", line \d+, in .*\n(?:    .*\n)*')


@dataclass
class Build:
    """When a demo was built, and who built it from where (core's source metadata)."""

    started_ns: int
    ended_ns: int
    env: dict[str, str] = field(default_factory=dict)

    def is_git_fact(self, key: str, value: str) -> bool:
        """A git fact of the builder's checkout, which core records on runs only when known."""
        return key in GIT_KEYS and value == self.env.get(key)

    def is_now(self, number: int) -> bool:
        """A time in s, ms or ns read from the clock during the build."""
        low, high = self.started_ns, self.ended_ns
        return any(low // scale <= number <= high // scale + 1 for scale in (10**9, 10**6, 1))


def build_with(builder: Callable[[Path], None], path: Path) -> Build:
    """Run `builder(path)` (which must plan with `FIXED_NOW_NS`), timing it."""
    from core.run_context import source_metadata

    started = time.time_ns() - 10**9
    builder(path)
    env = {key: source_metadata()[key] for key in ENV_KEYS}
    return Build(started, time.time_ns() + 10**9, env)


# -- placeholders --------------------------------------------------------------------------------


class Placeholders:
    """Replacements of random ids, the database's folder and clock times in any text."""

    def __init__(self, build: Build, folder: Path) -> None:
        self.build = build
        self.folder = str(folder)
        self.ids: dict[str, str] = {}
        #: Whether git facts equal to the builder's came from it (a planned trace names its own)
        self.env_git = True

    def add(self, token: str | None, placeholder: str) -> None:
        if token:
            self.ids[token] = placeholder

    def add_id(self, hex_id: str, placeholder: str) -> None:
        """A hex id, with its base64 form (span JSON carries ids as base64 of the bytes)."""
        self.add(hex_id, placeholder)
        raw = bytes.fromhex(hex_id.removeprefix("tr-"))
        self.add(base64.b64encode(raw).decode(), placeholder)

    def scoped(self) -> Placeholders:
        """A copy to add one trace's ids to."""
        inner = Placeholders(self.build, Path(self.folder))
        inner.ids = dict(self.ids)
        return inner

    def text(self, value: str) -> str:
        value = value.replace(self.folder, "<folder>")
        value = ID.sub(lambda m: self.ids.get(m.group(), m.group()), value)
        value = UUID.sub("<uuid>", AGENT_FOLDER.sub("<agent folder>", value))
        return NUMBER.sub(
            lambda m: "<now>" if self.build.is_now(int(m.group())) else m.group(), value
        )

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, int) and not isinstance(value, bool) and self.build.is_now(value):
            return "<now>"
        return value

    def row(self, row: Mapping[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
        """`row` with placeholders; a tag saying who built the demo from where is `<env>`."""
        out = {key: self.value(value) for key, value in row.items() if key not in drop}
        for key_column, value_column in (("key", "value"), ("tag_key", "tag_value")):
            key = row.get(key_column)
            from_env = key in ENV_KEYS and row.get(value_column) == self.build.env.get(key)
            if from_env and (self.env_git or key not in GIT_KEYS):
                out[value_column] = "<env>"
        for column in ("user_id", "source_id"):  # a run's user; a human assessment's source
            if row.get(column) and row[column] == self.build.env["mlflow.user"]:
                out[column] = "<env>"
        if row.get("key") == "mlflow.genaiEvaluate.agent.function":
            out["value"] = re.sub(RECIPE_MODULES, "<recipe module>", row["value"])
        if isinstance(row.get("dataset_source"), str):
            source = json.loads(row["dataset_source"])
            tags = source.get("tags", {})
            for key in ENV_KEYS:
                if key in tags and tags[key] == self.build.env.get(key):
                    tags[key] = "<env>"
                if key in GIT_KEYS and tags.get(key) == "<env>":
                    del tags[key]  # recorded only when the builder runs from a git checkout
            out["dataset_source"] = self.text(json.dumps(source, sort_keys=True))
        return out


def rows(connection: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    cursor = connection.execute(f'SELECT * FROM "{table}"')  # our own table names
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor]


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- the snapshot --------------------------------------------------------------------------------


def snapshot(db: Path, build: Build, *, whole: bool = False) -> dict[str, Any]:
    """The demo database at `db` (built as `build` says), as plain, stable data; `whole`
    keeps each trace's content instead of its digest (to see what differs)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        tables = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        data = {table: rows(connection, table) for table in tables}
    for table, (key, value) in (("tags", ("key", "value")), ("logged_model_tags", GIT_TAG)):
        data[table] = [row for row in data[table] if not build.is_git_fact(row[key], row[value])]
    counts = {table: len(found) for table, found in sorted(data.items()) if found}
    unexpected = set(counts) - set(REGISTRY) - set(PER_TRACE)
    assert not unexpected, f"tables the snapshot does not know: {sorted(unexpected)}"
    marks = Placeholders(build, db.parent)
    runs = {r["run_uuid"]: r["name"] for r in data["runs"]}
    for run_id, name in runs.items():
        marks.add(run_id, f"<run {name}>")
    for version in data["model_versions"]:
        if version["source"].startswith("models:/"):
            placeholder = f"<model {version['name']}/{version['version']}>"
            marks.add(version["source"].removeprefix("models:/"), placeholder)
    for table in ("inputs", "datasets"):
        for row in data[table]:
            for column in ("input_uuid", "dataset_uuid"):
                marks.add(row.get(column), f"<{column}>")
    for row in data["entity_associations"]:
        marks.add(row["association_id"], "<association>")
    for row in data["assessments"]:
        marks.add(row["assessment_id"], "<assessment>")
    registry = {
        table: sorted(
            (marks.row(row) for row in data.get(table, ())),
            key=lambda r, keys=keys: [str(r.get(k)) for k in keys],  # type: ignore[misc]
        )
        for table, keys in REGISTRY.items()
    }
    return {
        "counts": counts,
        "registry": registry,
        "traces": dict(sorted(traces(data, marks, whole))),
        "agent_files": agent_files(db.parent, marks),
    }


def traces(
    data: dict[str, list[dict[str, Any]]], marks: Placeholders, whole: bool = False
) -> Iterator[tuple[str, Any]]:
    """(label, digest) of each trace, its spans numbered in time order."""
    experiments = {e["experiment_id"]: e["name"] for e in data["experiments"]}
    by_trace: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for table in PER_TRACE[1:]:
        for row in data[table]:
            trace_id = row.get("request_id") or row.get("trace_id") or row.get("source_id")
            by_trace.setdefault(trace_id, {}).setdefault(table, []).append(row)
    labels: set[str] = set()
    for info in data["trace_info"]:
        parts = by_trace.get(info["request_id"], {})
        local = marks.scoped()
        local.add_id(info["request_id"], "<trace>")
        metadata = {row["key"]: row["value"] for row in parts.get("trace_request_metadata", [])}
        commit = metadata.get("mlflow.source.git.commit")
        local.env_git = commit == marks.build.env["mlflow.source.git.commit"]
        spans = sorted(
            parts.get("spans", []),
            key=lambda s: (s["start_time_unix_nano"], s["end_time_unix_nano"] or 0, s["name"]),
        )
        for index, span in enumerate(spans):
            local.add_id(span["span_id"], f"<span {index}>")
        clock = marks.build.is_now(info["timestamp_ms"])  # traced as it ran, not planned
        label = trace_label(info, experiments, parts, local)
        assert label not in labels, f"two traces are labelled {label}"
        labels.add(label)
        bundle = {
            "info": local.row(info, drop=("request_id",)),
            "experiment": experiments[info["experiment_id"]],
            "tags": sorted_rows(local, parts.get("trace_tags", []), ("key",)),
            "metadata": sorted_rows(local, parts.get("trace_request_metadata", []), ("key",)),
            "spans": [local.row(span, drop=("duration_ns",) if clock else ()) for span in spans],
            "assessments": sorted_rows(
                local, [assessment(a) for a in parts.get("assessments", [])], ("name", "span_id")
            ),
            "associations": sorted_rows(
                local, parts.get("entity_associations", []), ("destination_id",)
            ),
        }
        if clock:
            bundle["info"]["execution_time_ms"] = "<clock>"  # how long a real call took
        env_git = metadata if local.env_git else {}
        trace_size(bundle["metadata"], metadata, env_git, marks.build, clock)
        yield label, bundle if whole else digest(bundle)


def trace_size(
    metadata: list[dict[str, Any]],
    found: dict[str, str],
    env_git: dict[str, str],
    build: Build,
    clock: bool,
) -> None:
    """The trace's size without the builder's git facts (`env_git`), which count in it (core
    counts the info and metadata as JSON); unknown for a traced run, whose duration's digits
    count too."""
    size = int(found.get("mlflow.trace.sizeBytes", 0))
    size -= sum(len(json.dumps(v)) - 2 for k, v in env_git.items() if build.is_git_fact(k, v))
    for row in metadata:
        if row["key"] == "mlflow.trace.sizeBytes":
            row["value"] = "<clock>" if clock else str(size)
        elif row["key"] == "mlflow.trace.sizeStats":
            stats = json.loads(row["value"])
            stats["total_size_bytes"] = "<clock>" if clock else size
            row["value"] = json.dumps(stats)


def trace_label(
    info: dict[str, Any],
    experiments: dict[int, str],
    parts: dict[str, list[dict[str, Any]]],
    marks: Placeholders,
) -> str:
    """`experiment/name/time` for planned traces; a traced run's names its run and request."""
    name = f"{experiments[info['experiment_id']]}/{info['trace_name']}"
    if not marks.build.is_now(info["timestamp_ms"]):
        return f"{name}/{info['timestamp_ms']}"
    metadata = {m["key"]: m["value"] for m in parts.get("trace_request_metadata", [])}
    run = marks.text(metadata.get("mlflow.sourceRun", ""))
    return f"{name}/{run}/{info['request_preview']}"


def sorted_rows(
    marks: Placeholders, found: list[dict[str, Any]], keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    out = [marks.row(row) for row in found]
    return sorted(out, key=lambda r: [str(r.get(k)) for k in keys])


def assessment(row: dict[str, Any]) -> dict[str, Any]:
    """A scorer error's stack trace without its frames (file paths and line numbers)."""
    if not row.get("error"):
        return row
    error = json.loads(row["error"])
    if "stack_trace" in error:
        error["stack_trace"] = FRAME.sub("", error["stack_trace"])
    return row | {"error": json.dumps(error, sort_keys=True)}


def agent_files(folder: Path, marks: Placeholders) -> dict[str, str]:
    """The recipe's files of each logged agent model, by `<model name/version>`."""
    found = {}
    for path in sorted(folder.glob("mlruns/*/models/*/artifacts/*")):
        if path.name in AGENT_FILES:
            model = marks.text(path.parent.parent.name)
            found[f"{model}/{path.name}"] = path.read_text("utf-8")
        elif path.name == "MLmodel":
            model = marks.text(path.parent.parent.name)
            lines = path.read_text("utf-8").splitlines()
            kept = [line for line in lines if line.startswith(("  task:", "model_size_bytes:"))]
            found[f"{model}/MLmodel"] = "\n".join(kept)
    return found


# -- building ------------------------------------------------------------------------------------


def build_demo(path: Path) -> None:
    """The demo as the app builds it, planned at `FIXED_NOW_NS`."""
    from core.demo.build import build_demo_database

    build_demo_database(path, now_ns=FIXED_NOW_NS)


def take(builder: Callable[[Path], None] = build_demo, *, whole: bool = False) -> dict[str, Any]:
    """Build the demo in a scratch folder and take its snapshot."""
    with tempfile.TemporaryDirectory(prefix="tracedesk-demo-snapshot-") as folder:
        db = Path(folder) / "mlflow.db"
        build = build_with(builder, db)
        return snapshot(db, build, whole=whole)


def write(value: dict[str, Any], path: Path = SNAPSHOT) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {SNAPSHOT}")
    parser.add_argument("--out", type=Path, help="write the snapshot to this file instead")
    parser.add_argument(
        "--whole", action="store_true", help="each trace's content, not its digest (to diff two)"
    )
    args = parser.parse_args(argv)
    if args.write and args.whole:
        parser.error("--write keeps digests: use --out FILE with --whole")
    value = take(whole=args.whole)
    if args.write or args.out:
        write(value, args.out or SNAPSHOT)
    else:
        json.dump(value, sys.stdout, indent=1, ensure_ascii=False, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
