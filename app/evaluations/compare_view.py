"""Two runs compared: the summary bar, a filter, the joined rows, and the selected pair in full.

The summary counts improved, regressed, changed and unchanged rows and the rows only one run
has, and says how the rows were paired. The table shows both outputs with their word diff
(`DiffDelegate`); below it the selected row's two outputs are diffed in full in the job pool and
shown side by side. Double-click opens a trace: run A's for the Output A column, run B's
elsewhere.

What counts as better for a scorer (its direction) is the user's: a right-click on the scorer's
header, or the Scorer directions button (reachable by keyboard), sets it; it is remembered per
scorer name (`app.settings`) and the rows are judged again at once.
"""

from __future__ import annotations

import html
from functools import partial

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app import settings
from app.evaluations import compare
from app.evaluations.compare import Comparison
from app.evaluations.compare_model import FILTERS, INPUTS, OUTPUT_A, OUTPUT_B, ComparisonModel
from app.evaluations.delegate import DiffDelegate
from app.evaluations.diff import segments_html, word_diff
from app.evaluations.look import TRACE_ID_ROLE, VERDICT_COLOURS, ColumnFitter, is_dark
from app.tasks import Task, TaskRunner
from app.theme import follow_palette
from app.widgets import set_up_row_table

DIRECTION_LABELS = {
    compare.PASS_FAIL: "Pass/fail (a number that moves is only a change)",
    compare.HIGHER: "Higher is better",
    compare.LOWER: "Lower is better",
}
PAIRING_TIP = (
    "When both runs evaluated the same dataset, a row is paired with the other run's row of "
    "the same dataset record (the record's expectations, when no other row of its run has "
    "them). The other rows are paired on their inputs: JSON text decoded, spaces and key order "
    'ignored, and {"question": "…"} the same as the bare "…".'
)


def full_diff(_token: object, a: str, b: str, dark: bool) -> tuple[str, str]:
    """Job pool: both outputs as escaped rich text with their word diff."""
    left, right = word_diff(a, b)
    return segments_html(left, dark), segments_html(right, dark)


def summary_html(comparison: Comparison, dark: bool) -> str:
    """The counts, coloured (numbers and fixed words only: nothing from the database)."""
    parts = []
    for verdict in compare.shown_verdicts(comparison.counts):
        count = comparison.counts.get(verdict, 0)
        color = VERDICT_COLOURS.get(verdict, (None, None))[dark] if count else None
        text = f"{count} {html.escape(verdict)}"
        parts.append(f'<b style="color:{color}">{text}</b>' if color else text)
    return ", ".join(parts)


def runs_text(comparison: Comparison) -> str:
    a, b = comparison.run_a, comparison.run_b
    first = f"A: {a.name or a.run_id} ({a.row_count:,} rows)"
    return f"{first}   ↔   B: {b.name or b.run_id} ({b.row_count:,} rows)"


