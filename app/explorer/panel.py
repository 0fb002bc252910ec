"""`TraceExplorer`: one trace — summary header on top, span tree + timeline (or flame graph)
and span detail below in a splitter. The trace loads in the database thread; a result for a
trace the user has already left is dropped. Selecting a trace selects its root span and
renders its detail.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QVBoxLayout, QWidget
from shiboken6 import isValid

from app.explorer.agent_model import TraceAgent, find_trace_agent, no_model_id, trace_model_id
from app.explorer.header import TraceHeader
from app.explorer.labels import LabelsWindow
from app.explorer.large_trace import LargeTrace
from app.explorer.loading import LoadedTrace, failure_message, load_trace
from app.explorer.span_views import SpanViews
from app.spans.detail import SpanDetailPanel, copy_span_json
from app.spans.trace_search import TraceSearch
from app.spans.view import REPLAYABLE, SpanTreePanel
from app.tasks import TaskRunner
from core.entities import Assessment, Span, Trace
from core.store import Store, StoreReader

log = logging.getLogger(__name__)

#: Wider than this ratio (width / height): tree left, detail right; otherwise one above the other.
SIDE_BY_SIDE_RATIO = 1.25
#: The tree's share of the split the user dragged to, per arrangement, for the next session.
SPLIT_KEYS = {
    Qt.Orientation.Horizontal: "explorer/treeShareSideBySide",
    Qt.Orientation.Vertical: "explorer/treeShareStacked",
}
NO_TRACE = "Select a trace to see its spans."


class TraceExplorer(QWidget):
    """Header, span tree + timeline and span detail for the trace chosen in the list."""

    trace_loaded = Signal(object)  # the core Trace now shown
    span_selected = Signal(object)  # the core Span now selected (or None)
    load_failed = Signal(str)  # a user-facing message
    prompt_requested = Signal(str, int)  # issue 5: a prompt version linked in the header clicked
    escaped = Signal()  # Esc anywhere in the explorer: the user goes back to the list
    #: Issue 18: replay (the Trace, a chat Span with its payload read, or None for the trace
    #: through its root's input) and "Replays (n)" clicked (the filter that lists them).
    replay_requested = Signal(object, object)
    replays_requested = Signal(str)
    agent_replay_requested = Signal(object, object)  # issue 18: (Trace, TraceAgent) to replay
    editing_requested = Signal()  # issue 22: Enable Editing pressed in the labels window

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("traceExplorer")
        self._tasks = tasks
        self._loads = tasks.group()  # only the trace asked for last is shown
        self._trace_id: str | None = None
        self._loaded: LoadedTrace | None = None
        self._span: Span | None = None
        self.header = TraceHeader(self)
        self.spans = SpanTreePanel(self, tasks)  # tasks: the critical path of big trees
        self.span_views = SpanViews(self.spans, tasks, self)  # issue 17: Tree | Flame
        self.detail = SpanDetailPanel(self)
        self._reader: StoreReader | None = None
        self._store: Store | None = None  # issue 18: where the trace's agent is looked up
        self.large = LargeTrace(tasks, self.spans.model, self)  # issue 17: JSON read as shown
        self.large.checked.connect(self._add_notices)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("explorerSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.span_views)
        self.splitter.addWidget(self.detail)
        self.splitter.splitterMoved.connect(self._remember_split)
        self._split_by_user = False
        self._split_placed = False  # the remembered split is applied at the first resize
        self.message = QLabel(NO_TRACE, self)
        self.message.setObjectName("explorerMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # failure messages quote ids
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.stack = QStackedWidget(self)
        self._lay_out()
        self.header.prompt_requested.connect(self.prompt_requested)  # issue 5: prompt links
        self.span_views.span_selected.connect(self._show_span)
        self.detail.copy_requested.connect(self.copy_selected_span_json)
        for view in (self.spans.view, self.span_views.flame.view):
            copy = QShortcut(QKeySequence.StandardKey.Copy, view)
            copy.setContext(Qt.ShortcutContext.WidgetShortcut)
            copy.activated.connect(self.copy_selected_span_json)
        back = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        back.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        back.activated.connect(self.escaped)
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self.detail.open_find)
        self.search = TraceSearch(tasks, self.spans, self)  # issue 17: search inside the trace
        self.search.match_shown.connect(self._reveal_match)
        self.search.hits_changed.connect(self.span_views.flame.view.set_search_hits)
        for keys, slot in (
            ("F3", self.search.step),
            ("Shift+F3", lambda: self.search.step(backwards=True)),
        ):
            key = QShortcut(QKeySequence(keys), self)
            key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            key.activated.connect(slot)
        # From anywhere in the window (the trace list too) while a trace is shown.
        self._window_shortcut("Ctrl+Shift+F", self.open_search)
        self._connect_actions(tasks)

    def _window_shortcut(self, keys: str, slot: Callable[[], object]) -> None:
        """`keys` work from anywhere in the window (the trace list too) while a trace shows."""
        shortcut = QShortcut(QKeySequence(keys), self)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(slot)

    def _connect_actions(self, tasks: TaskRunner) -> None:
        """The trace's actions: replay (issue 18) and labels (issue 22)."""
        self._connect_replay(tasks)
        self._connect_labels()

    def _connect_replay(self, tasks: TaskRunner) -> None:
        """Issue 18: "Replay…" in the span menu and the header, Ctrl+R, the replay count."""
        self._replay_counts = tasks.group()
        self.spans.view.replay_requested.connect(self.request_replay)
        self.header.replay_requested.connect(lambda: self.request_replay(None))
        self.header.replays_requested.connect(
            lambda trace_id: self.replays_requested.emit(replays_filter(trace_id))
        )
        self._window_shortcut("Ctrl+R", self.replay_selected)
        self._connect_agent_replay(tasks)

    def _lay_out(self) -> None:
        """A message page (no trace, loading, failed) and the content page, in a stack."""
        self.stack.addWidget(self.message)
        content = QWidget(self)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.splitter, 1)
        self.stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

    # -- public API -------------------------------------------------------------------------

    def show_trace(self, store: Store | None, trace_id: str | None) -> None:
        """Load `trace_id` from `store` in the background; None clears the explorer."""
        self._cancel()
        if store is None or not trace_id or self._tasks.is_shut_down:
            self.clear()
            return
        self._trace_id = trace_id
        self._reader, self._store = store.reader, store
        self.search.set_source(store.reader, trace_id)
        if self._loaded is None:
            self._show_message(f"Loading trace {trace_id}…")
        this = weakref.ref(self)  # no cycle through the task; a late result for a gone widget
        task = self._loads.submit(load_trace, store.reader, trace_id)
        task.on_finished(lambda loaded: _call(this, "_on_loaded", loaded))
        task.on_failed(lambda error: _call(this, "_on_failed", trace_id, error))

    @property
    def trace_id(self) -> str | None:
        """The trace shown or being loaded (also when it could not be loaded)."""
        return self._trace_id

    def current_trace(self) -> Trace | None:
        return self._loaded.trace if self._loaded is not None else None

    def selected_span(self) -> Span | None:
        return self._span

    @property
    def is_loading(self) -> bool:
        return self._loads.pending

    @property
    def loaded(self) -> LoadedTrace | None:
        """The trace shown with its span tree and how long they took to read and index."""
        return self._loaded

    def copy_selected_span_json(self) -> bool:
        """Put the selected span's MLflow JSON on the clipboard; False when none is selected."""
        if self._span is None:
            return False
        if self._span.payload_loaded:
            copy_span_json(self._span)
        else:  # a large trace's span still loading: copied once its JSON has landed
            self.large.read(self._span, self._copy_read, self._read_failed)
        return True

    def open_search(self) -> None:
        """Edit → Search in Trace (Ctrl+Shift+F): the trace's search box (over the tree, which
        it highlights)."""
        if self._loaded is None:
            return  # no trace shown: nothing to search
        self.span_views.setCurrentWidget(self.spans)
        self.search.focus()

    # -- replays (issue 18) --------------------------------------------------------------------

    def replay_selected(self) -> None:
        """Ctrl+R: replay the selected span when it is a model call, else the trace."""
        span = self._span
        self.request_replay(span if span is not None and span.span_type in REPLAYABLE else None)

    def request_replay(self, span: Span | None) -> None:
        """Ask for a replay of `span` (None: the trace through its root), its JSON read first."""
        trace = self.current_trace()
        if trace is None:
            return
        target = span if span is not None else trace.data.root_span
        if target is None or target.payload_loaded:
            self.replay_requested.emit(trace, span)
            return

        def read(loaded: Span) -> None:
            self._span_read(loaded)  # the detail waited for the same read
            if self.current_trace() is trace:
                self.replay_requested.emit(trace, span)

        self.large.read(target, read, self._read_failed)

    def refresh_replays(self) -> None:
        """Count the shown trace's replays again (in the database thread)."""
        self._replay_counts.drop()
        trace_id, reader = self._trace_id, self._reader
        if trace_id is None or reader is None or self._loaded is None:
            return
        this = weakref.ref(self)
        task = self._replay_counts.submit(count_replays, reader, trace_id)
        task.on_finished(lambda count: _show_replay_count(this, trace_id, count))
        task.on_failed(lambda error: log.info("Counting replays failed: %r", error))

    # -- labels (issue 22) --------------------------------------------------------------------

    def _connect_labels(self) -> None:
        """The header's "Labels…" and Ctrl+Shift+A open the labels window (made when asked)."""
        self.labels: LabelsWindow | None = None
        self.header.labels_requested.connect(self.open_labels)
        self._window_shortcut("Ctrl+Shift+A", self.open_labels)

    def open_labels(self) -> None:
        """Ctrl+Shift+A / "Labels…": the shown trace's assessments, to add, edit, delete."""
        trace = self.current_trace()
        if trace is None:
            return
        if self.labels is None:
            self.labels = LabelsWindow(self._tasks, self)
            self.labels.panel.editing_requested.connect(self.editing_requested)
            self.labels.panel.assessments_changed.connect(self._assessments_changed)
        self.labels.panel.show_trace(self._store, trace, self._span)
        self.labels.show()
        self.labels.raise_()
        self.labels.activateWindow()
        self.labels.panel.tree.setFocus()

    def _assessments_changed(self, trace_id: str, assessments: list[Assessment]) -> None:
        """A label was written: the header lists the trace's assessments as now stored."""
        trace = self.current_trace()
        if trace is None or trace.info.trace_id != trace_id:
            return
        trace.info.assessments = list(assessments)
        self.header.assessments.show_assessments(assessments)
        self.header.assessment_section.set_count(len(assessments))
        self.header.assessment_section.set_open(bool(assessments))

    # -- Replay in Agent (issue 18) -------------------------------------------------------------

    def _connect_agent_replay(self, tasks: TaskRunner) -> None:
        """The header's button, the span menu's entry and Ctrl+Shift+R, one action."""
        self._agent_checks = tasks.group()
        action = self.agent_replay_action = QAction("Replay in A&gent", self)
        action.setObjectName("replayInAgentAction")
        action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(self.request_agent_replay)
        self.addAction(action)
        self.spans.view.trace_actions.append(action)
        self.header.agent_replay_requested.connect(self.request_agent_replay)
        self._show_agent(no_model_id())

    def check_agent(self) -> None:
        """Look up, in the database thread, the agent the shown trace names."""
        self._agent_checks.drop()
        trace, store = self.current_trace(), self._store
        model_id = trace_model_id(trace.info if trace is not None else None)
        if trace is None or model_id is None or store is None:
            self._show_agent(no_model_id())
            return
        self._show_agent(TraceAgent(model_id))  # disabled while it is looked up
        this, trace_id = weakref.ref(self), trace.info.trace_id
        task = self._agent_checks.submit(find_trace_agent, store, model_id)
        task.on_finished(lambda agent: _show_trace_agent(this, trace_id, agent))
        task.on_failed(
            lambda error: _show_trace_agent(
                this, trace_id, TraceAgent(model_id, problem=f"The agent was not found: {error}")
            )
        )

    def _show_agent(self, agent: TraceAgent) -> None:
        self.trace_agent = agent
        self.agent_replay_action.setEnabled(agent.available)
        self.agent_replay_action.setToolTip(agent.describe())
        self.header.show_agent(agent.model_id is not None, agent.available, agent.describe())

    def request_agent_replay(self) -> None:
        """Ask for the shown trace's turn to be replayed in its agent (its root JSON read)."""
        trace, agent = self.current_trace(), self.trace_agent
        if trace is None or not agent.available:
            return
        root = trace.data.root_span
        if root is None or root.payload_loaded:
            self.agent_replay_requested.emit(trace, agent)
            return

        def read(loaded: Span) -> None:
            self._span_read(loaded)
            if self.current_trace() is trace:
                self.agent_replay_requested.emit(trace, agent)

        self.large.read(root, read, self._read_failed)

    def _reveal_match(self, span: Span | None, text: str) -> None:
        """The search's current match: the detail shows where its JSON holds the text."""
        if span is None or span is self.detail.span:
            self.detail.reveal(text)

    def focus_tree(self) -> None:
        """The focus on the span tree, or on the flame graph when that tab is shown."""
        self.span_views.focus_view()

    def clear(self) -> None:
        """Show no trace (and forget a trace still loading)."""
        self._cancel()
        self._trace_id = None
        self.search.set_source(None, None)
        self._loaded = None
        self.large.show(None, None)
        self.header.show_info(None)
        self.check_agent()  # issue 18: no trace, no agent
        self.spans.show_tree(None)
        self.span_views.show_tree(None)
        self._show_message(NO_TRACE)
        self._show_span(None)
        if self.labels is not None:  # issue 22: no trace to label (the store may be closed)
            self.labels.panel.show_trace(None, None, None)
            self.labels.hide()

    # -- loading ----------------------------------------------------------------------------

    def _cancel(self) -> None:
        self._loads.drop()  # a trace the user moved away from never lands

    def _on_loaded(self, loaded: LoadedTrace) -> None:
        same_trace = (
            self._loaded is not None
            and self._loaded.trace.info.trace_id == loaded.trace.info.trace_id
        )
        keep = self._span.span_id if same_trace and self._span is not None else None
        self._loaded = loaded
        trace = loaded.trace
        root = trace.data.root_span
        self.large.show(self._reader, loaded)  # before the tree asks for any cell
        self.header.show_info(
            trace.info, len(trace.data.spans), root.duration_ns if root is not None else None
        )
        self.spans.show_tree(loaded.tree, loaded.problems)
        self.span_views.show_tree(loaded.tree)
        self.stack.setCurrentIndex(1)
        self._fit_split()
        self._select_start_span(keep)
        self.search.tree_shown()
        self.refresh_replays()  # issue 18: "Replays (n)" in the header
        self.check_agent()  # issue 18: "Replay in Agent"
        if self.labels is not None:  # issue 22: the labels window follows the trace shown
            self.labels.panel.show_trace(self._store, trace, self._span)
        self.trace_loaded.emit(trace)

    def _select_start_span(self, keep: str | None) -> None:
        """The span shown before a reload, else the root span, else the first row."""
        view = self.spans.view
        root = self._loaded.trace.data.root_span if self._loaded else None
        for span_id in (keep, root.span_id if root else None):
            if span_id and view.select_span(span_id):
                return
        if not view.select_first():
            self._show_span(None)

    def _on_failed(self, trace_id: str, error: BaseException) -> None:
        log.info("Loading trace %s failed: %r", trace_id, error)
        message = failure_message(trace_id, error)
        self._loaded = None
        self.large.show(None, None)
        self.search.set_source(None, None)
        self.header.show_info(None)
        self.check_agent()  # issue 18: no trace, no agent
        self.spans.show_tree(None)
        self.span_views.show_tree(None)
        self._show_span(None)
        self._show_message(message)
        self.load_failed.emit(message)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentIndex(0)

    def _show_span(self, span: Span | None) -> None:
        if span is not None and span is self._span and self.detail.span is span:
            return
        self._span = span
        start = self._loaded.tree.start_ns if self._loaded is not None else 0
        if span is not None and not span.payload_loaded:  # a large trace: read it first
            self.detail.show_loading(span, start)
            self.large.read(span, self._span_read, self._read_failed)
        else:
            self.large.drop()
            fold = self.spans.selected_fold_text() if span is None else None
            if fold is not None:  # a folded run: what it holds, and how to open it
                self.detail.show_note(fold)
            else:
                self.detail.show_span(span, start)
        if self.labels is not None:
            self.labels.panel.show_span(span)  # issue 22: labels may go on this span
        self.span_selected.emit(span)

    # -- a large trace's span JSON, read in the database thread (issue 17) -------------------

    def _span_read(self, span: Span) -> None:
        if span is self._span:
            start = self._loaded.tree.start_ns if self._loaded is not None else 0
            self.detail.show_span(span, start)

    def _copy_read(self, span: Span) -> None:
        self._span_read(span)
        copy_span_json(span)

    def _read_failed(self, span: Span, error: BaseException) -> None:
        log.info("Reading span %s failed: %r", span.span_id, error)
        if span is self._span and self.detail.is_loading:
            start = self._loaded.tree.start_ns if self._loaded is not None else 0
            self.detail.show_loading(span, start, f"The span could not be read: {error}")

    def _add_notices(self, notices: tuple[str, ...]) -> None:
        """The database's check of a large trace's span JSON found `notices`."""
        if notices and self._loaded is not None:
            self.spans.notice.show_notices([*self._loaded.problems, *notices])

    # -- the split between tree and detail ---------------------------------------------------

    def _remember_split(self, _position: int, _index: int) -> None:
        self._split_by_user = True
        sizes = self.splitter.sizes()
        if sum(sizes) > 0:
            share = round(sizes[0] / sum(sizes), 4)
            QSettings().setValue(SPLIT_KEYS[self.splitter.orientation()], share)

    def _place_split(self, total: int, default: bool) -> None:
        """The split the user last chose for this arrangement; else, when `default`, 55:45
        (fitted to a short trace when stacked)."""
        self._split_placed = True
        share = stored_split(self.splitter.orientation())
        if share is not None:
            tree = round(total * share)
            self.splitter.setSizes([tree, total - tree])
            self._split_by_user = True
        elif default:
            self.splitter.setSizes([total * 55 // 100, total * 45 // 100])
            self._split_by_user = False
            self._fit_split()

    def _fit_split(self) -> None:
        """One above the other, a short trace's tree takes only the height its rows need."""
        if self._split_by_user or self.splitter.orientation() != Qt.Orientation.Vertical:
            return
        total = self.splitter.height()
        view = self.spans.view
        tree = view.span_model().tree
        rows = len(tree.spans) + 1 if tree is not None else 1
        chrome = self.span_views.height() - view.viewport().height()  # tabs, bars, header
        needed = chrome + rows * max(view.sizeHintForRow(0), 1)
        height = min(max(needed, total * 30 // 100), total * 55 // 100)
        self.splitter.setSizes([height, total - height])

    # -- Qt events --------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:  # QWidget.resizeEvent
        super().resizeEvent(event)
        size = event.size()
        wide = size.width() >= SIDE_BY_SIDE_RATIO * max(size.height(), 1)
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        total = size.width() if wide else size.height()
        if orientation != self.splitter.orientation():
            self.splitter.setOrientation(orientation)
            self._place_split(total, default=True)
        elif not self._split_placed:
            self._place_split(total, default=False)


def stored_split(orientation: Qt.Orientation) -> float | None:
    """The tree's share of the explorer split remembered for `orientation`, if usable."""
    try:
        share = float(str(QSettings().value(SPLIT_KEYS[orientation], "")))
    except ValueError:
        return None
    return share if 0.05 <= share <= 0.95 else None


def replays_filter(trace_id: str) -> str:
    """Issue 18: the trace list filter that lists the replays of `trace_id`."""
    return "trace.replay_of = '" + trace_id.replace("'", "''") + "'"


def count_replays(reader: StoreReader, trace_id: str) -> int:
    """Database thread: how many traces are replays of `trace_id` (issue 18)."""
    return reader.count_traces(None, replays_filter(trace_id))


def _show_replay_count(ref: weakref.ref[TraceExplorer], trace_id: str, count: int) -> None:
    """The count of `trace_id`'s replays, if the explorer still shows it (issue 18)."""
    explorer = ref()
    if explorer is not None and isValid(explorer) and explorer.trace_id == trace_id:
        explorer.header.show_replay_count(count)


def _show_trace_agent(ref: weakref.ref[TraceExplorer], trace_id: str, agent: TraceAgent) -> None:
    """The agent of `trace_id`, if the explorer still shows it (issue 18)."""
    explorer = ref()
    if explorer is not None and isValid(explorer) and explorer.trace_id == trace_id:
        explorer._show_agent(agent)


def _call(ref: weakref.ref[TraceExplorer], method: str, *args: Any) -> None:
    """Call `method` on the explorer if it still exists (C++ side included)."""
    widget = ref()
    if widget is not None and isValid(widget):
        getattr(widget, method)(*args)
