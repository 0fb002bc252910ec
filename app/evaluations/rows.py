"""The result grid's rows, prepared in the database thread, and its filters and orders (no Qt).

The grid shows a run in its natural order (oldest trace first) page by page, with
`store.evaluations.rows(run_id, after=..., limit=...)`: the first page of a 1,000-row run costs
what a 10-row run's does. Core pages by keyset only, with no filter or order of its own, so a
filtered or sorted grid reads the run once into an index of prepared rows (`build_index`, in
pages of `INDEX_PAGE`) and selects from it (`select`); a run holds at most tens of thousands of
rows, and a row here keeps only short texts and scores, never its spans.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.evaluations.cell_text import (
    CELL_CHARS,
    ERROR,
    FAIL,
    PASS,
    Cell,
    as_text,
    clip,
    inputs_text,
    predict_error,
    score_cell,
    unquoted,
    value_cell,
)
from app.formatting import one_line
from core.entities.evaluation import EvaluationColumns, EvaluationRow
from core.store import Evaluations

PAGE_SIZE = 100
#: The first page only has to fill the view: a smaller one shows sooner.
FIRST_PAGE = 50
INDEX_PAGE = 500
#: Columns before the expectations and scorers.
NUMBER, INPUTS, OUTPUT = 0, 1, 2
FIXED = ("#", "Inputs", "Output")


@dataclass(frozen=True, slots=True)
class GridRow:
    """One row of the grid, every text made: what `data()` hands out as it is."""

    trace_id: str
    number: int  # position in the run's natural order, from 1
    inputs: str
    inputs_tip: str
    output: str
    output_tip: str
    output_error: str | None  # the prediction failed: why
    expectations: tuple[Cell, ...]
    scores: tuple[Cell, ...]
    haystack: str  # lower-cased texts the search looks in

    @property
    def has_error(self) -> bool:
        return self.output_error is not None or any(c.kind == ERROR for c in self.scores)

    def fails(self, scorer: int | None = None) -> bool:
        cells = self.scores if scorer is None else self.scores[scorer : scorer + 1]
        return any(c.kind == FAIL for c in cells)

    def passes(self, scorer: int | None = None) -> bool:
        cells = self.scores if scorer is None else self.scores[scorer : scorer + 1]
        return not self.has_error and not self.fails(scorer) and any(c.kind == PASS for c in cells)


@dataclass(frozen=True)
class GridColumns:
    """The grid's columns: #, inputs, output, one per expectation, one per scorer."""

    expectations: tuple[str, ...] = ()
    scorers: tuple[str, ...] = ()

    @classmethod
    def of(cls, columns: EvaluationColumns) -> GridColumns:
        return cls(tuple(columns.expectations), tuple(columns.scorers))

    def __len__(self) -> int:
        return len(FIXED) + len(self.expectations) + len(self.scorers)

    def title(self, column: int) -> str:
        if column < len(FIXED):
            return FIXED[column]
        at = column - len(FIXED)
        if at < len(self.expectations):
            return self.expectations[at]
        return self.scorers[at - len(self.expectations)]

    def expectation_at(self, column: int) -> int | None:
        at = column - len(FIXED)
        return at if 0 <= at < len(self.expectations) else None

    def scorer_at(self, column: int) -> int | None:
        at = column - len(FIXED) - len(self.expectations)
        return at if 0 <= at < len(self.scorers) else None


@dataclass(frozen=True)
class GridPage:
    rows: tuple[GridRow, ...]
    next_key: tuple[int, str] | None


@dataclass(frozen=True)
class OpenedRun:
    """What opening a run in the grid reads: its columns, row count and first page."""

    run_id: str
    columns: GridColumns
    total: int
    first: GridPage


