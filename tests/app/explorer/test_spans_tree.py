"""The span tree index (no Qt): order, orphans, loops, filters that keep ancestors, colours."""

from __future__ import annotations

import pytest

from app.spans.colors import ERROR_COLOR, TYPE_COLORS, span_duration_text, text_on, type_color
from app.spans.tree import NO_PARENT, SpanFilter, SpanTree, build_tree
from core.entities import Span


def span(
    span_id: str,
    parent: str | None,
    start: int,
    end: int | None = None,
    name: str = "",
    kind: str | None = "CHAIN",
    status: str = "OK",
) -> Span:
    return Span(
        trace_id="tr-1",
        span_id=span_id,
        parent_id=parent,
        name=name or span_id,
        span_type=kind,
        status_code=status,
        start_time_ns=start,
        end_time_ns=end if end is not None else start + 10,
        document="this is not JSON: the tree must never read it",
    )


def names(tree: SpanTree, nodes: list[int]) -> list[str]:
    return [tree.spans[n].span_id for n in nodes]


def test_children_follow_parent_ids_sorted_by_start_time() -> None:
    spans = [
        span("root", None, 0, 100),
        span("late", "root", 50),
        span("early", "root", 10),
        span("leaf", "early", 12),
    ]
    tree = build_tree(spans)
    shape = tree.shape
    assert names(tree, shape.roots) == ["root"]
    assert names(tree, shape.children[0]) == ["early", "late"]
    assert shape.row[tree.by_id["late"]] == 1
    assert shape.parent[tree.by_id["leaf"]] == tree.by_id["early"]
    assert tree.depth(tree.by_id["leaf"]) == 2
    assert (tree.start_ns, tree.end_ns, tree.duration_ns) == (0, 100, 100)
    assert not tree.orphans
    assert all(s.known_decode_error is None for s in spans)  # no payload was parsed


def test_orphans_become_top_level_and_are_marked() -> None:
    spans = [span("a", "missing", 5), span("b", "a", 6), span("c", None, 0)]
    tree = build_tree(spans)
    assert names(tree, tree.shape.roots) == ["c", "a"]
    assert tree.orphans == {tree.by_id["a"]}


def test_a_parent_loop_is_broken_instead_of_hanging() -> None:
    spans = [span("a", "b", 1), span("b", "a", 2), span("self", "self", 3)]
    tree = build_tree(spans)
    reached = list(tree.shape.roots)
    for node in list(reached):
        reached.extend(tree.shape.children[node])
    assert sorted(names(tree, reached)) == ["a", "b", "self"]
    assert len(tree.orphans) == 2


def test_empty_and_running_spans() -> None:
    empty = build_tree([])
    assert empty.shape.roots == [] and empty.duration_ns == 0
    running = span("r", None, 100)
    running.end_time_ns = None
    assert build_tree([running]).end_ns == 100
    assert build_tree([running, span("c", "r", 120, 160)]).end_ns == 160


def test_filter_keeps_ancestors_of_matches_and_marks_them() -> None:
    spans = [
        span("root", None, 0, name="agent"),
        span("chain", "root", 1, name="chain"),
        span("llm", "chain", 2, kind="LLM", name="call model"),
        span("tool", "root", 3, kind="TOOL", name="search", status="ERROR"),
    ]
    tree = build_tree(spans)
    shape = tree.filtered(SpanFilter(text="MODEL"))
    assert names(tree, shape.roots) == ["root"]
    assert names(tree, shape.children[0]) == ["chain"]
    assert names(tree, shape.children[1]) == ["llm"]
    assert shape.row[tree.by_id["tool"]] == -1
    assert shape.matched is not None and list(shape.matched) == [0, 0, 1, 0]
    assert shape.visible_count == 3
    errors = tree.filtered(SpanFilter(errors_only=True))
    assert names(tree, errors.children[0]) == ["tool"]
    by_type = tree.filtered(SpanFilter(types=frozenset({"TOOL", "LLM"})))
    assert by_type.visible_count == 4
    assert tree.filtered(SpanFilter(text="nothing")).roots == []
    assert tree.filtered(SpanFilter()) is tree.shape
    assert tree.type_counts == {"CHAIN": 2, "LLM": 1, "TOOL": 1}
    assert tree.error_count == 1


def test_filter_is_inactive_for_blank_text() -> None:
    assert not SpanFilter(text="   ").active
    assert SpanFilter(types=frozenset()).active


@pytest.mark.parametrize("kind", ["LLM", "chat_model", "TOOL", "RETRIEVER", None])
def test_known_types_use_the_fixed_palette(kind: str | None) -> None:
    assert type_color(kind) == TYPE_COLORS[(kind or "UNKNOWN").upper()]


def test_custom_types_get_a_stable_color_that_is_not_error_red() -> None:
    first = type_color("custom span")
    assert first == type_color("custom span")
    assert first != type_color("another custom type")
    assert first.startswith("#") and len(first) == 7
    colors = {type_color(f"type {i}") for i in range(200)}
    assert ERROR_COLOR not in colors and len(colors) > 100


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (None, "running"),
        (820, "820 ns"),
        (345_032, "345 µs"),
        (10_844_033, "10.8 ms"),
        (1_024_419, "1.02 ms"),
        (9_900_000_000, "9.90 s"),
        (125_000_000_000, "2 min 05 s"),
        (7_380_000_000_000, "2 h 03 min"),
    ],
)
def test_span_durations(ns: int | None, text: str) -> None:
    assert span_duration_text(ns) == text


def test_no_parent_constant() -> None:
    assert build_tree([span("a", None, 0)]).shape.parent == [NO_PARENT]


def test_chip_text_reads_on_its_background() -> None:
    assert text_on("#f59e0b") == "#111827"  # amber: dark text
    assert text_on("#1d4ed8") == "#ffffff"  # deep blue: white text
