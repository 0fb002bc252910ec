"""The four time charts of the Insights tab, drawn with pyqtgraph: traces per bucket (errors
stacked under the rest, or one colour per group), latency percentiles, tokens and cost.

The charts share one time axis and one readout: hovering (or Left/Right with the focus on the
charts) shows the bucket's values; a click opens the trace list filtered to the bucket (and the
group or the errors clicked); a drag across the time axis asks for that narrower range. Colours
come from the palette, so the charts follow the app's light and dark themes.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFocusEvent, QKeyEvent, QPalette
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from app.formatting import duration, local_time
from app.insights.filters import bucket_filter, group_term
from app.insights.series import Layout, Slot, bucket_label, counted
from app.theme import follow_palette

OK_COLOR = "#3b82f6"
ERROR_COLOR = "#e5484d"
#: One colour per group of a breakdown (and per line: p50, p90, p99 / in, out).
GROUP_COLORS = (
    "#3b82f6",
    "#f59e0b",
    "#10b981",
    "#a855f7",
    "#ef4444",
    "#06b6d4",
    "#ec4899",
    "#84cc16",
)
BAR_SHARE = 0.8  # of a bucket's width
NO_COST = "No cost recorded in this range"


class _TimeBox(pg.ViewBox):  # type: ignore[misc]
    """A view box whose left drag marks a time span (instead of panning) and whose click is
    reported with the point clicked."""

    def __init__(self, clicked: Callable[[QPointF], None], dragged: Callable[[float, float], None]):
        super().__init__(enableMenu=False)
        self._clicked = clicked
        self._dragged = dragged
        self._region: pg.LinearRegionItem | None = None
        self.setMouseEnabled(x=False, y=False)

    def mouseClickEvent(self, ev: object) -> None:  # pg.ViewBox.mouseClickEvent
        if ev.button() == Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            ev.accept()  # type: ignore[attr-defined]
            self._clicked(self.mapSceneToView(ev.scenePos()))  # type: ignore[attr-defined]

    def mouseDragEvent(self, ev: object, axis: int | None = None) -> None:  # pg.ViewBox
        if ev.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            ev.ignore()  # type: ignore[attr-defined]
            return
        ev.accept()  # type: ignore[attr-defined]
        start = self.mapSceneToView(ev.buttonDownScenePos()).x()  # type: ignore[attr-defined]
        here = self.mapSceneToView(ev.scenePos()).x()  # type: ignore[attr-defined]
        if self._region is None:
            self._region = pg.LinearRegionItem(movable=False, brush=QColor(120, 120, 120, 60))
            self.addItem(self._region)
        self._region.setRegion((min(start, here), max(start, here)))
        if ev.isFinish():  # type: ignore[attr-defined]
            self.removeItem(self._region)
            self._region = None
            if here != start:
                self._dragged(min(start, here), max(start, here))


class TimeChart(pg.PlotWidget):  # type: ignore[misc]
    """One chart over the buckets; `InsightCharts` fills it and reads its clicks."""

    def __init__(self, title: str, charts: InsightCharts) -> None:
        self._box = _TimeBox(lambda point: charts.chart_clicked(self, point), charts.time_dragged)
        super().__init__(
            viewBox=self._box, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")}
        )
        self.title = title
        self.setObjectName("insightsChart")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the charts widget takes the keys
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setMinimumHeight(150)
        self.plotItem.showGrid(x=False, y=True, alpha=0.15)
        self.cursor = pg.InfiniteLine(angle=90, movable=False)
        self.note = pg.TextItem(anchor=(0.5, 0.5))
        #: Per slot: (group or term, low, high) of each drawn bar segment, for clicks.
        self.segments: list[list[tuple[str | None, float, float]]] = []
        #: Per group drawn as a line: its values per slot, for clicks near a line.
        self.lines: dict[str | None, Sequence[float | None]] = {}
        self.scene().sigMouseMoved.connect(self._moved)
        self._charts = charts

    def _moved(self, position: QPointF) -> None:
        if self.plotItem.sceneBoundingRect().contains(position):
            self._charts.hover(self._box.mapSceneToView(position).x() * 1000)

    def reset(self, palette: QPalette) -> None:
        """Clear the chart and colour it for `palette`."""
        self.plotItem.clear()
        self.segments, self.lines = [], {}
        text = palette.color(QPalette.ColorRole.WindowText)
        self.setBackground(palette.color(QPalette.ColorRole.Base))
        self.getAxis("left").setStyle(showValues=True)
        for name in ("left", "bottom"):
            axis = self.getAxis(name)
            axis.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
            axis.setTextPen(pg.mkPen(text))
        self.setTitle(self.title, color=text.name(), size="10pt")
        self.cursor.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Highlight), width=1))
        self.addItem(self.cursor, ignoreBounds=True)
        self.cursor.hide()
        self.note.setColor(palette.color(QPalette.ColorRole.PlaceholderText))
        self.addItem(self.note, ignoreBounds=True)
        self.note.setText("")
        legend = self.plotItem.legend or self.plotItem.addLegend(offset=(6, 2), colCount=4)
        legend.clear()
        legend.setLabelTextColor(text)
        legend.setBrush(pg.mkBrush(palette.color(QPalette.ColorRole.Base)))

    def show_note(self, text: str, x_s: float, y: float) -> None:
        self.note.setText(text)
        self.note.setPos(x_s, y)


class InsightCharts(QWidget):
    """Traces, latency, tokens and cost over the range; emits the filter a click asks for and
    the span a drag marks."""

    filter_requested = Signal(str)  # the trace list filter of a clicked bucket
    range_chosen = Signal(object, object)  # [start, end] ms (past 32 bits) marked by a drag

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("insightsCharts")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Charts: ← → choose a bucket, Enter shows its traces")
        self.layout_data: Layout | None = None
        self.by: str | None = None
        self.range_ms = (0, 0)
        self.current: int | None = None  # the bucket the readout shows
        self.traces = TimeChart("Traces per bucket (errors in red)", self)
        self.latency = TimeChart("Latency (exact percentiles)", self)
        self.tokens = TimeChart("Tokens", self)
        self.cost = TimeChart("Cost (USD)", self)
        self.key = QLabel("", self)
        self.key.setObjectName("insightsKey")
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self.key.setWordWrap(True)
        self.key.hide()
        self.readout = QLabel("", self)
        self.readout.setObjectName("insightsReadout")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setWordWrap(True)
        grid = QGridLayout()
        grid.setSpacing(4)
        for index, chart in enumerate(self.charts):
            grid.addWidget(chart, index // 2, index % 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid, 1)
        layout.addWidget(self.key)
        layout.addWidget(self.readout)
        follow_palette(self, self.redraw)

    @property
    def charts(self) -> tuple[TimeChart, ...]:
        return (self.traces, self.latency, self.tokens, self.cost)

    # -- drawing ----------------------------------------------------------------------------

    def show_layout(self, data: Layout, by: str | None, start_ms: int, end_ms: int) -> None:
        """Draw `data` (the slots of [start_ms, end_ms], broken down `by`)."""
        self.layout_data, self.by, self.range_ms = data, by, (start_ms, end_ms)
        self.current = None
        what = "Span duration" if counted(by) == "spans" else "Latency"
        how = "estimated from a sample" if data.sample_every > 1 else "exact"
        self.traces.title = f"{counted(by).capitalize()} per bucket (errors in red)"
        self.latency.title = (
            f"{what} p90 by group ({how})" if data.groups else f"{what} ({how} percentiles)"
        )
        self.redraw()

    def redraw(self) -> None:
        palette = self.palette()
        for chart in self.charts:
            chart.reset(palette)
        self.key.hide()
        data = self.layout_data
        if data is None or not data.slots:
            self.readout.setText("")
            return
        if data.groups:
            self._draw_group_bars(data)
            self._draw_group_lines(data)
        else:
            self._draw_bars(data)
            self._draw_lines(data)
        for chart in self.charts:
            left = data.slots[0].start_ms / 1000
            right = (data.slots[-1].start_ms + data.bucket_ms) / 1000
            chart.setXRange(left, right, padding=0.01)
            chart.enableAutoRange(axis="y")
        if not data.has_cost:
            middle = (data.slots[0].start_ms + len(data.slots) * data.bucket_ms / 2) / 1000
            self.cost.setYRange(0, 1)
            self.cost.getAxis("left").setStyle(showValues=False)
            self.cost.show_note(NO_COST, middle, 0.5)
        self._show_readout()

    def _centres(self, data: Layout) -> list[float]:
        return [(slot.start_ms + data.bucket_ms / 2) / 1000 for slot in data.slots]

    def _bars(
        self,
        chart: TimeChart,
        x: list[float],
        low: list[float],
        high: list[float],
        color: str,
        name: str | None,
    ) -> None:
        width = self.layout_data.bucket_ms / 1000 * BAR_SHARE if self.layout_data else 1
        heights = [h - lo for lo, h in zip(low, high, strict=True)]
        bars = pg.BarGraphItem(
            x=x, y0=low, height=heights, width=width, brush=color, pen=pg.mkPen(None), name=name
        )
        chart.addItem(bars)

    def _draw_bars(self, data: Layout) -> None:
        x = self._centres(data)
        errors = [float(slot.errors) for slot in data.slots]
        totals = [float(slot.traces) for slot in data.slots]
        self._bars(self.traces, x, [0.0] * len(x), errors, ERROR_COLOR, "errors")
        self._bars(self.traces, x, errors, totals, OK_COLOR, "ok")
        self.traces.segments = [
            [("status:ERROR", 0.0, e), (None, e, t)] for e, t in zip(errors, totals, strict=True)
        ]

    def _draw_group_bars(self, data: Layout) -> None:
        x = self._centres(data)
        low = [0.0] * len(x)
        self.traces.segments = [[] for _ in x]
        for index, group in enumerate(data.groups):
            counts = [float(_row_traces(slot, group)) for slot in data.slots]
            high = [a + b for a, b in zip(low, counts, strict=True)]
            color = GROUP_COLORS[index % len(GROUP_COLORS)]
            self._bars(self.traces, x, low, high, color, None)
            for n in range(len(x)):
                self.traces.segments[n].append((group, low[n], high[n]))
            low = high
        errors = [float(slot.errors) for slot in data.slots]
        marks = [(a, e) for a, e in zip(x, errors, strict=True) if e]
        if marks:
            self.traces.plot(
                [a for a, _ in marks],
                [e for _, e in marks],
                pen=None,
                symbol="x",
                symbolSize=9,
                symbolPen=pg.mkPen(ERROR_COLOR, width=2),
                name="errors",
            )
        self._show_key(data)

    def _line(
        self,
        chart: TimeChart,
        x: list[float],
        values: Sequence[float | None],
        color: str,
        name: str | None,
        group: str | None,
        style: Qt.PenStyle = Qt.PenStyle.SolidLine,
    ) -> None:
        shown = [(a, v) for a, v in zip(x, values, strict=True) if v is not None]
        chart.lines[group] = values
        if not shown:
            return
        chart.plot(
            [a for a, _ in shown],
            [v for _, v in shown],
            pen=pg.mkPen(color, width=2, style=style),
            symbol="o",
            symbolSize=5,
            symbolBrush=color,
            symbolPen=pg.mkPen(None),
            name=name,
        )

    def _draw_lines(self, data: Layout) -> None:
        x = self._centres(data)
        slots = data.slots
        for index, (name, values) in enumerate(
            (
                ("p50", [s.p50_ms for s in slots]),
                ("p90", [s.p90_ms for s in slots]),
                ("p99", [s.p99_ms for s in slots]),
            )
        ):
            dashed = Qt.PenStyle.DashLine if name == "p99" else Qt.PenStyle.SolidLine
            color = GROUP_COLORS[index]
            self._line(self.latency, x, values, color, name, f"line:{name}", dashed)
        self._line(
            self.tokens, x, [_f(s.input_tokens) for s in slots], GROUP_COLORS[0], "in", "line:in"
        )
        self._line(
            self.tokens, x, [_f(s.output_tokens) for s in slots], GROUP_COLORS[1], "out", "line:out"
        )
        self._line(self.cost, x, [s.cost for s in slots], GROUP_COLORS[2], "cost", "line:cost")
        self.latency.setLabel("left", "ms")

    def _draw_group_lines(self, data: Layout) -> None:
        x = self._centres(data)
        for index, group in enumerate(data.groups):
            color = GROUP_COLORS[index % len(GROUP_COLORS)]
            rows = [slot.groups.get(group) for slot in data.slots]
            self._line(
                self.latency,
                x,
                [r.p90_ms if r else None for r in rows],
                color,
                None,
                group,
            )
            tokens = [_f(_sum(r.input_tokens, r.output_tokens)) if r else None for r in rows]
            self._line(self.tokens, x, tokens, color, None, group)
            self._line(self.cost, x, [r.cost if r else None for r in rows], color, None, group)
        self.latency.setLabel("left", "ms")

    def _show_key(self, data: Layout) -> None:
        """The groups' colours, once for the four charts."""
        swatches = [
            f'<span style="color:{GROUP_COLORS[n % len(GROUP_COLORS)]}">■</span> '
            f"{html.escape(_group_label(group))}"
            for n, group in enumerate(data.groups)
        ]
        if data.hidden_groups:
            swatches.append(f"and {data.hidden_groups} smaller groups not drawn")
        self.key.setText("&nbsp;&nbsp; ".join(swatches))
        self.key.show()

    # -- reading values ---------------------------------------------------------------------

    def hover(self, at_ms: float) -> None:
        """Show the values of the bucket at time `at_ms` (the pointer moved over a chart)."""
        if self.layout_data is not None:
            self.set_current(self.layout_data.slot_at(at_ms))

    def set_current(self, index: int | None) -> None:
        if index == self.current or self.layout_data is None:
            return
        self.current = index
        self._show_readout()

    def _show_readout(self) -> None:
        data = self.layout_data
        if data is None or not data.slots:
            return
        if self.current is None:
            total = sum(slot.traces for slot in data.slots)
            errors = sum(slot.errors for slot in data.slots)
            self.readout.setText(
                f"{total:,} {counted(self.by)}, {errors:,} errors in {len(data.slots)} buckets of "
                f"{bucket_label(data.bucket_ms)}. Point at a bucket (or ← →) for its "
                "values; click it (or Enter) for its traces; drag across a chart to zoom."
            )
            for chart in self.charts:
                chart.cursor.hide()
                chart.setToolTip("")
            return
        slot = data.slots[self.current]
        text = readout_text(slot, data, counted(self.by))
        self.readout.setText(text)
        for chart in self.charts:
            chart.setToolTip(text.replace(" · ", "\n"))
            chart.cursor.setPos((slot.start_ms + data.bucket_ms / 2) / 1000)
            chart.cursor.show()

    # -- clicks, drags and keys -------------------------------------------------------------

    def chart_clicked(self, chart: TimeChart, point: QPointF) -> None:
        data = self.layout_data
        if data is None:
            return
        index = data.slot_at(point.x() * 1000)
        if index is None:
            return
        self.open_bucket(index, self._picked_term(chart, index, point.y()))

    def _picked_term(self, chart: TimeChart, index: int, y: float) -> str | None:
        """The group (as a filter term) of the segment or line clicked, if any."""
        if chart.segments:
            for group, low, high in chart.segments[index]:
                if low <= y < high:
                    return self._term(group)
            return None
        if not self.by:
            return None
        near = [
            (abs(value - y), group)
            for group, values in chart.lines.items()
            if (value := values[index]) is not None
        ]
        return self._term(min(near, key=lambda pair: pair[0])[1]) if near else None

    def _term(self, group: str | None) -> str | None:
        if group == "status:ERROR":
            return "trace.status = 'ERROR'"
        if self.by is None:
            return None
        return group_term(self.by, group)

    def open_bucket(self, index: int, term: str | None = None) -> None:
        """Ask for the traces of bucket `index` (narrowed by `term`)."""
        data = self.layout_data
        if data is None:
            return
        slot = data.slots[index]
        start = max(slot.start_ms, self.range_ms[0])
        end = min(slot.start_ms + data.bucket_ms, self.range_ms[1] + 1)
        text = bucket_filter(start, end, None, None)
        self.filter_requested.emit(f"{text} AND {term}" if term else text)

    def time_dragged(self, left_s: float, right_s: float) -> None:
        start = max(int(left_s * 1000), self.range_ms[0])
        end = min(int(right_s * 1000), self.range_ms[1])
        if end - start >= 60_000:  # a minute at least: the smallest bucket
            self.range_chosen.emit(start, end)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QWidget.keyPressEvent
        data = self.layout_data
        key = event.key()
        if data is None or not data.slots:
            super().keyPressEvent(event)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            step = -1 if key == Qt.Key.Key_Left else 1
            start = len(data.slots) - 1 if step < 0 else 0
            here = start if self.current is None else self.current + step
            self.set_current(min(max(here, 0), len(data.slots) - 1))
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.current is not None:
            self.open_bucket(self.current)
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:  # QWidget.focusInEvent
        super().focusInEvent(event)
        self.readout.setStyleSheet("font-weight: bold")

    def focusOutEvent(self, event: QFocusEvent) -> None:  # QWidget.focusOutEvent
        super().focusOutEvent(event)
        self.readout.setStyleSheet("")


