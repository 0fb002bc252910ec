"""`SummaryStrip`: the top of the Compare Traces window.

Duration, tokens and cost left → right with their deltas, the rows by status, where the runs
forked and the spans whose own time moved most. The fork and each mover are link buttons (Tab
reaches them, Enter or a click selects their row in the tree).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.messages.browser import is_dark
from app.theme import follow_palette
from app.tracediff.loading import Comparison
from app.tracediff.look import (
    count_text,
    delta_colour,
    dollars,
    duration_or_dash,
    share_text,
    signed_count,
    signed_dollars,
    signed_duration,
    status_colour,
)
from core.tracediff import CHANGED, ONLY_LEFT, ONLY_RIGHT, SAME

LINK_STYLE = (
    "QToolButton { color: palette(link); border: none; padding: 0 3px; text-align: left; }"
    "QToolButton:hover, QToolButton:focus { text-decoration: underline; }"
)
#: Span paths on a link are cut to this many characters (the whole path is the tooltip).
PATH_CHARS = 90


def link_button(parent: QWidget, text: str, tip: str) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text.replace("&", "&&"))  # span names have no mnemonics
    button.setToolTip(tip)
    button.setAutoRaise(True)
    button.setStyleSheet(LINK_STYLE)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return button


def cut_path(path: str, limit: int = PATH_CHARS) -> str:
    return path if len(path) <= limit else "…" + path[-(limit - 1) :]


class SummaryStrip(QFrame):
    """Shows a `Comparison`'s summary; `row_requested` when the fork or a mover is clicked."""

    row_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diffSummary")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._comparison: Comparison | None = None
        self.sides = self._label("diffSides")
        self.metrics = QGridLayout()
        self.metrics.setHorizontalSpacing(18)
        self.metrics.setVerticalSpacing(2)
        self.counts = self._label("diffCounts")
        self.fork_row = QHBoxLayout()
        self.movers_row = QHBoxLayout()
        self.fork_buttons: list[QToolButton] = []
        self.mover_buttons: list[QToolButton] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        layout.addWidget(self.sides)
        layout.addLayout(self.metrics)
        layout.addWidget(self.counts)
        layout.addLayout(self.fork_row)
        layout.addLayout(self.movers_row)
        follow_palette(self, self._refresh)

    def _label(self, name: str, rich: bool = False) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def show_comparison(self, comparison: Comparison, left_where: str, right_where: str) -> None:
        self._comparison = comparison
        diff = comparison.diff
        self.sides.setText(
            f"Left: {diff.left.info.trace_id}{left_where}    →    "
            f"Right: {diff.right.info.trace_id}{right_where}"
        )
        self._refresh()
        self._fill_links()

    def _refresh(self) -> None:
        """The numbers, coloured for the theme shown."""
        comparison = self._comparison
        if comparison is None:
            return
        dark = is_dark(self.palette())
        summary = comparison.summary
        _clear(self.metrics)
        left, right = summary.left, summary.right
        rows = [
            ("Duration", duration_or_dash(left.duration_ns), duration_or_dash(right.duration_ns),
             summary.duration_delta_ns, signed_duration, left.duration_ns),
            ("Tokens", count_text(left.tokens), count_text(right.tokens), summary.tokens_delta,
             signed_count, left.tokens),
            ("Cost", dollars(left.cost), dollars(right.cost), summary.cost_delta, signed_dollars,
             left.cost),
            ("Spans", count_text(left.spans), count_text(right.spans), right.spans - left.spans,
             signed_count, left.spans),
        ]  # fmt: skip
        for column, (title, a, b, delta, signed, base) in enumerate(rows):
            name = self._label(f"diff{title}Title")
            name.setText(title)
            value = self._label(f"diff{title}", rich=True)
            value.setText(_metric_html(a, b, delta, signed, base, dark))
            self.metrics.addWidget(name, 0, column)
            self.metrics.addWidget(value, 1, column)
        self.metrics.setColumnStretch(len(rows), 1)
        self.counts.setTextFormat(Qt.TextFormat.RichText)
        self.counts.setText(_counts_html(summary.counts, summary.moved, dark))

    def _fill_links(self) -> None:
        comparison = self._comparison
        assert comparison is not None
        for layout, buttons in ((self.fork_row, self.fork_buttons),
                                (self.movers_row, self.mover_buttons)):  # fmt: skip
            _clear(layout)
            buttons.clear()
        summary, diff = comparison.summary, comparison.diff
        fork_title = QLabel("Forked at:" if summary.fork is not None else "The runs never fork:")
        self.fork_row.addWidget(fork_title)
        if summary.fork is None:
            fork_title.setText("No fork: every span has the same inputs on both sides.")
        else:
            path = comparison.paths[summary.fork]
            button = link_button(self, cut_path(path), f"Select {path}")
            button.setObjectName("diffFork")
            self._connect(button, summary.fork)
            self.fork_row.addWidget(button)
            self.fork_buttons.append(button)
        self.fork_row.addStretch(1)
        movers = QLabel(
            "Where the time went:" if summary.time_movers else "No span's own time moved."
        )
        self.movers_row.addWidget(movers)
        for row in summary.time_movers:
            pair = diff.pairs[row]
            path = comparison.paths[row]
            text = f"{pair.name} {signed_duration(pair.self_delta_ns)}"
            button = link_button(
                self, text, f"{path}: own time {signed_duration(pair.self_delta_ns)}"
            )
            button.setObjectName("diffMover")
            self._connect(button, row)
            self.movers_row.addWidget(button)
            self.mover_buttons.append(button)
        self.movers_row.addStretch(1)

    def _connect(self, button: QToolButton, row: int) -> None:
        button.clicked.connect(partial(self.row_requested.emit, row))


def _clear(layout: QLayout) -> None:
    """Take every item out of `layout`, deleting its widgets (the numbers are made anew)."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.deleteLater()


def _metric_html(
    left: str,
    right: str,
    delta: float | None,
    signed: Callable[..., str],
    base: float | None,
    dark: bool,
) -> str:
    text = f"{html.escape(left)} → {html.escape(right)}"
    if delta is None:
        return text
    change = html.escape(signed(delta) + (share_text(delta, base) if delta else ""))
    if delta:
        change = f'<span style="color:{delta_colour(delta, dark)}"><b>{change}</b></span>'
    return f"{text}&nbsp;&nbsp;{change}"


def _counts_html(counts: dict[str, int], moved: int, dark: bool) -> str:
    parts = [f"{counts[SAME]:,} same"]
    for status in (CHANGED, ONLY_LEFT, ONLY_RIGHT):
        text = f"{counts[status]:,} {status}"
        colour = status_colour(status, dark)
        parts.append(f'<span style="color:{colour}">{text}</span>' if counts[status] else text)
    parts.append(f"{moved:,} reordered")
    return "Spans: " + " · ".join(parts)
