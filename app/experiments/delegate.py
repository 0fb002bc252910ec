"""Paints an experiment row: its name, elided, and its trace count as a small pill on the right."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.experiments.model import TRACE_COUNT_ROLE

_Index = QModelIndex | QPersistentModelIndex
_PAD = 8


class ExperimentDelegate(QStyledItemDelegate):
    """Name on the left, trace count on the right; selection colours come from the style."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: _Index
    ) -> None:  # QStyledItemDelegate.paint
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        name, opt.text = opt.text, ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:  # background, selection and focus, without text
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        painter.save()
        count = index.data(TRACE_COUNT_ROLE)
        pill = self._draw_count(painter, opt, f"{count:,}" if count is not None else "")
        self._draw_name(
            painter, opt, name, opt.rect.adjusted(_PAD, 0, -(pill.width() + 2 * _PAD), 0)
        )
        painter.restore()

    def _text_color(self, opt: QStyleOptionViewItem) -> QColor:
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        return opt.palette.color(role)

    def _draw_name(
        self, painter: QPainter, opt: QStyleOptionViewItem, name: str, rect: QRect
    ) -> None:
        painter.setPen(self._text_color(opt))
        painter.setFont(opt.font)
        elided = opt.fontMetrics.elidedText(name, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided)

    def _draw_count(self, painter: QPainter, opt: QStyleOptionViewItem, text: str) -> QRect:
        """Draw `text` in a rounded pill at the right edge; return the pill's rectangle."""
        if not text:
            return QRect()
        metrics = opt.fontMetrics
        width = max(metrics.horizontalAdvance(text) + 12, metrics.height() + 4)
        height = metrics.height() + 2
        rect = QRect(0, 0, width, height)
        rect.moveCenter(opt.rect.center())
        rect.moveRight(opt.rect.right() - _PAD)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        fill = QColor(self._text_color(opt))
        fill.setAlpha(60 if selected else 28)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(self._text_color(opt))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        return rect

    def sizeHint(
        self, option: QStyleOptionViewItem, index: _Index
    ) -> QSize:  # QStyledItemDelegate.sizeHint
        size = super().sizeHint(option, index)
        return QSize(size.width() + 48, option.fontMetrics.height() + 12)
