"""The demo database: built through core's tracing API, it must show off every view.

One database is built per module and read back only through `core` (`Store`, the reader and
the entities), the way the app reads it. Another, planned at a fixed hour, must equal the
snapshot in tests/demo_snapshot.json, taken before the recipe moved from resources/ to
core/demo (tests/demo_snapshot.py says what it keeps).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import core
from core import Store, tracking
from core.demo import build, evaluations, harness, notebook, plan, recipe_files, support
from core.entities import Span, Trace, TraceRow
from tests import demo_snapshot

ROOT = Path(__file__).resolve().parents[1]
#: Each of the two evaluation runs traces one `predict_fn` call per row.
EVAL_TRACES = 2 * len(evaluations.EVAL_ROWS)
SPAN_TYPES = {
    "AGENT",
    "CHAIN",
    "CHAT_MODEL",
    "LLM",
    "TOOL",
    "RETRIEVER",
    "RERANKER",
    "EMBEDDING",
    "PARSER",
    "MEMORY",
    "GUARDRAIL",
    "EVALUATOR",
    "TASK",
    "WORKFLOW",
    "UNKNOWN",
    "custom span",
    "vector-lookup",
}


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, list[tuple[int, int]], float]]:
    """The demo database, the progress calls it made, and how long it took."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    calls: list[tuple[int, int]] = []
    started = time.perf_counter()
    build.build_demo_database(path, progress=lambda done, total: calls.append((done, total)))
    yield path, calls, time.perf_counter() - started
    tracking.reset()  # the build set core's global tracking URI; leave nothing behind


@pytest.fixture(scope="module")
def demo_db(built: tuple[Path, list[tuple[int, int]], float]) -> Path:
    return built[0]


@pytest.fixture(scope="module")
def traces(demo_db: Path) -> list[Trace]:
    with Store.open(demo_db) as store:
        return store.reader.traces(store.reader.search_trace_ids(None))


@pytest.fixture(scope="module")
def rows(demo_db: Path) -> list[TraceRow]:
    with Store.open(demo_db) as store:
        return list(store.reader.trace_page(None, limit=10_000).rows)


def spans(traces: list[Trace]) -> Iterator[Span]:
    for trace in traces:
        yield from trace.data.spans


def named(traces: list[Trace], name: str) -> list[Trace]:
    return [t for t in traces if t.data.root_span and t.data.root_span.name == name]


def depth(trace: Trace) -> int:
    parents = {s.span_id: s.parent_id for s in trace.data.spans}

    def level(span_id: str | None) -> int:
        return 0 if span_id is None else 1 + level(parents.get(span_id))

    return max(level(s.span_id) for s in trace.data.spans)


# -- shape ---------------------------------------------------------------------------------------


def test_experiments_and_trace_counts_match_the_plan(demo_db: Path) -> None:
    expected = Counter(spec.experiment for spec in build.plan_demo(7))
    expected[evaluations.EVAL_EXPERIMENT] += EVAL_TRACES
    with Store.open(demo_db) as store:
        names = {e.experiment_id: e.name for e in store.reader.experiments()}
        counts = {names[i]: n for i, n in store.reader.trace_counts().items()}
    assert set(names.values()) == set(build.EXPERIMENTS)
    assert counts == dict(expected)
    assert 300 <= sum(counts.values()) <= 400
    assert min(counts.values()) >= 20  # Default included: every experiment has something to show


def test_every_span_type_is_present(traces: list[Trace]) -> None:
    present = Counter(s.span_type for s in spans(traces))
    assert set(present) >= SPAN_TYPES
    assert present["CHAT_MODEL"] > 500 and present["TOOL"] > 100


def test_rag_traces_nest_seven_levels_deep(traces: list[Trace]) -> None:
    clean = [
        t for t in named(traces, "rag_pipeline") if all(s.status_code == "OK" for s in t.data.spans)
    ]
    depths = [depth(t) for t in clean]
    assert len(depths) >= 50 and min(depths) >= 6
    assert max(depth(t) for t in traces) == 7


