"""json vs orjson on real span contents: the span document, then every attribute inside it.

Samples are the `spans.content` of the MLflow-written tutorial fixture (real rows) plus a
deterministic sample of synthetic spans and the 5,000-span trace. "document" parses the
outer JSON only; "document + attributes" also decodes each attribute value (JSON inside
JSON), which is what showing a span's inputs, outputs and attributes costs.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from core import jsonutil

FIXTURE_DB = Path(__file__).resolve().parents[1] / "fixtures/mlflow-3.18-tutorial/mlflow.db"
MIN_SECONDS = 1.0
MIN_PASSES = 5


@dataclass(frozen=True)
class DecodeFigure:
    label: str
    spans: int
    megabytes: float
    json_s: float
    orjson_s: float
    core_s: float

    @property
    def speedup(self) -> float:
        return self.json_s / self.orjson_s


def span_contents(db_path: Path, where: str = "", params: tuple[Any, ...] = ()) -> list[str]:
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = connection.execute(f"SELECT content FROM spans {where}", params).fetchall()
    finally:
        connection.close()
    return [r[0] for r in rows]


def _best_of_interleaved(fns: list[Callable[[], Any]]) -> list[float]:
    """Fastest pass of each function, passes taken in turn for at least MIN_SECONDS in all.

    Interleaving puts every decoder in the same stretch of machine load, so a busy moment
    does not favour one of them.
    """
    best = [float("inf")] * len(fns)
    spent, passes = 0.0, 0
    while spent < MIN_SECONDS or passes < MIN_PASSES:
        for i, fn in enumerate(fns):
            started = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - started
            best[i], spent = min(best[i], elapsed), spent + elapsed
        passes += 1
    return best


def _full(loads: Callable[[str], Any], contents: list[str]) -> None:
    for text in contents:
        for value in loads(text)["attributes"].values():
            try:  # noqa: SIM105 - contextlib.suppress would add its own cost to the timing
                loads(value)
            except ValueError:
                pass


def _document(loads: Callable[[str], Any], contents: list[str]) -> None:
    for text in contents:
        loads(text)


def measure(label: str, contents: list[str], with_attributes: bool) -> DecodeFigure:
    run = _full if with_attributes else _document
    json_s, orjson_s, core_s = _best_of_interleaved(
        [
            lambda: run(json.loads, contents),
            lambda: run(orjson.loads, contents),
            lambda: run(jsonutil.loads, contents),
        ]
    )
    return DecodeFigure(
        label=label + (" (document + attributes)" if with_attributes else " (document)"),
        spans=len(contents),
        megabytes=sum(len(c.encode("utf-8")) for c in contents) / 1e6,
        json_s=json_s,
        orjson_s=orjson_s,
        core_s=core_s,
    )


def decoder_figures(synthetic_db: Path, big_trace_id: str) -> list[DecodeFigure]:
    """The figures for BENCHMARKS.md: real fixture rows, a synthetic sample, the 5k trace."""
    fixture = span_contents(FIXTURE_DB)
    sample = span_contents(synthetic_db, "WHERE rowid % 50 = 0 AND length(content) < 200000")
    big = span_contents(synthetic_db, "WHERE trace_id = ?", (big_trace_id,))
    figures = []
    for label, contents in (
        ("MLflow tutorial fixture", fixture),
        ("synthetic sample", sample),
        ("5,000-span trace", big),
    ):
        figures.append(measure(label, contents, with_attributes=False))
        figures.append(measure(label, contents, with_attributes=True))
    return figures
