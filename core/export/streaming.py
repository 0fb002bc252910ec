"""Writing many traces to a file page by page, with progress and a way to stop.

A page of ids is read (keyset pages for a filter), then those traces (with their spans only
when the format needs them), written, and forgotten: memory holds one page, never the whole
export. The file is written beside its final name and renamed at the end, so a cancelled or
failed export leaves no half file behind (and the file it would replace untouched).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.export.formats import export_format
from core.export.selection import ROW_PAGE, TRACE_PAGE, TraceSelection
from core.store import StoreReader

#: `progress(done, total)`: traces written so far and how many there are.
Progress = Callable[[int, int], object]


@dataclass(frozen=True)
class ExportResult:
    path: Path
    written: int  # traces written (one deleted meanwhile is not)
    total: int  # traces selected when the export started (the most it writes)
    cancelled: bool = False  # stopped before the end: no file was written


def export_traces(
    reader: StoreReader,
    selection: TraceSelection,
    format_name: str,
    path: Path,
    *,
    columns: Sequence[str] | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    page_size: int | None = None,
) -> ExportResult:
    """Write the selected traces to `path` as `format_name` (`core.export.FORMATS`);
    `columns` are the CSV's (`csv_rows` keys). Checks `cancelled()` before every page."""
    writer = export_format(format_name).make(columns)
    size = page_size or (TRACE_PAGE if writer.needs_spans else ROW_PAGE)
    total = selection.count(reader)
    partial = path.with_name(f".{path.name}.part")
    written = 0
    stopped = False
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            writer.begin(out, total)
            for page in selection.id_pages(reader, size):
                if cancelled is not None and cancelled():
                    stopped = True
                    break
                ids = page[: total - written]  # traces added meanwhile are not this export's
                if not ids:
                    break
                traces = reader.traces(ids, include_spans=writer.needs_spans)
                writer.write(out, traces)
                written += len(traces)
                if progress is not None:
                    progress(written, total)
            if not stopped:
                writer.end(out)
        if stopped:
            partial.unlink()
        else:
            os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    return ExportResult(path, written, total, cancelled=stopped)