def test_the_batch_trace_has_two_thousand_spans(traces: list[Trace]) -> None:
    (batch,) = named(traces, "nightly_regression_suite")
    assert len(batch.data.spans) == harness.BATCH_SPAN_COUNT == 2_000
    assert sum(1 for s in batch.data.spans if s.parent_id is None) == 1
    assert batch.data.root_span is not None and batch.data.root_span.span_type == "WORKFLOW"


def test_timestamps_cover_two_weeks_and_durations_are_plausible(traces: list[Trace]) -> None:
    now_ms = time.time() * 1000
    starts = [t.info.request_time for t in traces]
    assert now_ms - min(starts) < 15 * 86_400_000 and max(starts) < now_ms
    assert max(starts) - min(starts) > 10 * 86_400_000
    ok = [s for s in spans(traces) if s.status_code == "OK" and s.duration_ns is not None]
    limits = {"CHAT_MODEL": (300, 8_000), "TOOL": (10, 500), "RETRIEVER": (30, 400)}
    for span in ok:
        if span.span_type in limits:
            low, high = limits[span.span_type]
            assert low <= span.duration_ns / 1e6 <= high, (span.name, span.duration_ns)


def test_children_lie_within_their_parents(traces: list[Trace]) -> None:
    for trace in traces:
        by_id = {s.span_id: s for s in trace.data.spans}
        for span in trace.data.spans:
            parent = by_id.get(span.parent_id or "")
            if parent is not None:
                assert parent.start_time_ns <= span.start_time_ns
                assert span.end_time_ns is not None and parent.end_time_ns is not None
                assert span.end_time_ns <= parent.end_time_ns


# -- errors, sessions, tags ---------------------------------------------------------------------


def test_errors_of_several_kinds_with_stack_traces(traces: list[Trace]) -> None:
    failed = [t for t in traces if t.info.state == "ERROR"]
    assert len(failed) >= 10
    assert len({t.info.experiment_id for t in failed}) >= 4
    kinds = Counter()
    for span in spans(traces):
        if span.status_code != "ERROR":
            continue
        (event,) = [e for e in span.events if e.name == "exception"]
        kind, message = event.attributes["exception.type"], event.attributes["exception.message"]
        kinds[kind] += 1
        assert span.status_message == f"{kind}: {message}"
        assert event.attributes["exception.stacktrace"].startswith("Traceback (most recent call")
    expected = {"RateLimitError", "ReadTimeout", "ValidationError", "ConnectError"}
    assert expected <= set(kinds)
    assert {"BadRequestError", "ResponseHandlingException", "KeyError"} & set(kinds)


def test_recovered_errors_leave_the_trace_ok(traces: list[Trace]) -> None:
    recovered = [
        t
        for t in traces
        if t.info.state == "OK" and any(s.status_code == "ERROR" for s in t.data.spans)
    ]
    assert len(recovered) >= 5
    retried = [s for s in spans(recovered) if any(e.name == "retry" for e in s.events)]
    assert retried, "a rate-limited call followed by a successful retry"


def request(trace: Trace) -> Any:
    """The root's inputs: `TraceData.request` is their JSON text, as in MLflow."""
    return json.loads(trace.data.request) if trace.data.request is not None else None


def response(trace: Trace) -> Any:
    """The root's outputs, decoded from `TraceData.response`."""
    return json.loads(trace.data.response) if trace.data.response is not None else None


def test_sessions_and_users(rows: list[TraceRow], traces: list[Trace]) -> None:
    per_session = Counter(r.session_id for r in rows if r.session_id)
    assert len(per_session) >= 20
    assert max(per_session.values()) >= 4
    users = {t.info.trace_metadata.get("mlflow.trace.user") for t in traces} - {None}
    assert len(users) >= 10
    for trace in named(traces, "predict"):  # a ResponsesAgent's conversation is the session
        conversation = request(trace)["request"]["context"]["conversation_id"]
        assert trace.info.trace_metadata["mlflow.trace.session"] == conversation


def test_tags_and_metadata(traces: list[Trace]) -> None:
    support = [t for t in traces if t.info.tags.get("customer")]
    assert {"env", "version", "customer"} <= set(support[0].info.tags)
    assert {t.info.tags["env"] for t in support} == {"prod", "staging"}
    assert len({t.info.tags["version"] for t in support}) >= 3
    # The demo names a deployed service, not whoever built it.
    assert all(
        t.info.trace_metadata["mlflow.user"] in ("mei.lin", "ci-bot")
        or t.info.trace_metadata["mlflow.user"].startswith("svc-")
        for t in traces
    )


