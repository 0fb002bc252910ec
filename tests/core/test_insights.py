"""Insights (issue 20): traces per time bucket with errors and exact latency percentiles, the
breakdowns, span statistics and sessions, computed by the database; the DataFrames scripts get;
and PostgreSQL giving what SQLite gives for the same rows."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import core
from core import tracking
from core.store import Store
from core.store.insights import BUCKET_SIZES_MS, MAX_BUCKETS, bucket_ms_for

HOUR = 3_600_000
#: Far after the fixture's own traces: the rows below are the only ones in range.
BASE = 1_900_000_800_000 - 1_900_000_800_000 % HOUR
END = BASE + 3 * HOUR - 1


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


@pytest.fixture
def rows(db318: Path) -> list[tuple[str, int, int, str, str, str | None, int, float]]:
    """30 traces over three hours: (id, time, duration ms, status, name, session, tokens, cost),
    with tag `env` on the even ones."""
    made = []
    for n in range(30):
        hour = n % 3
        made.append(
            (
                f"tr-insight{n:02d}",
                BASE + hour * HOUR + n * 1000,
                100 * (n + 1) + hour * 10_000,
                "ERROR" if n % 7 == 0 else "OK",
                "agent" if n % 2 else "rag",
                f"sess-{n % 4}" if n < 20 else None,
                10 * n,
                0.001 * n,
            )
        )
    with sqlite3.connect(db318) as connection:
        for trace_id, at, ms, status, name, session, tokens, cost in made:
            connection.execute(
                "INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, "
                "execution_time_ms, status, trace_name, session_id, input_tokens, output_tokens, "
                "total_tokens, total_cost) VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (trace_id, at, ms, status, name, session, tokens, 1, tokens + 1, cost),
            )
            if int(trace_id[-2:]) % 2 == 0:
                connection.execute(
                    "INSERT INTO trace_tags (key, value, request_id) VALUES ('env', 'prod', ?)",
                    (trace_id,),
                )
            connection.execute(
                "INSERT INTO trace_request_metadata (key, value, request_id) "
                "VALUES ('mlflow.trace.user', ?, ?)",
                (f"user-{int(trace_id[-2:]) % 4}", trace_id),
            )
    return made


@pytest.fixture
def store(db318: Path, rows: list[tuple[object, ...]]) -> Iterator[Store]:
    opened = Store.open(db318)
    yield opened
    opened.close()


def test_buckets_are_the_smallest_that_keep_the_chart_readable() -> None:
    assert bucket_ms_for(0, 10 * 60_000) == 60_000
    assert bucket_ms_for(0, 3 * HOUR) == 5 * 60_000  # 36 buckets
    assert bucket_ms_for(0, 14 * 24 * HOUR) == 6 * HOUR  # 56 buckets
    assert bucket_ms_for(0, 10**13) == BUCKET_SIZES_MS[-1]
    for span in (1, 59 * 60_000, 5 * 24 * HOUR, 200 * 24 * HOUR):
        size = bucket_ms_for(0, span)
        assert span / size <= MAX_BUCKETS or size == BUCKET_SIZES_MS[-1]


def test_traces_per_hour_with_errors_tokens_cost_and_exact_percentiles(
    store: Store, rows: list[tuple[str, int, int, str, str, str | None, int, float]]
) -> None:
    series = store.insights.trace_series(None, BASE, END, HOUR)
    assert [b.start_ms for b in series] == [BASE, BASE + HOUR, BASE + 2 * HOUR]
    for bucket in series:
        hour = (bucket.start_ms - BASE) // HOUR
        mine = [r for r in rows if r[0][-2:].isdigit() and int(r[0][-2:]) % 3 == hour]
        durations = [float(r[2]) for r in mine]
        assert bucket.traces == len(mine) == 10
        assert bucket.errors == sum(r[3] == "ERROR" for r in mine)
        assert bucket.p50_ms == nearest_rank(durations, 0.5)
        assert bucket.p90_ms == nearest_rank(durations, 0.9)
        assert bucket.p99_ms == nearest_rank(durations, 0.99)
        assert bucket.input_tokens == sum(r[6] for r in mine)
        assert bucket.output_tokens == len(mine)
        assert bucket.cost == pytest.approx(sum(r[7] for r in mine))


def test_breakdowns_by_name_status_and_tag(store: Store) -> None:
    insights = store.insights
    by_name = insights.trace_series(None, BASE, END, 3 * HOUR, by="name")
    assert {(b.group, b.traces) for b in by_name} == {("agent", 15), ("rag", 15)}
    by_status = insights.trace_series(None, BASE, END, 3 * HOUR, by="status")
    assert {(b.group, b.errors) for b in by_status} == {("ERROR", 5), ("OK", 0)}
    by_tag = insights.trace_series(None, BASE, END, 3 * HOUR, by="tag:env")
    assert {(b.group, b.traces) for b in by_tag} == {("prod", 15), (None, 15)}
    with pytest.raises(ValueError, match="tag:<key>"):
        insights.trace_series(None, BASE, END, HOUR, by="colour")


def test_a_filter_narrows_the_series_as_it_narrows_the_list(store: Store) -> None:
    series = store.insights.trace_series(
        None, BASE, END, 3 * HOUR, filter_string="trace.status = 'ERROR'"
    )
    assert [(b.traces, b.errors) for b in series] == [(5, 5)]


def test_span_statistics_slowest_first(store: Store) -> None:
    stats = store.insights.span_stats(None, 0, 2**62)  # the fixture's own spans
    assert stats and stats == sorted(stats, key=lambda s: -(s.p95_ms or 0.0))
    with sqlite3.connect(store.location.path) as connection:
        found = connection.execute(
            "SELECT name, (end_time_unix_nano - start_time_unix_nano) / 1e6 FROM spans "
            "WHERE end_time_unix_nano IS NOT NULL"
        ).fetchall()
    for stat in stats:
        durations = [ms for name, ms in found if name == stat.group]
        assert stat.spans == len(durations)
        assert stat.p50_ms == pytest.approx(nearest_rank(durations, 0.5))
        assert stat.p95_ms == pytest.approx(nearest_rank(durations, 0.95))
    by_type = store.insights.span_stats(None, 0, 2**62, by="type")
    assert sum(s.spans for s in by_type) == sum(s.spans for s in stats)


def test_many_traces_are_sampled_and_say_so(
    store: Store, db318: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over SAMPLE_TRACES traces, span statistics read the traces whose id ends in zeros (1 in
    16, 256 or 4,096) and scale their counts up."""
    from core.store import insights

    assert all(not s.approximate for s in store.insights.span_stats(None, 0, 2**62))
    monkeypatch.setattr(insights, "SAMPLE_TRACES", 1)  # every fixture trace is too many
    with sqlite3.connect(db318) as connection:
        traces = connection.execute("SELECT COUNT(*) FROM trace_info").fetchone()[0]
        digits = next(d for d in (1, 2, 3) if traces / 16**d <= 1 or d == 3)
        sampled = dict(
            connection.execute(
                "SELECT name, COUNT(*) FROM spans WHERE trace_id LIKE ? GROUP BY name",
                ("%" + "0" * digits,),
            ).fetchall()
        )
    stats = store.insights.span_stats(None, 0, 2**62)
    assert {s.sample_every for s in stats} <= {16**digits}
    assert {s.group: s.spans for s in stats} == {k: v * 16**digits for k, v in sampled.items()}


