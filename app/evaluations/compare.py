"""Two evaluation runs side by side: rows paired, scorer deltas, verdicts (no Qt).

Rows are paired by dataset record, then by normalised inputs (`pairing`). For each scorer both
runs have, a pass is 1 and a fail 0 (yes/no alike) and a number counts as it is; B minus A is
the delta. Whether a move is better or worse is the scorer's *direction*: by default
(`PASS_FAIL`) only a pass turning into a fail, or back, is; a number that moved is a change with
no side (an answer that got shorter is not worse until the user says shorter is worse). A
scorer that newly fails with an error is always worse, one that recovers better.

A row *regressed* when any scorer got worse (or its prediction newly failed), *improved* when
some got better and none worse, *changed* when a scorer moved with no direction, else it is
*unchanged*.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from app.evaluations import pairing
from app.evaluations.cell_text import (
    ERROR,
    FAIL,
    PASS,
    Cell,
    as_text,
    clip,
    output_text,
    predict_error,
    score_cell,
)
from app.evaluations.pairing import RowKeys
from core.entities.evaluation import EvaluationRow, EvaluationRun
from core.store import Evaluations

IMPROVED, REGRESSED, CHANGED, UNCHANGED, ONLY_A, ONLY_B = (
    "improved",
    "regressed",
    "changed",
    "unchanged",
    "only in A",
    "only in B",
)
VERDICTS = (IMPROVED, REGRESSED, CHANGED, UNCHANGED, ONLY_A, ONLY_B)
#: What counts as better for a scorer; PASS_FAIL is the default.
PASS_FAIL, HIGHER, LOWER = "pass-fail", "higher", "lower"
DIRECTIONS = (PASS_FAIL, HIGHER, LOWER)
#: How one scorer moved from A to B.
BETTER, WORSE, MOVED, SAME = "better", "worse", "moved", "same"
READ_PAGE = 500

Directions = Mapping[str, str]


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
    paired_by: str | None = None  # pairing.BY_RECORD or BY_INPUTS; None when one-sided

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
    #: How many pairs were made by dataset record and by inputs.
    paired: Counter[str] = field(default_factory=Counter)
    #: The scorers' directions other than the default (PASS_FAIL).
    directions: Directions = field(default_factory=dict)

    def summary(self) -> str:
        """`3 improved, 1 regressed, 2 changed, 12 unchanged, 2 only in A, 1 only in B`."""
        return ", ".join(f"{self.counts.get(v, 0)} {v}" for v in shown_verdicts(self.counts))

    def pairing_text(self) -> str:
        """`Paired 58 rows by dataset record and 2 by inputs`, or `No rows paired`."""
        parts = [(self.paired[how], how) for how in (pairing.BY_RECORD, pairing.BY_INPUTS)]
        made = [(n, how) for n, how in parts if n]
        if not made:
            return "No rows paired"
        first, *rest = made
        text = f"Paired {first[0]:,} row{'s' if first[0] != 1 else ''} by {first[1]}"
        return text + "".join(f" and {n:,} by {how}" for n, how in rest)

    def direction(self, scorer: str) -> str:
        return self.directions.get(scorer, PASS_FAIL)

    def with_directions(self, directions: Directions) -> Comparison:
        """The same pairs, their verdicts made with `directions` (scorer name → direction)."""
        known = known_directions(directions, self.scorers)
        pairs = tuple(replace(p, verdict=verdict_of(p, self.scorers, known)) for p in self.pairs)
        counts = Counter(p.verdict for p in pairs)
        return replace(self, pairs=pairs, counts=counts, directions=known)


def shown_verdicts(counts: Mapping[str, int]) -> tuple[str, ...]:
    """The verdicts a summary lists: all but `changed`, which only when some row is."""
    return tuple(v for v in VERDICTS if v != CHANGED or counts.get(v, 0))


def known_directions(directions: Directions, scorers: Sequence[str]) -> dict[str, str]:
    """The directions of `scorers` that are valid and not the default."""
    return {
        name: d
        for name, d in directions.items()
        if name in scorers and d in DIRECTIONS and d != PASS_FAIL
    }


def compare_runs(
    evaluations: Evaluations, run_a: str, run_b: str, directions: Directions | None = None
) -> Comparison:
    """Database thread: read both runs' rows and pair them."""
    first, second = evaluations.run(run_a), evaluations.run(run_b)
    columns_a, columns_b = evaluations.columns(run_a), evaluations.columns(run_b)
    scorers = tuple(dict.fromkeys((*columns_a.scorers, *columns_b.scorers)))
    rows_a = list(_rows(evaluations, run_a, columns_a.scorers))
    rows_b = list(_rows(evaluations, run_b, columns_b.scorers))
    shared = bool(evaluations.datasets(run_a) & evaluations.datasets(run_b))
    keys_a, keys_b = [r[0] for r in rows_a], [r[0] for r in rows_b]
    matches = pairing.match(keys_a, keys_b, by_record=shared)
    known = known_directions(directions or {}, scorers)
    pairs = join(rows_a, rows_b, matches, scorers, known)
    paired = Counter(p.paired_by for p in pairs if p.paired_by is not None)
    counts = Counter(p.verdict for p in pairs)
    return Comparison(first, second, scorers, pairs, counts, paired, known)


