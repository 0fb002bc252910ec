"""`make bench`, PostgreSQL: a 1,000,000-trace MLflow 3.18 store on a local PostgreSQL 15 server.

    .venv/bin/python -m tests.bench.postgres                 # 1,000,000 and 1,000 traces
    .venv/bin/python -m tests.bench.postgres --quick --traces 100000 --no-mlflow

The stores live in one PostgreSQL cluster cached under `bench-data/postgres-<version>/` (made
with tests/postgres.py, run as an unprivileged user; rebuilt only when the generator changes),
in databases whose schema real MLflow 3.18 created. Each is filled fast and deterministically:

* 2,000 template traces are drawn with `tests.bench.synth`'s generator and row builders (the
  encodings MLflow writes) and COPYed into staging tables;
* the store's N traces are copies of them made inside the server (INSERT ... SELECT over
  `generate_series`): a new trace id per copy (ids inside tags and span JSON rewritten too),
  timestamps shifted an hour per copy, every tag and metadata row of the template;
* LEAN SPANS: each copied trace keeps only its root span (~1.2 GB of span JSON instead of
  ~12 GB for 1M traces; the trace list and tag filters never read spans), and its
  `mlflow.trace.sizeStats` says `num_spans: 1` (MLflow leaves out of `search_traces` a trace
  with fewer spans than that number); the 5,000- and 10,000-span traces are stored whole.

Measured: the first page of 100 rows (all experiments, one, the five active ones), the first
page filtered on a tag, and `get_trace` of the 5,000-span trace, in fresh processes
(tests.bench.probe, as for SQLite) and warm; the Insights queries and the tab drawing them
(issue 20, `tests.bench.insights_bench`); MLflow's own `search_traces(max_results=100)` and
`get_trace` on the same server in fresh processes; the first-page ratio 1M / 1k (interleaved);
live mode's change check against the naive `max()` + `count(*)`; and the query plans (which
MLflow index serves each query). Bars as on SQLite: 1M vs 1k < 2x, vs MLflow >= 20x (page)
and >= 10x (get_trace). `markdown()` is the BENCHMARKS.md section.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.store.store import Store
from tests.bench import insights_bench, report
from tests.bench.encode import SPAN_COLUMNS, TRACE_COLUMNS, Rows
from tests.bench.insights_bench import InsightFigures
from tests.bench.synth import (
    CACHE_DIR,
    END_MS,
    EXPERIMENTS,
    REPO_ROOT,
    WINDOW_MS,
    Generator,
    SynthSpec,
)
from tests.bench.timing import Sample, ours, repeat, run_child, run_interleaved
from tests.postgres import PostgresCluster, missing_reason

#: Bump when what is generated changes: the cached cluster is then rebuilt.
PG_GENERATOR_VERSION = 3
CLUSTER_DIR = CACHE_DIR / f"postgres-v{PG_GENERATOR_VERSION}"
TEMPLATE_DB = "mlflow_template"
TEMPLATE_TRACES = 2_000
SHIFT_MS = 3_600_000
PAGE = 100
MLFLOW_PYTHON = ".venv-mlflow/bin/python"
TAG_FILTER = "tag.env = 'prod'"
#: Plans printed in full in BENCHMARKS.md (the others are summed up by the indexes they read).
SHOWN_PLANS = ("first page, one experiment", "first page filtered on a tag")
BENCH_SETTINGS = {
    "shared_buffers": "1GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "2GB",
    "checkpoint_timeout": "30min",
    "effective_cache_size": "8GB",
    "random_page_cost": "1.1",
    "jit": "off",
}

MLFLOW_PROBE = """
import json, sys, time
started = time.perf_counter()
import mlflow
imported = time.perf_counter()
operation, uri, arg = sys.argv[1:4]
mlflow.set_tracking_uri(uri)
mlflow.get_experiment("0")
warmed = time.perf_counter()
if operation == "search":
    size = len(mlflow.search_traces(locations=arg.split(","), max_results=100))
else:
    size = len(mlflow.get_trace(arg).data.spans)
done = time.perf_counter()
print(json.dumps({"import_s": imported - started, "warmup_s": warmed - imported,
                  "call_s": done - warmed, "size": size, "mlflow_version": mlflow.__version__}))
