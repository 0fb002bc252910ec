"""Synthetic MLflow 3.18 tracking databases for the benchmarks, built once and cached.

`ensure_database(n_traces)` returns a database under `bench-data/` at the repository root,
building it when missing. The schema comes from `core.store.ddl.create_sqlite_database` (MLflow
3.18's own DDL); rows are bulk-inserted with `executemany` in large transactions, in the exact
encodings MLflow writes (see `tests.bench.encode`). Everything is drawn from a seeded RNG, so
the same parameters always give the same rows, and the cache key holds every parameter (with a
digest of core's DDL, so a schema change rebuilds the cache).

Contents, per database: six experiments (one deleted, one with a non-ASCII name); traces spread
over 30 days; mostly 3-15 spans with a tail of 50+; about 4 % ERROR traces; about 30 % of
traces in multi-turn sessions; three traces with a ~1 MB payload; one trace of 5,000 spans and
one of 10,000 spans. `python -m tests.bench.synth 1000 10000` builds databases by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.store.ddl import create_sqlite_database, schema_sql
from core.store.revisions import HEAD_REVISION
from tests.bench.encode import SPAN_COLUMNS, TRACE_COLUMNS, Rows, TraceContext, add_trace
from tests.bench.shapes import MS, TraceShape, fail, message, plan_trace
from tests.bench.text import TextPools, paragraph, text_of_size

#: Bump when the generated content changes, so cached databases are rebuilt.
GENERATOR_VERSION = 3
DEFAULT_SEED = 318
REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / "bench-data"
BIG_TRACES = (2_000, 5_000, 10_000)
#: The clock of the machine that wrote the fixtures (SCHEMA.md §11.10); traces end here.
END_MS = 1_795_674_866_691
WINDOW_MS = 30 * 24 * 3600 * 1000
BATCH_TRACES = 2_000
ALL = ("agent", "rag", "responses", "workflow")


@dataclass(frozen=True)
class ExperimentSpec:
    experiment_id: int
    name: str
    weight: float
    archetypes: tuple[str, ...]
    source_name: str
    deleted: bool = False


EXPERIMENTS = (
    ExperimentSpec(0, "Default", 0.05, ALL, "notebook.py"),
    ExperimentSpec(1, "support-bot", 0.40, ("agent", "agent", "responses"), "support_app.py"),
    ExperimentSpec(2, "rag-qa", 0.30, ("rag",), "rag_service.py"),
    ExperimentSpec(3, "ticket-workflows", 0.15, ("workflow",), "triage.py"),
    ExperimentSpec(4, "i18n ✨ 多言語 عربى", 0.07, ALL, "i18n_demo.py"),
    ExperimentSpec(5, "scratch-old", 0.03, ALL, "scratch.py", deleted=True),
)


@dataclass(frozen=True)
class SynthSpec:
    """Everything that decides a database's content; `key` names its cache folder."""

    n_traces: int
    seed: int = DEFAULT_SEED

    @property
    def key(self) -> str:
        version = f"v{GENERATOR_VERSION}-{schema_digest()}"
        return f"mlflow318-{self.n_traces}traces-seed{self.seed}-{version}"


def schema_digest() -> str:
    """8 hex digits of the DDL and alembic revision core creates databases with."""
    text = f"{HEAD_REVISION}\n{schema_sql()}".encode()
    return hashlib.sha256(text).hexdigest()[:8]


@dataclass(frozen=True)
class BenchDatabase:
    """A built database and what the benchmarks need to know about it."""

    path: Path
    manifest: dict[str, Any]

    @property
    def big_trace_ids(self) -> dict[str, str]:
        """Trace id by span count, for the 2,000-, 5,000- and 10,000-span traces."""
        return dict(self.manifest["big_trace_ids"])

    @property
    def active_experiment_ids(self) -> list[str]:
        return [str(e.experiment_id) for e in EXPERIMENTS if not e.deleted]


def span_count(rng: random.Random) -> int:
    """Mostly 3-15 spans (mode 3, mean ~5.6), 1.5 % with 16-49, and a 0.4 % tail of 50-150."""
    draw = rng.random()
    if draw < 0.004:
        return rng.randint(50, 150)
    if draw < 0.019:
        return rng.randint(16, 49)
    return min(15, 3 + int(rng.expovariate(1 / 2.8)))


