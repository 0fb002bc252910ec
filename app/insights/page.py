"""`InsightsPage`: the shape of the selected experiment's traces over a time range — charts of
traces, errors, latency, tokens and cost (or spans of each type or model), the slowest span
names, the costliest models, the most frequent errors, and the chat sessions — each a way into
the trace list, filtered.

Everything is read in the database thread: on a change of experiment, range or breakdown the
charts' numbers (`data.read_charts`), drawn as soon as they come, then the tables', a task per
part (`data.read_table_part`). Answers are cached per request and data version (live mode's
change signal bumps the version), so going back to a range shows it at once. Only the newest
request counts: a change drops the work in flight (a `TaskGroup`), so a new request waits for
at most one query of the old one.
"""

from __future__ import annotations

import csv
import functools
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.formatting import local_time, one_line
from app.insights.charts import InsightCharts
from app.insights.data import (
    PRESETS,
    TABLE_PARTS,
    Insight,
    Request,
    read_charts,
    read_table_part,
)
from app.insights.feedback import FeedbackView
from app.insights.series import counted, lay_out
from app.insights.session import SessionWindow, read_turns
from app.insights.tables import (
    LinkTable,
    errors_table,
    models_table,
    sessions_table,
    slow_spans_table,
)
from app.pages import Page
from app.tasks import TaskRunner
from core.client import Client
from core.store import Store

NO_STORE = "Open a database to see its insights."
NO_EXPERIMENT = "Select an experiment to see its insights."
LOADING = "Reading…"
READING_TABLES = "Reading the tables…"
#: The breakdowns: label and `by` (a tag's key is typed or picked beside).
BREAKDOWNS = (
    ("None", None),
    ("Trace name", "name"),
    ("Status", "status"),
    ("Span type", "span.type"),
    ("Model", "span.model"),
    ("Tag", "tag"),
)
CUSTOM = "custom"
LIVE_DELAY_MS = 3000


