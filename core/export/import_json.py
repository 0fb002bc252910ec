"""Traces from files into a writable store: MLflow's trace JSON (one `Trace.to_json()`
document, a JSON array of them, or JSON Lines) and OTLP JSON (through `core.otlp`).

Each trace becomes the rows MLflow 3.18 writes (`trace_info` with its name, session, token and
cost columns; tags; metadata; one `spans` row per span holding the span's JSON as it was) in
the experiment the user names, whatever experiment it came from. A trace whose id is already
in the store, in any experiment, is skipped and left as it is: importing a file twice adds
nothing the second time. Assessments in the file are not imported.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core import jsonutil
from core.entities import Span, Trace
from core.export.errors import TraceFileError
from core.mlflow_keys import (
    ARTIFACT_LOCATION_TAG,
    COST_METADATA,
    MODEL_KEY,
    PROVIDER_KEY,
    SESSION_METADATA,
    SPANS_LOCATION_TAG,
    TOKEN_USAGE_METADATA,
    TRACE_NAME_TAG,
)
from core.otlp import BadBody, import_otlp_json
from core.store import Store, StoreReader, schema
from core.store.columns import COST_COLUMNS, TOKEN_COLUMNS
from core.tracing.encode import TraceRows, span_document

#: Traces written per transaction (a batch of a JSON Lines file is held at once).
IMPORT_BATCH = 50
MLFLOW_JSON, OTLP_JSON = "mlflow", "otlp"


@dataclass(frozen=True)
class ImportResult:
    path: Path
    kind: str  # MLFLOW_JSON or OTLP_JSON
    added: int  # traces new to the store
    skipped: tuple[str, ...] = ()  # ids already in the store, left as they were
    cancelled: bool = False  # stopped between batches: those before it are in the store

    def summary(self) -> str:
        """One sentence for the user."""
        text = f"Imported {self.added:,} trace(s) from {self.path.name}"
        if self.skipped:
            text += f"; {len(self.skipped):,} already in the store were left as they were"
        return text + (" (stopped before the end)." if self.cancelled else ".")


def file_kind(path: Path) -> str:
    """OTLP_JSON for OTLP/JSON requests (a `resourceSpans` key; one a line in a .jsonl),
    else MLFLOW_JSON (a trace has `info` and `data`)."""
    with path.open("rb") as file:
        head = file.read(4096)
    first = head.lstrip()[1:].lstrip()
    if first.startswith((b'"resourceSpans"', b'"resource_spans"')):
        return OTLP_JSON
    if b'"info"' in head or b'"data"' in head:
        return MLFLOW_JSON
    return OTLP_JSON if _has_resource_spans(path) else MLFLOW_JSON


def _has_resource_spans(path: Path) -> bool:
    """Whether the file's first document has `resourceSpans` (read whole: a key far in)."""
    with path.open(encoding="utf-8", errors="replace") as file:
        text = file.readline() if path.suffix.lower() == ".jsonl" else file.read()
    try:
        document = json.loads(text)
    except ValueError:
        return False
    return isinstance(document, dict) and "resourceSpans" in document


def read_traces(path: Path) -> Iterator[Trace]:
    """The traces of an MLflow trace JSON or JSON Lines file; TraceFileError says where it broke."""
    if path.suffix.lower() == ".jsonl":
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    yield _trace(_loads(line, f"{path.name}, line {number}"), path, number)
        return
    document = _loads(path.read_text(encoding="utf-8"), path.name)
    items = document if isinstance(document, list) else [document]
    for number, item in enumerate(items, 1):
        yield _trace(item, path, number if isinstance(document, list) else None)