class Generator:
    """Draws traces one by one, deterministically, for one `SynthSpec`."""

    def __init__(self, spec: SynthSpec, artifact_root: Path):
        self.spec = spec
        self.rng = random.Random(spec.seed * 1_000_003 + spec.n_traces)
        self.pools = TextPools.build(spec.seed)
        self.root = str(artifact_root)
        self.times = self._timestamps()
        self.sessions: dict[int, list[tuple[str, int, int]]] = {}
        n = spec.n_traces
        self.big = {n // 6: BIG_TRACES[0], n // 3: BIG_TRACES[1], (2 * n) // 3: BIG_TRACES[2]}
        self.inflated = {n // 5: "input", n // 2: "document", (4 * n) // 5: "tool"}
        self.big_ids: dict[str, str] = {}
        self.megabyte_ids: list[str] = []
        self.errors = 0

    def _timestamps(self) -> list[int]:
        start_ns = (END_MS - WINDOW_MS) * MS
        span_ns = WINDOW_MS * MS
        return sorted(start_ns + self.rng.randrange(span_ns) for _ in range(self.spec.n_traces))

    def _experiment(self, index: int) -> ExperimentSpec:
        if index in self.big:
            return EXPERIMENTS[1]
        return self.rng.choices(EXPERIMENTS, weights=[e.weight for e in EXPERIMENTS])[0]

    def _session(self, experiment: ExperimentSpec) -> tuple[str | None, int, str | None]:
        """Continue or open a session for ~30 % of traces: (id, turn, user)."""
        if self.rng.random() > 0.3:
            return None, 0, None
        open_sessions = self.sessions.setdefault(experiment.experiment_id, [])
        if open_sessions and self.rng.random() < 0.75:
            slot = self.rng.randrange(len(open_sessions))
            session_id, turn, user = open_sessions[slot]
            open_sessions[slot] = (session_id, turn + 1, user)
            if turn + 1 >= 8:
                open_sessions.pop(slot)
            return session_id, turn + 1, f"user-{user}"
        session_id = f"sess-{self.rng.getrandbits(64):016x}"
        user = self.rng.randint(1, 500)
        open_sessions.append((session_id, 0, user))
        return session_id, 0, f"user-{user}"

    def _history(self, turn: int) -> list[dict[str, Any]]:
        history: list[dict[str, Any]] = []
        for _ in range(min(turn, 3)):
            history.append(message("user", self.rng.choice(self.pools.questions)))
            history.append(message("assistant", paragraph(self.rng, self.pools, 1, 3)))
        return history

    def _shape(self, index: int, experiment: ExperimentSpec, turn: int) -> TraceShape:
        archetype = "agent" if index in self.big else self.rng.choice(experiment.archetypes)
        n_spans = self.big.get(index) or span_count(self.rng)
        shape = plan_trace(self.rng, self.pools, archetype, n_spans, self._history(turn))
        if index in self.inflated:
            _inflate(shape, self.inflated[index], self.rng, self.pools)
        if index not in self.big and self.rng.random() < 0.04:
            fail(shape, self.rng)
            self.errors += 1
        return shape

    def trace(self, index: int, rows: Rows) -> None:
        """Draw trace number `index` (in time order) and append its rows."""
        experiment = self._experiment(index)
        session_id, turn, user = self._session(experiment)
        shape = self._shape(index, experiment, turn)
        ctx = TraceContext(
            trace_hex=f"{self.rng.getrandbits(128):032x}",
            experiment_id=experiment.experiment_id,
            start_ns=self.times[index] + self.rng.randrange(MS),
            artifact_root=f"{self.root}/{experiment.experiment_id}",
            session_id=session_id,
            source_name=experiment.source_name,
            extra_metadata=self._extra_metadata(experiment, shape, user),
            extra_tags={"env": "prod"} if self.rng.random() < 0.25 else {},
        )
        span_ids = [f"{self.rng.getrandbits(64):016x}" for _ in shape.spans]
        add_trace(rows, ctx, shape, span_ids)
        self._remember(index, ctx.trace_id, len(shape.spans))

    def _extra_metadata(
        self, experiment: ExperimentSpec, shape: TraceShape, user: str | None
    ) -> dict[str, str]:
        extra: dict[str, str] = {}
        if experiment.experiment_id == 3:  # this app runs inside a git work tree
            extra["mlflow.source.git.branch"] = "main"
            extra["mlflow.source.git.commit"] = f"{self.spec.seed:040x}"
            extra["mlflow.source.git.repoURL"] = "git@github.com:acme/triage.git"
        if shape.archetype == "responses":
            extra["mlflow.modelId"] = f"m-{experiment.experiment_id:032x}"
        if user is not None:
            extra["mlflow.trace.user"] = user
        return extra

    def _remember(self, index: int, trace_id: str, n_spans: int) -> None:
        if index in self.big:
            self.big_ids[str(n_spans)] = trace_id
        if index in self.inflated:
            self.megabyte_ids.append(trace_id)


def _inflate(shape: TraceShape, where: str, rng: random.Random, pools: TextPools) -> None:
    """Give the trace one ~1 MB payload: the root input, a retrieved document or a tool result."""
    big = text_of_size(rng, pools, 1_000_000)
    if where == "input" or len(shape.spans) == 1:
        shape.spans[0].inputs = {"ticket": {"id": 1, "body": big}}
        return
    wanted = "RETRIEVER" if where == "document" else "TOOL"
    target = next((s for s in shape.spans if s.span_type == wanted), shape.spans[-1])
    target.outputs = [{"page_content": big, "metadata": {"doc_uri": "file:///big.txt"}}]


def _insert(connection: sqlite3.Connection, rows: Rows) -> None:
    trace_marks = ", ".join("?" * len(TRACE_COLUMNS.split(",")))
    span_marks = ", ".join("?" * len(SPAN_COLUMNS.split(",")))
    with connection:
        connection.executemany(
            f"INSERT INTO trace_info ({TRACE_COLUMNS}) VALUES ({trace_marks})", rows.trace_info
        )
        connection.executemany("INSERT INTO trace_tags VALUES (?, ?, ?)", rows.tags)
        connection.executemany("INSERT INTO trace_request_metadata VALUES (?, ?, ?)", rows.metadata)
        connection.executemany(
            f"INSERT INTO spans ({SPAN_COLUMNS}) VALUES ({span_marks})", rows.spans
        )


def _insert_experiments(connection: sqlite3.Connection, artifact_root: Path) -> None:
    created = END_MS - WINDOW_MS - 3_600_000
    with connection:
        for e in EXPERIMENTS[1:]:
            connection.execute(
                "INSERT INTO experiments (experiment_id, name, artifact_location,"
                " lifecycle_stage, creation_time, last_update_time, workspace)"
                " VALUES (?, ?, ?, ?, ?, ?, 'default')",
                (
                    e.experiment_id,
                    e.name,
                    f"{artifact_root}/{e.experiment_id}",
                    "deleted" if e.deleted else "active",
                    created + e.experiment_id,
                    END_MS,
                ),
            )
        # The DDL helper stamps the Default experiment with the wall clock; pin it instead.
        connection.execute(
            "UPDATE experiments SET creation_time = ?, last_update_time = ?"
            " WHERE experiment_id = 0",
            (created, END_MS),
        )


def _batches(n: int, size: int = BATCH_TRACES) -> Iterator[range]:
    for start in range(0, n, size):
        yield range(start, min(n, start + size))


def _generate(spec: SynthSpec, db_path: Path, artifact_root: Path) -> dict[str, Any]:
    create_sqlite_database(db_path, artifact_root=artifact_root)
    connection = sqlite3.connect(db_path)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -262144")
        _insert_experiments(connection, artifact_root)
        generator = Generator(spec, artifact_root)
        n_spans = 0
        for batch in _batches(spec.n_traces):
            rows = Rows()
            for index in batch:
                generator.trace(index, rows)
            _insert(connection, rows)
            n_spans += len(rows.spans)
    finally:
        connection.close()
    return {
        "n_spans": n_spans,
        "n_error_traces": generator.errors,
        "big_trace_ids": generator.big_ids,
        "megabyte_trace_ids": generator.megabyte_ids,
    }


def ensure_database(
    n_traces: int, seed: int = DEFAULT_SEED, *, quiet: bool = False
) -> BenchDatabase:
    """The cached database for these parameters, generated first when missing."""
    spec = SynthSpec(n_traces, seed)
    folder = CACHE_DIR / spec.key
    manifest_path = folder / "manifest.json"
    if manifest_path.exists() and (folder / "mlflow.db").exists():
        return BenchDatabase(folder / "mlflow.db", json.loads(manifest_path.read_text("utf-8")))
    manifest = _build(spec, folder)
    if not quiet:
        print(
            f"generated {spec.key}: {n_traces:,} traces, {manifest['n_spans']:,} spans, "
            f"{manifest['bytes'] / 1e6:,.0f} MB in {manifest['generation_seconds']:.1f} s"
        )
    return BenchDatabase(folder / "mlflow.db", manifest)


def _build(spec: SynthSpec, folder: Path) -> dict[str, Any]:
    """Generate into `<key>.partial/` and rename it into place, so a crash leaves no cache."""
    partial = CACHE_DIR / f"{spec.key}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    started = time.perf_counter()
    facts = _generate(spec, partial / "mlflow.db", folder / "mlruns")
    manifest = {**asdict(spec), "key": spec.key, "generator_version": GENERATOR_VERSION, **facts}
    manifest["generation_seconds"] = round(time.perf_counter() - started, 1)
    manifest["bytes"] = (partial / "mlflow.db").stat().st_size
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int, help="numbers of traces")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    for size in args.sizes:
        db = ensure_database(size, args.seed)
        print(f"{size:>7,} traces: {db.path} ({db.manifest['bytes'] / 1e6:,.0f} MB)")


if __name__ == "__main__":
    main()
