"""`ChipDelegate`: paints a cell's chips (aliases: `production`, `@champion`) as rounded labels.

A model gives a cell's chips as a list of texts under `CHIPS_ROLE`; cells without chips are
drawn as usual. The prompt list, a prompt's versions and an agent's versions use it. When the
chips do not all fit, the ones that do are drawn followed by a "+N" chip, and the cell's
tooltip lists them all (the model's own tooltip is shown when nothing is hidden).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QHelpEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

from app.formatting import rich_tooltip

#: The chips of a cell (list[str]), for `ChipDelegate`; above the roles the pages' models use.
CHIPS_ROLE = Qt.ItemDataRole.UserRole + 64
CHIP_PADDING = 6
CHIP_GAP = 4
#: (light, dark) fill and text of an alias chip.
CHIP_COLORS = {False: ("#e0e7ff", "#3730a3"), True: ("#312e81", "#e0e7ff")}
#: (light, dark) fill and text of the "+N" chip: grey, so it does not read as one more alias.
MORE_COLORS = {False: ("#e5e7eb", "#374151"), True: ("#374151", "#e5e7eb")}
#: The narrowest a chip cut short with "…" is drawn; below that only "+N" is.
MIN_ELIDED = 24

_Index = QModelIndex | QPersistentModelIndex


def _is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def chip_width(metrics: QFontMetrics, text: str) -> int:
    return metrics.horizontalAdvance(text) + 2 * CHIP_PADDING


def fit_chips(metrics: QFontMetrics, chips: list[str], width: int) -> list[str]:
    """The chip texts drawn in `width` pixels: all of them, or the first ones that fit beside
    a "+N" chip for the rest (the first cut short with "…" when even it does not fit)."""
    room = width - 2 * CHIP_GAP
    if sum(chip_width(metrics, c) + CHIP_GAP for c in chips) - CHIP_GAP <= room:
        return list(chips)
    shown: list[str] = []
    used = 0
    for number, chip in enumerate(chips):
        marker = chip_width(metrics, f"+{len(chips) - number - 1}") + CHIP_GAP
        needed = chip_width(metrics, chip) + CHIP_GAP
        if used + needed + marker > room:
            break
        shown.append(chip)
        used += needed
    if not shown:
        rest = len(chips) - 1
        marker = chip_width(metrics, f"+{rest}") + CHIP_GAP if rest else 0
        left = room - marker - 2 * CHIP_PADDING
        if left >= MIN_ELIDED:
            shown.append(metrics.elidedText(chips[0], Qt.TextElideMode.ElideRight, left))
    return shown


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
        width = sum(chip_width(metrics, c) + CHIP_GAP for c in chips)
        return QSize(max(size.width(), width + CHIP_GAP), max(size.height(), metrics.height() + 6))

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: _Index,
    ) -> bool:  # QStyledItemDelegate.helpEvent
        chips = index.data(CHIPS_ROLE) if index.isValid() else None
        if event is not None and event.type() == QEvent.Type.ToolTip and chips:
            shown = fit_chips(QFontMetrics(option.font), list(chips), option.rect.width())
            if shown != list(chips):  # some are hidden or cut short: list them all
                QToolTip.showText(event.globalPos(), rich_tooltip("\n".join(chips)), view)
                return True
        return super().helpEvent(event, view, option, index)

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
        dark = _is_dark(option.palette)
        metrics = QFontMetrics(option.font)
        rect = option.rect
        height = min(metrics.height() + 4, rect.height() - 2)
        top = rect.top() + (rect.height() - height) // 2
        left = rect.left() + CHIP_GAP
        shown = fit_chips(metrics, chips, rect.width())
        hidden = len(chips) - len(shown)
        drawn = [(c, CHIP_COLORS[dark]) for c in shown]
        drawn += [(f"+{hidden}", MORE_COLORS[dark])] if hidden else []
        for chip, (fill, text) in drawn:
            chip_rect = QRectF(left, top, chip_width(metrics, chip), height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(fill))
            painter.drawRoundedRect(chip_rect, height / 2, height / 2)
            painter.setPen(QColor(text))
            painter.drawText(chip_rect, Qt.AlignmentFlag.AlignCenter, chip)
            left += int(chip_rect.width()) + CHIP_GAP