def readout_text(slot: Slot, data: Layout, noun: str = "traces") -> str:
    """The values of one bucket (of `noun`: traces or spans), as the readout line shows them."""
    start, end = local_time(slot.start_ms)[:16], local_time(slot.start_ms + data.bucket_ms)[:16]
    parts = [f"{start} to {end}: {slot.traces:,} {noun}, {slot.errors:,} errors"]
    if data.groups:
        for group in data.groups:
            row = slot.groups.get(group)
            if row is not None:
                p90 = duration(_ms(row.p90_ms))
                parts.append(f"{_group_label(group)} {row.traces:,} (p90 {p90})")
    else:
        parts.append(
            f"p50 {duration(_ms(slot.p50_ms))}, p90 {duration(_ms(slot.p90_ms))}, "
            f"p99 {duration(_ms(slot.p99_ms))}"
        )
    if slot.input_tokens is not None or slot.output_tokens is not None:
        parts.append(f"tokens {slot.input_tokens or 0:,} in, {slot.output_tokens or 0:,} out")
    if slot.cost is not None:
        parts.append(f"cost ${slot.cost:,.4f}")
    return " · ".join(parts)


def _row_traces(slot: Slot, group: str | None) -> int:
    row = slot.groups.get(group)
    return 0 if row is None else row.traces


def _group_label(group: str | None) -> str:
    return "(none)" if group is None else group


def _f(value: int | None) -> float | None:
    return None if value is None else float(value)


def _sum(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)


def _ms(value: float | None) -> int | None:
    return None if value is None else round(value)
