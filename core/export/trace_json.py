"""MLflow's trace JSON as files: one trace as `Trace.to_json()` writes it, several as a JSON
array of those documents, or JSON Lines (one compact document a line)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from core.entities import Trace


class JsonWriter:
    """One trace: its document, as MLflow's `Trace.from_json` reads it; more: an array."""

    needs_spans = True

    def __init__(self) -> None:
        self._single = False
        self._first = True

    def begin(self, out: TextIO, total: int) -> None:
        self._single = total == 1
        if not self._single:
            out.write("[")

    def write(self, out: TextIO, traces: Sequence[Trace]) -> None:
        for trace in traces:
            if not self._single:
                out.write("\n" if self._first else ",\n")
            out.write(trace.to_json(pretty=True))
            self._first = False

    def end(self, out: TextIO) -> None:
        out.write("\n" if self._single else "\n]\n")


class JsonLinesWriter:
    """One compact trace document a line (the spans' JSON as stored, not encoded again)."""

    needs_spans = True

    def begin(self, out: TextIO, total: int) -> None:
        pass

    def write(self, out: TextIO, traces: Sequence[Trace]) -> None:
        for trace in traces:
            out.write(trace.to_json() + "\n")

    def end(self, out: TextIO) -> None:
        pass
