"""`SpanDelegate`: paints the timeline bar of each span and dims rows shown only for context.

Bars are placed and scaled to the trace's first start and last end; the colour says the span
type, a red outline and a notch mark errors, and a hatched tail marks a span still running.
Long names lose their middle, so both the start and the end (often a number) stay readable.
A folded run's bar shows when its members ran (and where they failed); while the critical path
is shown, its bars are outlined and the other bars fade (the view marks its rows' left edge).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app.spans.colors import ERROR_COLOR, span_duration_text
from app.spans.folding import BUSY, FAILED, PROFILE_CELLS, RunSummary
from app.spans.model import (
    BAR_ROLE,
    CRITICAL_ROLE,
    FOLD_ROLE,
    MATCH_ROLE,
    SEARCH_ROLE,
    SPAN_ROLE,
    Column,
    SpanTreeModel,
)
from core.entities import Span

Index = QModelIndex | QPersistentModelIndex

_MARGIN_X = 6  # room at both ends of the track, so the first and last bars are not cut
_MIN_BAR = 2.0
_LABEL_GAP = 4
_ROW_PADDING = 6  # rows a little taller than the text, so bars and icons breathe
QUARTERS = (0.25, 0.5, 0.75)
_TYPE_TEXT_MIN = 64  # narrower than this, a Type cell shows only its swatch
_FADED = 0.35  # the opacity of bars off the critical path while it is shown
_IDLE_ALPHA = 70  # a folded run's bar where none of its members ran
_SEARCH_ALPHA = 80  # a search hit's row: the highlight colour, light enough to read on


def critical_color(palette: QPalette) -> QColor:
    """The critical path's mark: the text colour, so it stands out on every bar colour and in
    both themes (red stays for errors)."""
    return QColor(palette.color(QPalette.ColorRole.Text))


def critical_shown(index: Index) -> bool:
    """Whether the model of `index` marks a critical path now."""
    model = index.model()
    return isinstance(model, SpanTreeModel) and bool(model.critical_path)


def search_brush(palette: QPalette) -> QBrush:
    """The background of a search hit's row: the theme's highlight colour, faint, so the text
    reads on it and the selected row (the current match) still stands out."""
    color = QColor(palette.color(QPalette.ColorRole.Highlight))
    color.setAlpha(_SEARCH_ALPHA)
    return QBrush(color)


def timeline_track(rect: QRect) -> QRect:
    """The part of a Timeline cell (or header section) that maps the trace's time span."""
    return rect.adjusted(_MARGIN_X, 0, -_MARGIN_X, 0)


def track_x(track: QRect, fraction: float) -> int:
    """The x of `fraction` of the trace on `track`: grid lines and axis ticks share it."""
    return round(track.left() + track.width() * fraction)


def _text_margin(view: QWidget) -> int:
    """The gap the style leaves on each side of a cell's text (as QCommonStyle draws it)."""
    return view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1


def _text_rect(option: QStyleOptionViewItem, view: QWidget) -> QRect:
    """Where the style puts a cell's text, its margins included."""
    return view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, view)