"""

CREATE_SCHEMA = (
    "import mlflow, sys; mlflow.set_tracking_uri(sys.argv[1]); mlflow.search_experiments()"
)


# -- building the stores ------------------------------------------------------------------------


@dataclass(frozen=True)
class PgStore:
    """One benchmark database in the cluster."""

    n_traces: int
    url: str
    manifest: dict[str, Any]

    @property
    def big_trace_id(self) -> str:
        return str(self.manifest["big_trace_ids"]["5000"])


def start_cluster() -> PostgresCluster:
    reason = missing_reason()
    if reason is not None:
        raise SystemExit(f"PostgreSQL benchmark skipped: {reason}")
    return PostgresCluster(CLUSTER_DIR, settings=BENCH_SETTINGS).start()


def _manifest_path(n_traces: int) -> Path:
    return CLUSTER_DIR / f"bench_{n_traces}.json"


def ensure_store(cluster: PostgresCluster, n_traces: int, mlflow_python: Path) -> PgStore:
    """The cached database of `n_traces` traces, built first when missing."""
    name = f"bench_{n_traces}"
    manifest_path = _manifest_path(n_traces)
    if manifest_path.is_file() and name in cluster.databases():
        return PgStore(n_traces, cluster.url(name), json.loads(manifest_path.read_text("utf-8")))
    if TEMPLATE_DB not in cluster.databases():
        _create_mlflow_schema(cluster, mlflow_python)
    cluster.drop_database(name)
    cluster.create_database(name, template=TEMPLATE_DB)
    started = time.perf_counter()
    manifest = _fill(cluster, name, n_traces)
    manifest["generation_seconds"] = round(time.perf_counter() - started, 1)
    manifest["bytes"] = cluster.execute(f"SELECT pg_database_size('{name}')")[0][0]
    manifest_path.write_text(json.dumps(manifest, indent=1), "utf-8")
    print(
        f"generated {name}: {n_traces:,} traces, {manifest['n_spans']:,} spans, "
        f"{manifest['bytes'] / 1e9:.2f} GB in {manifest['generation_seconds']:.0f} s",
        flush=True,
    )
    return PgStore(n_traces, cluster.url(name), manifest)


def _create_mlflow_schema(cluster: PostgresCluster, mlflow_python: Path) -> None:
    """Real MLflow 3.18 creates its schema in the template database."""
    import subprocess

    cluster.create_database(TEMPLATE_DB)
    subprocess.run(
        [str(mlflow_python), "-c", CREATE_SCHEMA, cluster.url(TEMPLATE_DB)],
        check=True,
        capture_output=True,
        cwd=CLUSTER_DIR,
    )


def _fill(cluster: PostgresCluster, database: str, n_traces: int) -> dict[str, Any]:
    """Stage the template traces, copy them up to `n_traces`, add the big traces whole."""
    import psycopg

    rows, generator = _template_rows()
    big = set(generator.big_ids.values())
    with psycopg.connect(cluster.url(database).replace("+psycopg", ""), autocommit=True) as db:
        _insert_experiments(db)
        _stage(db, rows)
        lean = n_traces - len(big)
        copies = -(-lean // (TEMPLATE_TRACES - len(big)))
        db.execute(MAP_SQL, {"big": list(big), "copies": copies, "lean": lean, "shift": SHIFT_MS})
        for statement in COPY_SQL:
            db.execute(statement)
        _insert_whole(db, rows, big)
        for table in ("tpl_map", "tpl_trace_info", "tpl_tags", "tpl_metadata", "tpl_spans"):
            db.execute(f"DROP TABLE {table}")
        db.execute("VACUUM ANALYZE")
        db.execute("CHECKPOINT")  # lets the server drop the bulk load's WAL files
        n_spans = db.execute("SELECT count(*) FROM spans").fetchone()
    return {
        "n_traces": n_traces,
        "n_spans": int(n_spans[0]) if n_spans else 0,
        "big_trace_ids": generator.big_ids,
        "lean_spans": "one root span per copied trace; the 5,000/10,000-span traces whole",
        "pg_generator_version": PG_GENERATOR_VERSION,
    }


def _template_rows() -> tuple[Rows, Generator]:
    generator = Generator(SynthSpec(TEMPLATE_TRACES), CLUSTER_DIR / "mlruns")
    rows = Rows()
    for index in range(TEMPLATE_TRACES):
        generator.trace(index, rows)
    return rows, generator


def _insert_experiments(db: Any) -> None:
    created = END_MS - WINDOW_MS - 3_600_000
    for e in EXPERIMENTS[1:]:
        db.execute(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage,"
            " creation_time, last_update_time, workspace) VALUES (%s, %s, %s, %s, %s, %s,"
            " 'default')",
            (
                e.experiment_id,
                e.name,
                f"{CLUSTER_DIR}/mlruns/{e.experiment_id}",
                "deleted" if e.deleted else "active",
                created + e.experiment_id,
                END_MS,
            ),
        )
    db.execute("SELECT setval('experiments_experiment_id_seq', %s)", (len(EXPERIMENTS),))


def _stage(db: Any, rows: Rows) -> None:
    """COPY the template rows into unlogged staging tables shaped like MLflow's."""
    db.execute(f"CREATE UNLOGGED TABLE tpl_trace_info AS SELECT {TRACE_COLUMNS} FROM trace_info"
               " WITH NO DATA")  # fmt: skip
    db.execute("CREATE UNLOGGED TABLE tpl_tags AS SELECT * FROM trace_tags WITH NO DATA")
    db.execute(
        "CREATE UNLOGGED TABLE tpl_metadata AS SELECT * FROM trace_request_metadata WITH NO DATA"
    )
    db.execute(f"CREATE UNLOGGED TABLE tpl_spans AS SELECT {SPAN_COLUMNS} FROM spans WITH NO DATA")
    _copy(db, f"tpl_trace_info ({TRACE_COLUMNS})", rows.trace_info)
    _copy(db, "tpl_tags (key, value, request_id)", rows.tags)
    _copy(db, "tpl_metadata (key, value, request_id)", rows.metadata)
    _copy(db, f"tpl_spans ({SPAN_COLUMNS})", rows.spans)
    db.execute("ANALYZE tpl_trace_info, tpl_tags, tpl_metadata, tpl_spans")


