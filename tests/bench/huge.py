"""One huge synthetic trace (100,000 or 1,000,000 spans) in MLflow 3.18's layout, built once.

`ensure_huge_trace(n_spans)` returns a database under `bench-data/` holding that trace and a
small one (20 spans) to open first, building it when missing; `build_huge_trace` writes one
anywhere (the tests build small ones). Rows are encoded by `tests.bench.encode` exactly as for
the other bench databases and inserted with `executemany` in one transaction, a batch at a
time; every draw comes from a seeded RNG and the cache key holds every parameter.

The trace is a research agent: a root AGENT span, then steps (CHAIN `step N`), each with a
CHAT_MODEL span asking for tools (token usage), 150-250 consecutive `search_docs` TOOL calls
(412 in one step of 40) run four at a time, a `lookup_invoice` TOOL, a RETRIEVER and a
CHAT_MODEL answer. One search in 100 fails with an `exception` event (the step carries on);
one step in 50 fails with its `lookup_invoice` call. Payloads come from pools drawn once, so
a million spans build in about a minute.

    .venv/bin/python -m tests.bench.huge 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from core.store.ddl import create_sqlite_database
from tests.bench.encode import (
    SPAN_COLUMNS,
    TRACE_COLUMNS,
    TraceContext,
    _cost,
    _metadata,
    _span_row,
    preview,
)
from tests.bench.shapes import MS, PlanBuilder, SpanPlan, TraceShape, fail
from tests.bench.synth import CACHE_DIR, DEFAULT_SEED, END_MS, schema_digest
from tests.bench.text import TextPools, paragraph

#: Bump when the generated content changes, so cached databases are rebuilt.
GENERATOR_VERSION = 1
HUGE_SIZES = (100_000, 1_000_000)
SMALL_SPANS = 20
EXPERIMENT_ID = 1
#: `search_docs` calls run this many at a time inside a step.
FANOUT = 4
#: Spans of a step besides its searches: the step, the planning chat, lookup, retriever, answer.
STEP_OVERHEAD = 5
#: Rows per `executemany`.
BATCH_ROWS = 20_000
POOL = 256


@dataclass(frozen=True)
class HugeSpec:
    """Everything that decides the database's content; `key` names its cache folder."""

    n_spans: int
    seed: int = DEFAULT_SEED

    @property
    def key(self) -> str:
        version = f"v{GENERATOR_VERSION}-{schema_digest()}"
        return f"mlflow318-trace{self.n_spans}spans-seed{self.seed}-{version}"


@dataclass(frozen=True)
class HugeTrace:
    """A built database with its huge trace, and what the benchmarks need to know about it."""

    path: Path
    manifest: dict[str, Any]

    @property
    def trace_id(self) -> str:
        return str(self.manifest["trace_id"])

    @property
    def small_trace_id(self) -> str:
        return str(self.manifest["small_trace_id"])

    @property
    def n_spans(self) -> int:
        return int(self.manifest["n_spans"])

    @property
    def content_bytes(self) -> int:
        """The UTF-8 size of the huge trace's span JSON (`spans.content`)."""
        return int(self.manifest["content_bytes"])


