"""`TraceDiffWindow`: the non-modal Compare Traces window.

Two traces: the summary strip, the merged tree (`DiffTreeModel`) and the selected row's detail
(`DiffDetail`); "Changed only", next / previous change (F8 / Shift+F8, or N / P), Copy as
Markdown and Save as JSON. More than two: the first is the baseline (`BaselinePanel`).

The traces are read in the database thread and compared on the job pool; until then the
window says "Comparing…". Esc closes it.
"""

from __future__ import annotations

import bisect
import itertools
import json
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.messages.browser import is_dark
from app.tasks import JobToken, TaskGroup, TaskRunner
from app.theme import follow_palette
from app.tracediff.baseline import BaselinePanel
from app.tracediff.detail import DiffDetail
from app.tracediff.loading import Comparison, compare, compare_many
from app.tracediff.look import MINUS
from app.tracediff.model import HEADERS, ROW_ROLE, DiffColumn, DiffTreeModel
from app.tracediff.summary import SummaryStrip
from core.entities import Trace
from core.tracediff import BaselineReport, TraceDiff, diff_json, diff_markdown

JSON_FILTER = "Trace diff JSON (*.json);;All files (*)"
#: Trees up to this many rows open fully expanded; larger ones show the roots' children.
EXPAND_ALL_ROWS = 20_000
_COLUMN_SAMPLES = {  # widths from sample texts, so they follow the font
    DiffColumn.MARK: "~↕",
    DiffColumn.LEFT: "1 min 05 s",
    DiffColumn.RIGHT: "1 min 05 s",
    DiffColumn.DELTA: MINUS + "1 min 05 s (+1000%)",
}


def write_json(_token: JobToken, diff: TraceDiff, path: Path) -> Path:
    """Job pool: the diff as JSON in `path`."""
    path.write_text(json.dumps(diff_json(diff), indent=2, default=str) + "\n", encoding="utf-8")
    return path


def markdown(_token: JobToken, diff: TraceDiff) -> str:
    return diff_markdown(diff)