class InsightsPage(Page):
    """The Insights tab of the main window."""

    title = "Insi&ghts"

    filter_requested = Signal(str)  # show the trace list filtered by this text
    trace_requested = Signal(str)  # show this trace (a session turn's link)
    charts_drawn = Signal()  # a request's charts are drawn (its tables may still be read)
    loaded = Signal()  # a request's whole answer is shown (from the database or the cache)

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("insightsPage")
        self._tasks = tasks
        self._work = tasks.group()
        self._session_work = tasks.group()  # a session's turns (not dropped by a new range)
        self._store: Store | None = None
        self._experiment_id: str | None = None
        self._version = 0
        self._cache: dict[tuple[Request, int], Insight] = {}
        self._span: tuple[int, int] | None = None  # a zoomed range
        self._stale = True  # what is shown no longer answers the controls
        self.shown: Insight | None = None
        self._live_delay = QTimer(self)
        self._live_delay.setObjectName("insightsLiveDelay")
        self._live_delay.setSingleShot(True)
        self._live_delay.setInterval(LIVE_DELAY_MS)
        self._live_delay.timeout.connect(self.reload)
        self._build()
        self._connect()

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.range_box = QComboBox(self)
        self.range_box.setObjectName("insightsRange")
        for key, name, _length in PRESETS:
            self.range_box.addItem(name, key)
        self.range_box.setCurrentIndex(1)  # a week: "what got slower this week"
        self.breakdown_box = QComboBox(self)
        self.breakdown_box.setObjectName("insightsBreakdown")
        for name, by in BREAKDOWNS:
            self.breakdown_box.addItem(name, by)
        self.tag_box = QComboBox(self)
        self.tag_box.setObjectName("insightsTagKey")
        self.tag_box.setEditable(True)
        self.tag_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.tag_box.setMinimumContentsLength(14)
        self.tag_box.setEnabled(False)
        self.tag_edit = self.tag_box.lineEdit() or QLineEdit()
        self.tag_edit.setPlaceholderText("a tag key")
        self.status_label = QLabel(NO_STORE, self)
        self.status_label.setObjectName("insightsStatus")
        self.export_button = QToolButton(self)
        self.export_button.setText("E&xport")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("Charts as &PNG…", self.export_png)
        menu.addAction("Data as &CSV…", self.export_csv)
        self.export_button.setMenu(menu)
        bar = QHBoxLayout()
        for text, box in (
            ("&Range:", self.range_box),
            ("&Breakdown:", self.breakdown_box),
            ("Tag &key:", self.tag_box),
        ):
            label = QLabel(text, self)
            label.setBuddy(box)
            bar.addWidget(label)
            bar.addWidget(box)
        bar.addWidget(self.status_label, 1)
        bar.addWidget(self.export_button)
        self._build_views()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(bar)
        layout.addWidget(self.views, 1)
        self._order_tabs()

    def _build_views(self) -> None:
        """The Charts sub-tab (the charts, the slowest spans, the models) and Sessions."""
        self.charts = InsightCharts(self)
        self.slow_model = slow_spans_table(self)
        self.slow_table = LinkTable(self.slow_model, "insightsSlowSpans", self)
        self.models_model = models_table(self)
        self.models_table = LinkTable(self.models_model, "insightsModels", self)
        self.errors_model = errors_table(self)
        self.errors_table = LinkTable(self.errors_model, "insightsErrors", self)
        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        for text, table in (
            ("S&lowest span names (p95)", self.slow_table),
            ("Costliest &models", self.models_table),
            ("Fre&quent errors", self.errors_table),
        ):
            label = QLabel(text, side)
            label.setBuddy(table)
            side_layout.addWidget(label)
            side_layout.addWidget(table, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.charts)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([800, 440])
        split.setChildrenCollapsible(False)
        self.sessions_model = sessions_table(self)
        self.sessions_table = LinkTable(self.sessions_model, "insightsSessions", self)
        sessions = QWidget(self)
        self.conversation_button = QPushButton("Read as Conversat&ion", sessions)
        self.conversation_button.setObjectName("insightsConversation")
        self.conversation_button.setAutoDefault(False)
        self.conversation_button.clicked.connect(self.open_session)
        hint = QLabel("Enter lists the session's traces.", sessions)
        row = QHBoxLayout()
        row.addWidget(self.conversation_button)
        row.addWidget(hint, 1)
        column = QVBoxLayout(sessions)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row)
        column.addWidget(self.sessions_table, 1)
        self.views = QTabWidget(self)
        self.views.setObjectName("insightsViews")
        self.feedback = FeedbackView(self)
        self.views.addTab(split, "&Charts")
        self.views.addTab(sessions, "&Sessions")
        self.views.addTab(self.feedback, "Fee&dback")

    def _order_tabs(self) -> None:
        for first, second in (
            (self.range_box, self.breakdown_box),
            (self.breakdown_box, self.tag_box),
            (self.tag_box, self.export_button),
            (self.export_button, self.views),
            (self.views, self.charts),
            (self.charts, self.slow_table),
            (self.slow_table, self.models_table),
            (self.models_table, self.errors_table),
            # The other sub-tabs' widgets: Qt skips the hidden ones, so Tab from the sub-tab
            # bar goes on into whichever sub-tab shows.
            (self.errors_table, self.conversation_button),
            (self.conversation_button, self.sessions_table),
            (self.sessions_table, self.feedback.table),
        ):
            QWidget.setTabOrder(first, second)

    def _connect(self) -> None:
        self.range_box.activated.connect(lambda _index: self._range_picked())
        self.breakdown_box.currentIndexChanged.connect(lambda _index: self._breakdown_picked())
        self.tag_box.activated.connect(lambda _index: self.reload())
        self.tag_edit.returnPressed.connect(self.reload)
        self.charts.range_chosen.connect(self.zoom)
        self.views.currentChanged.connect(self._view_shown)
        tables = (self.slow_table, self.models_table, self.errors_table, self.sessions_table)
        for source in (self.charts, *tables):
            source.filter_requested.connect(self.filter_requested)

    def _view_shown(self, index: int) -> None:
        """A sub-tab picked by its mnemonic (Alt+C, S, D) or a click takes the focus into its
        view, as Alt+L or Alt+M do; arrowing along the sub-tab bar leaves the focus there."""
        if self.views.tabBar().hasFocus():
            return
        views = (self.charts, self.sessions_table, self.feedback.table)
        views[index].setFocus(Qt.FocusReason.ShortcutFocusReason)

    def open_session(self) -> SessionWindow | None:
        """The selected session (else the latest) as one conversation, in a window of its own
        (read in the database thread); a turn's link shows its trace."""
        index = self.sessions_table.currentIndex()
        rows, store = self.sessions_model.rows, self._store
        if not rows or store is None:
            return None
        session = rows[index.row() if index.isValid() else 0]  # none picked yet: the latest
        window = SessionWindow(session.session_id, self)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.trace_requested.connect(self.trace_requested)
        ids = [self._experiment_id] if self._experiment_id else []
        task = self._session_work.submit(read_turns, store, ids, session.session_id)
        task.on_finished(window.show_turns)
        task.on_failed(window.show_error)
        window.show()
        return window

    # -- Page -------------------------------------------------------------------------------

    def set_client(self, client: Client | None) -> None:
        self._work.drop()
        self._store = client.store() if client is not None else None
        self._cache.clear()
        self._span = None
        self._show(None)
        self.reload()

    def set_experiment(self, experiment_id: str | None) -> None:
        if experiment_id == self._experiment_id:
            return
        self._experiment_id = experiment_id
        self._span = None
        self._drop_custom()
        self.reload()

    def refresh(self) -> None:
        self._cache.clear()
        self.reload()

    def data_changed(self) -> None:
        """Live mode: the database was written; what is cached is old. Shown, the page reads
        again after `LIVE_DELAY_MS`, once for all the writes meanwhile: a database written
        every second would otherwise keep the database thread busy with the charts."""
        self._version += 1
        self._cache.clear()
        if not self.isVisible():
            self._stale = True
        elif not self._live_delay.isActive():
            self._live_delay.start()

    def shortcut_rows(self) -> list[tuple[str, str]]:
        return [
            ("← / → then Enter", "Insights: choose a bucket of the charts, show its traces"),
            ("Drag across a chart", "Insights: zoom to that time (Range: a preset goes back)"),
            ("Enter / double-click", "Insights: the traces of a table's or a session's row"),
        ]

    # -- requests ---------------------------------------------------------------------------

    @property
    def request(self) -> Request | None:
        """What the controls ask for (None without a store or an experiment)."""
        if self._store is None or not self._experiment_id:
            return None
        by = self.breakdown_box.currentData()
        if by == "tag":
            key = self.tag_box.currentText().strip()
            by = f"tag:{key}" if key else None
        preset = self.range_box.currentData()
        span = self._span if preset == CUSTOM else None
        return Request((self._experiment_id,), preset, span, by)

    def reload(self) -> None:
        """Show what the controls ask for: from the cache, or read in the database thread
        (only while the page is shown; else when it is next shown)."""
        request = self.request
        store = self._store
        if request is None or store is None:
            self._work.drop()
            self._show(None)
            self.status_label.setText(NO_STORE if store is None else NO_EXPERIMENT)
            return
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        cached = self._cache.get((request, self._version))
        self._work.drop()
        if cached is not None:
            self._show(cached, request)
            return
        self.status_label.setText(LOADING)
        self.charts.setEnabled(False)
        key = (request, self._version)
        answers = [(asked, a) for (asked, v), a in self._cache.items() if v == self._version]
        same_range = next((a for asked, a in answers if asked.same_range(request)), None)
        same_experiments = next(
            (a for asked, a in answers if asked.experiment_ids == request.experiment_ids), None
        )
        now_ms = int(time.time() * 1000)
        task = self._work.submit(read_charts, store, request, now_ms, same_range)
        task.on_finished(lambda charts: self._charts_read(store, key, charts, same_experiments))
        task.on_failed(self._failed)

    def _charts_read(
        self,
        store: Store,
        key: tuple[Request, int],
        charts: Insight,
        same_experiments: Insight | None,
    ) -> None:
        """Draw the charts; then read the tables, unless the answer holds them already."""
        if charts.tables_read:
            self._read(key, charts)
            return
        self._show(charts, key[0])
        fields: dict[str, Any] = {}
        parts = set(TABLE_PARTS)

        def part_read(part: str, found: dict[str, Any]) -> None:
            fields.update(found)
            parts.discard(part)
            if not parts:
                self._read(key, replace(charts, **fields, tables_read=True))

        for part in TABLE_PARTS:
            task = self._work.submit(read_table_part, store, key[0], charts, part, same_experiments)
            task.on_finished(functools.partial(part_read, part))
            task.on_failed(self._failed)

    def _read(self, key: tuple[Request, int], insight: Insight) -> None:
        self._cache[key] = insight
        self._show(insight, key[0])

    def _failed(self, error: BaseException) -> None:
        self.charts.setEnabled(True)
        self.status_label.setText(f"Could not read the insights: {error}")
        self.status_message.emit(f"Insights failed: {error}")

    def _show(self, insight: Insight | None, request: Request | None = None) -> None:
        previous, self.shown = self.shown, insight
        self.charts.setEnabled(True)
        if insight is None or request is None:
            self.charts.layout_data = None
            self.charts.redraw()
            for model in (self.slow_model, self.models_model, self.sessions_model):
                model.set_rows([])
            self.errors_model.set_rows([])
            self.feedback.show_rows([])
            return
        layout = lay_out(
            insight.series, insight.start_ms, insight.end_ms, insight.bucket_ms, bool(request.by)
        )
        if previous is None or previous.series is not insight.series:  # else: the tables came
            self.charts.show_layout(layout, request.by, insight.start_ms, insight.end_ms)
        self.feedback.show_rows(insight.feedback, (insight.start_ms, insight.end_ms))
        self.slow_model.set_rows(insight.slow_spans)
        self.models_model.set_rows(insight.models)
        self.errors_model.set_rows(insight.errors)
        self.sessions_model.set_rows(insight.sessions)
        self.charts_drawn.emit()
        if not insight.tables_read:  # emptied until they are read
            self.views.setTabText(1, "&Sessions")
            self.status_label.setText(READING_TABLES)
            return
        self.views.setTabText(1, f"&Sessions ({len(insight.sessions):,})")
        self._offer_tag_keys(insight.tag_keys)
        counted_rows = sum(row.traces for row in insight.series)
        every = layout.sample_every
        note = "Latency percentiles are exact."
        if every > 1 and counted(request.by) == "spans":
            note = f"Span charts estimated from 1 in {every:,} traces."
        elif every > 1 and (request.by or "").startswith("tag:"):
            note = f"Tag breakdown estimated from 1 in {every:,} traces."
        elif every > 1:
            note = f"Latency percentiles estimated from 1 in {every:,} traces (counts exact)."
        if counted_rows == 0:
            note = f"No {counted(request.by)} in this range."
        sampled = [row.sample_every for row in insight.slow_spans if row.approximate]
        if sampled:
            note += f" Span tables estimated from 1 in {max(sampled):,} traces."
        if insight.errors_unread:
            note += " Errors could not be read: " + one_line(insight.errors_unread, 120)
        self.status_label.setText(note)
        self.loaded.emit()

    def _offer_tag_keys(self, keys: tuple[str, ...]) -> None:
        typed = self.tag_box.currentText()
        if [self.tag_box.itemText(i) for i in range(self.tag_box.count())] == list(keys):
            return
        blocked = self.tag_box.blockSignals(True)
        self.tag_box.clear()
        self.tag_box.addItems(list(keys))
        self.tag_box.setEditText(typed)
        self.tag_box.blockSignals(blocked)

    # -- controls ---------------------------------------------------------------------------

    def _range_picked(self) -> None:
        if self.range_box.currentData() != CUSTOM:
            self._span = None
            self._drop_custom()
        self.reload()

    def _breakdown_picked(self) -> None:
        tag = self.breakdown_box.currentData() == "tag"
        self.tag_box.setEnabled(tag)
        if tag and not self.tag_box.currentText():
            self.tag_box.setFocus(Qt.FocusReason.OtherFocusReason)
            return  # a key first
        self.reload()

    def zoom(self, start_ms: int, end_ms: int) -> None:
        """Show [start_ms, end_ms] (a drag across the charts); Range offers the presets back."""
        self._span = (start_ms, end_ms)
        self._drop_custom()
        label = f"{local_time(start_ms)[:16]} to {local_time(end_ms)[:16]}"
        self.range_box.addItem(label, CUSTOM)
        self.range_box.setCurrentIndex(self.range_box.count() - 1)
        self.reload()

    def _drop_custom(self) -> None:
        index = self.range_box.findData(CUSTOM)
        if index >= 0:
            self.range_box.removeItem(index)

    def showEvent(self, event: QShowEvent) -> None:  # QWidget.showEvent
        super().showEvent(event)
        if self._stale:
            self.reload()

    def hideEvent(self, event: QHideEvent) -> None:  # QWidget.hideEvent
        if self._live_delay.isActive():
            self._live_delay.stop()
            self._stale = True  # read when shown again
        super().hideEvent(event)

    # -- export -----------------------------------------------------------------------------

    def _suggested(self, name: str) -> str:
        """`name` beside the open database (as Export Trace suggests), else in the home."""
        where = self._store.location.path if self._store is not None else None
        return str((where.parent if where is not None else Path.home()) / name)

    def export_png(self, path: str | None = None) -> None:
        """Save the charts as shown to a PNG file (asked for when `path` is None)."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export Charts", self._suggested("insights.png"), "PNG (*.png)"
            )
        if path:
            self.charts.grab().save(path, "PNG")
            self.status_message.emit(f"Saved {Path(path).name}")

    def export_csv(self, path: str | None = None) -> None:
        """Save the series shown (one row per bucket and group) to a CSV file."""
        if self.shown is None:
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export Data", self._suggested("insights.csv"), "CSV (*.csv)"
            )
        if not path:
            return
        fields = (
            "start_ms",
            "group",
            "traces",
            "errors",
            "p50_ms",
            "p90_ms",
            "p99_ms",
            "input_tokens",
            "output_tokens",
            "cost",
            "sample_every",
        )
        with open(path, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(fields)
            for row in self.shown.series:
                writer.writerow(["" if (v := getattr(row, f)) is None else v for f in fields])
        self.status_message.emit(f"Saved {Path(path).name}")
