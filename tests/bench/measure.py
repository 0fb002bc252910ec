"""The measurements of one database: trace pages, get_trace, memory, MLflow, query plans.

Only public calls are timed (`Store.open`, `StoreReader.trace_page`, `StoreReader.get_trace`,
`Span.attributes`, `core.search_traces`), so the figures are what the app and library users
get. "warm" repeats a call in this process after one untimed call; "cold" runs each call in a
fresh child process (see `tests.bench.probe`), which pays the first-call costs again.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.store.store import Store
from tests.bench import plans
from tests.bench.synth import BenchDatabase
from tests.bench.timing import (
    ChildRun,
    Sample,
    child_sample,
    ours,
    process_sample,
    ratios,
    repeat,
    run_children,
    run_interleaved,
)

PAGE = 100
DEEP_PAGE = 500
#: `search_traces` of every trace of experiment 1 is compared on databases up to this size.
EVERY_TRACE_UP_TO = 10_000
EVERY_TRACE = 1_000_000  # max_results: more than any experiment holds


@dataclass(frozen=True)
class Config:
    repeats: int
    children: int
    mlflow_runs: int
    mlflow_python: Path | None


@dataclass(frozen=True)
class Scope:
    label: str
    experiment_ids: tuple[str, ...] | None

    @property
    def arg(self) -> str:
        return ",".join(self.experiment_ids) if self.experiment_ids is not None else "-"

    @property
    def ids(self) -> list[str] | None:
        return list(self.experiment_ids) if self.experiment_ids is not None else None


def scopes(db: BenchDatabase) -> list[Scope]:
    active = tuple(db.active_experiment_ids)
    return [
        Scope("all experiments (None)", None),
        Scope("one experiment [1]", ("1",)),
        Scope(f"{len(active)} active experiments", active),
    ]


@dataclass(frozen=True)
class PageFigures:
    scope: Scope
    warm: Sample
    cold_call: Sample
    cold_open: Sample
    cold_process: Sample
    deep_page: int
    deep_warm: Sample
    first_plan: plans.PlanReport
    deep_plan: plans.PlanReport


def _count(db_path: Path, scope: Scope) -> int:
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        where, params = _where(scope)
        return int(
            connection.execute(f"SELECT count(*) FROM trace_info {where}", params).fetchone()[0]
        )
    finally:
        connection.close()


def _where(scope: Scope) -> tuple[str, tuple[Any, ...]]:
    if scope.experiment_ids is None:
        return "", ()
    marks = ", ".join("?" * len(scope.experiment_ids))
    return f"WHERE experiment_id IN ({marks})", tuple(int(e) for e in scope.experiment_ids)


def deep_key(db_path: Path, scope: Scope, page: int) -> tuple[Any, ...]:
    """The keyset position that starts page `page` (1-based) in the default order, from SQL."""
    where, params = _where(scope)
    sql = (
        f"SELECT timestamp_ms, request_id FROM trace_info {where}"
        " ORDER BY timestamp_ms DESC, request_id DESC LIMIT 1 OFFSET ?"
    )
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return tuple(connection.execute(sql, (*params, (page - 1) * PAGE - 1)).fetchone())
    finally:
        connection.close()


def check_deep_key(store: Store, db_path: Path, scope: Scope) -> None:
    """Walk three pages with the reader's own keys; they must match the SQL-derived key."""
    key = None
    for _ in range(3):
        key = store.reader.trace_page(scope.ids, after=key, limit=PAGE).next_key
    if key is not None and tuple(key) != deep_key(db_path, scope, 4):
        raise RuntimeError(f"keyset mismatch for {scope.label}: {key}")


