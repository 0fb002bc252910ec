"""What the span tree shows of a span's JSON without reading it in the GUI thread.

A large trace (`app.explorer.loading.LARGE_TRACE_SPANS`) keeps its spans' JSON in the database
until a view asks. Its rows still show a token count: `TokenCells` collects the rows a view
asked for in one pass of the event loop, has the database extract their token usage in the
database thread (the rest of the JSON stays there), and says which rows landed. A row is
marked unreadable only once its JSON is at hand (`shown_error`).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from app.tasks import TaskRunner
from core.entities import Span, TokenUsage
from core.store import StoreReader

log = logging.getLogger(__name__)

NO_TOKENS = ("", "")


def usage_cell(usage: TokenUsage | None) -> tuple[str, str]:
    """(cell, tooltip) of a row's token usage; blank when it recorded none."""
    if usage is None or (usage.total_tokens is None and usage.input_tokens is None):
        return NO_TOKENS
    total = usage.total_tokens
    if total is None:
        total = (usage.input_tokens or 0) + (usage.output_tokens or 0)
    detail = f"{usage.input_tokens or 0:,} in · {usage.output_tokens or 0:,} out · {total:,} total"
    return f"{total:,}", detail


def shown_error(span: Span) -> str | None:
    """Why the span's JSON cannot be read, when its JSON is at hand; else what is known already
    (nothing is read from the database)."""
    return span.decode_error if span.payload_loaded else span.known_decode_error


class TokenCells(QObject):
    """Token cells of a large trace's rows, read in the database thread as views ask for them.

    `cell(node)` answers at once (blank until known) and queues the row; the queued rows go to
    the database in one query when the event loop next runs, and `landed` names them when their
    counts are known. A new trace (`reset`) drops what is still on its way.
    """

    landed = Signal(list)  # the nodes whose cells are now known

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks.group()
        self._reader: StoreReader | None = None
        self._spans: tuple[Span, ...] = ()
        self._cells: dict[int, tuple[str, str]] = {}
        self._asked: set[int] = set()
        self._queue: list[int] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._fetch)

    def reset(self, reader: StoreReader | None, spans: tuple[Span, ...] = ()) -> None:
        """Serve the rows of `spans` (a tree's nodes) from `reader`; None serves nothing."""
        self._tasks.drop()
        self._timer.stop()
        self._reader = reader
        self._spans = spans
        self._cells = {}
        self._asked = set()
        self._queue = []

    @property
    def known(self) -> int:
        """How many rows' cells have landed."""
        return len(self._cells)

    def cell(self, node: int) -> tuple[str, str]:
        """(cell, tooltip) of row `node`: blank until its count has been read."""
        found = self._cells.get(node)
        if found is not None:
            return found
        if node not in self._asked and self._reader is not None and node < len(self._spans):
            self._asked.add(node)
            self._queue.append(node)
            self._timer.start()
        return NO_TOKENS

    def _fetch(self) -> None:
        nodes, self._queue = self._queue, []
        if not nodes or self._reader is None:
            return
        trace_id = self._spans[nodes[0]].trace_id
        span_ids = [self._spans[node].span_id for node in nodes]
        task = self._tasks.submit(self._reader.token_usages, trace_id, span_ids)
        task.on_finished(lambda usages: self._land(nodes, usages))
        task.on_failed(lambda error: self._fail(nodes, error))

    def _land(self, nodes: list[int], usages: dict[str, TokenUsage]) -> None:
        for node in nodes:
            self._cells[node] = usage_cell(usages.get(self._spans[node].span_id))
        self.landed.emit(nodes)

    def _fail(self, nodes: list[int], error: BaseException) -> None:
        """The counts could not be read: the cells stay blank (the tree is still usable)."""
        log.info("Reading the token counts of %d rows failed: %r", len(nodes), error)
        self._land(nodes, {})
