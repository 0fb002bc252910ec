"""`TraceSearch`: the search box of a trace at work — finds spans by name, type, status and by
text in their stored JSON, highlights them in the tree and steps through them.

Typing waits for a pause (`DEBOUNCE_MS`), then one task in the database thread matches names,
types and statuses in memory and asks the store for the payloads (`find_hits`); a newer query
drops the older one's result. Nothing is hidden: the matches are highlighted, the current one
is selected (which shows its detail), and `match_shown` tells the explorer where the text is,
so the detail can open the tab that holds it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView

from app.spans.search_hits import SearchHits, SearchIndex, find_hits
from app.spans.view import SpanTreePanel
from app.tasks import TaskRunner
from core.entities import Span
from core.store import StoreReader

#: The pause after the last key before searching (each search reads every span's JSON).
DEBOUNCE_MS = 250


class TraceSearch(QObject):
    """Drives the span search bar of `panel` over the trace the explorer shows."""

    searched = Signal(object)  # the SearchHits now shown (the bar's text, answered)
    hits_changed = Signal(frozenset)  # the nodes found now (empty: no search), for the flame
    #: The current match's span and the text searched (None, "": the search was cleared).
    match_shown = Signal(object, str)

    def __init__(
        self, tasks: TaskRunner, panel: SpanTreePanel, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._panel = panel
        self._bar = panel.search_bar
        self._searches = tasks.group()  # only the newest query's answer is shown
        self._reader: StoreReader | None = None
        self._trace_id: str | None = None
        self._index: SearchIndex | None = None  # the tree's positions and keys, made once
        self._hits: SearchHits | None = None
        self._current: int | None = None  # a node of `_hits`
        self._shown: list[int] = []  # the hits with a row now, in tree order
        self._position: int | None = None  # the current one's place in `_shown`
        self._timer = QTimer(self)
        self._timer.setObjectName("spanSearchTimer")
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.search_now)
        self._bar.text_changed.connect(self._typed)
        self._bar.step_requested.connect(self.step)
        self._bar.clear_requested.connect(self.clear)
        panel.model.modelReset.connect(self._rows_changed)  # the filter shows other rows

    @property
    def hits(self) -> SearchHits | None:
        """The last answer shown (None when there is no search, or none answered yet)."""
        return self._hits

    @property
    def pending(self) -> bool:
        """Whether a search waits for the pause after typing, or for the database."""
        return self._timer.isActive() or self._searches.pending

    # -- the trace ----------------------------------------------------------------------------

    def set_source(self, reader: StoreReader | None, trace_id: str | None) -> None:
        """The trace the explorer shows or loads now: another trace ends the search."""
        if trace_id != self._trace_id or reader is not self._reader:
            self.clear()
        self._reader, self._trace_id = reader, trace_id

    def tree_shown(self) -> None:
        """The panel shows a (re)loaded tree: a search still typed in runs on it."""
        self._index = None
        self._show(None)
        if self._bar.text.strip():
            self.search_now()

    # -- searching ----------------------------------------------------------------------------

    def focus(self) -> None:
        self._bar.focus()

    def _typed(self, text: str) -> None:
        self._searches.drop()
        if not text.strip():  # emptied (the field's clear button): as Esc, the field kept
            self._timer.stop()
            if self._hits is not None:
                self._show(None)
                self.match_shown.emit(None, "")
            self._bar.show_count(None, 0)
            return
        self._bar.show_searching()
        self._timer.start()

    def search_now(self) -> None:
        """Search for the bar's text at once (the pause is over, or Enter came first)."""
        self._timer.stop()
        self._searches.drop()
        text = self._bar.text.strip()
        tree = self._panel.model.tree
        if not text or tree is None or self._reader is None or self._trace_id is None:
            self._show(None)
            return
        self._bar.show_searching()
        task = self._searches.submit(
            find_hits, self._reader, self._trace_id, tree, text, self._index
        )
        task.describe("Searching the trace's spans").on_finished(self._found)

    def _found(self, hits: SearchHits) -> None:
        if self._panel.model.tree is None:
            return
        self._index = hits.index
        self._show(hits)
        if self._shown:
            self._go_to(0)
        self.searched.emit(hits)

    def _show(self, hits: SearchHits | None) -> None:
        """Highlight `hits` (None: none) and say how many there are."""
        self._hits = hits
        self._current = None
        nodes = frozenset(hits.nodes) if hits else frozenset()
        self._panel.model.set_search_hits(nodes)
        self.hits_changed.emit(nodes)
        self._rows_changed()

    def _rows_changed(self) -> None:
        """The matches that have a row now (the filter may hide some), in tree order, and the
        current one's place among them (None when it is hidden)."""
        hits = self._hits.nodes if self._hits is not None else ()
        self._shown = self._panel.model.shown_nodes(hits)
        current = self._current  # a search or a filter change: O(matches), not per step
        self._position = self._shown.index(current) if current in self._shown else None
        self._update_count()

    def _update_count(self) -> None:
        problem = self._hits.problem if self._hits is not None else None
        self._bar.show_count(self._position, len(self._shown), problem)

    # -- stepping through the matches ---------------------------------------------------------

    def step(self, backwards: bool = False) -> None:
        """The next (or previous) match after the current one, wrapping around; Enter while a
        search waits for its pause runs it now."""
        if self._timer.isActive():
            self.search_now()
            return
        if not self._shown:
            return
        if self._position is not None:
            position = self._position + (-1 if backwards else 1)
        else:
            position = -1 if backwards else 0
        self._go_to(position % len(self._shown))

    def _go_to(self, position: int) -> None:
        """Select the match at `position` and show where the text is; a row out of sight is
        scrolled to the middle of the view, so the rows around it show too."""
        view, model = self._panel.view, self._panel.model
        assert model.tree is not None and self._hits is not None
        node = self._current = self._shown[position]
        self._position = position
        span: Span = model.tree.spans[node]
        row = view.visualRect(model.index_of(span.span_id))
        in_sight = row.isValid() and view.viewport().rect().contains(row)
        view.select_span(span.span_id)
        if not in_sight:
            view.scrollTo(
                model.index_of(span.span_id), QAbstractItemView.ScrollHint.PositionAtCenter
            )
        self._update_count()
        self.match_shown.emit(span, self._hits.text if node in self._hits.in_payload else "")

    def clear(self) -> None:
        """Esc: no search, no highlight, the field empty (the selection stays)."""
        self._timer.stop()
        self._searches.drop()
        had_search = self._hits is not None or bool(self._bar.text)
        self._bar.clear()
        self._show(None)
        if had_search:
            self.match_shown.emit(None, "")
