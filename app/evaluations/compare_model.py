"""The comparison of two runs as a table: inputs, both outputs (word diff), scorer moves, verdict.

A scorer's header shows its direction when the user gave one (`↑` higher is better, `↓` lower
is better); its cells are green when B is better, red when worse, blue when the value moved
with no direction.

The joined pairs are in memory (the comparison is computed in the database thread), so the
filter (regressions only, ...) and the header sort work on the list here. A cell's word diff is
made the first time it is painted, on the first `CELL_DIFF_CHARS` of each output only (one line
is all a cell shows; the detail pane below the table diffs the whole texts in the background).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from app.evaluations import compare
from app.evaluations.cell_text import EMPTY_CELL, format_number, inputs_text, unquoted
from app.evaluations.compare import Comparison, Pair
from app.evaluations.diff import segments_html, word_diff
from app.evaluations.look import (
    ALIGNMENT,
    DECORATION,
    DISPLAY,
    FOREGROUND,
    HTML_ROLE,
    LEFT,
    TOOLTIP,
    TRACE_ID_ROLE,
    Palette,
    is_dark,
    repaint_all,
)
from app.formatting import EMPTY, one_line, rich_tooltip

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
INPUTS, OUTPUT_A, OUTPUT_B = 0, 1, 2
FIXED = ("Inputs", "Output A", "Output B")
CHANGE = "Change"
CELL_DIFF_CHARS = 400
ALL, REGRESSIONS, IMPROVEMENTS, CHANGED, ONE_SIDED = (
    "All rows",
    "Regressions only",
    "Improvements only",
    "Changed rows",
    "Rows in one run only",
)
FILTERS = (ALL, REGRESSIONS, IMPROVEMENTS, CHANGED, ONE_SIDED)
_KEEP: dict[str, Callable[[Pair], bool]] = {
    ALL: lambda p: True,
    REGRESSIONS: lambda p: p.verdict == compare.REGRESSED,
    IMPROVEMENTS: lambda p: p.verdict == compare.IMPROVED,
    CHANGED: lambda p: p.verdict in (compare.REGRESSED, compare.IMPROVED, compare.CHANGED),
    ONE_SIDED: lambda p: p.verdict in (compare.ONLY_A, compare.ONLY_B),
}
VERDICT_ORDER = {v: i for i, v in enumerate((compare.REGRESSED, compare.IMPROVED, compare.CHANGED))}
MOVE_VERDICTS = {
    compare.BETTER: compare.IMPROVED,
    compare.WORSE: compare.REGRESSED,
    compare.MOVED: compare.CHANGED,
}
ARROWS = {compare.HIGHER: " ↑", compare.LOWER: " ↓"}
DIRECTION_TEXT = {
    compare.PASS_FAIL: "pass beats fail; a number that moves is only a change",
    compare.HIGHER: "higher is better",
    compare.LOWER: "lower is better",
}


def scorer_text(pair: Pair, name: str, delta: float | None) -> str:
    """`Pass → Fail`, `0.5 → 0.75 (+0.25)`, or the one value when nothing changed."""
    a = pair.a.cells.get(name, EMPTY_CELL) if pair.a else None
    b = pair.b.cells.get(name, EMPTY_CELL) if pair.b else None
    if a is None or b is None:
        return (a or b or EMPTY_CELL).text
    if a.text == b.text and a.kind == b.kind:
        return a.text
    text = f"{a.text} → {b.text}"
    if delta is not None and a.kind == b.kind == "number":
        text += f" ({'+' if delta > 0 else ''}{format_number(delta)})"
    return text


class ComparisonModel(QAbstractTableModel):
    """The pairs of a `Comparison` that the filter lets through."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.comparison: Comparison | None = None
        self._filter = ALL
        self._pairs: list[Pair] = []
        self._html: dict[tuple[int, int], str] = {}
        self._look = Palette()

    def restyle(self) -> None:
        """The theme changed: colours and the word diffs' HTML are made again."""
        self._look.refresh()
        self._html = {}
        repaint_all(self)

    def set_comparison(self, comparison: Comparison | None) -> None:
        self.comparison = comparison
        self._refilter()

    def set_filter(self, name: str) -> None:
        self._filter = name if name in _KEEP else ALL
        self._refilter()

    @property
    def filter(self) -> str:
        return self._filter

    def _refilter(self) -> None:
        self.beginResetModel()
        pairs = self.comparison.pairs if self.comparison else ()
        self._pairs = [p for p in pairs if _KEEP[self._filter](p)]
        self._html = {}
        self.endResetModel()

    def pair(self, row: int) -> Pair | None:
        return self._pairs[row] if 0 <= row < len(self._pairs) else None

    @property
    def scorers(self) -> tuple[str, ...]:
        return self.comparison.scorers if self.comparison else ()

    def scorer_at(self, column: int) -> str | None:
        """The scorer shown in `column`, if it is a scorer's."""
        at = column - len(FIXED)
        return self.scorers[at] if 0 <= at < len(self.scorers) else None

    def direction(self, scorer: str) -> str:
        return self.comparison.direction(scorer) if self.comparison else compare.PASS_FAIL

    # -- QAbstractItemModel -----------------------------------------------------------------

    def rowCount(self, parent: _Index = _ROOT) -> int:  # QAbstractItemModel.rowCount
        return 0 if parent.isValid() else len(self._pairs)

    def columnCount(self, parent: _Index = _ROOT) -> int:  # QAbstractItemModel.columnCount
        if parent.isValid() or self.comparison is None:
            return 0
        return len(FIXED) + len(self.scorers) + 1

    def data(self, index: _Index, role: int = DISPLAY) -> Any:  # QAbstractItemModel.data
        pair, column = self.pair(index.row()), index.column()
        if pair is None or not 0 <= column < self.columnCount():
            return None
        if column in (OUTPUT_A, OUTPUT_B):
            return self._output(pair, index.row(), column, role)
        if role == TRACE_ID_ROLE:
            return pair.trace_id
        if column == INPUTS:
            return self._inputs(pair, role)
        if column == self.columnCount() - 1:
            return self._verdict(pair, role)
        return self._scorer(pair, column - len(FIXED), role)

    def _inputs(self, pair: Pair, role: int) -> Any:
        if role == DISPLAY:
            return one_line(inputs_text(unquoted(pair.inputs)))
        if role == TOOLTIP:
            return rich_tooltip(pair.inputs) or None
        return None

    def _output(  # noqa: PLR0911 - one flat chain is the cheapest dispatch on the paint path
        self, pair: Pair, row: int, column: int, role: int
    ) -> Any:
        side = pair.a if column == OUTPUT_A else pair.b
        if role == TRACE_ID_ROLE:
            return side.trace_id if side is not None else None
        if side is None:
            missing = f"{EMPTY} not in run {'A' if column == OUTPUT_A else 'B'}"
            return missing if role == DISPLAY else None
        if side.output_error is not None:
            return self._error(side.output_error, role)
        if role == DISPLAY:
            return one_line(side.output)
        if role == TOOLTIP:
            return rich_tooltip(side.output) or None
        if role == HTML_ROLE:
            return self._diff_html(pair, row, column)
        return None

    def _error(self, message: str, role: int) -> Any:
        if role == DISPLAY:
            return one_line(message)
        if role == TOOLTIP:
            return rich_tooltip(f"The prediction failed: {message}")
        if role == FOREGROUND:
            return self._look.kind_color("error")
        if role == DECORATION:
            return self._look.error_icon
        return None

    def _diff_html(self, pair: Pair, row: int, column: int) -> str | None:
        if pair.a is None or pair.b is None:
            return None
        key = (row, column)
        if key not in self._html:
            a = one_line(pair.a.output, CELL_DIFF_CHARS)
            b = one_line(pair.b.output, CELL_DIFF_CHARS)
            left, right = word_diff(a, b)
            dark = is_dark()
            self._html[(row, OUTPUT_A)] = segments_html(left, dark, pre=False)
            self._html[(row, OUTPUT_B)] = segments_html(right, dark, pre=False)
        return self._html[key]

    def _scorer(self, pair: Pair, at: int, role: int) -> Any:
        name = self.scorers[at]
        delta = pair.deltas[at]
        if role == DISPLAY:
            return scorer_text(pair, name, delta)
        a = pair.a.cells.get(name) if pair.a else None
        b = pair.b.cells.get(name) if pair.b else None
        if role == FOREGROUND:
            verdict = MOVE_VERDICTS.get(compare.change(a, b, self.direction(name))[1])
            return self._look.verdicts.get(verdict) if verdict else None
        if role == TOOLTIP:
            parts = [f"A: {a.tooltip or a.text}" if a else "A: not in this run"]
            parts.append(f"B: {b.tooltip or b.text}" if b else "B: not in this run")
            return rich_tooltip("\n\n".join(parts))
        if role == ALIGNMENT:
            return LEFT
        return None

    def _verdict(self, pair: Pair, role: int) -> Any:
        if role == DISPLAY:
            return pair.verdict[:1].upper() + pair.verdict[1:]  # "Only in A", not "Only in a"
        if role == FOREGROUND:
            return self._look.verdicts.get(pair.verdict)
        if role == TOOLTIP:
            directions = self.comparison.directions if self.comparison else {}
            better, worse, moved = compare.moves(pair, self.scorers, directions)
            lines = [f"Worse in B: {', '.join(worse)}"] if worse else []
            lines += [f"Better in B: {', '.join(better)}"] if better else []
            lines += [f"Changed, with no better side: {', '.join(moved)}"] if moved else []
            return rich_tooltip("\n".join(lines) or "No scorer changed.")
        return None

    def headerData(  # QAbstractItemModel.headerData
        self, section: int, orientation: Qt.Orientation, role: int = DISPLAY
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        if section < len(FIXED):
            return FIXED[section] if role == DISPLAY else None
        scorer = self.scorer_at(section)
        if scorer is None:
            return CHANGE if role == DISPLAY else None
        direction = self.direction(scorer)
        if role == DISPLAY:
            return scorer + ARROWS.get(direction, "")
        if role == TOOLTIP:
            return rich_tooltip(
                f"{scorer}: the value in run A → in run B (green: better, red: worse, blue: "
                f"changed).\nDirection: {DIRECTION_TEXT[direction]}.\nRight-click to change "
                "it, or use Scorer directions above the table."
            )
        return None

    def sort(  # QAbstractItemModel.sort
        self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder
    ) -> None:
        if self.comparison is None or column < 0:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        self.beginResetModel()
        self._pairs.sort(key=self._sort_key(column), reverse=descending)
        self._html = {}
        self.endResetModel()

    def _sort_key(self, column: int) -> Any:
        if column == INPUTS:
            return lambda p: p.inputs.casefold()
        if column in (OUTPUT_A, OUTPUT_B):

            def output_key(pair: Pair) -> tuple[bool, str]:
                side = pair.a if column == OUTPUT_A else pair.b
                return (side is None, side.output.casefold() if side else "")

            return output_key
        if column == self.columnCount() - 1:
            return lambda p: VERDICT_ORDER.get(p.verdict, len(VERDICT_ORDER))
        at = column - len(FIXED)
        return lambda p: (p.deltas[at] is None, p.deltas[at] or 0.0)
