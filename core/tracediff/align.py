"""Two span trees merged into one: spans aligned by their path of (name, type) and their order
among siblings.

Siblings are matched level by level: a common prefix and suffix at once, the rest with a
longest common subsequence of their keys (`difflib.SequenceMatcher`, no junk heuristic) or, for
lists too long for it, a walk that looks `WINDOW` siblings ahead; inserted and removed spans,
and loops that ran a different number of times, leave the rest aligned. Spans left over on
both sides with the same key under the same parent (siblings that ran in another order,
parallel branches that started in another order) are then paired and marked `moved`. A
matched pair's children are aligned the same way; an unmatched span's subtree is one-sided. The
walk keeps its own stack: a trace may nest deeper than Python's recursion limit.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from core.entities import Span

Key = tuple[str, str]
#: Sibling lists up to this many pairs of keys are matched exactly (a longest common
#: subsequence); longer ones, e.g. two loops of thousands of steps, by a walk with a window.
EXACT_LIMIT = 40_000
WINDOW = 16


@dataclass(frozen=True)
class Aligned:
    """One row of the merged tree: a span of either trace or both, in depth-first order."""

    left: Span | None
    right: Span | None
    depth: int
    parent: int | None  # the index of the parent row in the merged order
    moved: bool = False  # paired after the siblings' order differed


def key(span: Span) -> Key:
    return span.name, span.span_type or ""


class Children:
    """Each span's children in start-time order, and the roots (spans whose parent is absent)."""

    def __init__(self, spans: Sequence[Span]) -> None:
        ids = {span.span_id for span in spans}
        self.roots: list[Span] = []
        self._by_parent: dict[str, list[Span]] = defaultdict(list)
        for span in spans:
            if span.parent_id is None or span.parent_id not in ids:
                self.roots.append(span)
            else:
                self._by_parent[span.parent_id].append(span)
        self.roots.sort(key=_start)
        for children in self._by_parent.values():
            children.sort(key=_start)

    def of(self, span: Span | None) -> list[Span]:
        if span is None:
            return []
        return self._by_parent.get(span.span_id, [])


def align(left: Sequence[Span], right: Sequence[Span]) -> list[Aligned]:
    """Every span of both traces once, paired where they correspond, in merged depth-first
    order (a pair before its children, children in their order)."""
    lefts, rights = Children(left), Children(right)
    out: list[Aligned] = []
    # (left siblings, right siblings, depth, parent row), last level first
    stack: list[tuple[list[Span], list[Span], int, int | None]] = [
        (lefts.roots, rights.roots, 0, None)
    ]
    pending: list[list[tuple[Span | None, Span | None, bool, int, int | None]]] = []
    while stack or pending:
        if stack:
            ls, rs, depth, parent = stack.pop()
            rows = [(lt, rt, moved, depth, parent) for lt, rt, moved in match(ls, rs)]
            pending.append(rows[::-1])
            continue
        level = pending[-1]
        if not level:
            pending.pop()
            continue
        lt, rt, moved, depth, parent = level.pop()
        index = len(out)
        out.append(Aligned(lt, rt, depth, parent, moved))
        below_left, below_right = lefts.of(lt), rights.of(rt)
        if below_left or below_right:
            stack.append((below_left, below_right, depth + 1, index))
    return out


def match(
    lefts: Sequence[Span], rights: Sequence[Span]
) -> list[tuple[Span | None, Span | None, bool]]:
    """Siblings paired in order: (left, right, moved); one side None for a span only one has."""
    left_keys, right_keys = [key(s) for s in lefts], [key(s) for s in rights]
    head = 0  # the common prefix and suffix pair at once (the usual case: little changed)
    while head < min(len(lefts), len(rights)) and left_keys[head] == right_keys[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(lefts), len(rights)) - head and left_keys[-1 - tail] == right_keys[-1 - tail]
    ):
        tail += 1
    middle = _middle(left_keys[head : len(lefts) - tail], right_keys[head : len(rights) - tail])
    out: list[tuple[Span | None, Span | None, bool]] = [
        (lefts[n], rights[n], False) for n in range(head)
    ]
    for i, j, moved in middle:
        out.append(
            (
                lefts[head + i] if i is not None else None,
                rights[head + j] if j is not None else None,
                moved,
            )
        )
    out += [
        (lefts[len(lefts) - tail + n], rights[len(rights) - tail + n], False) for n in range(tail)
    ]
    return out


def _middle(
    left_keys: list[Key], right_keys: list[Key]
) -> list[tuple[int | None, int | None, bool]]:
    """Index pairs for the differing middle: a longest common subsequence where it is cheap,
    a windowed walk for long lists; then leftovers with equal keys paired as moved."""
    if len(left_keys) * len(right_keys) <= EXACT_LIMIT:
        matcher = difflib.SequenceMatcher(None, left_keys, right_keys, autojunk=False)
        blocks = [b for b in matcher.get_matching_blocks() if b.size]
        pairs = [(b.a + n, b.b + n) for b in blocks for n in range(b.size)]
    else:
        pairs = _walk(left_keys, right_keys)
    paired_left = {i for i, _ in pairs}
    paired_right = {j for _, j in pairs}
    unmatched_right: dict[Key, list[int]] = defaultdict(list)
    for j, k in enumerate(right_keys):
        if j not in paired_right:
            unmatched_right[k].append(j)
    moved: dict[int, int] = {}  # left index -> right index, paired out of order
    for i, k in enumerate(left_keys):
        if i not in paired_left and unmatched_right.get(k):
            moved[i] = unmatched_right[k].pop(0)
    moved_right = set(moved.values())
    out: list[tuple[int | None, int | None, bool]] = []
    i = j = 0
    for pi, pj in [*pairs, (len(left_keys), len(right_keys))]:
        for li in range(i, pi):  # left spans before the next pair
            out.append((li, moved[li], True) if li in moved else (li, None, False))
        out += [(None, rj, False) for rj in range(j, pj) if rj not in moved_right]
        if pi < len(left_keys):
            out.append((pi, pj, False))
        i, j = pi + 1, pj + 1
    return out


def _walk(left_keys: list[Key], right_keys: list[Key]) -> list[tuple[int, int]]:
    """Pairs found walking both lists: equal keys pair; otherwise the nearer of the two keys'
    next appearance on the other side (within `WINDOW`) decides which side skips a span."""
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < len(left_keys) and j < len(right_keys):
        if left_keys[i] == right_keys[j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
            continue
        ahead_right = _find(right_keys, left_keys[i], j + 1)
        ahead_left = _find(left_keys, right_keys[j], i + 1)
        if ahead_right is None and ahead_left is None:
            i, j = i + 1, j + 1  # both unmatched here
        elif ahead_left is None or (ahead_right is not None and ahead_right - j <= ahead_left - i):
            j += 1  # the right span is extra
        else:
            i += 1  # the left span is extra
    return pairs


def _find(keys: list[Key], wanted: Key, start: int) -> int | None:
    for index in range(start, min(len(keys), start + WINDOW)):
        if keys[index] == wanted:
            return index
    return None


def _start(span: Span) -> tuple[int, str]:
    return span.start_time_ns, span.span_id