# -- payload formats ----------------------------------------------------------------------------


def test_openai_tool_calls_and_tool_messages(traces: list[Trace]) -> None:
    matched = 0
    for trace in traces:
        tool_spans = {s.name: s for s in trace.data.spans if s.span_type == "TOOL"}
        chats = [s for s in trace.data.spans if s.span_type == "CHAT_MODEL" and s.outputs]
        asked = {}
        for chat in chats:
            message = (
                chat.outputs.get("choices", [{}])[0].get("message", {})
                if isinstance(chat.outputs, Mapping)
                else {}
            )
            for call in message.get("tool_calls") or ():
                arguments = json.loads(call["function"]["arguments"])  # a JSON *string*
                asked[call["id"]] = call["function"]["name"]
                if call["function"]["name"] in tool_spans:
                    assert tool_spans[call["function"]["name"]].inputs == arguments
        answered = {
            m["tool_call_id"]
            for chat in chats
            if isinstance(chat.inputs, Mapping)
            for m in chat.inputs.get("messages", [])
            if m.get("role") == "tool"
        }
        matched += len(set(asked) & answered)
    assert matched >= 100


def test_responses_agent_items(traces: list[Trace]) -> None:
    predicts = [t for t in named(traces, "predict") if t.info.state == "OK"]
    assert len(predicts) >= 10
    types = Counter(item["type"] for t in predicts for item in response(t)["output"])
    assert {"message", "function_call", "function_call_output"} <= set(types)
    sample = predicts[0]
    question = request(sample)["request"]["input"][-1]["content"]
    assert sample.info.request_preview == question[:1000]
    final = response(sample)["output"][-1]["content"][0]
    assert final["type"] == "output_text"
    assert sample.info.response_preview == final["text"]  # answers are under 1,000 characters


def test_langchain_native_and_bare_message_lists(traces: list[Trace]) -> None:
    native = [s for s in spans(traces) if s.get_attribute("mlflow.message.format") == "langchain"]
    assert native
    assert all(
        isinstance(s.inputs, list) and isinstance(s.inputs[0], list) for s in native if s.outputs
    )
    types = {m["type"] for s in native for m in s.inputs[0]}
    assert {"system", "human"} <= types
    assert any("generations" in (s.outputs or {}) for s in native)
    bare = [s for s in spans(traces) if s.name == "reduce_summaries" and isinstance(s.inputs, list)]
    assert bare and {m["role"] for m in bare[0].inputs} == {"system", "user", "assistant"}


def test_retrievers_return_documents(traces: list[Trace]) -> None:
    retrieved = [s for s in spans(traces) if s.span_type in ("RETRIEVER", "RERANKER") and s.outputs]
    assert retrieved
    for span in retrieved[:50]:
        for document in span.outputs:
            assert {"page_content", "metadata", "id"} <= set(document)


def test_long_payloads(traces: list[Trace]) -> None:
    sizes = sorted(len(json.dumps(request(t), ensure_ascii=False)) for t in traces)
    assert sizes[-1] >= 1_000_000
    assert sum(1 for size in sizes if size >= 100_000) >= 3
    answers = [response(t)["answer"] for t in named(traces, "rag_pipeline") if response(t)]
    fences = {
        line.strip("`")
        for a in answers
        for line in a.splitlines()
        if line.startswith("```") and line != "```"
    }
    assert {"python", "bash", "typescript", "sql", "yaml", "go", "rust"} <= fences


def test_unicode_round_trips(traces: list[Trace]) -> None:
    (probe,) = named(traces, notebook.UNICODE_NAME)[:1]
    assert request(probe) == notebook.UNICODE_TEXT  # byte for byte: no normalisation
    assert request(probe)["combining"].startswith("e\u0301 n\u0303")
    assert {k: probe.info.tags[k] for k in notebook.UNICODE_TAGS} == notebook.UNICODE_TAGS
    names = {s.name for s in spans(traces)}
    assert {"検索 🔍", "تحليل النص", "e\u0301te\u0301"} <= names
    previews = " ".join(t.info.request_preview or "" for t in traces)
    assert "注文番号" in previews and "استرداد" in previews


