"""`SpanHeader`: the span tree's header, whose Timeline section is a time axis over the bars.

The axis marks 0, ¼, ½, ¾ and the end of the trace at the x of the grid lines the delegate
draws in every row, so a bar's start and end can be read off in milliseconds. Labels that
would overlap are left out: the end is kept first, then 0, the middle and the quarters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QHeaderView, QStyle, QStyleOptionHeader, QWidget

from app.spans.colors import span_duration_text
from app.spans.delegate import QUARTERS, timeline_track, track_x
from app.spans.model import Column, SpanTreeModel

#: Where labels go, in the order they claim room: the end (the trace's length), the start,
#: the middle, the quarters.
_LABEL_ORDER = (1.0, 0.0, 0.5, 0.25, 0.75)
_LABEL_GAP = 8  # at least this much between two labels
_TICK = 4
_SLACK = 4  # a label may reach this far into the margins beside the track


class AxisLabel(NamedTuple):
    fraction: float
    text: str
    left: int
    width: int


def axis_text(duration_ns: int, fraction: float) -> str:
    """The label at `fraction` of a trace lasting `duration_ns`: `0`, `1.30 ms`, `2.59 ms`..."""
    return "0" if fraction == 0 else span_duration_text(round(duration_ns * fraction))


def axis_labels(duration_ns: int, track: QRect, width_of: Callable[[str], int]) -> list[AxisLabel]:
    """The labels that fit on `track` without touching: the first left-aligned on 0, the last
    right-aligned on the end, the others centred on their grid line."""
    placed: list[AxisLabel] = []
    for fraction in _LABEL_ORDER:
        text = axis_text(duration_ns, fraction)
        width = width_of(text)
        x = track_x(track, fraction)
        left = x if fraction == 0 else x - width if fraction == 1 else x - width // 2
        if left < track.left() - _SLACK or left + width > track.right() + 1 + _SLACK:
            continue
        if any(
            left < other.left + other.width + _LABEL_GAP and other.left < left + width + _LABEL_GAP
            for other in placed
        ):
            continue
        placed.append(AxisLabel(fraction, text, left, width))
    return sorted(placed, key=lambda label: label.fraction)


class SpanHeader(QHeaderView):
    """The column header; the Timeline section shows the trace's time axis instead of a title."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("spanHeader")
        self.setSectionsMovable(True)  # as QTreeView's own header
        self.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

    def duration_ns(self) -> int | None:
        """The length of the trace on the axis; None when no trace with spans is shown."""
        model = self.model()
        tree = model.tree if isinstance(model, SpanTreeModel) else None
        return tree.duration_ns if tree is not None and tree.spans else None

    def labels(self) -> list[AxisLabel]:
        """The axis labels as painted now (empty without a trace)."""
        duration = self.duration_ns()
        if duration is None:
            return []
        section = QRect(
            self.sectionViewportPosition(Column.TIMELINE),
            0,
            self.sectionSize(Column.TIMELINE),
            self.height(),
        )
        return axis_labels(duration, timeline_track(section), self.fontMetrics().horizontalAdvance)

    def paintSection(  # QHeaderView.paintSection
        self, painter: QPainter, rect: QRect, logical_index: int
    ) -> None:
        duration = self.duration_ns()
        if logical_index != Column.TIMELINE or duration is None:
            super().paintSection(painter, rect, logical_index)
            return
        option = QStyleOptionHeader()
        self.initStyleOption(option)
        self.initStyleOptionForIndex(option, logical_index)
        option.rect = rect
        option.text = ""  # the labels take the title's place; its tooltip still names it
        painter.save()
        self.style().drawControl(QStyle.ControlElement.CE_Header, option, painter, self)
        painter.restore()
        painter.save()
        self._draw_axis(painter, rect, duration, option)
        painter.restore()

    def _draw_axis(
        self, painter: QPainter, rect: QRect, duration: int, option: QStyleOptionHeader
    ) -> None:
        track = timeline_track(rect)
        text_color = option.palette.color(QPalette.ColorRole.ButtonText)
        tick = QColor(text_color)
        tick.setAlpha(90)
        painter.setPen(QPen(tick, 1))
        bottom = rect.bottom()
        for fraction in (0.0, *QUARTERS, 1.0):
            x = track_x(track, fraction)
            painter.drawLine(x, bottom - _TICK, x, bottom)
        painter.setPen(text_color)
        painter.setFont(self.font())
        metrics = self.fontMetrics()
        text_box = rect.adjusted(0, 0, 0, -_TICK)
        for label in axis_labels(duration, track, metrics.horizontalAdvance):
            box = QRect(label.left, text_box.top(), label.width + 1, text_box.height())
            align = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
            painter.drawText(box, int(align), label.text)