class SpanDelegate(QStyledItemDelegate):
    """Default cells for text columns; a custom-painted bar for the Timeline column."""

    def initStyleOption(  # QStyledItemDelegate.initStyleOption
        self, option: QStyleOptionViewItem, index: Index
    ) -> None:
        super().initStyleOption(option, index)
        if index.column() == Column.NAME:
            # A folded run's label keeps its count and name: its end (the errors) may go.
            fold = isinstance(index.data(FOLD_ROLE), RunSummary)
            option.textElideMode = (
                Qt.TextElideMode.ElideRight if fold else Qt.TextElideMode.ElideMiddle
            )
        elif index.column() == Column.TYPE and 0 < option.rect.width() < _TYPE_TEXT_MIN:
            option.text = ""  # a narrowed Type column shows the colour alone, not "R…"
        if index.data(MATCH_ROLE) is False:  # an ancestor kept only so matches have context
            dim = option.palette.color(QPalette.ColorRole.PlaceholderText)
            option.palette.setColor(QPalette.ColorRole.Text, dim)
        if index.data(SEARCH_ROLE):  # found by the trace's search box
            option.backgroundBrush = search_brush(option.palette)

    def sizeHint(  # QStyledItemDelegate.sizeHint
        self, option: QStyleOptionViewItem, index: Index
    ) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width(), max(hint.height(), option.fontMetrics.height() + _ROW_PADDING))

    def name_chrome(self, view: QAbstractItemView) -> int:
        """Pixels of a Name cell that are not text: the error icon, its gap, the text margins."""
        option = QStyleOptionViewItem()
        view.initViewItemOption(option)
        option.features |= (
            QStyleOptionViewItem.ViewItemFeature.HasDecoration
            | QStyleOptionViewItem.ViewItemFeature.HasDisplay
        )
        option.rect = QRect(0, 0, 1000, option.fontMetrics.height() + _ROW_PADDING)
        option.text = "x"
        return 1000 - _text_rect(option, view).width() + 2 * _text_margin(view)

    def text_box(self, view: QAbstractItemView, index: Index) -> QRect:
        """Where the cell of `index` draws its text now (after indentation, icon and margins)."""
        margin = _text_margin(view)
        return _text_rect(self._cell_option(view, index), view).adjusted(margin, 0, -margin, 0)

    def shown_text(self, view: QAbstractItemView, index: Index) -> str:
        """The text of `index` as its cell shows it now: elided to fit its `text_box`."""
        option = self._cell_option(view, index)
        room = self.text_box(view, index).width()
        return option.fontMetrics.elidedText(option.text, option.textElideMode, room)

    def _cell_option(self, view: QAbstractItemView, index: Index) -> QStyleOptionViewItem:
        option = QStyleOptionViewItem()
        view.initViewItemOption(option)
        option.rect = view.visualRect(index)
        self.initStyleOption(option, index)
        return option

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
        track = timeline_track(option.rect).adjusted(0, 3, 0, -3)
        self._draw_grid(painter, option, track)
        if bar is not None:
            start, end, color, error = bar
            rect = self._bar_rect(track, start, end)
            critical = bool(index.data(CRITICAL_ROLE))
            if not critical and critical_shown(index):
                painter.setOpacity(_FADED)
            summary = index.data(FOLD_ROLE)
            if isinstance(summary, RunSummary):
                self._draw_run(painter, rect, QColor(color), summary)
            else:
                self._draw_bar(painter, rect, QColor(color), end is None, error)
            if error:
                self._draw_error_marker(painter, rect, track)
            painter.setOpacity(1.0)
            if critical:
                self._draw_critical_outline(painter, option, rect)
            span = index.data(SPAN_ROLE)
            if isinstance(span, Span):
                self._draw_label(painter, option, track, rect, span_duration_text(span.duration_ns))
            elif isinstance(summary, RunSummary):
                self._draw_label(painter, option, track, rect, span_duration_text(summary.wall_ns))
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
        for quarter in QUARTERS:
            x = track_x(track, quarter)
            painter.drawLine(x, top, x, bottom)

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

    def _draw_run(
        self, painter: QPainter, rect: QRectF, color: QColor, summary: RunSummary
    ) -> None:
        """A folded run: faint over its whole range, solid where a member ran, red where one
        that failed ran (its profile's cells merged into one rectangle per stretch)."""
        idle = QColor(color)
        idle.setAlpha(_IDLE_ALPHA)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(idle)
        radius = min(3.0, rect.width() / 2)
        painter.drawRoundedRect(rect, radius, radius)
        colors = {BUSY: color, FAILED: QColor(ERROR_COLOR)}
        cell = rect.width() / PROFILE_CELLS
        profile = summary.profile
        first = 0
        for position in range(1, PROFILE_CELLS + 1):
            if position < PROFILE_CELLS and profile[position] == profile[first]:
                continue
            state = profile[first]
            if state in colors:
                left = rect.left() + first * cell
                width = max((position - first) * cell, 1.0)
                painter.fillRect(QRectF(left, rect.top(), width, rect.height()), colors[state])
            first = position

    def _draw_critical_outline(
        self, painter: QPainter, option: QStyleOptionViewItem, rect: QRectF
    ) -> None:
        """A ring around the bar, a pixel off it, in the critical path's colour."""
        painter.setPen(QPen(critical_color(option.palette), 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        ring = rect.adjusted(-1.5, -1.5, 1.5, 1.5)
        radius = min(4.0, ring.width() / 2)
        painter.drawRoundedRect(ring, radius, radius)

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
        text: str,
    ) -> None:
        """The duration beside the bar: right of it when it fits, else left of it."""
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
