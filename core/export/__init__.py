"""Traces out of a store and into one: MLflow's trace JSON, JSON Lines, CSV of the list's
columns, OTLP JSON (through `core.otlp`) and Markdown summaries; imports of trace JSON files.

    export_traces(store.reader, TraceSelection(("1",), "trace.status = 'ERROR'"), "jsonl", path)
    trace_markdown(trace)                        # to paste into an issue or a chat
    import_file(store, Path("traces.jsonl"), experiment_id="1")   # a writable store
"""

from core.export.errors import TraceFileError
from core.export.formats import FORMATS, ExportFormat, available_formats, export_format
from core.export.import_json import (
    MLFLOW_JSON,
    OTLP_JSON,
    ImportResult,
    file_kind,
    import_file,
    import_traces,
    present_ids,
    read_traces,
)
from core.export.markdown import span_markdown, trace_markdown, traces_markdown
from core.export.selection import TraceSelection
from core.export.streaming import ExportResult, export_traces

__all__ = [
    "FORMATS",
    "MLFLOW_JSON",
    "OTLP_JSON",
    "ExportFormat",
    "ExportResult",
    "ImportResult",
    "TraceFileError",
    "TraceSelection",
    "available_formats",
    "export_format",
    "export_traces",
    "file_kind",
    "import_file",
    "import_traces",
    "present_ids",
    "read_traces",
    "span_markdown",
    "trace_markdown",
    "traces_markdown",
]