def grid_row(row: EvaluationRow, number: int, columns: GridColumns) -> GridRow:
    """Prepare one stored row (the root span is decoded only when a preview is missing)."""
    inputs = row.request_preview if row.request_preview is not None else as_text(row.inputs)
    error = predict_error(row)
    if row.response_preview is not None:
        output = unquoted(row.response_preview)
    else:
        output = "" if row.outputs is None else as_text(row.outputs)
    expectations = tuple(value_cell(row.expectations.get(n)) for n in columns.expectations)
    scores = tuple(score_cell(n, row.scores.get(n)) for n in columns.scorers)
    texts = [inputs, output, error or ""]
    texts += [c.text for c in (*expectations, *scores)]
    texts += [s.rationale or "" for s in row.scores.values()]
    return GridRow(
        trace_id=row.trace_id,
        number=number,
        inputs=one_line(inputs_text(inputs), CELL_CHARS),
        inputs_tip=clip(inputs),
        output=one_line(output, CELL_CHARS),
        output_tip=clip(output),
        output_error=error,
        expectations=expectations,
        scores=scores,
        haystack="\n".join(texts).casefold(),
    )


def open_run(evaluations: Evaluations, run_id: str, limit: int = FIRST_PAGE) -> OpenedRun:
    """Database thread: the run's columns, its row count and its first page."""
    columns = GridColumns.of(evaluations.columns(run_id))
    total = evaluations.count_rows(run_id)
    return OpenedRun(run_id, columns, total, load_page(evaluations, run_id, columns, None, limit))


def load_page(
    evaluations: Evaluations,
    run_id: str,
    columns: GridColumns,
    after: Sequence[Any] | None,
    limit: int = PAGE_SIZE,
    first_number: int = 1,
) -> GridPage:
    """Database thread: one page of prepared rows after the keyset `after`."""
    page = evaluations.rows(run_id, after=after, limit=limit)
    rows = tuple(grid_row(r, first_number + i, columns) for i, r in enumerate(page.rows))
    return GridPage(rows, page.next_key)


def build_index(evaluations: Evaluations, run_id: str, columns: GridColumns) -> tuple[GridRow, ...]:
    """Database thread: every row of the run, prepared, in natural order."""
    rows: list[GridRow] = []
    after: tuple[int, str] | None = None
    while True:
        page = load_page(evaluations, run_id, columns, after, INDEX_PAGE, len(rows) + 1)
        rows.extend(page.rows)
        if page.next_key is None:
            return tuple(rows)
        after = page.next_key


class Show(enum.Enum):
    """Which rows the grid shows."""

    ALL = "All rows"
    FAILING = "Failing rows"
    PASSING = "Passing rows"
    ERRORS = "Rows with errors"


@dataclass(frozen=True)
class GridQuery:
    """What the grid shows: which rows (for one scorer or any), a search text, an order."""

    show: Show = Show.ALL
    scorer: int | None = None  # index among the scorers; None: any scorer
    text: str = ""
    sort_column: int = NUMBER
    descending: bool = False

    @property
    def natural(self) -> bool:
        """All rows in stored order: the grid pages straight from the database."""
        plain = self.show is Show.ALL and not self.text.strip()
        return plain and self.sort_column == NUMBER and not self.descending


def matches(row: GridRow, query: GridQuery) -> bool:
    if query.show is Show.FAILING and not row.fails(query.scorer):
        return False
    if query.show is Show.PASSING and not row.passes(query.scorer):
        return False
    if query.show is Show.ERRORS and not _errors(row, query.scorer):
        return False
    words = query.text.casefold().split()
    return all(word in row.haystack for word in words)


def _errors(row: GridRow, scorer: int | None) -> bool:
    if scorer is None:
        return row.has_error
    return row.scores[scorer].kind == ERROR


def select(rows: Sequence[GridRow], query: GridQuery, columns: GridColumns) -> tuple[GridRow, ...]:
    """The rows `query` shows, in its order (ties keep the natural order)."""
    chosen = [row for row in rows if matches(row, query)]
    key = sort_key(query.sort_column, columns)
    chosen.sort(key=key, reverse=query.descending)
    return tuple(chosen)


def sort_key(column: int, columns: GridColumns) -> Any:
    """The key that orders rows by `column`; empty and failed cells go last when ascending."""
    expectation, scorer = columns.expectation_at(column), columns.scorer_at(column)
    if expectation is not None:
        return lambda row: (row.expectations[expectation].sort_key, row.number)
    if scorer is not None:
        return lambda row: (row.scores[scorer].sort_key, row.number)
    if column == INPUTS:
        return lambda row: (row.inputs.casefold(), row.number)
    if column == OUTPUT:
        return lambda row: (row.output_error is not None, row.output.casefold(), row.number)
    return lambda row: row.number