class ComparePanel(QWidget):
    """Shows one `Comparison`; `trace_requested` on double-click."""

    trace_requested = Signal(str)
    detail_shown = Signal()  # the selected row's outputs are shown in full below the table

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._diff_task: Task | None = None
        self.model = ComparisonModel(self)
        self._build()
        self.view.selectionModel().selectionChanged.connect(self._show_selected)
        self.view.doubleClicked.connect(self._open_index)
        self.filter_box.currentTextChanged.connect(self.model.set_filter)
        follow_palette(self, self._restyle)
        header = self.view.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self.header_menu: QMenu | None = None  # the last one a right-click opened

    def _build(self) -> None:
        self.runs_label = QLabel("Select two runs and press Compare.")
        self.runs_label.setObjectName("compareRuns")
        self.runs_label.setTextFormat(Qt.TextFormat.PlainText)  # run names are database text
        self.summary = QLabel()
        self.summary.setObjectName("compareSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.pairing_label = QLabel()
        self.pairing_label.setObjectName("comparePairing")
        self.pairing_label.setToolTip(PAIRING_TIP)
        self.directions_button = self._directions_button()
        self.filter_box = QComboBox()
        self.filter_box.setObjectName("compareFilter")
        self.filter_box.addItems(FILTERS)
        top = QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 4)
        top.addWidget(self.runs_label, 1)
        top.addSpacing(12)
        top.addWidget(self.directions_button)
        top.addSpacing(6)
        top.addWidget(self.filter_box)
        below = QHBoxLayout()  # the counts and how they were made, under the runs
        below.setContentsMargins(6, 0, 6, 4)
        below.addWidget(self.summary)
        below.addSpacing(16)
        below.addWidget(self.pairing_label, 1)
        self.view = self._table()
        self.fitter = ColumnFitter(self.view, (INPUTS, OUTPUT_A, OUTPUT_B), {})
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.view)
        splitter.addWidget(self._detail())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addLayout(below)
        layout.addWidget(splitter, 1)

    def _directions_button(self) -> QPushButton:
        """A menu of the scorers, each with its direction to pick (filled when it opens)."""
        button = QPushButton("Scorer directions")
        button.setObjectName("compareDirections")
        button.setToolTip("What counts as better for each scorer (also: right-click its header)")
        menu = QMenu(button)
        menu.aboutToShow.connect(self._fill_directions_menu)
        button.setMenu(menu)
        button.setEnabled(False)
        return button

    def _fill_directions_menu(self) -> None:
        menu = self.directions_button.menu()
        menu.clear()
        for old in menu.findChildren(QMenu, options=Qt.FindChildOption.FindDirectChildrenOnly):
            old.deleteLater()  # the submenus of the last time it opened
        for scorer in self.model.scorers:
            menu.addMenu(self.direction_menu(scorer, menu))

    def direction_menu(self, scorer: str, parent: QWidget) -> QMenu:
        """The three directions of `scorer`, the current one checked."""
        menu = QMenu(scorer.replace("&", "&&"), parent)  # a scorer's name is not a mnemonic
        group = QActionGroup(menu)
        current = self.model.direction(scorer)
        for direction, label in DIRECTION_LABELS.items():
            action = menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(direction == current)
            group.addAction(action)
            action.triggered.connect(partial(self.set_direction, scorer, direction))
        return menu

    def _header_menu(self, position: QPoint) -> None:
        header = self.view.horizontalHeader()
        scorer = self.model.scorer_at(header.logicalIndexAt(position))
        if scorer is None:
            return
        if self.header_menu is not None:
            self.header_menu.deleteLater()
        menu = self.direction_menu(scorer, self)
        self.header_menu = menu
        menu.popup(header.viewport().mapToGlobal(position))

    def set_direction(self, scorer: str, direction: str) -> None:
        """Make `direction` what counts as better for `scorer`, remember it, judge again."""
        default = direction == compare.PASS_FAIL
        settings.set_scorer_direction(scorer, None if default else direction)
        comparison = self.model.comparison
        if comparison is not None:
            self._show(comparison.with_directions(settings.scorer_directions()))

    def _detail(self) -> QSplitter:
        """Both outputs of the selected row, side by side, each under its run's name."""
        self.detail_a, self.detail_b = QTextBrowser(), QTextBrowser()
        self.title_a, self.title_b = QLabel("Output A"), QLabel("Output B")
        detail = QSplitter(Qt.Orientation.Horizontal)
        for title, browser in ((self.title_a, self.detail_a), (self.title_b, self.detail_b)):
            browser.setOpenLinks(False)  # outputs are untrusted: links are never followed
            browser.setPlaceholderText("Select a row to see both outputs in full, diffed")
            title.setTextFormat(Qt.TextFormat.PlainText)  # run names are database text
            title.setStyleSheet("font-weight: 600; padding: 4px 2px 2px 2px;")
            side = QWidget()
            column = QVBoxLayout(side)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(0)
            column.addWidget(title)
            column.addWidget(browser, 1)
            detail.addWidget(side)
        return detail

    def _table(self) -> QTableView:
        view = QTableView()
        view.setObjectName("comparisonTable")
        view.setModel(self.model)
        view.setItemDelegate(DiffDelegate(view))
        set_up_row_table(view)
        view.setAlternatingRowColors(True)
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.horizontalHeader().setHighlightSections(False)
        view.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        view.setSortingEnabled(True)
        view.horizontalHeader().setSortIndicatorShown(False)  # the join order until a click
        view.horizontalHeader().sectionClicked.connect(
            lambda _s: view.horizontalHeader().setSortIndicatorShown(True)
        )
        return view

    def show_loading(self, text: str) -> None:
        self.model.set_comparison(None)
        self.runs_label.setText(text)
        self.summary.setText("")
        self.pairing_label.setText("")
        self.directions_button.setEnabled(False)
        self._clear_detail()

    def show_comparison(self, comparison: Comparison) -> None:
        """Show `comparison`, its rows judged with the scorers' remembered directions."""
        self.view.horizontalHeader().setSortIndicatorShown(False)  # the join order again
        self.view.clearSelection()
        self._show(comparison.with_directions(settings.scorer_directions()))
        self.runs_label.setText(runs_text(comparison))
        self.pairing_label.setText(comparison.pairing_text())
        self.directions_button.setEnabled(bool(comparison.scorers))
        self.fitter.fit()
        self.title_a.setText(f"A · {comparison.run_a.name or comparison.run_a.run_id}")
        self.title_b.setText(f"B · {comparison.run_b.name or comparison.run_b.run_id}")

    def _show(self, comparison: Comparison) -> None:
        """Put `comparison` in the table, keeping the sort and the selected row (when the
        filter still shows it)."""
        header = self.view.horizontalHeader()
        selected = self.view.selectionModel().selectedRows()
        pair = self.model.pair(selected[0].row()) if selected else None
        self._clear_detail()
        self.model.set_comparison(comparison)
        if header.isSortIndicatorShown():
            self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self._show_summary()
        self.fitter.fit(reset=False)
        if pair is not None:
            self._select_trace(pair.trace_id)

    def _restyle(self) -> None:
        """The theme changed: the table's colours and the summary in the new ones."""
        self.model.restyle()
        self._show_summary()

    def _show_summary(self) -> None:
        comparison = self.model.comparison
        self.summary.setText(summary_html(comparison, is_dark()) if comparison else "")

    def _select_trace(self, trace_id: str) -> None:
        for row in range(self.model.rowCount()):
            found = self.model.pair(row)
            if found is not None and found.trace_id == trace_id:
                self.view.selectRow(row)
                return

    def show_regressions_only(self) -> None:
        self.filter_box.setCurrentText(FILTERS[1])

    def _clear_detail(self) -> None:
        if self._diff_task is not None:
            self._diff_task.cancel()
            self._diff_task = None
        self.detail_a.clear()
        self.detail_b.clear()

    def _show_selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._clear_detail()
        rows = self.view.selectionModel().selectedRows()
        pair = self.model.pair(rows[0].row()) if rows else None
        if pair is None:
            return
        a = pair.a.output_error or pair.a.output if pair.a else ""
        b = pair.b.output_error or pair.b.output if pair.b else ""
        if pair.a is None or pair.b is None or self._tasks.is_shut_down:
            self.detail_a.setPlainText(a or "(not in run A)")
            self.detail_b.setPlainText(b or "(not in run B)")
            self.detail_shown.emit()
            return
        task = self._tasks.submit_job(full_diff, a, b, is_dark())
        self._diff_task = task.describe("Comparing the two outputs").on_finished(self._show_diff)

    def _show_diff(self, texts: tuple[str, str]) -> None:
        self._diff_task = None
        self.detail_a.setHtml(texts[0])
        self.detail_b.setHtml(texts[1])
        self.detail_shown.emit()

    def _open_index(self, index: QModelIndex) -> None:
        trace_id = index.data(TRACE_ID_ROLE)
        if trace_id:
            self.trace_requested.emit(str(trace_id))
