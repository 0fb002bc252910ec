"""Painting the flame view: the time axis, the rows of span rectangles, merged slivers, the
selection and the critical path.

Only what is on screen is drawn: each visible row asks its layout for the spans in the time
window (`row_pieces`), rectangles of one colour go to the painter in one call, and a name is
drawn only where it fits. `FlameGeometry` maps times and rows to pixels for painting and for
hit-testing alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QPen

from app.spans.colors import ERROR_COLOR, text_on
from app.spans.flame_layout import (
    FlameLayout,
    FlameRow,
    Ints,
    Pieces,
    row_pieces,
    tick_step,
    tick_text,
    ticks,
)

Mask = npt.NDArray[np.bool_]

MARGIN_X = 6  # room at both ends of the chart, so the first and last spans are not cut
_GAP = 1  # pixels between a row's rectangles and the next row
_TEXT_PAD = 4
_TICK = 4
#: The height of the mark under a span the trace search found.
_HIT_BAR = 4.0
_DIM_MIX = 0.6  # how far a span off the critical path fades towards the background
_SLIVER = "#94a3b8"  # merged spans: a neutral slate that reads on light and dark


@dataclass(frozen=True)
class FlameGeometry:
    """Where the axis and the rows are, and which times and rows they show."""

    axis: QRect
    chart: QRect
    t0: float
    t1: float
    scroll_y: int
    row_height: int

    @property
    def left(self) -> float:
        return float(self.chart.left() + MARGIN_X)

    @property
    def scale(self) -> float:
        """Pixels per nanosecond."""
        return max(self.chart.width() - 2 * MARGIN_X, 1) / max(self.t1 - self.t0, 1e-9)

    def x_of(self, t: float) -> float:
        return self.left + (t - self.t0) * self.scale

    def t_of(self, x: float) -> float:
        return self.t0 + (x - self.left) / self.scale

    def row_at(self, y: float) -> int:
        """The row under `y` (widget coordinates); -1 above the rows."""
        inside = y - self.chart.top() + self.scroll_y
        return int(inside // self.row_height) if inside >= 0 else -1

    def row_top(self, row: int) -> int:
        return self.chart.top() + row * self.row_height - self.scroll_y

    def visible_rows(self, count: int) -> range:
        first = max(self.scroll_y // self.row_height, 0)
        last = min((self.scroll_y + self.chart.height()) // self.row_height + 1, count)
        return range(first, last)


@dataclass
class PaintStats:
    """What the last paint drew (for tests and the bench): rectangles, merged slivers, and
    the marks under spans the trace search found."""

    rects: int = 0
    slivers: int = 0
    sliver_spans: int = 0
    hits: int = 0


@lru_cache(maxsize=256)
def qcolor(hex_color: str) -> QColor:
    return QColor(hex_color)


def mixed(color: str, background: str, amount: float) -> str:
    """`color` moved `amount` of the way towards `background` (both `#rrggbb`)."""
    a, b = qcolor(color), qcolor(background)
    parts = (
        round(x + (y - x) * amount)
        for x, y in ((a.red(), b.red()), (a.green(), b.green()), (a.blue(), b.blue()))
    )
    return "#{:02x}{:02x}{:02x}".format(*parts)


def critical_color(palette: QPalette) -> QColor:
    """The critical path's outline: the text colour, which no span type uses."""
    return palette.color(QPalette.ColorRole.Text)