def test_percentiles_of_many_traces_come_from_a_sample_and_counts_stay_exact(
    store: Store, db318: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.store import insights

    exact = store.insights.trace_series(None, BASE, END, HOUR)
    assert {row.sample_every for row in exact} == {1}
    monkeypatch.setattr(insights, "EXACT_PERCENTILE_TRACES", 1)
    sampled = store.insights.trace_series(None, BASE, END, HOUR)
    assert [(r.start_ms, r.traces, r.errors, r.input_tokens) for r in sampled] == [
        (r.start_ms, r.traces, r.errors, r.input_tokens) for r in exact
    ]
    (every,) = {row.sample_every for row in sampled}
    digits = {16: 1, 256: 2, 4096: 3}[every]
    with sqlite3.connect(db318) as connection:
        kept = connection.execute(
            "SELECT timestamp_ms, execution_time_ms FROM trace_info WHERE timestamp_ms "
            "BETWEEN ? AND ? AND request_id LIKE ?",
            (BASE, END, "%" + "0" * digits),
        ).fetchall()
    for row in sampled:
        durations = [ms for at, ms in kept if row.start_ms <= at < row.start_ms + HOUR]
        expected = nearest_rank(durations, 0.9) if durations else None
        assert row.p90_ms == (pytest.approx(expected) if expected is not None else None)
    # A tag breakdown joins each trace to its tag: its counts come from the sample, scaled up.
    by_tag = store.insights.trace_series(None, BASE, END, HOUR, "tag:env")
    assert {row.sample_every for row in by_tag} == {every}
    assert sum(row.traces for row in by_tag) == len(kept) * every


def test_sessions_one_row_each_latest_first(store: Store) -> None:
    sessions = {
        s.session_id: s for s in store.insights.sessions(None) if s.session_id[:5] == "sess-"
    }
    assert set(sessions) == {"sess-0", "sess-1", "sess-2", "sess-3"}
    zero = sessions["sess-0"]  # traces 0, 4, 8, 12, 16
    assert (zero.turns, zero.user, zero.errors) == (5, "user-0", 1)  # trace 0 failed
    assert zero.tokens == sum(10 * n + 1 for n in (0, 4, 8, 12, 16))
    lasts = [s.last_ms for s in store.insights.sessions(None)]
    assert lasts == sorted(lasts, reverse=True)
    in_last_hour = store.insights.sessions(None, start_ms=BASE + 2 * HOUR, end_ms=END)
    assert {s.session_id: s.turns for s in in_last_hour if s.session_id[:5] == "sess-"} == {
        f"sess-{k}": 5 for k in range(4)
    }  # each has a turn in the last hour, and keeps all five
    assert not store.insights.sessions(None, start_ms=END + 1, end_ms=END + HOUR)


def test_feedback_pass_rates_per_bucket(store: Store, db318: Path) -> None:
    """The fixture's own feedback (pass/fail), against a mean worked out from its rows."""
    start, end = store.insights.time_range(None) or (0, 0)
    series = store.insights.assessment_series(None, start, end, 30 * 86_400_000)
    with sqlite3.connect(db318) as connection:
        expected = dict(
            connection.execute(
                "SELECT name, AVG(aggregate_value) FROM assessments "
                "WHERE assessment_type = 'feedback' AND valid GROUP BY name"
            ).fetchall()
        )
    assert series and {row.name for row in series} == set(expected)
    for row in series:
        assert row.mean == pytest.approx(expected[row.name])
        assert row.count > 0


def test_the_dataframes_scripts_get(store: Store, db318: Path) -> None:
    core.set_tracking_uri(f"sqlite:///{db318}")
    try:
        frame = core.insights.trace_stats(["0"], start_ms=BASE, end_ms=END, bucket_ms=HOUR)
        assert list(frame.columns)[:4] == ["bucket", "group", "traces", "errors"]
        assert frame["traces"].tolist() == [10, 10, 10]
        assert str(frame["bucket"].dt.tz) == "UTC"
        assert frame["bucket"].iloc[0].value // 1_000_000 == BASE
        spans = core.insights.span_stats(["0"], store=store)
        assert spans["spans"].sum() > 0 and next(iter(spans.columns)) == "group"
        chats = core.insights.session_stats(store=store)
        assert {"session_id", "turns", "first", "last"} <= set(chats.columns)
        judged = core.insights.assessment_stats(store=store)
        assert {"bucket", "name", "count", "mean", "numeric"} == set(judged.columns)
        empty = core.insights.trace_stats(filter_string="trace.name = 'nothing'")
        assert empty.empty and "p50_ms" in empty.columns
    finally:
        tracking.reset()


def _write_errors(db: Path, malformed: bool = True) -> None:
    """Three failing traces through core's tracer: twice a ValueError that rises through two
    spans, once a KeyError; and (`malformed`) one span row whose JSON is malformed."""
    core.set_tracking_uri(f"sqlite:///{db}")
    try:
        for error in (ValueError('said "no" to 50%_'), ValueError('said "no" to 50%_'), KeyError):
            with pytest.raises((ValueError, KeyError)), core.start_span("agent"):  # noqa: SIM117
                with core.start_span("tool"):
                    raise error
    finally:
        tracking.reset()
    if not malformed:
        return
    with sqlite3.connect(db) as connection:
        (trace_id,) = connection.execute(
            "SELECT request_id FROM trace_info ORDER BY timestamp_ms DESC LIMIT 1"
        ).fetchone()
        connection.execute(
            "INSERT INTO spans (trace_id, experiment_id, span_id, name, type, status, "
            "start_time_unix_nano, end_time_unix_nano, content) "
            "VALUES (?, 0, 'broken', 'broken', 'UNKNOWN', 'ERROR', 1, 2, '{not json')",
            (trace_id,),
        )


def test_most_frequent_error_messages_from_exception_events(db318: Path) -> None:
    _write_errors(db318)
    with Store.open(db318) as store:
        start, end = store.insights.time_range(None) or (0, 0)
        found = store.insights.error_messages(None, start, end)
    assert [(e.kind, e.message, e.traces, e.spans) for e in found] == [
        ("ValueError", 'said "no" to 50%_', 2, 4),
        ("KeyError", "", 1, 2),
    ]
    assert start <= found[1].last_ms <= end
    with Store.open(db318) as store:
        frame = core.insights.error_stats(store=store)
    assert frame["message"].tolist() == ['said "no" to 50%_', ""]
    assert frame["traces"].tolist() == [2, 1] and str(frame["last"].dt.tz) == "UTC"


def test_messages_that_differ_only_past_their_start_are_one_row(db318: Path) -> None:
    """A rate limit's message goes on with the numbers of the moment: counted together."""
    from core.store.insights import ERROR_PREFIX_CHARS

    core.set_tracking_uri(f"sqlite:///{db318}")
    head = "Rate limit reached for gpt-4o-mini in organization org-1 ".ljust(ERROR_PREFIX_CHARS)
    try:
        for used in (195_123, 199_871):
            with pytest.raises(RuntimeError), core.start_span("call"):
                raise RuntimeError(f"{head}Used {used}")
    finally:
        tracking.reset()
    with Store.open(db318) as store:
        start, end = store.insights.time_range(None) or (0, 0)
        (row,) = store.insights.error_messages(None, start, end)
    assert (row.kind, row.traces, row.spans) == ("RuntimeError", 2, 2)
    assert row.message == f"{head}Used 195123"


def test_breakdown_by_span_model_and_type_counts_spans(store: Store) -> None:
    """The fixture's four ChatOllama calls (llama3.2:1b) with their recorded token usage."""
    start, end = store.insights.time_range(None) or (0, 0)
    size = bucket_ms_for(start, end)
    by_model = store.insights.trace_series(None, start, end, size, "span.model")
    assert {row.group for row in by_model} == {"llama3.2:1b"}
    assert sum(row.traces for row in by_model) == 4
    assert sum(row.input_tokens or 0 for row in by_model) == 35 + 36 + 39 + 40
    assert sum(row.output_tokens or 0 for row in by_model) == 25 + 2 + 1 + 2
    by_type = store.insights.trace_series(None, start, end, size, "span.type")
    with sqlite3.connect(store.location.path) as connection:
        expected = dict(
            connection.execute("SELECT type, COUNT(*) FROM spans GROUP BY type").fetchall()
        )
    counted: dict[str | None, int] = {}
    for row in by_type:
        counted[row.group] = counted.get(row.group, 0) + row.traces
    assert counted == expected
    assert all(row.sample_every == 1 for row in by_type)


@pytest.mark.postgres
def test_error_messages_on_postgresql_as_on_sqlite(pg_url: str, db318: Path) -> None:
    from tests.postgres import copy_sqlite_store

    # No malformed row: PostgreSQL 15 (the test cluster) has no IS JSON to step over it.
    _write_errors(db318, malformed=False)
    copy_sqlite_store(db318, pg_url)
    with Store.open(pg_url) as pg, Store.open(db318) as lite:
        start, end = lite.insights.time_range(None) or (0, 0)
        errors = lite.insights.error_messages(None, start, end)
        assert len(errors) == 2 and pg.insights.error_messages(None, start, end) == errors
        size = bucket_ms_for(start, end)
        for by in ("span.type", "span.model"):
            left = pg.insights.trace_series(None, start, end, size, by)
            right = lite.insights.trace_series(None, start, end, size, by)
            assert right
            counts = [(r.start_ms, r.group, r.traces, r.errors, r.input_tokens) for r in right]
            assert [(r.start_ms, r.group, r.traces, r.errors, r.input_tokens) for r in left] == (
                counts
            )
            assert [r.p90_ms for r in left] == pytest.approx([r.p90_ms for r in right])


@pytest.mark.postgres
def test_postgresql_gives_what_sqlite_gives(pg_fixture318: str, db318: Path) -> None:
    """The 3.18 fixture's rows on both servers: every aggregation equal."""
    with Store.open(pg_fixture318) as pg, Store.open(db318) as lite:
        for store in (pg, lite):
            assert store.insights.time_range(None) is not None
        start, end = lite.insights.time_range(None) or (0, 0)
        assert pg.insights.time_range(None) == (start, end)
        for by in (None, "name", "status"):
            for size in (1000, HOUR):  # seconds: the fixture's traces fall into several
                assert pg.insights.trace_series(None, start, end, size, by) == (
                    lite.insights.trace_series(None, start, end, size, by)
                )
        assert len(lite.insights.trace_series(None, start, end, 1000)) > 3
        for group in ("name", "type", "model"):
            left = pg.insights.span_stats(None, start, end, group)
            right = lite.insights.span_stats(None, start, end, group)
            assert [(s.group, s.spans, s.errors) for s in left] == [
                (s.group, s.spans, s.errors) for s in right
            ]
            assert [s.p95_ms for s in left] == pytest.approx([s.p95_ms for s in right])
        assert pg.insights.sessions(None) == lite.insights.sessions(None)
        left_a = pg.insights.assessment_series(None, start, end, 1000)
        right_a = lite.insights.assessment_series(None, start, end, 1000)
        assert [(r.start_ms, r.name, r.count, r.numeric) for r in left_a] == [
            (r.start_ms, r.name, r.count, r.numeric) for r in right_a
        ]
        assert [r.mean for r in left_a] == pytest.approx([r.mean for r in right_a])
