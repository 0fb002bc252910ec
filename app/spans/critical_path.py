"""The critical path of a trace: the chain of spans that determined its duration (no Qt).

As Jaeger and Tempo compute it: start at the top-level span that ends last and walk its
children backwards from its end. The child that ended last (at or before that point) is on
the path; its own children are walked the same way; then the walk goes on from that child's
start, so of children that ran in parallel only the one the parent waited for counts. A child
is clipped to its parent's time (one that outlived its parent ends with it), a span still
running ends with the trace, and a span that took no time never lies on the path below the
top level.
"""

from __future__ import annotations

from app.spans.tree import SpanTree


def critical_path(tree: SpanTree) -> frozenset[int]:
    """The nodes of `tree` on its critical path (empty for a tree without spans), computed
    once per tree and kept in `tree.critical`.

    O(n log n) at most: only the children of spans on the path are sorted, each once. A
    100,000-span trace that ran one step after another (every span on the path) takes about
    0.1 s, so a view computes it off the GUI thread.
    """
    if tree.critical is None:
        tree.critical = _walk(tree)
    return tree.critical


def _walk(tree: SpanTree) -> frozenset[int]:
    roots = tree.shape.roots
    if not roots:
        return frozenset()
    spans, children, trace_end = tree.spans, tree.shape.children, tree.end_ns
    ends = [
        trace_end if s.end_time_ns is None else max(s.end_time_ns, s.start_time_ns) for s in spans
    ]
    top = max(roots, key=lambda n: (ends[n], -spans[n].start_time_ns))
    path = {top}
    # Each span on the path: (node, its clipped start, its clipped end). A stack, not
    # recursion: a trace can be thousands of levels deep.
    pending = [(top, spans[top].start_time_ns, ends[top])]
    while pending:
        node, start, end = pending.pop()
        candidates = []
        for child in children[node]:
            child_start = max(spans[child].start_time_ns, start)
            child_end = min(ends[child], end)
            if child_end > child_start:  # it took time inside its parent's
                candidates.append((child_end, -child_start, child))
        candidates.sort(reverse=True)  # ending last first; of equal ends, the longest first
        point = end
        for child_end, negative_start, child in candidates:
            if child_end > point:
                continue  # ran beside the child the parent waited for
            path.add(child)
            pending.append((child, -negative_start, child_end))
            point = -negative_start
    return frozenset(path)