def _copy(db: Any, target: str, rows: Sequence[Sequence[Any]]) -> None:
    with db.cursor().copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _insert_whole(db: Any, rows: Rows, big: set[str]) -> None:
    """The big traces, as the generator made them: every row, every span."""
    _copy(db, f"trace_info ({TRACE_COLUMNS})", [r for r in rows.trace_info if r[0] in big])
    _copy(db, "trace_tags (key, value, request_id)", [r for r in rows.tags if r[2] in big])
    _copy(
        db,
        "trace_request_metadata (key, value, request_id)",
        [r for r in rows.metadata if r[2] in big],
    )
    _copy(db, f"spans ({SPAN_COLUMNS})", [r for r in rows.spans if r[0] in big])


#: One row per copied trace: template id, new id, copy number (the first `lean` of them).
MAP_SQL = """
CREATE UNLOGGED TABLE tpl_map AS
SELECT t.request_id AS src, 'tr-' || md5(t.request_id || ':' || k) AS dst, k,
       k * %(shift)s::bigint AS shift
FROM tpl_trace_info t CROSS JOIN generate_series(0, %(copies)s - 1) AS k
WHERE t.request_id <> ALL(%(big)s)
ORDER BY k, t.request_id
LIMIT %(lean)s
"""

_B64 = "encode(decode(substr({0}, 4), 'hex'), 'base64')"
COPY_SQL = (
    "ALTER TABLE tpl_map ADD PRIMARY KEY (src, k)",
    f"""INSERT INTO trace_info ({TRACE_COLUMNS})
    SELECT m.dst, t.experiment_id, t.timestamp_ms - m.shift, t.execution_time_ms, t.status,
           t.request_preview, t.response_preview, t.db_payload_generation, t.trace_name,
           t.session_id || '-' || m.k, t.input_tokens, t.output_tokens, t.total_tokens,
           t.input_cost, t.output_cost, t.total_cost
    FROM tpl_map m JOIN tpl_trace_info t ON t.request_id = m.src""",
    """INSERT INTO trace_tags (key, value, request_id)
    SELECT g.key, replace(g.value, m.src, m.dst), m.dst
    FROM tpl_map m JOIN tpl_tags g ON g.request_id = m.src""",
    # A lean copy has one span, and its size stats say so: MLflow skips a trace holding fewer
    # spans than `num_spans` as "not fully exported yet" (and would page past all of them).
    """INSERT INTO trace_request_metadata (key, value, request_id)
    SELECT g.key,
           CASE WHEN g.key = 'mlflow.trace.sizeStats'
                THEN jsonb_set(g.value::jsonb, '{num_spans}', '1')::text ELSE g.value END,
           m.dst
    FROM tpl_map m JOIN tpl_metadata g ON g.request_id = m.src""",
    f"""INSERT INTO spans ({SPAN_COLUMNS})
    SELECT m.dst, s.experiment_id, s.span_id, NULL, s.name, s.type, s.status,
           s.start_time_unix_nano - m.shift * 1000000, s.end_time_unix_nano - m.shift * 1000000,
           replace(replace(s.content, {_B64.format("m.src")}, {_B64.format("m.dst")}),
                   m.src, m.dst),
           s.input_cost, s.output_cost, s.total_cost, s.model_name, s.model_provider
    FROM tpl_map m JOIN tpl_spans s ON s.trace_id = m.src AND s.parent_span_id IS NULL""",
)


