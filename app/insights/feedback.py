"""The Insights tab's Feedback view: for each feedback name, its pass rate (pass/fail and yes/no
feedback, which MLflow aggregates as 1 and 0) or its mean (numbers) per time bucket, one line
each, with a table of the whole range beside it. Hovering a point names it in the tooltip."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QSplitter, QTableView, QWidget

from app.insights.charts import GROUP_COLORS
from app.theme import follow_palette
from core.store import AssessmentBucket

HEADERS = ("Feedback", "Count", "Pass rate / mean")
_INDEX = QModelIndex | QPersistentModelIndex


def summed(rows: Sequence[AssessmentBucket]) -> list[tuple[str, int, float | None, bool]]:
    """(name, count, mean over the range, numeric) per feedback name, by name."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0])
    numeric: dict[str, bool] = {}
    for row in rows:
        total = totals[row.name]
        total[0] += row.count
        if row.mean is not None:
            total[1] += row.mean * row.count
            total[2] += row.count
        numeric[row.name] = numeric.get(row.name, False) or row.numeric
    return [
        (name, int(n), (s / weighed) if weighed else None, numeric[name])
        for name, (n, s, weighed) in sorted(totals.items())
    ]


def value_text(mean: float | None, numeric: bool) -> str:
    if mean is None:
        return "—"
    return f"{mean:,.3g}" if numeric else f"{mean:.0%}"


class FeedbackTable(QAbstractTableModel):
    """Each feedback name over the whole range."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, int, float | None, bool]] = []

    def set_rows(self, rows: Sequence[AssessmentBucket]) -> None:
        self.beginResetModel()
        self.rows = summed(rows)
        self.endResetModel()

    def rowCount(self, parent: _INDEX = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _INDEX = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: _INDEX, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        name, count, mean, numeric = self.rows[index.row()]
        return (name, f"{count:,}", value_text(mean, numeric))[index.column()]


class FeedbackView(QSplitter):
    """A line per feedback name over time, and the range's table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("insightsFeedback")
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        self.plot.setTitle("Feedback per bucket: pass rate (0 to 1) or mean")
        self.legend = self.plot.addLegend(offset=(10, 10))
        self.model = FeedbackTable(self)
        self.table = QTableView(self)
        self.table.setObjectName("insightsFeedbackTable")
        self.table.setModel(self.model)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.addWidget(self.plot)
        self.addWidget(self.table)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 1)
        self.setSizes([900, 380])
        self.setChildrenCollapsible(False)
        self._rows: Sequence[AssessmentBucket] = ()
        self._range: tuple[int, int] | None = None
        follow_palette(self, self._restyle)
        self._restyle()  # the palette now (follow_palette answers its changes)

    def show_rows(
        self, rows: Sequence[AssessmentBucket], span: tuple[int, int] | None = None
    ) -> None:
        """`rows` over the range `span` (ms), which the time axis shows whole."""
        self._rows, self._range = rows, span
        self.model.set_rows(rows)
        self._draw()

    def _restyle(self) -> None:
        palette = self.palette()
        self.plot.setBackground(palette.color(palette.ColorRole.Base))
        text = palette.color(palette.ColorRole.Text)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setTextPen(text)
            self.plot.getAxis(axis).setPen(text)
        self._draw()

    def _draw(self) -> None:
        self.plot.clear()
        self.legend.clear()
        by_name: dict[str, list[AssessmentBucket]] = defaultdict(list)
        for row in self._rows:
            by_name[row.name].append(row)
        for n, (name, rows) in enumerate(sorted(by_name.items())):
            color = QColor(GROUP_COLORS[n % len(GROUP_COLORS)])
            points = [(r.start_ms / 1000, r.mean) for r in rows if r.mean is not None]
            if not points:
                continue
            self.plot.plot(
                [x for x, _ in points],
                [y for _, y in points],
                pen=pg.mkPen(color, width=2),
                symbol="o",
                symbolSize=5,
                symbolBrush=color,
                name=name,
            )
        if self._range is not None:
            start, end = self._range
            self.plot.setXRange(start / 1000, end / 1000, padding=0.02)
        if self._rows and not any(row.numeric for row in self._rows):
            self.plot.setYRange(0, 1, padding=0.05)  # pass rates: the whole scale
        else:
            self.plot.enableAutoRange(axis="y")
        if not by_name:
            note = pg.TextItem("No feedback in this range", anchor=(0.5, 0.5))
            self.plot.addItem(note)
            if self._range is not None:
                note.setPos(sum(self._range) / 2000, 0.5)
