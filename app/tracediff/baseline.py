"""`BaselinePanel`: a baseline trace against N others, span by span.

One row per span of the baseline (indented by depth): its duration, the others' p50 and p90,
how many of the others lack it, and whether it moved (`SpanSpread.moved`: highlighted). Below,
the spans only the others had (a loop that ran longer, a new step).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.tracediff.look import MINUS, STATUS_COLOURS, delta_colour, duration_delta, duration_or_dash
from core.safe_text import isolated
from core.tracediff import CHANGED, BaselineReport, SpanSpread

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # a shared default argument: Qt never changes it
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
INDENT = "    "
#: (light, dark) background of a span that moved.
MOVED_BACKGROUND = ("#fef3c7", "#3a2e0b")


class BaselineColumn(IntEnum):
    SPAN = 0
    BASELINE = 1
    P50 = 2
    P90 = 3
    DELTA = 4
    MISSING = 5
    MOVED = 6


HEADERS = ("Span", "Baseline", "Others p50", "Others p90", "Δ p50", "Missing in", "Moved")


class BaselineModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.report: BaselineReport | None = None
        self.dark = False
        self._bold = QFont()
        self._bold.setBold(True)
        roles = Qt.ItemDataRole
        self._handlers: dict[int, Callable[[SpanSpread, int], Any]] = {
            int(roles.DisplayRole): self._text,
            int(roles.TextAlignmentRole): self._alignment,
            int(roles.BackgroundRole): self._background,
            int(roles.FontRole): self._font,
            int(roles.ForegroundRole): self._colour,
            int(roles.ToolTipRole): self._tooltip,
        }

    def set_report(self, report: BaselineReport) -> None:
        self.beginResetModel()
        self.report = report
        self.endResetModel()

    def spread(self, row: int) -> SpanSpread | None:
        report = self.report
        return report.spans[row] if report is not None and 0 <= row < len(report.spans) else None

    def rowCount(self, parent: Index = _ROOT) -> int:  # QAbstractTableModel.rowCount
        return 0 if parent.isValid() or self.report is None else len(self.report.spans)

    def columnCount(self, parent: Index = _ROOT) -> int:  # QAbstractTableModel.columnCount
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(  # QAbstractTableModel.headerData
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            left = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            return left if section == BaselineColumn.SPAN else _RIGHT
        return None

    def data(  # QAbstractTableModel.data
        self, index: Index, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        spread = self.spread(index.row()) if index.isValid() else None
        handler = self._handlers.get(int(role))
        return handler(spread, index.column()) if spread and handler else None

    def _alignment(self, _spread: SpanSpread, column: int) -> int | None:
        return None if column == BaselineColumn.SPAN else _RIGHT

    def _background(self, spread: SpanSpread, _column: int) -> QColor | None:
        return QColor(MOVED_BACKGROUND[self.dark]) if spread.moved else None

    def _font(self, spread: SpanSpread, _column: int) -> QFont | None:
        return self._bold if spread.moved else None

    def _tooltip(self, spread: SpanSpread, column: int) -> str | None:
        if column != BaselineColumn.SPAN:
            return None
        others = ", ".join(duration_or_dash(ns) for ns in spread.others_ns[:20])
        name, kind = isolated(spread.span.name), spread.span.span_type or "no type"
        return f"{name} ({kind})\nothers: {others or 'none'}"

    def _text(self, spread: SpanSpread, column: int) -> str:
        report = self.report
        texts: dict[int, Callable[[], str]] = {
            BaselineColumn.SPAN: lambda: _span_text(spread),
            BaselineColumn.BASELINE: lambda: duration_or_dash(spread.baseline_ns),
            BaselineColumn.P50: lambda: duration_or_dash(spread.p50_ns),
            BaselineColumn.P90: lambda: duration_or_dash(spread.p90_ns),
            BaselineColumn.DELTA: lambda: "" if spread.p50_ns is None
            else duration_delta(spread.baseline_ns, spread.p50_ns),
            BaselineColumn.MISSING: lambda: f"{spread.missing:,} of {report.others:,}"
            if spread.missing and report is not None else "",
            BaselineColumn.MOVED: lambda: "moved" if spread.moved else "",
        }  # fmt: skip
        return texts[column]()

    def _colour(self, spread: SpanSpread, column: int) -> QColor | None:
        if column == BaselineColumn.MOVED and spread.moved:
            return QColor(STATUS_COLOURS[CHANGED][self.dark])
        if column == BaselineColumn.DELTA and spread.moved and spread.p50_ns is not None:
            return QColor(delta_colour(spread.p50_ns - (spread.baseline_ns or 0), self.dark))
        return None


def _span_text(spread: SpanSpread) -> str:
    span = spread.span
    kind = f"  ·  {span.span_type}" if span.span_type else ""
    return f"{INDENT * spread.depth}{isolated(span.name)}{kind}"


class BaselinePanel(QWidget):
    """The table of a `BaselineReport` and the spans only the others had."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("baselinePanel")
        self.heading = QLabel(self)
        self.heading.setObjectName("baselineHeading")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        self.model = BaselineModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("baselineTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        self.extra = QLabel(self)
        self.extra.setObjectName("baselineExtra")
        self.extra.setTextFormat(Qt.TextFormat.PlainText)
        self.extra.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.extra)

    def show_report(self, report: BaselineReport, dark: bool) -> None:
        self.model.dark = dark
        self.model.set_report(report)
        moved = len(report.moved)
        self.heading.setText(
            f"Baseline {report.baseline.info.trace_id} against {report.others:,} other traces: "
            f"{moved:,} of {len(report.spans):,} spans moved (the others' median is more than "
            "25% and 5 ms away from the baseline, or most of them lack the span)."
        )
        if report.extra:
            listed = sorted(report.extra.items(), key=lambda item: (-item[1], item[0]))
            text = "; ".join(
                f"{name}{f' ({kind})' if kind else ''} in {count:,} of {report.others:,}"
                for (name, kind), count in listed[:30]
            )
            more = f" and {len(listed) - 30:,} more" if len(listed) > 30 else ""
            self.extra.setText(f"Only the others had: {text}{more}.")
        else:
            self.extra.setText("The others had no span the baseline lacks.")
        self.fit_columns()
        if self.model.rowCount():
            self.table.selectRow(0)

    def set_dark(self, dark: bool) -> None:
        self.model.dark = dark
        self.table.viewport().update()

    def fit_columns(self) -> None:
        metrics = self.fontMetrics()
        sample = metrics.horizontalAdvance(MINUS + "1 min 05 s (+100%)") + 24
        for column in range(1, len(HEADERS)):
            self.table.setColumnWidth(column, max(sample if column == 4 else 96, 90))
        rest = self.table.viewport().width() - sum(
            self.table.columnWidth(c) for c in range(1, len(HEADERS))
        )
        self.table.setColumnWidth(0, max(rest, 260))
