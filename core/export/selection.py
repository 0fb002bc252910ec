"""Which traces an export takes: some ids, or every trace a filter matches, page by page."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from core.store import StoreReader

#: Traces read per page when their spans are written (a page of traces is held at once).
TRACE_PAGE = 50
#: Trace infos read per page when only the list's columns are written.
ROW_PAGE = 500


@dataclass(frozen=True)
class TraceSelection:
    """`trace_ids` when given (in that order); else the traces of `experiment_ids` (None:
    all) that `filter_string` matches, in `order_by`'s order, as the trace list shows them."""

    experiment_ids: tuple[str, ...] | None = None
    filter_string: str | None = None
    order_by: tuple[str, ...] | None = None
    trace_ids: tuple[str, ...] | None = None

    @classmethod
    def of_ids(cls, trace_ids: Sequence[str]) -> TraceSelection:
        return cls(trace_ids=tuple(trace_ids))

    def count(self, reader: StoreReader) -> int:
        """How many traces the selection holds (one query for a filter)."""
        if self.trace_ids is not None:
            return len(self.trace_ids)
        return reader.count_traces(self.experiment_ids, self.filter_string)

    def id_pages(self, reader: StoreReader, size: int) -> Iterator[list[str]]:
        """The selected ids, `size` at a time; a filter is read by keyset pages, never all."""
        if self.trace_ids is not None:
            for start in range(0, len(self.trace_ids), size):
                yield list(self.trace_ids[start : start + size])
            return
        after = None
        while True:
            page = reader.trace_page(
                self.experiment_ids,
                filter_string=self.filter_string,
                order_by=self.order_by,
                after=after,
                limit=size,
            )
            ids = [row.trace_id for row in page.rows]
            if ids:
                yield ids
            if page.next_key is None or not ids:
                return
            after = page.next_key
