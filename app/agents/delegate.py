"""Paints a version's aliases as chips (`@champion`) in the versions table's Aliases column."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.agents.models import ALIASES_ROLE

_Index = QModelIndex | QPersistentModelIndex
_PAD = 6
_GAP = 4
CHIP_COLOR = QColor("#0f766e")


class AliasChipDelegate(QStyledItemDelegate):
    """One rounded chip per alias, left to right; what does not fit is elided into `+n`."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: _Index
    ) -> None:  # QStyledItemDelegate.paint
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:  # background, selection and focus, without the text
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        aliases = index.data(ALIASES_ROLE) or ()
        if aliases:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._draw_chips(painter, opt, aliases)
            painter.restore()

    def _draw_chips(
        self, painter: QPainter, opt: QStyleOptionViewItem, aliases: Sequence[str]
    ) -> None:
        x = opt.rect.left() + _PAD
        right = opt.rect.right() - _PAD
        for number, alias in enumerate(aliases):
            rect = self._chip_rect(opt, f"@{alias}", x)
            rest = len(aliases) - number - 1
            reserve = self._chip_rect(opt, f"+{rest}", 0).width() + _GAP if rest else 0
            if rect.right() + reserve > right:
                self._draw_chip(
                    painter, opt, self._chip_rect(opt, f"+{rest + 1}", x), f"+{rest + 1}"
                )
                return
            self._draw_chip(painter, opt, rect, f"@{alias}")
            x = rect.right() + _GAP

    def _chip_rect(self, opt: QStyleOptionViewItem, text: str, x: int) -> QRect:
        metrics = opt.fontMetrics
        rect = QRect(0, 0, metrics.horizontalAdvance(text) + 12, metrics.height() + 2)
        rect.moveCenter(opt.rect.center())
        rect.moveLeft(x)
        return rect

    def _draw_chip(
        self, painter: QPainter, opt: QStyleOptionViewItem, rect: QRect, text: str
    ) -> None:
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        base = opt.palette.color(QPalette.ColorRole.HighlightedText) if selected else CHIP_COLOR
        fill = QColor(base)
        fill.setAlpha(50 if selected else 32)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.setPen(base)
        painter.setFont(opt.font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: _Index
    ) -> QSize:  # QStyledItemDelegate.sizeHint
        aliases = index.data(ALIASES_ROLE) or ()
        metrics = option.fontMetrics
        width = sum(metrics.horizontalAdvance(f"@{a}") + 12 + _GAP for a in aliases) + 2 * _PAD
        return QSize(max(width, 60), metrics.height() + 10)
