"""Painting evaluation cells: pass/fail pills in the grid, word diffs in the comparison.

`ScoreDelegate` paints a pass or fail value as a rounded pill (green or red, white text); every
other cell is painted the standard way (numbers right-aligned, errors with their warning icon
in red, from the model's roles). `DiffDelegate` paints a cell's `HTML_ROLE` rich text (a word
diff the model escaped) on one line, clipped to the cell.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QRectF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QIcon,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.evaluations.look import DISPLAY, HTML_ROLE, KIND_ROLE, PILL_COLOURS

_Index = QModelIndex | QPersistentModelIndex
MARGIN = 4
PILL_PADDING = 7
CACHE_SIZE = 256


def _draw_background(
    delegate: QStyledItemDelegate, painter: QPainter, option: QStyleOptionViewItem, index: _Index
) -> QStyleOptionViewItem:
    """The item's panel (selection, alternate row colour, focus) without its text."""
    panel = QStyleOptionViewItem(option)
    delegate.initStyleOption(panel, index)
    panel.text = ""
    panel.icon = QIcon()
    widget = option.widget
    style = widget.style() if widget is not None else QApplication.style()
    style.drawControl(QStyle.ControlElement.CE_ItemViewItem, panel, painter, widget)
    return panel


class ScoreDelegate(QStyledItemDelegate):
    """Pills for pass/fail cells; the standard look for the rest."""

    def paint(  # QStyledItemDelegate.paint
        self, painter: QPainter, option: QStyleOptionViewItem, index: _Index
    ) -> None:
        color = PILL_COLOURS.get(str(index.data(KIND_ROLE)))
        if color is None:
            super().paint(painter, option, index)
            return
        _draw_background(self, painter, option, index)
        self._draw_pill(painter, option, str(index.data(DISPLAY) or ""), QColor(color))

    def _draw_pill(
        self, painter: QPainter, option: QStyleOptionViewItem, text: str, color: QColor
    ) -> None:
        rect: QRect = option.rect
        metrics = option.fontMetrics
        room = max(rect.width() - 2 * MARGIN - 2 * PILL_PADDING, 0)
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
        width = min(metrics.horizontalAdvance(shown) + 2 * PILL_PADDING, rect.width() - 2 * MARGIN)
        height = min(metrics.height() + 2, rect.height() - 2)
        pill = QRect(rect.left() + MARGIN, rect.center().y() - height // 2, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(QRectF(pill), height / 2.5, height / 2.5)
        painter.setPen(QColor("white"))
        painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), shown)
        painter.restore()


class DiffDelegate(QStyledItemDelegate):
    """One line of escaped rich text per cell (the word diff of two outputs)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._documents: OrderedDict[str, QTextDocument] = OrderedDict()

    def paint(  # QStyledItemDelegate.paint
        self, painter: QPainter, option: QStyleOptionViewItem, index: _Index
    ) -> None:
        html = index.data(HTML_ROLE)
        if not html:
            super().paint(painter, option, index)
            return
        panel = _draw_background(self, painter, option, index)
        self._draw_html(painter, panel, str(html))

    def _draw_html(self, painter: QPainter, option: QStyleOptionViewItem, html: str) -> None:
        document = self._document(html, option)
        rect: QRect = option.rect
        area = rect.adjusted(MARGIN, 0, -MARGIN, 0)
        top = area.top() + max(0.0, (area.height() - document.size().height()) / 2)
        context = QAbstractTextDocumentLayout.PaintContext()
        palette = QPalette(option.palette)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        palette.setColor(QPalette.ColorRole.Text, palette.color(role))
        context.palette = palette
        context.clip = QRectF(0, 0, area.width(), area.height())
        painter.save()
        painter.setClipRect(area)
        painter.translate(area.left(), top)
        document.documentLayout().draw(painter, context)
        painter.restore()

    def _document(self, html: str, option: QStyleOptionViewItem) -> QTextDocument:
        document = self._documents.pop(html, None)
        if document is None:
            document = QTextDocument()
            document.setDocumentMargin(0)
            document.setDefaultFont(option.font)
            document.setHtml(html)
        self._documents[html] = document
        while len(self._documents) > CACHE_SIZE:
            self._documents.popitem(last=False)
        return document