def _loads(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise TraceFileError(f"{where} is not JSON: {error}") from error


def _trace(item: Any, path: Path, number: int | None) -> Trace:
    where = path.name if number is None else f"{path.name}, trace {number}"
    if not isinstance(item, dict) or "info" not in item or "data" not in item:
        raise TraceFileError(
            f"{where} is not an MLflow trace (a trace has 'info' and 'data'; "
            "an OTLP file has 'resourceSpans')."
        )
    try:
        return Trace.from_dict(item)
    except (KeyError, TypeError, ValueError) as error:
        raise TraceFileError(f"{where} could not be read as a trace: {error}") from error


def import_file(
    store: Store,
    path: Path,
    experiment_id: str,
    *,
    progress: Callable[[int], object] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportResult:
    """Import the traces of `path` (kind found by `file_kind`) into `experiment_id`.

    `progress(traces read so far)` after each batch; `cancelled()` is checked between batches.
    """
    if file_kind(path) == OTLP_JSON:
        try:
            stored = import_otlp_json(store, path, experiment_id)
        except BadBody as error:
            raise TraceFileError(str(error)) from error
        present = tuple(t for t in stored.traces if t not in stored.created)
        return ImportResult(path, OTLP_JSON, stored.added, present)
    added: list[str] = []
    skipped: list[str] = []
    batch: list[Trace] = []
    seen = 0
    stopped = False
    for trace in read_traces(path):
        batch.append(trace)
        if len(batch) >= IMPORT_BATCH:
            if cancelled is not None and cancelled():
                stopped = True
                break
            _write(store, batch, experiment_id, added, skipped)
            seen += len(batch)
            batch = []
            if progress is not None:
                progress(seen)
    if batch and not stopped:
        _write(store, batch, experiment_id, added, skipped)
        if progress is not None:
            progress(seen + len(batch))
    return ImportResult(path, MLFLOW_JSON, len(added), tuple(skipped), stopped)


def import_traces(store: Store, traces: Sequence[Trace], experiment_id: str) -> ImportResult:
    """Import traces already read (one transaction)."""
    added: list[str] = []
    skipped: list[str] = []
    _write(store, traces, experiment_id, added, skipped)
    return ImportResult(Path(), MLFLOW_JSON, len(added), tuple(skipped))


def _write(
    store: Store,
    traces: Sequence[Trace],
    experiment_id: str,
    added: list[str],
    skipped: list[str],
) -> None:
    writer = store.writer  # ReadOnlyStoreError for a store open for reading
    location = writer.experiment_artifact_location(experiment_id)  # NotFoundError if none
    unique = list({t.trace_id: t for t in traces}.values())  # a file may repeat a trace
    ids = [t.trace_id for t in unique]
    present = present_ids(store.reader, ids)
    fresh = [t for t in unique if t.trace_id not in present]
    writer.insert_traces([trace_rows(t, experiment_id, location) for t in fresh])
    added += [t.trace_id for t in fresh]
    skipped += [i for i in ids if i in present]


def present_ids(reader: StoreReader, ids: Sequence[str]) -> set[str]:
    """Which of `ids` the store has already (in any experiment)."""
    ti = schema.trace_info
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        statement = select(ti.c.request_id).where(ti.c.request_id.in_(chunk))
        found.update(row[0] for row in reader.rows(statement))
    return found


def trace_rows(trace: Trace, experiment_id: str, artifact_location: str) -> TraceRows:
    """The rows MLflow 3.18 writes for `trace` in experiment `experiment_id` (the only layout
    a store writes: name, session, tokens and cost are columns there, not tags/metadata)."""
    info = trace.info
    tags = dict(info.tags)
    metadata = dict(info.trace_metadata)
    columns: dict[str, Any] = {
        "request_id": info.trace_id,
        "experiment_id": int(experiment_id),
        "timestamp_ms": info.request_time,
        "execution_time_ms": info.execution_duration,
        "status": info.state.value,
        "client_request_id": info.client_request_id,
        "request_preview": info.request_preview,
        "response_preview": info.response_preview,
        "db_payload_generation": 2,
        "trace_name": tags.pop(TRACE_NAME_TAG, None),
        "session_id": metadata.pop(SESSION_METADATA, None),
        **_numbers(metadata.pop(TOKEN_USAGE_METADATA, None), TOKEN_COLUMNS),
        **_numbers(metadata.pop(COST_METADATA, None), COST_COLUMNS),
    }
    tags[ARTIFACT_LOCATION_TAG] = f"{artifact_location}/traces/{info.trace_id}/artifacts"
    tags[SPANS_LOCATION_TAG] = "TRACKING_STORE"
    spans = [_span_row(info.trace_id, s, experiment_id) for s in trace.data.spans]
    return TraceRows(info.trace_id, experiment_id, columns, tags, metadata, spans)


def _numbers(raw: str | None, names: Sequence[str]) -> dict[str, Any]:
    """Every one of `names` (rows of one insert need the same keys), None where `raw` (a
    metadata JSON object) has no number."""
    value = jsonutil.decode_attribute(raw) if raw else None
    found = value if isinstance(value, dict) else {}
    return {
        n: found[n]
        if isinstance(found.get(n), int | float) and not isinstance(found.get(n), bool)
        else None
        for n in names
    }


def _span_row(trace_id: str, span: Span, experiment_id: str) -> dict[str, Any]:
    model = span.get_attribute(MODEL_KEY)
    provider = span.get_attribute(PROVIDER_KEY)
    return {
        "trace_id": trace_id,
        "experiment_id": int(experiment_id),
        "span_id": span.span_id,
        "parent_span_id": span.parent_id,
        "name": span.name,
        "type": span.span_type,
        "status": span.status_code,
        "start_time_unix_nano": span.start_time_ns,
        "end_time_unix_nano": span.end_time_ns,
        "content": span_document(span.to_dict()),
        "model_name": model if isinstance(model, str) else None,
        "model_provider": provider if isinstance(provider, str) else None,
    }