def test_markup_is_stored_verbatim(traces: list[Trace]) -> None:
    (probe,) = named(traces, "markup_rendering_check")[:1]
    assert request(probe)["payloads"] == list(notebook.MARKUP_TEXT.values())
    assert probe.info.tags["note"] == "<script>alert(1)</script>"
    previews = [t.info.request_preview or "" for t in traces]
    for text in support.INJECTIONS:
        assert text in previews


# -- tokens and models --------------------------------------------------------------------------


def test_token_totals_on_trace_rows(rows: list[TraceRow], traces: list[Trace]) -> None:
    by_id = {t.info.trace_id: t for t in traces}
    with_tokens = 0
    for row in rows:
        trace_spans = by_id[row.trace_id].data.spans
        total = sum(s.token_usage.total_tokens or 0 for s in trace_spans if s.token_usage)
        assert row.total_tokens == (total or None), row.name  # no span nests inside another's usage
        with_tokens += bool(total)
    assert with_tokens >= 250


def test_models_and_providers(traces: list[Trace]) -> None:
    pairs = Counter(
        (s.get_attribute("mlflow.llm.model"), s.get_attribute("mlflow.llm.provider"))
        for s in spans(traces)
        if s.span_type in ("CHAT_MODEL", "LLM")
    )
    assert {("llama3.2:1b", "ollama"), ("gpt-4o-mini", "openai")} <= set(pairs)


# -- prompts, evaluations, agent ----------------------------------------------------------------


@pytest.fixture
def tracking_demo(demo_db: Path) -> Iterator[Path]:
    """core's tracking URI pointed at the demo, for `core.load_prompt` / `core.load_model`."""
    core.set_tracking_uri(demo_db)
    yield demo_db
    tracking.reset()


def test_prompts_with_versions_and_aliases(tracking_demo: Path) -> None:
    assert {p.name for p in core.search_prompts()} >= {"support-triage", "rag-answer"}
    triage = {n: core.load_prompt("support-triage", version=n) for n in (1, 2, 3)}
    for number, prompt in triage.items():
        assert prompt is not None and prompt.version == number
        assert "{{ message }}" in str(prompt.template) and prompt.commit_message
    production = core.load_prompt("prompts:/support-triage@production")
    staging = core.load_prompt("prompts:/support-triage@staging")
    assert production is not None and production.version == 2
    assert staging is not None and staging.version == 3
    chat = core.load_prompt("prompts:/rag-answer@production")
    assert chat is not None and chat.version == 2
    assert isinstance(chat.template, list) and {m["role"] for m in chat.template} == {
        "system",
        "user",
    }
    formatted = chat.format(question="Q?", context="C", product="Vela")
    assert formatted[-1] == {"role": "user", "content": "Q?"}


def test_two_evaluation_runs_that_improve_and_regress(demo_db: Path) -> None:
    with Store.open(demo_db) as store:
        ids = {e.name: e.experiment_id for e in store.reader.experiments()}
        runs = {r.name: r for r in store.evaluations.runs(ids[evaluations.EVAL_EXPERIMENT])}
        assert set(runs) == {"baseline", "new prompt"}
        scorers = {"exact_match", "contains", "max_length", "helpful", "cites_policy"}
        for run in runs.values():
            assert run.status == "FINISHED" and run.row_count == len(evaluations.EVAL_ROWS)
            assert set(run.scorer_means) == scorers
        rows = {
            name: {r.request_preview: r for r in store.evaluations.rows(run.run_id).rows}
            for name, run in runs.items()
        }
    before, after = rows["baseline"], rows["new prompt"]
    assert before.keys() == after.keys() and len(before) == len(evaluations.EVAL_ROWS)
    changes = {(before[k].value("contains"), after[k].value("contains")) for k in before}
    assert {(False, True), (True, False)} <= changes  # Compare shows improvements and regressions
    for run_rows in (before, after):
        failed = [r for r in run_rows.values() if r.scores["cites_policy"].failed]
        assert len(failed) == 1 and "cannot parse" in (
            failed[0].scores["cites_policy"].error_message or ""
        )
        helpful = [r.scores["helpful"] for r in run_rows.values()]
        assert all(score.rationale for score in helpful)


