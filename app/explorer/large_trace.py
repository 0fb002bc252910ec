"""`LargeTrace`: the explorer's light path for a trace whose spans' JSON stays in the database.

For a large trace (`loading.LARGE_TRACE_SPANS`) nothing in the GUI thread may read a span's
JSON: the selected span's is read in the database thread before the detail shows it (a result
for a span the user has left is dropped), the tree's token cells are read for the rows shown
(`app.spans.payload_cells.TokenCells`), and the database checks every span's JSON on the job
pool once the tree is shown, its notices arriving with `checked`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal

from app.explorer.loading import LoadedTrace, check_large_trace, read_span
from app.spans.model import Column, SpanTreeModel
from app.spans.payload_cells import TokenCells
from app.tasks import TaskRunner
from core.entities import Span
from core.store import StoreReader

log = logging.getLogger(__name__)


class LargeTrace(QObject):
    """Reads a large trace's span JSON in the background, for what the explorer shows."""

    checked = Signal(tuple)  # notices of the spans whose JSON is malformed (maybe none)

    def __init__(self, tasks: TaskRunner, model: SpanTreeModel, parent: QObject | None = None):
        super().__init__(parent)
        self._model = model
        self._reads = tasks.group()  # the selected span's JSON: only the last one counts
        self._checks = tasks.group()
        self.tokens = TokenCells(tasks, self)
        self.tokens.landed.connect(self._tokens_landed)
        self._reader: StoreReader | None = None
        self._loaded: LoadedTrace | None = None

    @property
    def active(self) -> bool:
        """Whether the trace shown is a large one."""
        return self._loaded is not None

    def show(self, reader: StoreReader | None, loaded: LoadedTrace | None) -> None:
        """Serve `loaded` (before its tree is shown) when it is a large trace; else nothing."""
        self._reads.drop()
        self._checks.drop()
        large = reader is not None and loaded is not None and loaded.large
        self._reader = reader if large else None
        self._loaded = loaded if large else None
        self.tokens.reset(self._reader, loaded.tree.spans if large and loaded else ())
        self._model.token_cells = self.tokens.cell if large else None
        if self._reader is not None and self._loaded is not None:
            task = self._checks.submit_job(check_large_trace, self._reader, self._loaded)
            task.on_finished(self._on_checked)
            task.on_failed(lambda error: log.info("Checking the spans' JSON failed: %r", error))

    def read(
        self,
        span: Span,
        then: Callable[[Span], object],
        failed: Callable[[Span, BaseException], object],
    ) -> None:
        """Read `span`'s JSON in the database thread, then call `then(span)`, or `failed(span,
        error)`, unless another `read` or `show` came first. A span that has its JSON already
        goes straight to `then`."""
        self._reads.drop()
        if span.payload_loaded or self._reader is None:
            then(span)
            return
        task = self._reads.submit(read_span, self._reader, span)
        task.on_finished(then)
        task.on_failed(lambda error: failed(span, error))

    def drop(self) -> None:
        """Forget a span read still on its way (the user selected nothing, or a small trace)."""
        self._reads.drop()

    def _on_checked(self, found: tuple[tuple[str, ...], list[str]]) -> None:
        notices, broken = found
        for span_id in broken:  # their rows now say "unreadable"
            self._repaint(span_id, Column.NAME, Column.TIMELINE)
        self.checked.emit(notices)

    def _tokens_landed(self, nodes: list[int]) -> None:
        """Repaint the token cells that landed (those of rows still shown)."""
        tree = self._model.tree
        if tree is not None:
            for node in nodes:
                self._repaint(tree.spans[node].span_id, Column.TOKENS, Column.TOKENS)

    def _repaint(self, span_id: str, first: Column, last: Column) -> None:
        model = self._model
        left = model.index_of(span_id, first)
        if left.isValid():
            right = left.siblingAtColumn(last)
            model.dataChanged.emit(left, right, [Qt.ItemDataRole.DisplayRole])