class FlamePainter:
    """One paint of the flame view (make one per `paintEvent`)."""

    def __init__(
        self,
        painter: QPainter,
        layout: FlameLayout,
        geometry: FlameGeometry,
        palette: QPalette,
        metrics: QFontMetrics,
    ) -> None:
        self.painter = painter
        self.layout = layout
        self.geo = geometry
        self.palette = palette
        self.metrics = metrics
        self.base = palette.color(QPalette.ColorRole.Base).name()
        self.stats = PaintStats()
        self._min_text = metrics.horizontalAdvance("Ww…") + 2 * _TEXT_PAD

    def paint(
        self, selected: int | None, critical: Mask | None, hits: Mask | None = None
    ) -> PaintStats:
        """Everything, for `selected` (a node), the critical path (`critical[node]` is True on
        it; None when it is not shown) and the trace search's matches (`hits`, marked with a
        bar in the highlight colour under each)."""
        painter, geo = self.painter, self.geo
        painter.fillRect(geo.chart, self.palette.color(QPalette.ColorRole.Base))
        step = self._step()
        painter.save()
        painter.setClipRect(geo.chart)
        self._draw_grid(step)
        for row in geo.visible_rows(len(self.layout.rows)):
            self._draw_row(row, critical, hits)
        self._draw_selection(selected)
        painter.restore()
        self._draw_axis(step)
        return self.stats

    # -- axis -------------------------------------------------------------------------------

    def _step(self) -> float:
        """A 1-2-5 step whose labels do not touch (measured on the longest label there is)."""
        geo = self.geo
        width = max(geo.chart.width() - 2 * MARGIN_X, 1)
        step = tick_step(geo.t1 - geo.t0, width, 60)
        widest = self.metrics.horizontalAdvance(tick_text(geo.t1, step, geo.t1) + "00")
        return tick_step(geo.t1 - geo.t0, width, widest + 16)

    def _draw_grid(self, step: float) -> None:
        line = QColor(self.palette.color(QPalette.ColorRole.Text))
        line.setAlpha(28)
        self.painter.setPen(QPen(line, 1))
        top, bottom = self.geo.chart.top(), self.geo.chart.bottom()
        for t in ticks(self.geo.t0, self.geo.t1, step):
            x = round(self.geo.x_of(t))
            self.painter.drawLine(x, top, x, bottom)

    def _draw_axis(self, step: float) -> None:
        painter, geo = self.painter, self.geo
        painter.fillRect(geo.axis, self.palette.color(QPalette.ColorRole.Window))
        text = self.palette.color(QPalette.ColorRole.WindowText)
        rule = QColor(self.palette.color(QPalette.ColorRole.Mid))
        painter.setPen(rule)
        painter.drawLine(geo.axis.left(), geo.axis.bottom(), geo.axis.right(), geo.axis.bottom())
        bottom = geo.axis.bottom()
        free = geo.axis.left()  # labels go right of their tick; one that does not fit is left out
        for t in ticks(geo.t0, geo.t1, step):
            x = round(geo.x_of(t))
            painter.setPen(rule)
            painter.drawLine(x, bottom - _TICK, x, bottom)
            label = tick_text(t, step, geo.t1)
            width = self.metrics.horizontalAdvance(label)
            left = x + 3
            if left + width > geo.axis.right() - 2:
                left = x - 3 - width  # the last one may sit left of its tick
            if left < free:
                continue
            painter.setPen(text)
            box = QRect(left, geo.axis.top(), width + 1, geo.axis.height() - _TICK)
            painter.drawText(box, int(Qt.AlignmentFlag.AlignVCenter), label)
            free = left + width + 12

    # -- rows -------------------------------------------------------------------------------

    def _draw_row(self, row_number: int, critical: Mask | None, hits: Mask | None) -> None:
        """The row's spans on screen, one painter call per colour: in numpy up to the
        rectangles themselves, so a row of hundreds of spans costs little Python."""
        row = self.layout.rows[row_number]
        geo = self.geo
        top, height = float(geo.row_top(row_number)), float(geo.row_height - _GAP)
        pieces = row_pieces(row, geo.t0, geo.t1, geo.left, geo.scale)
        nodes = row.nodes[pieces.wide]
        left = np.maximum(pieces.x0, geo.chart.left() - 2.0)  # a name stays on screen
        width = np.minimum(pieces.x1, geo.chart.right() + 2.0) - left
        width = np.maximum(np.where(width >= 3, width - _GAP, width), 1.0)
        keys = self._keys(nodes, critical)
        by_color: dict[str, list[QRectF]] = {}
        labels: list[tuple[QRectF, str, str]] = []
        spans = self.layout.tree.spans
        for key in np.unique(keys).tolist():
            chosen = np.flatnonzero(keys == key)
            color = self._key_color(key)
            xs, ws = left[chosen].tolist(), width[chosen].tolist()
            by_color.setdefault(color, []).extend(
                QRectF(x, top, w, height) for x, w in zip(xs, ws, strict=True)
            )
            for i in chosen[width[chosen] >= self._min_text].tolist():
                rect = QRectF(float(left[i]), top, float(width[i]), height)
                labels.append((rect, spans[int(nodes[i])].name or "(unnamed)", color))
        self._add_slivers(row, pieces, top, height, critical, by_color, labels)
        self.painter.setPen(Qt.PenStyle.NoPen)
        for color, rects in by_color.items():
            self.painter.setBrush(qcolor(color))
            self.painter.drawRects(rects)
            self.stats.rects += len(rects)
        if critical is not None:
            on = np.flatnonzero(critical[nodes]).tolist()
            self._draw_outlines([QRectF(left[i], top, width[i], height) for i in on])
        self._draw_labels(labels)
        if hits is not None:
            found = np.flatnonzero(hits[nodes]).tolist()
            marks = [QRectF(left[i], top + height - _HIT_BAR, width[i], _HIT_BAR) for i in found]
            self._draw_hits(marks)

    def _keys(self, nodes: Ints, critical: Mask | None) -> Ints:
        """Each node's colour key: its colour's index, plus the number of colours when the
        critical path is shown and the node is off it (its faded colour)."""
        keys = self.layout.color_of[nodes]
        if critical is None:
            return keys
        return keys + len(self.layout.colors) * (~critical[nodes]).astype(np.int64)

    def _key_color(self, key: int) -> str:
        colors = self.layout.colors
        color = colors[key % len(colors)]
        return color if key < len(colors) else mixed(color, self.base, _DIM_MIX)

    def _add_slivers(
        self,
        row: FlameRow,
        pieces: Pieces,
        top: float,
        height: float,
        critical: Mask | None,
        by_color: dict[str, list[QRectF]],
        labels: list[tuple[QRectF, str, str]],
    ) -> None:
        """Spans too thin to draw: alone, a thin line in its colour; touching others, one grey
        sliver that says how many spans it stands for (and a red foot if some failed)."""
        sliver = mixed(_SLIVER, self.base, 0.35 if qcolor(self.base).lightnessF() < 0.5 else 0.15)
        for x0, x1, count, first, errors in zip(
            pieces.sliver_x0.tolist(),
            pieces.sliver_x1.tolist(),
            pieces.sliver_count.tolist(),
            pieces.sliver_first.tolist(),
            pieces.sliver_errors.tolist(),
            strict=True,
        ):
            rect = QRectF(x0, top, max(x1 - x0 - (_GAP if x1 - x0 >= 3 else 0), 1.0), height)
            if count == 1:
                key = int(self._keys(row.nodes[first : first + 1], critical)[0])
                by_color.setdefault(self._key_color(key), []).append(rect)
                continue
            by_color.setdefault(sliver, []).append(rect)
            if errors:
                foot = QRectF(rect.left(), rect.bottom() - 2, rect.width(), 3)
                by_color.setdefault(ERROR_COLOR, []).append(foot)
            self.stats.slivers += 1
            self.stats.sliver_spans += count
            if rect.width() >= self._min_text:
                failed = f" · {errors:,} failed" if errors else ""
                labels.append((rect, f"{count:,} spans{failed}", sliver))

    def _draw_outlines(self, rects: list[QRectF]) -> None:
        if not rects:
            return
        self.painter.setBrush(Qt.BrushStyle.NoBrush)
        self.painter.setPen(QPen(critical_color(self.palette), 1))
        self.painter.drawRects([r.adjusted(0.5, 0.5, -0.5, -0.5) for r in rects])

    def _draw_hits(self, marks: list[QRectF]) -> None:
        if not marks:
            return
        self.painter.setPen(Qt.PenStyle.NoPen)
        self.painter.setBrush(self.palette.color(QPalette.ColorRole.Highlight))
        self.painter.drawRects(marks)
        self.stats.hits += len(marks)

    def _draw_labels(self, labels: list[tuple[QRectF, str, str]]) -> None:
        painter, metrics = self.painter, self.metrics
        for rect, text, color in labels:
            inner = rect.adjusted(_TEXT_PAD, 0, -_TEXT_PAD, 0)
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(inner.width()))
            painter.setPen(qcolor(text_on(color)))
            painter.drawText(inner, int(Qt.AlignmentFlag.AlignVCenter), shown)

    def _draw_selection(self, selected: int | None) -> None:
        """The selected span framed in the highlight colour, at least a few pixels wide."""
        if selected is None:
            return
        row = int(self.layout.row_of[selected])
        if row not in self.geo.visible_rows(len(self.layout.rows)):
            return
        start, end = self.layout.span_range(selected)
        x0, x1 = self.geo.x_of(start), self.geo.x_of(end)
        if x1 < self.geo.chart.left() or x0 > self.geo.chart.right():
            return
        x0 = max(x0, self.geo.chart.left() - 3.0)
        x1 = min(x1, self.geo.chart.right() + 3.0)
        middle = (x0 + x1) / 2
        x0, x1 = min(x0, middle - 2), max(x1, middle + 2)
        top = self.geo.row_top(row)
        rect = QRectF(QPointF(x0, top), QPointF(x1, top + self.geo.row_height - _GAP))
        # A ring in the text colour around a gap of background: it shows on any span colour.
        self.painter.setBrush(Qt.BrushStyle.NoBrush)
        self.painter.setPen(QPen(qcolor(self.base), 2))
        self.painter.drawRect(rect.adjusted(-1, -1, 1, 1))
        self.painter.setPen(QPen(self.palette.color(QPalette.ColorRole.Text), 2))
        self.painter.drawRect(rect.adjusted(-3, -3, 3, 3))