def test_the_registered_agent_answers(tracking_demo: Path) -> None:
    request = {"input": [{"role": "user", "content": "How long do refunds take?"}]}
    for uri in ("models:/support-agent@champion", "models:/support-agent/2"):
        answer = core.load_model(uri).predict(request)
        (message,) = answer["output"]
        text = message["content"][0]["text"]
        assert "5-7 business days" in text
    champion = core.load_model("models:/support-agent@champion").predict(request)
    assert champion["output"][0]["content"][0]["text"].startswith("Hello!")


# -- building ------------------------------------------------------------------------------------


def test_build_is_fast_small_and_reports_progress(
    built: tuple[Path, list[tuple[int, int]], float],
) -> None:
    path, calls, seconds = built
    assert path.stat().st_size < 30_000_000
    assert seconds < 30  # about 2 s on two cores; generous for slow CI machines
    total = calls[-1][1]
    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == list(range(1, total + 1))


def test_the_plan_is_deterministic_and_independent_of_the_clock() -> None:
    def shape(specs: list[plan.TraceSpec]) -> list[Any]:
        """What must not depend on the clock: experiments, sessions, span names and durations."""
        return [
            (s.experiment, s.session_id, [(n.name, n.end_ns - n.start_ns) for n in s.root.walk()])
            for s in specs
        ]

    now = build.this_hour()
    assert build.plan_demo(7, now) == build.plan_demo(7, now)
    assert shape(build.plan_demo(7, now)) == shape(build.plan_demo(7, now - 7 * plan.HOUR))
    assert shape(build.plan_demo(8, now)) != shape(build.plan_demo(7, now))


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    existing = tmp_path / "mine.db"
    existing.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        build.build_demo_database(existing)
    assert existing.read_bytes() == b"precious"


def test_command_line(tmp_path: Path) -> None:
    out = tmp_path / "cli.db"
    command = [sys.executable, "-m", "core.demo", str(out), "--seed", "3"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Wrote" in done.stdout and "progress" in done.stderr
    with Store.open(out) as store:
        assert store.reader.count_traces(None) == len(build.plan_demo(3)) + EVAL_TRACES
    again = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert again.returncode == 1 and "already exists" in again.stderr


# -- the same demo as before the recipe moved ---------------------------------------------------


def test_the_demo_equals_its_snapshot() -> None:
    """Every experiment, trace, span, text, prompt, run and agent file, as tests/demo_snapshot.json
    holds them (ids, clock times and the builder's name and checkout aside)."""
    try:
        taken = demo_snapshot.take()  # planned at demo_snapshot.FIXED_NOW_NS
    finally:
        tracking.reset()
    actual = json.loads(json.dumps(taken))  # tuples as lists, as the file holds them
    expected = json.loads(demo_snapshot.SNAPSHOT.read_text("utf-8"))
    hint = "an intended change? `.venv/bin/python -m tests.demo_snapshot --write`"
    assert actual["counts"] == expected["counts"], hint
    for table, found in expected["registry"].items():
        assert actual["registry"][table] == found, f"{table} differs ({hint})"
    labels = actual["traces"].keys() | expected["traces"].keys()
    changed = sorted(k for k in labels if actual["traces"].get(k) != expected["traces"].get(k))
    assert not changed, f"{len(changed)} traces differ, e.g. {changed[:3]} ({hint})"
    assert actual["agent_files"] == expected["agent_files"], hint
    assert actual == expected


def test_the_demo_digest_reads_every_recipe_file() -> None:
    """app.demo rebuilds the demo when the digest of these files changes: all of core/demo's
    modules and all of its texts under resources/demo must be among them."""
    names = [name for name, _ in recipe_files()]
    on_disk = [
        *(f"core/demo/{p.name}" for p in (ROOT / "core/demo").glob("*.py")),
        *(f"resources/demo/{p.name}" for p in (ROOT / "resources/demo").iterdir() if p.is_file()),
    ]
    assert sorted(names) == sorted(on_disk) and len(names) == len(set(names))
    assert {"core/demo/build.py", "resources/demo/rag.toml"} <= set(names)
    contents = dict(recipe_files())
    assert contents["core/demo/build.py"] == (ROOT / "core/demo/build.py").read_bytes()
