"""Two evaluation runs side by side: rows joined on their inputs, scorer deltas, verdicts (no Qt).

Rows are joined on the canonical JSON of their inputs (keys sorted), so the same dataset item
meets itself whatever the key order; a dataset that holds one input twice is joined occurrence
by occurrence. For each scorer both runs have, a pass is 1 and a fail 0 (yes/no alike) and
numbers count as they are, higher being better; B minus A is the delta. A row *regressed* when any
scorer got worse (or newly failed with an error, or its prediction newly failed), *improved*
when some got better and none worse, else it is *unchanged*.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from app.evaluations.cell_text import (
    ERROR,
    Cell,
    as_text,
    canonical_json,
    clip,
    output_text,
    predict_error,
    score_cell,
)
from core.entities.evaluation import EvaluationRow, EvaluationRun
from core.store import Evaluations

IMPROVED, REGRESSED, UNCHANGED, ONLY_A, ONLY_B = (
    "improved",
    "regressed",
    "unchanged",
    "only in A",
    "only in B",
)
VERDICTS = (IMPROVED, REGRESSED, UNCHANGED, ONLY_A, ONLY_B)
READ_PAGE = 500


@dataclass(frozen=True, slots=True)
class Side:
    """One run's row of a pair: its trace, output and scores by scorer name."""

    trace_id: str
    output: str
    output_error: str | None
    cells: Mapping[str, Cell]


@dataclass(frozen=True, slots=True)
class Pair:
    """One dataset item in both runs (or in one only)."""

    inputs: str
    a: Side | None
    b: Side | None
    deltas: tuple[float | None, ...]  # per scorer of the comparison; None: not comparable
    verdict: str

    @property
    def trace_id(self) -> str:
        side = self.b or self.a
        assert side is not None
        return side.trace_id


@dataclass(frozen=True)
class Comparison:
    run_a: EvaluationRun
    run_b: EvaluationRun
    scorers: tuple[str, ...]
    pairs: tuple[Pair, ...]
    counts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """`3 improved, 1 regressed, 12 unchanged, 2 only in A, 1 only in B`."""
        return ", ".join(f"{self.counts.get(v, 0)} {v}" for v in VERDICTS)


def compare_runs(evaluations: Evaluations, run_a: str, run_b: str) -> Comparison:
    """Database thread: read both runs' rows and join them."""
    first, second = evaluations.run(run_a), evaluations.run(run_b)
    columns_a, columns_b = evaluations.columns(run_a), evaluations.columns(run_b)
    scorers = tuple(dict.fromkeys((*columns_a.scorers, *columns_b.scorers)))
    sides_a = dict(_sides(evaluations, run_a, columns_a.scorers))
    sides_b = dict(_sides(evaluations, run_b, columns_b.scorers))
    pairs = join(sides_a, sides_b, scorers)
    return Comparison(first, second, scorers, pairs, Counter(p.verdict for p in pairs))


def _sides(
    evaluations: Evaluations, run_id: str, scorers: tuple[str, ...]
) -> Iterator[tuple[str, tuple[str, Side]]]:
    """(join key, (inputs text, side)) for every row of the run, in stored order."""
    seen: Counter[str] = Counter()
    after: tuple[int, str] | None = None
    while True:
        page = evaluations.rows(run_id, after=after, limit=READ_PAGE)
        for row in page.rows:
            key = join_key(row)
            seen[key] += 1
            yield f"{key}#{seen[key]}", (_inputs_text(row), side_of(row, scorers))
        if page.next_key is None:
            return
        after = page.next_key


def join_key(row: EvaluationRow) -> str:
    if row.root is None:
        return f"trace:{row.trace_id}"  # no inputs recorded: it can only stand alone
    return canonical_json(row.inputs)


def _inputs_text(row: EvaluationRow) -> str:
    if row.request_preview is not None:
        return row.request_preview
    return as_text(row.inputs)


def side_of(row: EvaluationRow, scorers: tuple[str, ...]) -> Side:
    outputs = row.outputs
    text = output_text(outputs) if outputs is not None else (row.response_preview or "")
    cells = {name: score_cell(name, row.scores.get(name)) for name in scorers}
    return Side(row.trace_id, text, predict_error(row), cells)


def join(
    a: Mapping[str, tuple[str, Side]], b: Mapping[str, tuple[str, Side]], scorers: tuple[str, ...]
) -> tuple[Pair, ...]:
    """Pairs in A's order, then the rows only B has, in B's order."""
    pairs = []
    for key, (inputs, side_a) in a.items():
        side_b = b[key][1] if key in b else None
        pairs.append(pair(clip(inputs), side_a, side_b, scorers))
    pairs += [
        pair(clip(inputs), None, side, scorers) for key, (inputs, side) in b.items() if key not in a
    ]
    return tuple(pairs)


def pair(inputs: str, a: Side | None, b: Side | None, scorers: tuple[str, ...]) -> Pair:
    if a is None or b is None:
        verdict = ONLY_B if a is None else ONLY_A
        return Pair(inputs, a, b, tuple(None for _ in scorers), verdict)
    deltas = tuple(change(a.cells.get(n), b.cells.get(n))[0] for n in scorers)
    joined = Pair(inputs, a, b, deltas, UNCHANGED)
    better, worse = moves(joined, scorers)
    return replace(joined, verdict=REGRESSED if worse else IMPROVED if better else UNCHANGED)


def moves(pair: Pair, scorers: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(scorers better in B, scorers worse in B); a prediction that newly failed or recovered
    counts as `prediction`."""
    better: list[str] = []
    worse: list[str] = []
    if pair.a is None or pair.b is None:
        return better, worse
    for name in scorers:
        move = change(pair.a.cells.get(name), pair.b.cells.get(name))[1]
        (better if move > 0 else worse if move < 0 else []).append(name)
    if (pair.a.output_error is None) != (pair.b.output_error is None):
        (worse if pair.b.output_error is not None else better).append("prediction")
    return better, worse


def change(a: Cell | None, b: Cell | None) -> tuple[float | None, int]:
    """(B minus A, and whether B is better (1), worse (-1) or neither (0)) for one scorer."""
    if a is None or b is None:
        return None, 0
    if a.number is not None and b.number is not None:
        delta = b.number - a.number
        return delta, (delta > 0) - (delta < 0)
    if a.number is not None and b.kind == ERROR:
        return None, -1
    if a.kind == ERROR and b.number is not None:
        return None, 1
    return None, 0
