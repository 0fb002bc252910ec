"""`FlameView`: an icicle chart of one trace — time across, one row per depth (the root on
top), each span a rectangle in its type's colour.

Mouse: the wheel zooms around the pointer, Shift+wheel (or a sideways wheel) and dragging pan,
a click selects a span, a double click zooms to it. Keys: + (or =) and - zoom, 0 fits the
trace, ← → ↑ ↓ move the selection to the previous or next sibling, the parent or the first
child, Shift+← → pan, Shift+↑ ↓ scroll, Enter opens the selected span. The layout is built once
per tree (`build_flame_layout`); a paint only touches the spans on screen.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QScrollBar, QToolTip, QWidget

from app.formatting import rich_tooltip
from app.spans.colors import span_duration_text
from app.spans.flame_layout import FlameLayout, build_flame_layout, row_pieces
from app.spans.flame_paint import FlameGeometry, FlamePainter, Mask, PaintStats
from app.spans.tree import NO_PARENT, SpanTree, is_error, span_type_of
from app.theme import follow_palette

HINT = (
    "Wheel: zoom · Shift+wheel or drag: pan · Double-click: zoom to a span · 0: fit · "
    "Arrows: parent, child and siblings"
)
ZOOM_STEP = 1.25  # one + or - key press; a wheel notch zooms a little less
PAN_STEP = 0.2  # of the window, per Shift+← / →
MIN_WINDOW_NS = 50.0  # the deepest zoom: 50 ns across the chart
SLACK_PX = 3.0  # how far from a thin span a click still hits it
_SCROLL_STEPS = 1_000_000  # the horizontal scroll bar's range over the whole trace


class FlameView(QWidget):
    """The flame (icicle) chart of one `SpanTree`; `span_selected(node)` on a click or key."""

    span_selected = Signal(int)  # a node of the tree shown
    view_changed = Signal()  # zoomed, panned or scrolled

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("flameView")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._layout: FlameLayout | None = None
        self._t0, self._t1 = 0.0, 1.0
        self._scroll_y = 0
        self._selected: int | None = None
        self._critical: frozenset[int] = frozenset()
        self._critical_mask: Mask | None = None  # the same as a per-node mask, for painting
        self._hits: frozenset[int] = frozenset()  # the trace search's matches, marked
        self._hits_mask: Mask | None = None
        self._press: tuple[QPointF, float, int] | None = None  # position, t0, scroll_y
        self._dragged = False
        #: Said in the middle when there is no chart ("Laying out 100,000 spans…").
        self.placeholder = ""
        self.stats = PaintStats()  # what the last paint drew
        self.paints = 0  # how many times the chart was painted (tests see a repaint happen)
        self._vbar = QScrollBar(Qt.Orientation.Vertical, self)
        self._hbar = QScrollBar(Qt.Orientation.Horizontal, self)
        self._vbar.valueChanged.connect(self._scrolled)
        self._hbar.valueChanged.connect(self._panned_by_bar)
        self._vbar.hide()
        self._hbar.hide()
        follow_palette(self, self.update)

    # -- what is shown ----------------------------------------------------------------------

    @property
    def flame_layout(self) -> FlameLayout | None:
        return self._layout

    @property
    def tree(self) -> SpanTree | None:
        return self._layout.tree if self._layout is not None else None

    def set_tree(self, tree: SpanTree | None) -> None:
        """Lay out `tree` here and now (small trees; big ones go through `show_layout`)."""
        self.show_layout(build_flame_layout(tree) if tree is not None else None)

    def show_layout(self, layout: FlameLayout | None) -> None:
        """Show a prepared layout (or nothing), fitted to the width, nothing selected."""
        self._layout = layout
        self._selected = None
        self._critical = frozenset()
        self._critical_mask = None
        self._hits_mask = self._mask(self._hits)  # the search outlives a switch of tabs
        self._scroll_y = 0
        self._t0, self._t1 = 0.0, layout.duration_ns if layout is not None else 1.0
        self._update_bars()
        self.update()
        self.view_changed.emit()

    @property
    def selected_node(self) -> int | None:
        return self._selected

    def select_node(self, node: int | None) -> None:
        """Highlight `node` (no signal), bringing it into view when it is off screen."""
        if self._layout is None or node is None or not 0 <= node < len(self._layout.row_of):
            node = None
        self._selected = node
        if node is not None:
            self._reveal(node)
        self.update()

    @property
    def critical_path(self) -> frozenset[int]:
        return self._critical

    def set_critical_path(self, nodes: frozenset[int]) -> None:
        """Outline `nodes` and fade the other spans; an empty set turns the highlight off."""
        self._critical = frozenset(nodes)
        self._critical_mask = self._mask(self._critical)
        self.update()

    @property
    def search_hits(self) -> frozenset[int]:
        return self._hits

    def set_search_hits(self, nodes: frozenset[int]) -> None:
        """Mark the spans the trace search found (an empty set: no search)."""
        self._hits = frozenset(nodes)
        self._hits_mask = self._mask(self._hits)
        self.update()

    def _mask(self, nodes: frozenset[int]) -> Mask | None:
        """`nodes` as a per-node mask of the layout shown (None when empty or none shown)."""
        if not nodes or self._layout is None:
            return None
        count = len(self._layout.row_of)
        mask = np.zeros(count, dtype=np.bool_)
        inside = [node for node in nodes if 0 <= node < count]
        mask[np.fromiter(inside, dtype=np.int64, count=len(inside))] = True
        return mask

    # -- zoom and pan -----------------------------------------------------------------------

    def visible_range(self) -> tuple[float, float]:
        """The time window shown, in ns from the trace's start."""
        return self._t0, self._t1

    @property
    def zoom(self) -> float:
        """How many times the trace's length is wider than the window (1: all of it)."""
        duration = self._layout.duration_ns if self._layout is not None else 1.0
        return duration / max(self._t1 - self._t0, 1e-9)

    def set_window(self, t0: float, t1: float) -> None:
        """Show `t0`..`t1` (clamped to the trace and to the deepest zoom)."""
        duration = self._layout.duration_ns if self._layout is not None else 1.0
        width = min(max(t1 - t0, min(MIN_WINDOW_NS, duration)), duration)
        start = min(max(t0, 0.0), duration - width)
        if (start, start + width) == (self._t0, self._t1):
            return
        self._t0, self._t1 = start, start + width
        self._update_bars()
        self.update()
        self.view_changed.emit()

    def zoom_by(self, factor: float, around: float | None = None) -> None:
        """Zoom in (`factor` > 1) or out, keeping time `around` (default: the middle) in place."""
        t0, t1 = self._t0, self._t1
        pivot = (t0 + t1) / 2 if around is None else around
        self.set_window(pivot - (pivot - t0) / factor, pivot + (t1 - pivot) / factor)

    def pan_by(self, fraction: float) -> None:
        """Move the window by `fraction` of its width (negative: earlier)."""
        shift = (self._t1 - self._t0) * fraction
        self.set_window(self._t0 + shift, self._t1 + shift)

    def reset_zoom(self) -> None:
        if self._layout is not None:
            self.set_window(0.0, self._layout.duration_ns)

    def zoom_to_node(self, node: int) -> None:
        """Fit the span of `node` to the width, with a little room on both sides."""
        if self._layout is None:
            return
        start, end = self._layout.span_range(node)
        self._zoom_to(start, end)

    def _zoom_to(self, start: float, end: float) -> None:
        room = max(end - start, MIN_WINDOW_NS) * 0.05
        self.set_window(start - room, end + room)

    def scroll_rows_by(self, pixels: int) -> None:
        self._vbar.setValue(self._vbar.value() + pixels)

    # -- geometry and hit-testing -----------------------------------------------------------

    def row_height(self) -> int:
        return self.fontMetrics().height() + 6

    def axis_height(self) -> int:
        return self.fontMetrics().height() + 10

    def geometry_now(self) -> FlameGeometry:
        """The axis and chart rectangles for the widget's size and the scroll bars shown."""
        right = self.width() - (self._vbar.sizeHint().width() if self._vbar.isVisible() else 0)
        bottom = self.height() - (self._hbar.sizeHint().height() if self._hbar.isVisible() else 0)
        axis = QRect(0, 0, right, self.axis_height())
        chart = QRect(0, axis.bottom() + 1, right, max(bottom - axis.height(), 0))
        return FlameGeometry(axis, chart, self._t0, self._t1, self._scroll_y, self.row_height())

    def node_at(self, pos: QPoint | QPointF) -> int | None:
        """The span drawn at `pos` (or within a few pixels of a thin one), if any."""
        if self._layout is None:
            return None
        geo = self.geometry_now()
        if not geo.chart.contains(QPointF(pos).toPoint()):
            return None
        slack = SLACK_PX / geo.scale
        return self._layout.node_at(geo.row_at(pos.y()), geo.t_of(pos.x()), slack)

    def sliver_at(self, pos: QPoint | QPointF) -> tuple[float, float, int, int] | None:
        """(start, end, spans, failed) of the merged sliver at `pos`: spans too thin to draw
        alone."""
        if self._layout is None:
            return None
        geo = self.geometry_now()
        row = geo.row_at(pos.y())
        if not geo.chart.contains(QPointF(pos).toPoint()) or not 0 <= row < len(self._layout.rows):
            return None
        pieces = row_pieces(self._layout.rows[row], geo.t0, geo.t1, geo.left, geo.scale)
        for x0, x1, count, errors in zip(
            pieces.sliver_x0.tolist(),
            pieces.sliver_x1.tolist(),
            pieces.sliver_count.tolist(),
            pieces.sliver_errors.tolist(),
            strict=True,
        ):
            if count > 1 and x0 - 1 <= pos.x() <= x1 + 1:
                return geo.t_of(x0), geo.t_of(x1), count, errors
        return None

    def rect_of(self, node: int) -> QRectF | None:
        """Where `node` is drawn (unclipped), or None when its row is scrolled away."""
        if self._layout is None:
            return None
        geo = self.geometry_now()
        row = int(self._layout.row_of[node])
        if row not in geo.visible_rows(len(self._layout.rows)):
            return None
        start, end = self._layout.span_range(node)
        top = geo.row_top(row)
        return QRectF(geo.x_of(start), top, geo.x_of(end) - geo.x_of(start), geo.row_height - 1)

    def _reveal(self, node: int) -> None:
        """Pan (zoom out if it is wider than the window) and scroll until `node` shows."""
        assert self._layout is not None
        start, end = self._layout.span_range(node)
        geo = self.geometry_now()
        shown = min(end, self._t1) - max(start, self._t0)
        if shown * geo.scale < 2 and not self._t0 <= start <= self._t1:
            width = self._t1 - self._t0
            if end - start > width:
                self._zoom_to(start, end)
            else:
                middle = (start + end) / 2
                self.set_window(middle - width / 2, middle + width / 2)
        top = int(self._layout.row_of[node]) * geo.row_height
        if top < self._scroll_y:
            self._vbar.setValue(top)
        elif top + geo.row_height > self._scroll_y + geo.chart.height():
            self._vbar.setValue(top + geo.row_height - geo.chart.height())

    # -- scroll bars ------------------------------------------------------------------------

    def _update_bars(self) -> None:
        """Show the bars that are needed, place them, and sync them with the window."""
        layout = self._layout
        duration = layout.duration_ns if layout is not None else 1.0
        zoomed = layout is not None and self._t1 - self._t0 < duration * 0.999
        self._hbar.setVisible(zoomed)
        hbar_height = self._hbar.sizeHint().height() if zoomed else 0
        chart_height = self.height() - self.axis_height() - hbar_height
        content = len(layout.rows) * self.row_height() if layout is not None else 0
        self._vbar.setVisible(content > chart_height > 0)
        vbar_width = self._vbar.sizeHint().width() if self._vbar.isVisible() else 0
        self._vbar.setGeometry(
            self.width() - vbar_width, self.axis_height(), vbar_width, max(chart_height, 0)
        )
        self._hbar.setGeometry(
            0, self.height() - hbar_height, self.width() - vbar_width, hbar_height
        )
        self._vbar.blockSignals(True)
        self._vbar.setRange(0, max(content - chart_height, 0))
        self._vbar.setPageStep(max(chart_height, 1))
        self._vbar.setSingleStep(self.row_height())
        self._scroll_y = min(self._scroll_y, self._vbar.maximum())
        self._vbar.setValue(self._scroll_y)
        self._vbar.blockSignals(False)
        page = max(round((self._t1 - self._t0) / duration * _SCROLL_STEPS), 1)
        self._hbar.blockSignals(True)
        self._hbar.setRange(0, _SCROLL_STEPS - page)
        self._hbar.setPageStep(page)
        self._hbar.setSingleStep(max(page // 10, 1))
        self._hbar.setValue(round(self._t0 / duration * _SCROLL_STEPS))
        self._hbar.blockSignals(False)

    def _scrolled(self, value: int) -> None:
        self._scroll_y = value
        self.update()
        self.view_changed.emit()

    def _panned_by_bar(self, value: int) -> None:
        if self._layout is not None:
            width = self._t1 - self._t0
            start = value / _SCROLL_STEPS * self._layout.duration_ns
            self.set_window(start, start + width)

    # -- Qt events --------------------------------------------------------------------------

    def sizeHint(self) -> QSize:  # QWidget.sizeHint
        return QSize(480, 320)

    def resizeEvent(self, event: QResizeEvent) -> None:  # QWidget.resizeEvent
        super().resizeEvent(event)
        self._update_bars()

    def paintEvent(self, event: QPaintEvent) -> None:  # QWidget.paintEvent
        self.paints += 1
        painter = QPainter(self)
        palette = self.palette()
        if self._layout is None or not self._layout.rows:
            painter.fillRect(self.rect(), palette.base())
            painter.setPen(palette.placeholderText().color())
            text = self.placeholder if self._layout is None else "This trace has no spans."
            flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
            painter.drawText(self.rect().adjusted(16, 24, -16, -16), int(flags), text)
            self.stats = PaintStats()
            return
        painter.setFont(self.font())
        flame = FlamePainter(
            painter, self._layout, self.geometry_now(), palette, self.fontMetrics()
        )
        self.stats = flame.paint(self._selected, self._critical_mask, self._hits_mask)

    def event(self, event: QEvent) -> bool:  # QWidget.event
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def tooltip_at(self, pos: QPoint) -> str:
        """The span under `pos` (name, type, duration, status), a sliver's count, or the hint."""
        if self._layout is None:
            return ""
        sliver = self.sliver_at(pos)
        if sliver is not None:
            failed = f" ({sliver[3]:,} failed)" if sliver[3] else ""
            return rich_tooltip(
                f"{sliver[2]:,} spans{failed}, each too thin to draw at this zoom.\n"
                "Double-click or zoom in (wheel, +) to see them."
            )
        node = self.node_at(pos)
        if node is None:
            return rich_tooltip(HINT) if self.geometry_now().chart.contains(pos) else ""
        tree = self._layout.tree
        span = tree.spans[node]
        offset = span_duration_text(span.start_time_ns - tree.start_ns)
        lines = [
            span.name or "(unnamed)",
            f"{span_type_of(span)} · lasts {span_duration_text(span.duration_ns)}"
            f" · starts at +{offset}",
            "Status: Error" if is_error(span) else f"Status: {span.status_code.title()}",
        ]
        if node in self._critical:
            lines.append("On the critical path")
        return rich_tooltip("\n".join(lines))

    def wheelEvent(self, event: QWheelEvent) -> None:  # QWidget.wheelEvent
        delta = event.angleDelta()
        sideways, up = delta.x(), delta.y()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and not sideways:
            sideways, up = up, 0
        if up:
            around = self.geometry_now().t_of(event.position().x())
            self.zoom_by((ZOOM_STEP**0.8) ** (up / 120), around)
        if sideways:
            self.pan_by(-sideways / 120 * PAN_STEP / 2)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # QWidget.mousePressEvent
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = (event.position(), self._t0, self._scroll_y)
            self._dragged = False
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # QWidget.mouseMoveEvent
        if self._press is None or self._layout is None:
            return
        origin, t0, scroll_y = self._press
        moved = event.position() - origin
        if not self._dragged and moved.manhattanLength() < QApplication.startDragDistance():
            return
        self._dragged = True
        self.setCursor(Qt.CursorShape.ClosedHandCursor)
        start = t0 - moved.x() / self.geometry_now().scale
        self.set_window(start, start + self._t1 - self._t0)
        self._vbar.setValue(scroll_y - round(moved.y()))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # QWidget.mouseReleaseEvent
        if event.button() == Qt.MouseButton.LeftButton and self._press is not None:
            if not self._dragged:
                self._click(event.position())
            self._press = None
            self._dragged = False
            self.unsetCursor()
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # QWidget.mouseDoubleClickEvent
        if event.button() != Qt.MouseButton.LeftButton:
            return
        sliver = self.sliver_at(event.position())
        node = self.node_at(event.position())
        if sliver is not None:
            self._zoom_to(sliver[0], sliver[1])
        elif node is not None:
            self.zoom_to_node(node)

    def _click(self, pos: QPointF) -> None:
        node = self.node_at(pos)
        if node is not None and node != self._selected:
            self.select_node(node)
            self.span_selected.emit(node)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QWidget.keyPressEvent
        if not self._key(event.key(), event.modifiers(), event.text()):
            super().keyPressEvent(event)

    def _key(self, key: int, modifiers: Qt.KeyboardModifier, text: str) -> bool:
        """Handle one key press; False for keys that are not the chart's."""
        shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        if text in ("+", "="):
            self.zoom_by(ZOOM_STEP, self._pivot())
        elif text in ("-", "_"):
            self.zoom_by(1 / ZOOM_STEP, self._pivot())
        elif text == "0":
            self.reset_zoom()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and (shift or self._selected is None):
            self.pan_by(PAN_STEP if key == Qt.Key.Key_Right else -PAN_STEP)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and shift:
            self.scroll_rows_by(self.row_height() * (1 if key == Qt.Key.Key_Down else -1))
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._move_selection(key)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._selected is not None:
            self.span_selected.emit(self._selected)
        else:
            return False
        return True

    def _pivot(self) -> float | None:
        """Zoom keys keep the selected span in place when it is on screen."""
        if self._layout is None or self._selected is None:
            return None
        start, end = self._layout.span_range(self._selected)
        middle = (start + end) / 2
        return middle if self._t0 <= middle <= self._t1 else None

    def _move_selection(self, key: int) -> None:
        """↑ parent, ↓ first child, ← → previous and next sibling (the first span if none)."""
        tree = self.tree
        if tree is None or not tree.spans:
            return
        shape = tree.shape
        node = self._selected
        target: int | None
        if node is None:
            target = shape.roots[0] if shape.roots else None
        elif key == Qt.Key.Key_Up:
            target = shape.parent[node] if shape.parent[node] != NO_PARENT else None
        elif key == Qt.Key.Key_Down:
            target = shape.children[node][0] if shape.children[node] else None
        else:
            siblings = shape.children_of(shape.parent[node])
            at = shape.row[node] + (1 if key == Qt.Key.Key_Right else -1)
            target = siblings[at] if 0 <= at < len(siblings) else None
        if target is not None:
            self.select_node(target)
            self.span_selected.emit(target)
