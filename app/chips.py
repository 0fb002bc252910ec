"""`ChipDelegate`: paints a cell's chips (aliases: `production`, `@champion`) as rounded labels.

A model gives a cell's chips as a list of texts under `CHIPS_ROLE`; cells without chips are
drawn as usual. The prompt list, a prompt's versions and an agent's versions use it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

#: The chips of a cell (list[str]), for `ChipDelegate`; above the roles the pages' models use.
CHIPS_ROLE = Qt.ItemDataRole.UserRole + 64
CHIP_PADDING = 6
CHIP_GAP = 4
#: (light, dark) fill and text of an alias chip.
CHIP_COLORS = {False: ("#e0e7ff", "#3730a3"), True: ("#312e81", "#e0e7ff")}

_Index = QModelIndex | QPersistentModelIndex


def _is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


class ChipDelegate(QStyledItemDelegate):
    """Cells with chips get them painted; other cells are drawn as usual."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: _Index
    ) -> None:  # QStyledItemDelegate.paint
        chips = index.data(CHIPS_ROLE)
        if not chips:
            super().paint(painter, option, index)
            return
        self._draw_background(painter, option, index)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._draw_chips(painter, option, list(chips))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:  # QStyledItemDelegate
        size = super().sizeHint(option, index)
        chips = index.data(CHIPS_ROLE)
        if not chips:
            return size
        metrics = QFontMetrics(option.font)
        width = sum(metrics.horizontalAdvance(c) + 2 * CHIP_PADDING + CHIP_GAP for c in chips)
        return QSize(max(size.width(), width + CHIP_GAP), max(size.height(), metrics.height() + 6))

    def _draw_background(
        self, painter: QPainter, option: QStyleOptionViewItem, index: _Index
    ) -> None:
        """The selection and hover background, without the cell's text."""
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        style = option.widget.style() if option.widget is not None else None
        if style is not None:
            style.drawControl(
                QStyle.ControlElement.CE_ItemViewItem, background, painter, option.widget
            )

    def _draw_chips(
        self, painter: QPainter, option: QStyleOptionViewItem, chips: list[str]
    ) -> None:
        fill, text = CHIP_COLORS[_is_dark(option.palette)]
        metrics = QFontMetrics(option.font)
        rect = option.rect
        height = min(metrics.height() + 4, rect.height() - 2)
        top = rect.top() + (rect.height() - height) // 2
        left = rect.left() + CHIP_GAP
        for number, chip in enumerate(chips):
            width = metrics.horizontalAdvance(chip) + 2 * CHIP_PADDING
            if left + width > rect.right():  # no room: say how many more there are
                painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
                more = QRect(left, top, rect.right() - left, height)
                painter.drawText(more, Qt.AlignmentFlag.AlignVCenter, f"+{len(chips) - number}")
                return
            chip_rect = QRectF(left, top, width, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(fill))
            painter.drawRoundedRect(chip_rect, height / 2, height / 2)
            painter.setPen(QColor(text))
            painter.drawText(chip_rect, Qt.AlignmentFlag.AlignCenter, chip)
            left += width + CHIP_GAP