Row = tuple[RowKeys, str, Side]  # join keys, inputs text, side


def _rows(evaluations: Evaluations, run_id: str, scorers: tuple[str, ...]) -> Iterator[Row]:
    """Every row of the run, in stored order."""
    after: tuple[int, str] | None = None
    while True:
        page = evaluations.rows(run_id, after=after, limit=READ_PAGE)
        for row in page.rows:
            yield pairing.keys_of(row), _inputs_text(row), side_of(row, scorers)
        if page.next_key is None:
            return
        after = page.next_key


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
    a: Sequence[Row],
    b: Sequence[Row],
    matches: Mapping[int, tuple[int, str]],
    scorers: tuple[str, ...],
    directions: Directions,
) -> tuple[Pair, ...]:
    """Pairs in A's order, then the rows only B has, in B's order."""
    pairs = []
    for i, (_keys, inputs, side) in enumerate(a):
        j, how = matches.get(i, (None, None))
        other = b[j][2] if j is not None else None
        pairs.append(make_pair(clip(inputs), side, other, scorers, directions, how))
    taken = {j for j, _how in matches.values()}
    pairs += [
        make_pair(clip(inputs), None, side, scorers, directions)
        for j, (_keys, inputs, side) in enumerate(b)
        if j not in taken
    ]
    return tuple(pairs)


def make_pair(
    inputs: str,
    a: Side | None,
    b: Side | None,
    scorers: tuple[str, ...],
    directions: Directions,
    paired_by: str | None = None,
) -> Pair:
    if a is None or b is None:
        return Pair(inputs, a, b, tuple(None for _ in scorers), ONLY_B if a is None else ONLY_A)
    deltas = tuple(change(a.cells.get(n), b.cells.get(n))[0] for n in scorers)
    joined = Pair(inputs, a, b, deltas, UNCHANGED, paired_by)
    return replace(joined, verdict=verdict_of(joined, scorers, directions))


def verdict_of(pair: Pair, scorers: tuple[str, ...], directions: Directions) -> str:
    if pair.a is None or pair.b is None:
        return ONLY_B if pair.a is None else ONLY_A
    better, worse, moved = moves(pair, scorers, directions)
    return REGRESSED if worse else IMPROVED if better else CHANGED if moved else UNCHANGED


def moves(
    pair: Pair, scorers: tuple[str, ...], directions: Directions
) -> tuple[list[str], list[str], list[str]]:
    """(scorers better in B, worse in B, moved with no direction); a prediction that newly
    failed or recovered counts as `prediction`."""
    found: dict[str, list[str]] = {BETTER: [], WORSE: [], MOVED: [], SAME: []}
    if pair.a is None or pair.b is None:
        return [], [], []
    for name in scorers:
        a, b = pair.a.cells.get(name), pair.b.cells.get(name)
        found[change(a, b, directions.get(name, PASS_FAIL))[1]].append(name)
    if (pair.a.output_error is None) != (pair.b.output_error is None):
        found[WORSE if pair.b.output_error is not None else BETTER].append("prediction")
    return found[BETTER], found[WORSE], found[MOVED]


def change(a: Cell | None, b: Cell | None, direction: str = PASS_FAIL) -> tuple[float | None, str]:
    """(B minus A, and whether B is BETTER, WORSE, MOVED with no direction, or the SAME)."""
    if a is None or b is None:
        return None, SAME
    if a.number is not None and b.number is not None:
        delta = b.number - a.number
        return delta, _numeric_move(delta, direction, {a.kind, b.kind} <= {PASS, FAIL})
    if a.number is not None and b.kind == ERROR:
        return None, WORSE
    if a.kind == ERROR and b.number is not None:
        return None, BETTER
    if a.kind == b.kind and (a.kind == ERROR or a.text == b.text):
        return None, SAME  # two errors are alike, whatever their messages say
    return None, MOVED


def _numeric_move(delta: float, direction: str, pass_fail: bool) -> str:
    if delta == 0:
        return SAME
    if direction == HIGHER or (direction == PASS_FAIL and pass_fail):
        return BETTER if delta > 0 else WORSE
    if direction == LOWER:
        return BETTER if delta < 0 else WORSE
    return MOVED