def measure_page(store: Store, db: BenchDatabase, scope: Scope, config: Config) -> PageFigures:
    """First page (warm and cold process) and a deep page for one scope."""
    reader = store.reader
    first = reader.trace_page(scope.ids, limit=PAGE)
    if len(first.rows) != min(PAGE, _count(db.path, scope)):
        raise RuntimeError(f"first page of {scope.label} has {len(first.rows)} rows")
    warm = repeat(lambda: reader.trace_page(scope.ids, limit=PAGE), config.repeats)
    runs = run_children(ours("page", str(db.path), scope.arg), config.children)
    check_deep_key(store, db.path, scope)
    page = max(2, min(DEEP_PAGE, _count(db.path, scope) // PAGE))
    key = deep_key(db.path, scope, page)
    deep = repeat(lambda: reader.trace_page(scope.ids, after=key, limit=PAGE), config.repeats)
    return PageFigures(
        scope=scope,
        warm=warm,
        cold_call=child_sample(runs, "call_s"),
        cold_open=child_sample(runs, "open_s"),
        cold_process=process_sample(runs),
        deep_page=page,
        deep_warm=deep,
        first_plan=plans.explain(db.path, "first page", plans.page_queries(store, scope.ids, None)),
        deep_plan=plans.explain(db.path, f"page {page}", plans.page_queries(store, scope.ids, key)),
    )


@dataclass(frozen=True)
class GetFigures:
    spans: int
    warm: Sample
    decode: Sample
    cold_call: Sample
    cold_decode: Sample
    cold_process: Sample
    warm_10k: Sample
    spans_10k: int


def _decode_sample(store: Store, trace_id: str, times: int = 5) -> Sample:
    """Decoding every attribute of a freshly loaded trace (a loaded trace caches its decode)."""
    values = []
    for _ in range(times):
        spans = store.reader.get_trace(trace_id).data.spans
        started = time.perf_counter()
        for span in spans:
            _ = span.attributes
        values.append(time.perf_counter() - started)
    return Sample(tuple(values))


def measure_get(store: Store, db: BenchDatabase, config: Config) -> GetFigures:
    """`get_trace` of the 5,000-span trace (warm, cold process, decode) and the 10,000 one."""
    big, bigger = db.big_trace_ids["5000"], db.big_trace_ids["10000"]
    spans = len(store.reader.get_trace(big).data.spans)
    runs = run_children(ours("get", str(db.path), big), config.children)
    return GetFigures(
        spans=spans,
        warm=repeat(lambda: store.reader.get_trace(big), max(5, config.repeats // 3)),
        decode=_decode_sample(store, big),
        cold_call=child_sample(runs, "call_s"),
        cold_decode=child_sample(runs, "decode_s"),
        cold_process=process_sample(runs),
        warm_10k=repeat(lambda: store.reader.get_trace(bigger), max(3, config.repeats // 6)),
        spans_10k=len(store.reader.get_trace(bigger).data.spans),
    )


def measure_memory(db: BenchDatabase) -> dict[str, float]:
    """ru_maxrss (MB) of a fresh process: opened, + first page, + get_trace, + decode all."""
    (run,) = run_children(ours("memory", str(db.path), db.big_trace_ids["5000"]), 1)
    return {k: float(v) for k, v in run.result.items() if k.endswith("_mb")}


@dataclass(frozen=True)
class Paired:
    """MLflow's child runs and ours, run in alternation round by round."""

    theirs: list[ChildRun]
    ours: list[ChildRun]

    def call(self, theirs: bool) -> Sample:
        return child_sample(self.theirs if theirs else self.ours, "call_s")

    def process(self, theirs: bool) -> Sample:
        return process_sample(self.theirs if theirs else self.ours)

    @property
    def speedup(self) -> Sample:
        """MLflow's call time over ours, per round."""
        return ratios(self.call(True).values, self.call(False).values)

    @property
    def process_speedup(self) -> Sample:
        return ratios(self.process(True).values, self.process(False).values)

    def size(self, theirs: bool) -> int:
        return int((self.theirs if theirs else self.ours)[0].result["size"])


@dataclass(frozen=True)
class SearchFigures:
    """MLflow's `search_traces(locations, max_results=100)` against our page and our frame."""

    scope: Scope
    page: Paired
    frame: Paired

    @property
    def warmup(self) -> Sample:
        return child_sample(self.page.theirs, "warmup_s")


@dataclass(frozen=True)
class MlflowFigures:
    version: str
    searches: list[SearchFigures]
    get: Paired
    db_untouched: bool
    every: Paired | None = None  # every trace of experiment 1, on the smaller databases
    get_2k: Paired | None = None  # the 2,000-span trace (databases built since generator v3)


def _mlflow_command(config: Config, *args: str) -> list[str]:
    assert config.mlflow_python is not None
    return [str(config.mlflow_python), str(Path(__file__).with_name("mlflow_probe.py")), *args]


def _fingerprint(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _search(db: BenchDatabase, scope: Scope, config: Config) -> SearchFigures:
    """Per round: MLflow's search, our page of the same scope, our DataFrame of it."""
    path, page = str(db.path), str(PAGE)
    theirs, mine, frame = run_interleaved(
        [
            _mlflow_command(config, "search", path, scope.arg, page),
            ours("page", path, scope.arg),
            ours("search", path, scope.arg, page),
        ],
        config.mlflow_runs,
    )
    return SearchFigures(scope, Paired(theirs, mine), Paired(theirs, frame))


def measure_mlflow(db: BenchDatabase, config: Config) -> MlflowFigures:
    """MLflow's search_traces(100) per scope and get_trace(5,000 spans), against ours."""
    before = _fingerprint(db.path)
    searches = [_search(db, scope, config) for scope in scopes(db) if scope.experiment_ids]
    theirs, mine = _get_pair(db, "5000", config)
    small = _get_pair(db, "2000", config) if "2000" in db.big_trace_ids else None
    every = None
    if db.manifest["n_traces"] <= EVERY_TRACE_UP_TO:  # MLflow takes minutes beyond
        path, everything = str(db.path), str(EVERY_TRACE)
        all_theirs, all_mine = run_interleaved(
            [
                _mlflow_command(config, "search", path, "1", everything),
                ours("search", path, "1", everything),
            ],
            config.mlflow_runs,
        )
        every = Paired(all_theirs, all_mine)
    return MlflowFigures(
        version=str(theirs[0].result["mlflow_version"]),
        searches=searches,
        get=Paired(theirs, mine),
        db_untouched=_fingerprint(db.path) == before,
        every=every,
        get_2k=Paired(*small) if small else None,
    )


def _get_pair(
    db: BenchDatabase, spans: str, config: Config
) -> tuple[list[ChildRun], list[ChildRun]]:
    """MLflow's `get_trace` and ours of the trace with `spans` spans, round by round."""
    path, trace_id = str(db.path), db.big_trace_ids[spans]
    theirs, mine = run_interleaved(
        [_mlflow_command(config, "get", path, trace_id), ours("get", path, trace_id)],
        config.mlflow_runs,
    )
    return theirs, mine


def _page_seconds(store: Store, scope: Scope) -> float:
    started = time.perf_counter()
    store.reader.trace_page(scope.ids, limit=PAGE)
    return time.perf_counter() - started


def _interleaved_ratio(small: Store, large: Store, scope: Scope, rounds: int) -> Sample:
    """Per round one page on each store, the order alternating; round 0 only warms up."""
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(rounds + 1):
        order = ((0, small), (1, large)) if i % 2 else ((1, large), (0, small))
        for side, store in order:
            seconds = _page_seconds(store, scope)
            if i:
                times[side].append(seconds)
    return ratios(times[1], times[0])


def measure_ratios(small: BenchDatabase, large: BenchDatabase, rounds: int) -> dict[Scope, Sample]:
    """First page on the large database over the small one, per scope, calls interleaved."""
    small_store, large_store = Store.open(small.path), Store.open(large.path)
    try:
        return {
            scope: _interleaved_ratio(small_store, large_store, scope, rounds)
            for scope in scopes(large)
        }
    finally:
        small_store.close()
        large_store.close()


@dataclass(frozen=True)
class SizeResult:
    db: BenchDatabase
    pages: list[PageFigures]
    get: GetFigures
    memory: dict[str, float]
    mlflow: MlflowFigures | None

    @property
    def n_traces(self) -> int:
        return int(self.db.manifest["n_traces"])

    def page_for(self, scope: Scope) -> PageFigures:
        return next(p for p in self.pages if p.scope == scope)


def measure_size(db: BenchDatabase, config: Config, log: Any = print) -> SizeResult:
    """Everything for one database."""
    store = Store.open(db.path)
    try:
        pages = []
        for scope in scopes(db):
            log(f"  trace pages: {scope.label}")
            pages.append(measure_page(store, db, scope, config))
        log("  get_trace of the 5,000- and 10,000-span traces")
        get = measure_get(store, db, config)
        memory = measure_memory(db)
    finally:
        store.close()
    mlflow = None
    if config.mlflow_python is not None:
        log("  MLflow search_traces / get_trace in child processes")
        mlflow = measure_mlflow(db, config)
    return SizeResult(db, pages, get, memory, mlflow)
