"""What a search inside one trace finds (no Qt): the spans whose name, type or status holds the
text, matched in memory, and those whose stored JSON holds it (inputs, outputs, attributes,
events), found by the database. Both run in the database thread: `find_hits`.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.spans.tree import SpanTree, span_type_of
from core.errors import StoreError
from core.store import StoreReader

#: Separates a span's name, type and status in its search key: no typed text holds it.
_SEPARATOR = "\x00"


@dataclass(frozen=True)
class SearchIndex:
    """Made once per tree, in the database thread: each span's place in tree order, and its
    name, type and status case-folded into one key to match against."""

    positions: list[int]
    keys: list[str]


@dataclass(frozen=True)
class SearchHits:
    """The spans that hold `text`, in tree order; those found in their stored JSON apart."""

    text: str
    nodes: tuple[int, ...]
    in_payload: frozenset[int]
    index: SearchIndex
    problem: str | None = None  # why the stored JSON could not be searched, in words


def search_index(tree: SpanTree) -> SearchIndex:
    """Tree positions (depth first, siblings by start, as the tree shows them) and keys."""
    shape = tree.shape
    positions = [0] * len(tree.spans)
    stack = shape.roots[::-1]
    order = 0
    while stack:
        node = stack.pop()
        positions[node] = order
        order += 1
        stack.extend(reversed(shape.children[node]))
    keys = [
        _SEPARATOR.join((span.name, span_type_of(span), span.status_code)).casefold()
        for span in tree.spans
    ]
    return SearchIndex(positions, keys)


def memory_hits(index: SearchIndex, text: str) -> list[int]:
    """The spans whose name, type or status holds `text`, ignoring case."""
    needle = text.casefold()
    return [node for node, key in enumerate(index.keys) if needle in key]


def find_hits(
    reader: StoreReader,
    trace_id: str,
    tree: SpanTree,
    text: str,
    index: SearchIndex | None = None,
) -> SearchHits:
    """Every span of `tree` holding `text` (stripped) in its name, type, status or stored
    JSON, in tree order. A database that cannot be searched leaves the names, types and
    statuses matched, and says why (`problem`)."""
    text = text.strip()
    index = index or search_index(tree)
    if not text:
        return SearchHits(text, (), frozenset(), index)
    found = set(memory_hits(index, text))
    in_payload: set[int] = set()
    problem = None
    try:
        span_ids = reader.search_spans(trace_id, text)
    except StoreError as exc:
        problem = f"Inputs, outputs and attributes could not be searched: {exc}"
    else:
        in_payload = {node for i in span_ids if (node := tree.by_id.get(i)) is not None}
    found |= in_payload
    nodes = tuple(sorted(found, key=index.positions.__getitem__))
    return SearchHits(text, nodes, frozenset(in_payload), index, problem)
