"""`SpanDelegate`: paints the timeline bar of each span and dims rows shown only for context.

Bars are placed and scaled to the trace's first start and last end; the colour says the span
type, a red outline and a notch mark errors, and a hatched tail marks a span still running.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.spans.colors import ERROR_COLOR, span_duration_text
from app.spans.model import BAR_ROLE, MATCH_ROLE, SPAN_ROLE, Column
from core.entities import Span

Index = QModelIndex | QPersistentModelIndex

_MARGIN_X = 6  # room at both ends of the track, so the first and last bars are not cut
_MIN_BAR = 2.0
_LABEL_GAP = 4
_ROW_PADDING = 6  # rows a little taller than the text, so bars and icons breathe


class SpanDelegate(QStyledItemDelegate):
    """Default cells for text columns; a custom-painted bar for the Timeline column."""

    def initStyleOption(  # QStyledItemDelegate.initStyleOption
        self, option: QStyleOptionViewItem, index: Index
    ) -> None:
        super().initStyleOption(option, index)
        if index.data(MATCH_ROLE) is False:  # an ancestor kept only so matches have context
            dim = option.palette.color(QPalette.ColorRole.PlaceholderText)
            option.palette.setColor(QPalette.ColorRole.Text, dim)

    def sizeHint(  # QStyledItemDelegate.sizeHint
        self, option: QStyleOptionViewItem, index: Index
    ) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width(), max(hint.height(), option.fontMetrics.height() + _ROW_PADDING))

    def paint(  # QStyledItemDelegate.paint
        self, painter: QPainter, option: QStyleOptionViewItem, index: Index
    ) -> None:
        if index.column() != Column.TIMELINE:
            super().paint(painter, option, index)
            return
        bar = index.data(BAR_ROLE)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._draw_background(painter, option, index)
        track = option.rect.adjusted(_MARGIN_X, 3, -_MARGIN_X, -3)
        self._draw_grid(painter, option, track)
        if bar is not None:
            start, end, color, error = bar
            rect = self._bar_rect(track, start, end)
            self._draw_bar(painter, rect, QColor(color), end is None, error)
            if error:
                self._draw_error_marker(painter, rect, track)
            span = index.data(SPAN_ROLE)
            if isinstance(span, Span):
                self._draw_label(painter, option, track, rect, span)
        painter.restore()

    # -- pieces -----------------------------------------------------------------------------

    def _draw_background(
        self, painter: QPainter, option: QStyleOptionViewItem, index: Index
    ) -> None:
        """The item's own background and selection, as the style draws it for text cells."""
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter, option.widget)

    def _draw_grid(self, painter: QPainter, option: QStyleOptionViewItem, track: QRect) -> None:
        """Faint quarter lines, so bars in different rows can be compared by eye."""
        line = QColor(option.palette.color(QPalette.ColorRole.Text))
        line.setAlpha(28)
        painter.setPen(QPen(line, 1))
        top, bottom = option.rect.top(), option.rect.bottom()
        for quarter in (0.25, 0.5, 0.75):
            x = round(track.left() + track.width() * quarter) + 0.5
            painter.drawLine(int(x), top, int(x), bottom)

    @staticmethod
    def _bar_rect(track: QRect, start: float, end: float | None) -> QRectF:
        left = track.left() + track.width() * min(max(start, 0.0), 1.0)
        right = track.left() + track.width() * min(max(end if end is not None else 1.0, 0.0), 1.0)
        width = max(right - left, _MIN_BAR)
        left = min(left, track.right() - width + 1)
        height = min(track.height(), 14)
        top = track.top() + (track.height() - height) / 2
        return QRectF(left, top, width, height)

    def _draw_bar(
        self, painter: QPainter, rect: QRectF, color: QColor, running: bool, error: bool
    ) -> None:
        painter.setPen(QPen(QColor(ERROR_COLOR), 1.6) if error else Qt.PenStyle.NoPen)
        painter.setBrush(color)
        radius = min(3.0, rect.width() / 2)
        painter.drawRoundedRect(rect, radius, radius)
        if running:
            tail = QBrush(QColor(255, 255, 255, 110), Qt.BrushStyle.BDiagPattern)
            painter.setBrush(tail)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(rect, radius, radius)

    def _draw_error_marker(self, painter: QPainter, rect: QRectF, track: QRect) -> None:
        """A small red triangle at the bar's end (inside it when the bar reaches the edge)."""
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(ERROR_COLOR))
        size = 6.0
        x, top = min(rect.right() + 1, track.right() - size), rect.top() - 1
        painter.drawPolygon([QPointF(x, top), QPointF(x + size, top), QPointF(x, top + size)])

    def _draw_label(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        track: QRect,
        rect: QRectF,
        span: Span,
    ) -> None:
        """The duration beside the bar: right of it when it fits, else left of it."""
        text = span_duration_text(span.duration_ns)
        metrics = option.fontMetrics
        width = metrics.horizontalAdvance(text)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        color = QColor(option.palette.color(role))
        color.setAlpha(200)
        painter.setPen(color)
        painter.setFont(option.font)
        if rect.right() + _LABEL_GAP + 6 + width <= track.right():
            x = rect.right() + _LABEL_GAP + 6
        elif rect.left() - _LABEL_GAP - width >= track.left():
            x = rect.left() - _LABEL_GAP - width
        else:
            return  # a bar that fills the track: the Duration column says it
        box = QRect(int(x), option.rect.top(), width + 1, option.rect.height())
        painter.drawText(box, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), text)
