"""core.tracediff: alignment of two span trees (insertions, deletions, repeated loops, reordered
siblings, deep nesting), what changed per span, the summary, the baseline spread, the exports,
and two traces read from two databases."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.client import Client
from core.entities import Span, SpanType, Trace, TraceData, TraceInfo
from core.tracediff import (
    CHANGED,
    ONLY_LEFT,
    ONLY_RIGHT,
    SAME,
    compare_with_baseline,
    diff_json,
    diff_markdown,
    diff_traces,
    json_changes,
)

MS = 1_000_000


@dataclass
class Node:
    """A span to build: its own time (ms), payloads and children, run one after another."""

    name: str
    own_ms: int = 1
    inputs: Any = None
    outputs: Any = None
    children: list[Node] = field(default_factory=list)
    kind: str = "CHAIN"
    status: str = "OK"
    attributes: dict[str, Any] = field(default_factory=dict)


def build(trace_id: str, root: Node) -> Trace:
    """The trace of `root`: each span starts when its previous sibling ended; its children run
    first, then its own time."""
    spans: list[Span] = []
    ids = itertools.count(1)

    def walk(node: Node, parent: str | None, start: int) -> int:
        span_id = f"{next(ids):016x}"
        at = start
        index = len(spans)
        spans.append(
            Span(trace_id, span_id, parent, node.name, node.kind, node.status, start, None, {})
        )
        for child in node.children:
            at = walk(child, span_id, at)
        end = at + node.own_ms * MS
        attributes = {k: json.dumps(v) for k, v in node.attributes.items()}
        attributes["mlflow.traceRequestId"] = json.dumps(trace_id)
        attributes["mlflow.spanInputs"] = json.dumps(node.inputs)
        attributes["mlflow.spanOutputs"] = json.dumps(node.outputs)
        document = {"attributes": attributes, "status": {"code": node.status}}
        spans[index] = Span(
            trace_id, span_id, parent, node.name, node.kind, node.status, start, end, document
        )
        return end

    walk(root, None, 0)
    return Trace(TraceInfo(trace_id, state="OK"), TraceData(spans))


def rows(left: Node, right: Node) -> list[tuple[str, str, int]]:
    diff = diff_traces(build("tr-a", left), build("tr-b", right))
    return [(p.name, p.status, p.depth) for p in diff.pairs]


def tool(n: int, own_ms: int = 10, query: str = "q") -> list[Node]:
    return [Node("search_docs", own_ms, {"query": query}, ["doc"], kind="TOOL") for _ in range(n)]


# -- alignment ---------------------------------------------------------------------------------


def test_identical_traces_are_the_same_everywhere() -> None:
    tree = Node("agent", 5, {"q": 1}, {"a": 2}, [Node("plan", 3), Node("answer", 4)])
    assert rows(tree, tree) == [("agent", SAME, 0), ("plan", SAME, 1), ("answer", SAME, 1)]


def test_an_inserted_and_a_deleted_span_leave_the_rest_aligned() -> None:
    left = Node("agent", children=[Node("plan"), Node("retrieve"), Node("answer")])
    right = Node("agent", children=[Node("plan"), Node("rerank"), Node("answer"), Node("check")])
    assert rows(left, right) == [
        ("agent", SAME, 0),
        ("plan", SAME, 1),
        ("retrieve", ONLY_LEFT, 1),
        ("rerank", ONLY_RIGHT, 1),
        ("answer", SAME, 1),
        ("check", ONLY_RIGHT, 1),
    ]


def test_a_loop_that_ran_more_times_pairs_the_common_iterations() -> None:
    left = Node("agent", children=[Node("plan"), *tool(3), Node("answer")])
    right = Node("agent", children=[Node("plan"), *tool(5), Node("answer")])
    statuses = [(n, s) for n, s, _ in rows(left, right)]
    assert statuses == [
        ("agent", SAME),
        ("plan", SAME),
        *[("search_docs", SAME)] * 3,
        *[("search_docs", ONLY_RIGHT)] * 2,
        ("answer", SAME),
    ]


def test_long_sibling_lists_align_by_the_windowed_walk() -> None:
    """300 siblings on each side are past the exact limit: a guard inserted twice and one step
    removed still leave every other step paired."""
    steps = [Node("llm" if n % 2 == 0 else "tool") for n in range(300)]
    right_steps = list(steps)
    right_steps.insert(200, Node("guard"))
    right_steps.insert(50, Node("guard"))
    del right_steps[101]  # the left's step 100 ("llm"), after the first insert
    found = rows(Node("agent", children=steps), Node("agent", children=right_steps))
    statuses = [status for _, status, _ in found]
    assert statuses.count(ONLY_RIGHT) == 2 and statuses.count(ONLY_LEFT) == 1
    assert statuses.count(SAME) == 1 + 299
    assert [n for n, s, _ in found if s == ONLY_RIGHT] == ["guard", "guard"]
    assert [n for n, s, _ in found if s == ONLY_LEFT] == ["llm"]


def test_reordered_siblings_are_paired_and_marked_moved() -> None:
    left = Node("agent", children=[Node("fetch_a"), Node("fetch_b"), Node("merge")])
    right = Node("agent", children=[Node("fetch_b"), Node("fetch_a"), Node("merge")])
    diff = diff_traces(build("tr-a", left), build("tr-b", right))
    assert [(p.name, p.status) for p in diff.pairs] == [
        ("agent", SAME),
        ("fetch_a", SAME),
        ("fetch_b", SAME),
        ("merge", SAME),
    ]
    assert [p.moved for p in diff.pairs].count(True) == 1  # one of the two fetches moved
    assert diff.summary().moved == 1


def test_an_unmatched_span_takes_its_subtree_with_it() -> None:
    left = Node("agent", children=[Node("retry", children=[Node("call"), Node("parse")])])
    right = Node("agent", children=[])
    assert rows(left, right) == [
        ("agent", SAME, 0),
        ("retry", ONLY_LEFT, 1),
        ("call", ONLY_LEFT, 2),
        ("parse", ONLY_LEFT, 2),
    ]


def test_children_align_under_their_matched_parents_only() -> None:
    left = Node(
        "agent", children=[Node("step", children=[Node("a")]), Node("step", children=[Node("b")])]
    )
    right = Node(
        "agent", children=[Node("step", children=[Node("a")]), Node("step", children=[Node("c")])]
    )
    assert rows(left, right) == [
        ("agent", SAME, 0),
        ("step", SAME, 1),
        ("a", SAME, 2),
        ("step", SAME, 1),
        ("b", ONLY_LEFT, 2),
        ("c", ONLY_RIGHT, 2),
    ]


def test_a_span_type_is_part_of_the_key() -> None:
    left = Node("agent", children=[Node("lookup", kind="TOOL")])
    right = Node("agent", children=[Node("lookup", kind="RETRIEVER")])
    assert [s for _, s, _ in rows(left, right)] == [SAME, ONLY_LEFT, ONLY_RIGHT]


def test_nesting_deeper_than_the_recursion_limit() -> None:
    def chain(trace_id: str) -> Trace:
        spans = [
            Span(
                trace_id,
                f"{d:x}",
                f"{d - 1:x}" if d else None,
                f"n{d}",
                "CHAIN",
                "OK",
                d,
                9000 - d,
                {},
            )
            for d in range(3000)
        ]
        return Trace(TraceInfo(trace_id, state="OK"), TraceData(spans))

    diff = diff_traces(chain("tr-a"), chain("tr-b"))
    assert len(diff.pairs) == 3000 and diff.pairs[-1].depth == 2999
    assert diff.summary().counts[SAME] == 3000


# -- what changed ------------------------------------------------------------------------------


def test_changed_parts_and_their_json_paths() -> None:
    left = Node(
        "llm",
        inputs={
            "messages": [
                {"role": "system", "content": "Be kind."},
                {"role": "user", "content": "Hi"},
            ]
        },
        outputs={"content": "Hello!"},
        attributes={"model": "a", "temperature": 0.2},
        kind="CHAT_MODEL",
    )
    right = Node(
        "llm",
        inputs={
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
            ]
        },
        outputs={"content": "Hello!", "refusal": None},
        attributes={"model": "a", "seed": 7},
        kind="CHAT_MODEL",
    )
    (pair,) = diff_traces(build("tr-a", left), build("tr-b", right)).pairs
    assert pair.status == CHANGED
    assert pair.changes == ("inputs", "outputs", "attributes")  # not the trace id attribute
    assert [(c.path, c.kind, c.left, c.right) for c in pair.part_changes("inputs")] == [
        ("messages[0].content", "changed", "Be kind.", "Be brief.")
    ]
    assert [(c.path, c.kind) for c in pair.part_changes("outputs")] == [("refusal", "added")]
    assert [(c.path, c.kind) for c in pair.part_changes("attributes")] == [
        ("temperature", "removed"),
        ("seed", "added"),
    ]


def test_a_status_change_is_a_change() -> None:
    (pair,) = diff_traces(build("a", Node("call")), build("b", Node("call", status="ERROR"))).pairs
    assert pair.changes == ("status",)


def test_json_changes_keep_document_order_and_stop_at_the_limit() -> None:
    assert [c.path for c in json_changes([1, {"a": 1}], [2, {"a": 2}, 3])] == [
        "[0]",
        "[1].a",
        "[2]",
    ]
    assert [c.kind for c in json_changes({"x": None}, {})] == ["removed"]  # None is a value
    many = json_changes(list(range(300)), list(range(1, 301)), limit=10)
    assert len(many) == 11 and many[-1].right == "290 more differences"
    assert [c.kind for c in json_changes({"n": [1]}, {"n": "1"})] == ["changed"]


# -- summary -----------------------------------------------------------------------------------


def test_the_summary_says_where_the_time_went_and_where_the_runs_forked() -> None:
    left = Node(
        "agent",
        5,
        {"q": "refund?"},
        children=[Node("plan", 10, {"q": "refund?"}), *tool(2, 20), Node("answer", 30, {"q": 1})],
    )
    right = Node(
        "agent",
        5,
        {"q": "refund?"},
        children=[
            Node("plan", 10, {"q": "refund?"}),
            *tool(2, 20),
            Node("search_docs", 4000, {"query": "slow"}, kind="TOOL"),
            Node("answer", 30, {"q": 2}),
        ],
    )
    diff = diff_traces(build("tr-a", left), build("tr-b", right))
    summary = diff.summary()
    assert summary.left.duration_ns == 85 * MS and summary.right.duration_ns == 4085 * MS
    assert summary.duration_delta_ns == 4000 * MS
    assert summary.counts == {SAME: 4, CHANGED: 1, ONLY_LEFT: 0, ONLY_RIGHT: 1}
    top = diff.pairs[summary.time_movers[0]]
    assert top.name == "search_docs" and top.right is not None and top.left is None
    assert top.self_delta_ns == 4000 * MS
    assert summary.fork is not None and diff.pairs[summary.fork] is top  # the first difference
    assert diff.changed_rows() == [4, 5]


def test_own_time_subtracts_overlapping_children_once() -> None:
    trace_id = "tr-p"
    doc: dict[str, Any] = {"attributes": {}}
    spans = [
        Span(trace_id, "r", None, "root", "CHAIN", "OK", 0, 100 * MS, doc),
        Span(trace_id, "a", "r", "a", "TOOL", "OK", 10 * MS, 60 * MS, doc),
        Span(trace_id, "b", "r", "b", "TOOL", "OK", 20 * MS, 80 * MS, doc),  # parallel to a
    ]
    trace = Trace(TraceInfo(trace_id, state="OK"), TraceData(spans))
    diff = diff_traces(trace, trace)
    assert [p.left_self_ns for p in diff.pairs] == [30 * MS, 50 * MS, 60 * MS]


# -- more than two -----------------------------------------------------------------------------


def test_a_baseline_against_many_finds_the_span_that_moved() -> None:
    def run(trace_id: str, fetch_ms: int, loops: int = 2) -> Trace:
        children = [Node("fetch", fetch_ms, kind="TOOL"), *tool(loops, 20), Node("answer", 30)]
        return build(trace_id, Node("agent", 5, children=children))

    baseline = run("base", 100)
    others = [run(f"r{i}", 400 + i) for i in range(5)] + [run("r9", 410, loops=3)]
    report = compare_with_baseline(baseline, others)
    names = [(s.span.name, s.depth) for s in report.spans]
    assert names == [
        ("agent", 0),
        ("fetch", 1),
        ("search_docs", 2 - 1),
        ("search_docs", 1),
        ("answer", 1),
    ]
    fetch = report.spans[1]
    assert fetch.baseline_ns == 100 * MS and len(fetch.others_ns) == 6 and fetch.missing == 0
    assert fetch.p50_ns == 402 * MS and fetch.moved
    assert [s.span.name for s in report.moved] == ["agent", "fetch"]
    assert report.extra == {("search_docs", "TOOL"): 1}  # one run looped once more


# -- exports and two databases -----------------------------------------------------------------


def test_markdown_and_json_exports() -> None:
    left = Node("agent", 5, {"q": 1}, children=[Node("plan", 10), *tool(1, 20)])
    right = Node("agent", 5, {"q": 1}, children=[Node("plan", 10, outputs="new"), *tool(2, 20)])
    diff = diff_traces(build("tr-a", left), build("tr-b", right))
    text = diff_markdown(diff)
    assert text.startswith("## Trace diff: `tr-a` → `tr-b`")
    assert "| duration | 35 ms | 55 ms | +20 ms (+57%) |" in text
    assert "Spans: 2 same, 1 changed, 0 only left, 1 only right." in text
    assert "**Forked at** `agent / search_docs` (only the right trace has it)." in text
    assert "~    plan  10 ms → 10 ms (outputs)" in text and "+    search_docs  20 ms" in text
    data = json.loads(json.dumps(diff_json(diff)))
    assert data["summary"]["rows"] == {"same": 2, "changed": 1, "only left": 0, "only right": 1}
    changed = [r for r in data["rows"] if r["status"] == "changed"]
    assert changed[0]["changes"] == {
        "outputs": [{"path": "", "kind": "changed", "left": None, "right": "new"}]
    }


def test_traces_from_two_databases(db318: Path, tmp_path: Path) -> None:
    def record(uri: str, answer: str, steps: int) -> Trace:
        client = Client(uri)
        try:
            with client.start_span("agent", SpanType.AGENT, experiment_id="0") as root:
                root.set_inputs({"question": "Where is my parcel?"})
                for _ in range(steps):
                    with client.start_span("lookup", SpanType.TOOL) as step:
                        step.set_inputs({"order": 7})
                root.set_outputs(answer)
            assert client.flush_traces(30)
            trace = client.get_trace(root.trace_id)
            assert trace is not None
            return trace
        finally:
            client.close()

    left = record(f"sqlite:///{db318}", "Tomorrow.", 1)
    right = record(f"sqlite:///{tmp_path / 'other.db'}", "Next week.", 2)
    diff = diff_traces(left, right)
    assert [(p.name, p.status) for p in diff.pairs] == [
        ("agent", CHANGED),
        ("lookup", SAME),
        ("lookup", ONLY_RIGHT),
    ]
    assert diff.pairs[0].changes == ("outputs",)