@dataclass
class _Pools:
    """Payload templates drawn once; spans copy them and get their own times and ids."""

    searches: list[SpanPlan]
    failed_searches: list[SpanPlan]
    asks: list[SpanPlan]
    answers: list[SpanPlan]
    lookups: list[SpanPlan]
    retrievals: list[SpanPlan]

    @classmethod
    def draw(cls, rng: random.Random, pools: TextPools) -> _Pools:
        builder = PlanBuilder(rng, pools, [])
        builder.provider = ("gpt-4o-mini", "openai")  # priced: the trace has costs

        def plan(add: Callable[[], int]) -> SpanPlan:
            builder.messages = builder.messages[-4:]  # the conversation stays short
            return builder.spans[add()]

        searches = [_search(rng, pools) for _ in range(POOL)]
        failed = [_failed(rng, _search(rng, pools)) for _ in range(16)]
        asks = [plan(lambda: builder.chat(0, tool="search_docs")) for _ in range(POOL // 4)]
        answers = [plan(lambda: builder.chat(0)) for _ in range(POOL // 4)]
        lookups = [plan(lambda: builder.tool(0, "lookup_invoice")) for _ in range(POOL // 4)]
        retrievals = [plan(lambda: builder.retrieve(0, "refund policy")) for _ in range(16)]
        return cls(searches, failed, asks, answers, lookups, retrievals)


def _search(rng: random.Random, pools: TextPools) -> SpanPlan:
    docs = [
        {
            "page_content": paragraph(rng, pools, 1, 3),
            "metadata": {"doc_uri": f"https://docs.acme.test/kb/{rng.randint(1, 9999)}"},
        }
        for _ in range(rng.randint(1, 3))
    ]
    query = rng.choice(pools.questions)[:60]
    attrs = {"mlflow.spanFunctionName": "search_docs"}
    return SpanPlan(None, "TOOL", "search_docs", 0, {"query": query}, docs, attrs)


def _failed(rng: random.Random, plan: SpanPlan) -> SpanPlan:
    """`plan` raising: no outputs, an `exception` event and an error status."""
    fail(TraceShape([plan], "tool"), rng)
    return plan


class _Writer:
    """Encodes spans of one trace and inserts them a batch at a time; keeps the trace's sums."""

    def __init__(self, connection: sqlite3.Connection, ctx: TraceContext) -> None:
        self.connection = connection
        self.ctx = ctx
        self.rows: list[tuple[Any, ...]] = []
        self.sizes: list[int] = []
        self.tokens = [0, 0, 0]
        self.costs = [0.0, 0.0, 0.0]
        self.errors = 0
        self.ids = random.Random(ctx.trace_hex)  # span ids: independent of the payload draws

    def new_id(self) -> str:
        return f"{self.ids.getrandbits(64):016x}"

    def span(self, plan: SpanPlan, ids: tuple[str, str | None], times: tuple[int, int]) -> None:
        row = _span_row(self.ctx, plan, ids, times)
        self.rows.append(row)
        self.sizes.append(len(row[9].encode("utf-8")))
        if plan.usage is not None:
            for i, key in enumerate(("input_tokens", "output_tokens", "total_tokens")):
                self.tokens[i] += plan.usage[key]
        cost = _cost(plan)
        if cost is not None:
            self.costs = [a + b for a, b in zip(self.costs, cost, strict=True)]
        self.errors += plan.error is not None
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        marks = ", ".join("?" * len(SPAN_COLUMNS.split(",")))
        self.connection.executemany(
            f"INSERT INTO spans ({SPAN_COLUMNS}) VALUES ({marks})", self.rows
        )
        self.rows = []


class _TraceBuilder:
    """Draws one research-agent trace of exactly `n_spans` spans and writes it."""

    def __init__(self, rng: random.Random, pools: _Pools, text: TextPools) -> None:
        self.rng = rng
        self.pools = pools
        self.text = text

    def step_sizes(self, n_spans: int) -> list[int]:
        """The number of searches of each step, so that the trace has exactly `n_spans`."""
        if n_spans < 1 + STEP_OVERHEAD + 1:
            raise ValueError(f"a research-agent trace needs at least {STEP_OVERHEAD + 2} spans")
        sizes: list[int] = []
        left = n_spans - 1
        while left:
            searches = 412 if len(sizes) % 40 == 17 else self.rng.randint(150, 250)
            if left - (searches + STEP_OVERHEAD) < STEP_OVERHEAD + 1:
                searches = left - STEP_OVERHEAD
            sizes.append(searches)
            left -= searches + STEP_OVERHEAD
        return sizes

    def write(self, writer: _Writer, n_spans: int) -> tuple[SpanPlan, int]:
        """All spans of the trace, the root last (it ends last); the root's plan and its end."""
        root_id = writer.new_id()
        clock = writer.ctx.start_ns + 2 * MS
        for number, searches in enumerate(self.step_sizes(n_spans)):
            clock = self._step(writer, root_id, number, searches, clock) + self._ms(1, 20)
        question = self.rng.choice(self.text.questions)
        root = SpanPlan(None, "AGENT", "research_agent", 0, {"question": question})
        root.outputs = {"answer": paragraph(self.rng, self.text, 2, 4)}
        root.attrs["mlflow.spanFunctionName"] = "research_agent"
        end = clock + 3 * MS
        writer.span(root, (root_id, None), (writer.ctx.start_ns, end))
        writer.flush()
        return root, end

    def _ms(self, low: float, high: float) -> int:
        return int(self.rng.uniform(low, high) * MS)

    def _step(self, writer: _Writer, root_id: str, number: int, searches: int, start: int) -> int:
        """One step's spans (its own row after its children's); returns the step's end."""
        step_id, rng, pools = writer.new_id(), self.rng, self.pools
        clock = start + self._ms(0.2, 2)
        clock = self._leaf(writer, rng.choice(pools.asks), step_id, clock, (300, 2500))
        for wave in range(0, searches, FANOUT):
            ends = []
            for _ in range(min(FANOUT, searches - wave)):
                failed = rng.random() < 0.01
                plan = rng.choice(pools.failed_searches if failed else pools.searches)
                begin = clock + self._ms(0, 1)
                ends.append(self._leaf(writer, plan, step_id, begin, (20, 400)))
            clock = max(ends)
        lookup = rng.choice(pools.lookups)
        broken = number % 50 == 49
        if broken:
            lookup = _failed(rng, replace(lookup, parent=None, events=[], error=None))
        clock = self._leaf(writer, lookup, step_id, clock, (5, 200))
        clock = self._leaf(writer, rng.choice(pools.retrievals), step_id, clock, (20, 300))
        clock = self._leaf(writer, rng.choice(pools.answers), step_id, clock, (250, 2500))
        end = clock + self._ms(0.1, 1)
        step = SpanPlan(None, "CHAIN", f"step {number}", 0, {"step": number})
        step.outputs = None if broken else {"done": True}
        step.error = lookup.error if broken else None
        writer.span(step, (step_id, root_id), (start, end))
        return end

    def _leaf(
        self, writer: _Writer, plan: SpanPlan, parent: str, start: int, ms: tuple[float, float]
    ) -> int:
        end = start + self._ms(*ms)
        writer.span(plan, (writer.new_id(), parent), (start, end))
        return end


def _trace_info(writer: _Writer, root: SpanPlan, end_ns: int) -> None:
    """The trace's `trace_info`, tags and metadata rows, once its spans are written."""
    ctx = writer.ctx
    request = preview(root.inputs, None)
    response = preview(root.outputs, None)
    sizes = sorted(writer.sizes)
    quartiles = statistics.quantiles(sizes, n=4)
    info_bytes = 400 + len(request or "") + len(response or "")
    stats = {"total_size_bytes": sum(sizes) + info_bytes, "num_spans": len(sizes)}
    stats.update(max=sizes[-1], p25=int(quartiles[0]), p50=int(quartiles[1]))
    stats["p75"] = int(quartiles[2])
    duration_ms = (end_ns - ctx.start_ns) // MS
    row = (
        ctx.trace_id,
        ctx.experiment_id,
        ctx.start_ns // MS,
        duration_ms,
        "OK",
        request,
        response,
        2,
        root.name,
        None,
        *writer.tokens,
        *writer.costs,
    )
    marks = ", ".join("?" * len(TRACE_COLUMNS.split(",")))
    connection = writer.connection
    connection.execute(f"INSERT INTO trace_info ({TRACE_COLUMNS}) VALUES ({marks})", row)
    tags = {
        "mlflow.artifactLocation": f"{ctx.artifact_root}/traces/{ctx.trace_id}/artifacts",
        "mlflow.trace.spansLocation": "TRACKING_STORE",
    }
    connection.executemany(
        "INSERT INTO trace_tags VALUES (?, ?, ?)", [(k, v, ctx.trace_id) for k, v in tags.items()]
    )
    meta = _metadata(ctx, root, stats)
    connection.executemany(
        "INSERT INTO trace_request_metadata VALUES (?, ?, ?)",
        [(k, v, ctx.trace_id) for k, v in meta.items()],
    )


def _write_trace(
    connection: sqlite3.Connection,
    builder: _TraceBuilder,
    n_spans: int,
    start_ms: int,
    artifact_root: Path,
) -> _Writer:
    ctx = TraceContext(
        trace_hex=f"{builder.rng.getrandbits(128):032x}",
        experiment_id=EXPERIMENT_ID,
        start_ns=start_ms * MS,
        artifact_root=f"{artifact_root}/{EXPERIMENT_ID}",
        session_id=None,
        source_name="research_agent.py",
        extra_metadata={},
        extra_tags={},
    )
    writer = _Writer(connection, ctx)
    root, end = builder.write(writer, n_spans)
    _trace_info(writer, root, end)
    return writer


def build_huge_trace(
    path: Path, n_spans: int, seed: int = DEFAULT_SEED, artifact_root: Path | None = None
) -> dict[str, Any]:
    """Create `path` with a small trace and one research-agent trace of `n_spans` spans; the
    facts a manifest keeps (ids, sizes, counts)."""
    root = artifact_root or path.parent / "mlruns"
    create_sqlite_database(path, artifact_root=root)
    rng = random.Random(seed * 1_000_003 + n_spans)
    text = TextPools.build(seed)
    builder = _TraceBuilder(rng, _Pools.draw(rng, text), text)
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA journal_mode = OFF")  # a throwaway build: no rollback
        with connection:
            connection.execute(
                "INSERT INTO experiments (experiment_id, name, artifact_location,"
                " lifecycle_stage, creation_time, last_update_time, workspace)"
                " VALUES (?, 'research-agent', ?, 'active', ?, ?, 'default')",
                (EXPERIMENT_ID, f"{root}/{EXPERIMENT_ID}", END_MS - 7_200_000, END_MS),
            )
            small = _write_trace(connection, builder, SMALL_SPANS, END_MS - 7_000_000, root)
            huge = _write_trace(connection, builder, n_spans, END_MS - 6_000_000, root)
    finally:
        connection.close()
    return {
        "trace_id": huge.ctx.trace_id,
        "small_trace_id": small.ctx.trace_id,
        "n_spans": n_spans,
        "n_error_spans": huge.errors,
        "content_bytes": sum(huge.sizes),
    }


def ensure_huge_trace(n_spans: int, seed: int = DEFAULT_SEED, *, quiet: bool = False) -> HugeTrace:
    """The cached database with an `n_spans`-span trace, generated first when missing."""
    spec = HugeSpec(n_spans, seed)
    folder = CACHE_DIR / spec.key
    manifest_path = folder / "manifest.json"
    if manifest_path.exists() and (folder / "mlflow.db").exists():
        return HugeTrace(folder / "mlflow.db", json.loads(manifest_path.read_text("utf-8")))
    partial = CACHE_DIR / f"{spec.key}.partial"  # renamed into place: a crash leaves no cache
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    started = time.perf_counter()
    facts = build_huge_trace(partial / "mlflow.db", n_spans, seed, folder / "mlruns")
    manifest = {**asdict(spec), "key": spec.key, "generator_version": GENERATOR_VERSION, **facts}
    manifest["generation_seconds"] = round(time.perf_counter() - started, 1)
    manifest["bytes"] = (partial / "mlflow.db").stat().st_size
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    if not quiet:
        print(
            f"generated {spec.key}: {n_spans:,} spans, {manifest['bytes'] / 1e6:,.0f} MB"
            f" in {manifest['generation_seconds']:.1f} s"
        )
    return HugeTrace(folder / "mlflow.db", manifest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int, help="numbers of spans")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    for size in args.sizes:
        built = ensure_huge_trace(size, args.seed)
        print(f"{size:>9,} spans: {built.path} ({built.manifest['bytes'] / 1e6:,.0f} MB)")


if __name__ == "__main__":
    main()