class TraceDiffWindow(QMainWindow):
    """Compare two traces (or a baseline and N others); `load` starts it."""

    compared = Signal()  # the comparison is on screen
    copied = Signal(str)  # the Markdown put on the clipboard
    saved = Signal(str)  # the path the JSON was written to

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("traceDiffWindow")
        self.setWindowTitle("Compare Traces")
        self.setWindowFlag(Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)  # the main window's call
        self._tasks = tasks
        self._work: TaskGroup = tasks.group()
        self.comparison: Comparison | None = None
        self.report: BaselineReport | None = None
        self._traces: list[Trace] = []
        self._wheres: list[str] = []
        self._build()
        self._add_actions()
        follow_palette(self, self._theme_changed)
        self.resize(1280, 780)

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.message = QLabel("Comparing…", self)
        self.message.setObjectName("diffMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # errors quote ids and paths
        self.message.setWordWrap(True)
        self.summary = SummaryStrip(self)
        self.summary.row_requested.connect(self.select_row)
        self.model = DiffTreeModel(self)
        self.tree = self._tree()
        self.detail = DiffDetail(self._tasks, self)
        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.split.addWidget(self.tree)
        self.split.addWidget(self.detail)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.split.setChildrenCollapsible(False)
        diff_page = QWidget(self)
        layout = QVBoxLayout(diff_page)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.summary)
        layout.addLayout(self._bar())
        layout.addWidget(self.split, 1)
        self.baseline = BaselinePanel(self)
        self.pages = QStackedWidget(self)
        for page in (self.message, diff_page, self.baseline):
            self.pages.addWidget(page)
        self.diff_page = diff_page
        self.setCentralWidget(self.pages)
        self.statusBar().setSizeGripEnabled(False)

    def _chain_focus(self) -> None:
        """Tab goes top to bottom: the summary's links, the bar, the tree, the detail (the
        links are made for each comparison, after the rest)."""
        chain: list[QWidget] = [*self.summary.fork_buttons, *self.summary.mover_buttons]
        chain += [self.changed_only, self.previous_button, self.next_button, self.swap_button]
        chain += [self.copy_button, self.save_button, self.tree, self.detail.browser]
        for first, then in itertools.pairwise(chain):
            QWidget.setTabOrder(first, then)

    def _tree(self) -> QTreeView:
        tree = QTreeView(self)
        tree.setObjectName("diffTree")
        tree.setModel(self.model)
        tree.setUniformRowHeights(True)
        tree.setAlternatingRowColors(True)
        tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        tree.setAllColumnsShowFocus(True)
        tree.setIndentation(14)
        header = tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        tree.selectionModel().currentRowChanged.connect(self._current_changed)
        return tree

    def _bar(self) -> QHBoxLayout:
        self.changed_only = QCheckBox("Changed &only", self)
        self.changed_only.setToolTip("Hide the rows that are the same (their ancestors stay)")
        self.changed_only.toggled.connect(self.set_changed_only)
        self.previous_button = QPushButton("&Previous change", self)
        self.previous_button.setToolTip("Shift+F8 or P")
        self.previous_button.clicked.connect(lambda: self.step(backwards=True))
        self.next_button = QPushButton("&Next change", self)
        self.next_button.setToolTip("F8 or N")
        self.next_button.clicked.connect(lambda: self.step(backwards=False))
        self.swap_button = QPushButton("S&wap sides", self)
        self.swap_button.setToolTip("Compare the right trace with the left")
        self.swap_button.clicked.connect(self.swap)
        self.copy_button = QPushButton("&Copy as Markdown", self)
        self.copy_button.setToolTip("The summary and the tree as Markdown, to paste into an issue")
        self.copy_button.clicked.connect(self.copy_markdown)
        self.save_button = QPushButton("&Save as JSON…", self)
        self.save_button.setToolTip("Everything the window shows, with what changed by JSON path")
        self.save_button.clicked.connect(self.ask_json_path)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 2, 0, 2)
        bar.addWidget(self.changed_only)
        bar.addSpacing(12)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.next_button)
        bar.addStretch(1)
        for button in (self.swap_button, self.copy_button, self.save_button):
            bar.addWidget(button)
        return bar

    def _add_actions(self) -> None:
        for keys, slot in (
            (("F8", "N"), lambda: self.step(backwards=False)),
            (("Shift+F8", "P"), lambda: self.step(backwards=True)),
            (("Esc",), self.close),
        ):
            action = QAction(self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

    # -- loading ------------------------------------------------------------------------------

    def load(self, read: Callable[[], list[Trace]], wheres: Sequence[str] = ()) -> None:
        """Read the traces with `read` in the database thread, then compare them: two side
        by side, more against the first. `wheres` says where each comes from (" in x.db")."""
        self._work.drop()
        self._wheres = list(wheres)
        self._say("Reading the traces…")
        task = self._work.submit(read)
        task.on_finished(self._compare)
        task.on_failed(lambda error: self._failed("The traces could not be read", error))

    def _compare(self, traces: list[Trace]) -> None:
        self._traces = traces
        if len(traces) < 2:
            self._say("Compare Traces needs two traces or more.")
            return
        self._say("Comparing…")
        if len(traces) == 2:
            self.setWindowTitle(f"Compare Traces — {_short(traces[0])} ↔ {_short(traces[1])}")
            task = self._work.submit_job(compare, traces[0], traces[1])
            task.on_finished(self._show_comparison)
        else:
            self.setWindowTitle(f"Compare Traces — {_short(traces[0])} against {len(traces) - 1}")
            task = self._work.submit_job(compare_many, traces[0], traces[1:])
            task.on_finished(self._show_report)
        task.on_failed(lambda error: self._failed("The traces could not be compared", error))

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.pages.setCurrentWidget(self.message)

    def _failed(self, what: str, error: BaseException) -> None:
        self._say(f"{what}: {error}")

    def _show_comparison(self, comparison: Comparison) -> None:
        self.comparison = comparison
        wheres = [*self._wheres, "", ""]
        self.summary.show_comparison(comparison, _where(wheres[0]), _where(wheres[1]))
        self.model.set_dark(is_dark(self.palette()))
        self.model.set_pairs(comparison.diff.pairs, comparison.changed, comparison.shape)
        self._expand()
        self.pages.setCurrentWidget(self.diff_page)
        self._fit_columns()
        self._chain_focus()
        start = comparison.changed[0] if comparison.changed else 0
        self.select_row(start)
        self.tree.setFocus(Qt.FocusReason.OtherFocusReason)
        self.statusBar().showMessage(_changes_note(len(comparison.changed)))
        self.compared.emit()

    def _show_report(self, report: BaselineReport) -> None:
        self.report = report
        self.pages.setCurrentWidget(self.baseline)
        self.baseline.show_report(report, is_dark(self.palette()))
        self.baseline.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.compared.emit()

    def _expand(self) -> None:
        if self.model.shown_count() <= EXPAND_ALL_ROWS:
            self.tree.expandAll()
        else:  # the roots' children; a change found with F8 unfolds its ancestors
            self.tree.expandToDepth(0)

    def _fit_columns(self) -> None:
        """Numbers as wide as their samples, names as their longest shown (at most 45% of
        the tree), What changed takes the rest."""
        metrics = self.tree.fontMetrics()
        for column, sample in _COLUMN_SAMPLES.items():
            title = HEADERS[column]
            width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(title))
            self.tree.setColumnWidth(column, width + 24)
        self.tree.resizeColumnToContents(DiffColumn.SPAN)
        most = int(self.tree.viewport().width() * 0.45)
        self.tree.setColumnWidth(DiffColumn.SPAN, min(self.tree.columnWidth(0) + 12, most))

    # -- moving through the changes -----------------------------------------------------------

    def current_row(self) -> int | None:
        index = self.tree.currentIndex()
        return int(index.data(ROW_ROLE)) if index.isValid() else None

    def select_row(self, row: int) -> None:
        """Select pair `row` (its ancestors unfold); with Changed only, a same row that is
        left out selects nothing."""
        index = self.model.index_of(row)
        if not index.isValid():
            return
        parent = index.parent()
        while parent.isValid():
            self.tree.expand(parent)
            parent = parent.parent()
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def step(self, backwards: bool = False) -> None:
        """Select the next (previous) row that is not the same, wrapping at the ends."""
        comparison = self.comparison
        if comparison is None or not comparison.changed:
            self.statusBar().showMessage("The traces have no differences.")
            return
        changed = comparison.changed
        at = self.current_row()
        if at is None:
            target = changed[-1] if backwards else changed[0]
        elif backwards:
            position = bisect.bisect_left(changed, at) - 1
            target = changed[position] if position >= 0 else changed[-1]
        else:
            position = bisect.bisect_right(changed, at)
            target = changed[position] if position < len(changed) else changed[0]
        self.select_row(target)
        self.tree.setFocus(Qt.FocusReason.ShortcutFocusReason)
        number = changed.index(target) + 1
        self.statusBar().showMessage(f"Change {number:,} of {len(changed):,}")

    def set_changed_only(self, on: bool) -> None:
        keep = self.current_row()
        self.model.set_changed_only(on)
        self._expand()
        if keep is not None and self.model.is_shown(keep):
            self.select_row(keep)
        elif self.comparison is not None and self.comparison.changed:
            self.step()
        if self.changed_only.isChecked() != on:
            self.changed_only.setChecked(on)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = int(current.data(ROW_ROLE)) if current.isValid() else None
        pair = self.model.pair(current) if current.isValid() else None
        self.detail.show_pair(row, pair)

    # -- export and sides ---------------------------------------------------------------------

    def copy_markdown(self) -> None:
        if self.comparison is None:
            return
        task = self._tasks.submit_job(markdown, self.comparison.diff)
        task.on_finished(self._copied)
        task.describe("Writing the diff as Markdown")

    def _copied(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.statusBar().showMessage(f"Copied the diff as Markdown ({len(text):,} characters).")
        self.copied.emit(text)

    def ask_json_path(self) -> None:
        if self.comparison is None:
            return
        diff = self.comparison.diff
        name = f"diff-{diff.left.info.trace_id}-{diff.right.info.trace_id}.json"
        path, _filter = QFileDialog.getSaveFileName(self, "Save Diff as JSON", name, JSON_FILTER)
        if path:
            self.save_json(Path(path))

    def save_json(self, path: Path) -> None:
        """Write the diff to `path` on the job pool."""
        if self.comparison is None:
            return
        task = self._tasks.submit_job(write_json, self.comparison.diff, path)
        task.on_finished(self._saved)
        task.on_failed(lambda error: self.statusBar().showMessage(f"Not saved: {error}"))

    def _saved(self, path: Path) -> None:
        self.statusBar().showMessage(f"Saved {path}.")
        self.saved.emit(str(path))

    def swap(self) -> None:
        """Compare the other way round (right becomes left)."""
        if self.comparison is None or len(self._traces) != 2:
            return
        traces = self._traces[::-1]
        self._wheres = self._wheres[1::-1] if len(self._wheres) >= 2 else self._wheres
        self.changed_only.setChecked(False)
        self._compare(traces)

    # -- the theme and closing ----------------------------------------------------------------

    def _theme_changed(self) -> None:
        dark = is_dark(self.palette())
        self.model.set_dark(dark)
        self.tree.viewport().update()
        self.baseline.set_dark(dark)

    def closeEvent(self, event: QCloseEvent) -> None:  # QMainWindow.closeEvent
        self._work.drop()
        self.detail.show_pair(None, None)
        super().closeEvent(event)


def _short(trace: Trace) -> str:
    trace_id = trace.info.trace_id
    return trace_id if len(trace_id) <= 14 else trace_id[:13] + "…"


def _where(text: str) -> str:
    return f" ({text})" if text else ""


def _changes_note(count: int) -> str:
    if not count:
        return "The two traces are the same span by span."
    return f"{count:,} rows differ: F8 / Shift+F8 (or N / P) go from one to the next."
