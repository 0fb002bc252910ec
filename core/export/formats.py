"""The export formats, by name: what each writes and the file it suggests."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TextIO

from core.entities import Trace
from core.export import csv_rows
from core.export.errors import TraceFileError
from core.export.markdown import trace_markdown
from core.export.trace_json import JsonLinesWriter, JsonWriter
from core.otlp import traces_to_otlp_json


class TraceWriter(Protocol):
    """Writes traces to an open text file a page at a time, between `begin` and `end`."""

    needs_spans: bool

    def begin(self, out: TextIO, total: int) -> None: ...

    def write(self, out: TextIO, traces: Sequence[Trace]) -> None: ...

    def end(self, out: TextIO) -> None: ...


class CsvWriter:
    """The list's columns (`csv_rows` keys), one row per trace; spans are not read."""

    needs_spans = False

    def __init__(self, columns: Sequence[str] | None = None) -> None:
        self.columns = tuple(columns or csv_rows.DEFAULT_COLUMNS)
        csv_rows.header(self.columns)  # an unknown column fails before the file is made

    def begin(self, out: TextIO, total: int) -> None:
        csv.writer(out).writerow(csv_rows.header(self.columns))

    def write(self, out: TextIO, traces: Sequence[Trace]) -> None:
        csv.writer(out).writerows(csv_rows.row(t.info, self.columns) for t in traces)

    def end(self, out: TextIO) -> None:
        pass


class MarkdownWriter:
    """Each trace's summary (`core.export.markdown`), parted by rules."""

    needs_spans = True

    def __init__(self) -> None:
        self._first = True

    def begin(self, out: TextIO, total: int) -> None:
        pass

    def write(self, out: TextIO, traces: Sequence[Trace]) -> None:
        for trace in traces:
            out.write("" if self._first else "\n---\n\n")
            out.write(trace_markdown(trace))
            self._first = False

    def end(self, out: TextIO) -> None:
        pass


class OtlpWriter:
    """One OTLP/JSON `ExportTraceServiceRequest` (`core.otlp` encodes each page); the pages'
    `resourceSpans` are written one after another into the one request, which
    `core.otlp.import_otlp_json` (and any OTLP/JSON reader) takes as it is."""

    needs_spans = True

    def __init__(self) -> None:
        self._first = True

    def begin(self, out: TextIO, total: int) -> None:
        out.write('{"resourceSpans": [')

    def write(self, out: TextIO, traces: Sequence[Trace]) -> None:
        for item in traces_to_otlp_json(traces).get("resourceSpans", []):
            out.write("\n" if self._first else ",\n")
            out.write(json.dumps(item, ensure_ascii=False))
            self._first = False

    def end(self, out: TextIO) -> None:
        out.write("\n]}\n")


@dataclass(frozen=True)
class ExportFormat:
    name: str  # what the CLI and the settings call it
    label: str  # what the dialog shows
    suffix: str  # the file name's ending
    make: Callable[[Sequence[str] | None], TraceWriter]  # given the CSV columns


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("json", "MLflow trace JSON", ".json", lambda _c: JsonWriter()),
        ExportFormat(
            "jsonl", "JSON Lines (one trace a line)", ".jsonl", lambda _c: JsonLinesWriter()
        ),
        ExportFormat("csv", "CSV of the list's columns", ".csv", CsvWriter),
        ExportFormat("otlp", "OTLP JSON (OpenTelemetry)", ".otlp.json", lambda _c: OtlpWriter()),
        ExportFormat("markdown", "Markdown summary", ".md", lambda _c: MarkdownWriter()),
    )
}


def available_formats() -> list[ExportFormat]:
    """The formats, in the order the dialog offers them."""
    return list(FORMATS.values())


def export_format(name: str) -> ExportFormat:
    """The format called `name`; TraceFileError naming the known ones otherwise."""
    known = {f.name: f for f in available_formats()}
    if name not in known:
        raise TraceFileError(f"No export format {name!r}; known: {', '.join(known)}.")
    return known[name]