# -- measuring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    label: str
    arg: str  # tests.bench.probe's EXPERIMENT_IDS argument ("-" = all)

    @property
    def ids(self) -> list[str] | None:
        return None if self.arg == "-" else self.arg.split(",")


ACTIVE = ",".join(str(e.experiment_id) for e in EXPERIMENTS if not e.deleted)
SCOPES = (
    Scope("all experiments (None)", "-"),
    Scope("one experiment [1]", "1"),
    Scope("5 active experiments", ACTIVE),
)


@dataclass
class Findings:
    """Everything measured; `markdown()` and `bars()` read it."""

    stores: list[PgStore]
    server: str = ""
    warm: dict[str, Sample] = field(default_factory=dict)
    fresh: dict[str, Sample] = field(default_factory=dict)
    ratios: dict[str, Sample] = field(default_factory=dict)
    mlflow: dict[str, Sample] = field(default_factory=dict)
    mlflow_version: str = ""
    plans: dict[str, str] = field(default_factory=dict)
    change_check: dict[str, Sample] = field(default_factory=dict)
    #: The Insights queries on the small and large stores; the tab drawn on the large one.
    insights: tuple[InsightFigures, InsightFigures] | None = None


def _warm(store: Store, big_id: str, repeats: int) -> dict[str, Sample]:
    reader = store.reader
    out = {
        f"page {s.label}": repeat(lambda s=s: reader.trace_page(s.ids, limit=PAGE), repeats)
        for s in SCOPES
    }
    ids = SCOPES[2].ids
    out["page filtered on a tag"] = repeat(
        lambda: reader.trace_page(ids, filter_string=TAG_FILTER, limit=PAGE), repeats
    )
    out["get_trace (5,000 spans)"] = repeat(lambda: reader.get_trace(big_id), max(3, repeats // 3))
    return out


def _fresh(url: str, big_id: str, runs: int) -> dict[str, Sample]:
    """Our first call in a fresh process (tests.bench.probe), as for SQLite."""
    out: dict[str, Sample] = {}
    for scope in SCOPES:
        calls = [run_child(ours("page", url, scope.arg)) for _ in range(runs)]
        out[f"page {scope.label}"] = Sample(tuple(c.result["call_s"] for c in calls))
    calls = [run_child(ours("get", url, big_id)) for _ in range(runs)]
    out["get_trace (5,000 spans)"] = Sample(tuple(c.result["call_s"] for c in calls))
    return out


def _mlflow(url: str, big_id: str, runs: int, python: Path) -> tuple[dict[str, Sample], str]:
    """MLflow's search_traces(100) per scope and get_trace, in fresh processes, interleaved
    with our probe doing the same (the same method as the SQLite figures)."""
    mine = [sys.executable, "-m", "tests.bench.probe"]
    theirs = [str(python), "-c", MLFLOW_PROBE]
    out: dict[str, Sample] = {}
    version = ""
    for scope in SCOPES[1:]:
        search, page = run_interleaved(
            [[*theirs, "search", url, scope.arg], [*mine, "page", url, scope.arg]], runs
        )
        out[f"mlflow search_traces(100): {scope.label}"] = _calls(search)
        out[f"ours: first page: {scope.label}"] = _calls(page)
        version = str(search[0].result["mlflow_version"])
    get, ours_get = run_interleaved(
        [[*theirs, "get", url, big_id], [*mine, "get", url, big_id]], runs
    )
    out["mlflow get_trace (5,000 spans)"] = _calls(get)
    out["ours: get_trace (5,000 spans)"] = _calls(ours_get)
    return out, version


def _calls(runs: Sequence[Any]) -> Sample:
    return Sample(tuple(float(run.result["call_s"]) for run in runs))


def _ratios(small: PgStore, large: PgStore, rounds: int) -> dict[str, Sample]:
    """Each call on the large store over the same call on the small one, interleaved (round 0
    warms): the first page per scope, the tag-filtered page and `get_trace` of the 5,000-span
    trace (both stores hold it whole)."""
    ids = SCOPES[2].ids
    calls: dict[str, Any] = {
        f"first page: {s.label}": lambda r, _big, s=s: r.trace_page(s.ids, limit=PAGE)
        for s in SCOPES
    }
    calls[f"first page filtered on a tag ({TAG_FILTER})"] = lambda r, _big: r.trace_page(
        ids, filter_string=TAG_FILTER, limit=PAGE
    )
    calls["get_trace (5,000 spans)"] = lambda r, big: r.get_trace(big)
    out = {}
    with Store.open(small.url) as small_store, Store.open(large.url) as large_store:
        sides = ((small_store, small.big_trace_id), (large_store, large.big_trace_id))
        for label, call in calls.items():
            times: tuple[list[float], list[float]] = ([], [])
            for i in range(rounds + 1):
                for side in (0, 1) if i % 2 else (1, 0):
                    store, big = sides[side]
                    started = time.perf_counter()
                    call(store.reader, big)
                    if i:
                        times[side].append(time.perf_counter() - started)
            out[label] = Sample(tuple(b / a for a, b in zip(*times, strict=True)))
    return out


def _plans(store: Store, big_id: str) -> dict[str, str]:
    """EXPLAIN (COSTS OFF) of every query measured, compiled as the reader sends it."""
    from sqlalchemy import select, text

    from core.store import schema as t
    from core.store.dialect import change_marker, spans_of_trace
    from core.store.trace_pages import PageQuery

    keys, out = _keys(store), {}
    spans = t.spans

    def page(ids: list[str] | None, filter_string: str | None = None) -> Any:
        """The first page's statement, as `StoreReader.trace_page` sends it."""
        query = PageQuery(store.layout, ids, filter_string, keys)
        return query.statement(None, PAGE, store.engine.dialect.name)

    statements = {
        "first page, all experiments": page(None),
        "first page, one experiment": page(["1"]),
        "first page, 5 active experiments": page(SCOPES[2].ids),
        "first page filtered on a tag": page(["1"], TAG_FILTER),
        "get_trace: the spans' columns": select(spans.c.span_id, spans.c.parent_span_id).where(
            spans_of_trace(spans, big_id)
        ),
        "live mode's change check": change_marker(),
    }
    with store.engine.connect() as connection:
        for label, statement in statements.items():
            compiled = statement.compile(
                dialect=connection.dialect, compile_kwargs={"literal_binds": True}
            )
            rows = connection.execute(text(f"EXPLAIN (COSTS OFF) {compiled}")).scalars()
            out[label] = "\n".join(rows)
    return out


def indexes_used(plan: str) -> list[str]:
    """The indexes a PostgreSQL plan reads, in order of first use ("Seq Scan on t" for none);
    the system catalogs' own are left out."""
    import re

    found = re.findall(r"Index (?:Only )?Scan(?: Backward)? (?:using|on) (\w+)", plan)
    found += [f"Seq Scan on {name}" for name in re.findall(r"Seq Scan on (\w+)", plan)]
    return [name for name in dict.fromkeys(found) if not name.split()[-1].startswith("pg_")]


def _keys(store: Store) -> Any:
    from core.store.order_sql import compile_order_by

    return compile_order_by(None, store.layout)


def _change_check(store: Store, repeats: int) -> dict[str, Sample]:
    """Live mode's check (one index descent + statistics counters) against max() + count(*)."""
    from sqlalchemy import func, select

    from core.store import schema as t
    from core.store.dialect import change_marker

    naive = select(func.max(t.trace_info.c.timestamp_ms), func.count())
    with store.engine.connect() as connection:
        return {
            "live-mode check (index + pg_stat counters)": repeat(
                lambda: connection.execute(change_marker()).one(), repeats
            ),
            "naive max(timestamp_ms) + count(*)": repeat(
                lambda: connection.execute(naive).one(), max(3, repeats // 5)
            ),
        }


def run(n_traces: int, small: int, repeats: int, runs: int, mlflow_python: Path | None) -> Findings:
    """Build or reuse the stores, measure everything, stop the cluster."""
    cluster = start_cluster()
    try:
        python = mlflow_python or REPO_ROOT / MLFLOW_PYTHON
        stores = [ensure_store(cluster, n, python) for n in (small, n_traces)]
        findings = Findings(stores, server=cluster.execute("SHOW server_version")[0][0])
        _measure(findings, repeats, runs, mlflow_python)
        return findings
    finally:
        cluster.stop()


def _measure(findings: Findings, repeats: int, runs: int, mlflow_python: Path | None) -> None:
    small, large = findings.stores
    findings.ratios = _ratios(small, large, repeats)
    with Store.open(large.url) as store:
        print(f"measuring {large.n_traces:,} traces on PostgreSQL", flush=True)
        findings.warm = _warm(store, large.big_trace_id, repeats)
        findings.plans = _plans(store, large.big_trace_id)
        findings.change_check = _change_check(store, repeats)
    findings.fresh = _fresh(large.url, large.big_trace_id, runs)
    print("insights on PostgreSQL", flush=True)
    findings.insights = (
        insights_bench.measure_store(small.url, small.n_traces),
        insights_bench.measure_store(large.url, large.n_traces, window=True),
    )
    if mlflow_python is not None:
        print("MLflow on the same server", flush=True)
        findings.mlflow, findings.mlflow_version = _mlflow(
            large.url, large.big_trace_id, runs, mlflow_python
        )


# -- reporting ------------------------------------------------------------------------------------


def bars(findings: Findings) -> list[report.Bar]:
    """The SQLite bars, on PostgreSQL."""
    n = findings.stores[-1].n_traces
    worst = max((s.median for s in findings.ratios.values()), default=0.0)
    out = [
        report.Bar(
            f"PostgreSQL: each call on {n:,} traces < 2x the {findings.stores[0].n_traces:,}"
            "-trace store (first pages, tag filter, get_trace)",
            f"worst median ratio {worst:.2f}x",
            worst < 2.0 if findings.ratios else None,
        )
    ]
    pairs = [
        (f"first page >= 20x faster than MLflow search_traces(100): {s.label}",
         f"mlflow search_traces(100): {s.label}", f"ours: first page: {s.label}", 20.0)
        for s in SCOPES[1:]
    ]  # fmt: skip
    pairs.append(
        (
            "get_trace (5,000 spans) >= 10x faster than MLflow",
            "mlflow get_trace (5,000 spans)",
            "ours: get_trace (5,000 spans)",
            10.0,
        )
    )
    for label, theirs, mine, bar in pairs:
        if theirs in findings.mlflow:
            speedup = findings.mlflow[theirs].median / findings.mlflow[mine].median
            out.append(report.Bar(f"PostgreSQL: {label}", f"{speedup:.1f}x", speedup >= bar))
        else:
            out.append(report.Bar(f"PostgreSQL: {label}", "not measured", None))
    if findings.insights is not None:
        out += [
            report.Bar(f"PostgreSQL: {bar.name}", bar.measured, bar.passed)
            for bar in insights_bench.bars(findings.insights[1])
        ]
    return out


def markdown(findings: Findings) -> str:
    """The PostgreSQL section of BENCHMARKS.md."""
    stores = report.table(
        ["store", "traces", "spans", "size on disk", "built in"],
        [
            [s.url.rsplit("/", 1)[1], f"{s.n_traces:,}", f"{s.manifest['n_spans']:,}",
             f"{s.manifest['bytes'] / 1e9:.2f} GB", f"{s.manifest['generation_seconds']:.0f} s"]
            for s in findings.stores
        ],
    )  # fmt: skip
    timings = report.table(
        ["call", "warm, ms median (min-max)", "fresh process, ms"],
        [
            [label, sample.ms(), findings.fresh[label].ms() if label in findings.fresh else ""]
            for label, sample in findings.warm.items()
        ],
    )
    sizes = f"{findings.stores[-1].n_traces:,} / {findings.stores[0].n_traces:,}"
    parts = [
        f"PostgreSQL {findings.server} on this machine (a throwaway cluster, fsync off), "
        f"psycopg 3; MLflow {findings.mlflow_version or 'not run'}. Lean spans: copied traces "
        "keep their root span only; the 5,000- and 10,000-span traces are whole.",
        stores,
        timings,
        _table(findings.ratios, f"{sizes} traces: time ratio, same call", ratio=True),
        _table(findings.mlflow, "MLflow on the same server vs ours, fresh processes (ms)"),
        _table(findings.change_check, "live mode: one change check (ms)"),
        report.table(
            ["query", "indexes of MLflow's schema it reads"],
            [
                [label, ", ".join(f"`{i}`" for i in indexes_used(plan)) or "none"]
                for label, plan in findings.plans.items()
            ],
        )
        if findings.plans
        else "",
        "\n\n".join(
            f"Plan, {label}:\n\n```\n{plan}\n```"
            for label, plan in findings.plans.items()
            if label in SHOWN_PLANS
        ),
        "Insights (issue 20) on PostgreSQL, every query warm over the whole time range of all "
        "experiments (lean spans: the span tables and span breakdowns read root spans):\n\n"
        + insights_bench.markdown(*findings.insights)
        if findings.insights
        else "",
        report.bars_table(bars(findings)),
    ]
    return "\n\n".join(p for p in parts if p)


def _table(samples: dict[str, Sample], title: str, ratio: bool = False) -> str:
    if not samples:
        return ""
    rows = [
        [label, f"{s.median:.2f} ({s.low:.2f}-{s.high:.2f})" if ratio else s.ms()]
        for label, s in samples.items()
    ]
    return report.table(["", title], rows)


BENCHMARKS_MD = REPO_ROOT / "BENCHMARKS.md"
BEGIN = "<!-- BEGIN GENERATED BY `python -m tests.bench.postgres --write`; do not edit by hand -->"
END = "<!-- END GENERATED (PostgreSQL) -->"


def write_benchmarks(section: str, path: Path = BENCHMARKS_MD) -> None:
    """Put `section` between the PostgreSQL markers of BENCHMARKS.md (appended the first time)."""
    text = path.read_text("utf-8")
    block = f"{BEGIN}\n\n{section}\n\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = (
            text.rstrip("\n") + "\n\n## PostgreSQL: 1,000,000 traces on a server\n\n" + block + "\n"
        )
    path.write_text(text, "utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.postgres", description=__doc__)
    parser.add_argument("--traces", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000, help="the store of the ratio bar")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--mlflow-python", type=Path, default=REPO_ROOT / MLFLOW_PYTHON)
    parser.add_argument("--no-mlflow", action="store_true", help="skip MLflow's calls")
    parser.add_argument("--write", action="store_true", help="write the BENCHMARKS.md section")
    args = parser.parse_args(argv)
    python = None if args.no_mlflow else args.mlflow_python.absolute()
    repeats, runs = (5, 2) if args.quick else (25, 5)
    findings = run(args.traces, args.small, repeats, runs, python)
    section = markdown(findings)
    print("\n" + section)
    if args.write:
        write_benchmarks(section)
    return 1 if any(bar.passed is False for bar in bars(findings)) else 0


if __name__ == "__main__":
    sys.exit(main())
