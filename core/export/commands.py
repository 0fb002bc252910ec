"""`tracedesk-cli export` and `tracedesk-cli import` (added to core.cli's parser).

    tracedesk-cli export mlflow.db errors.jsonl -e 1 --filter "trace.status = 'ERROR'"
    tracedesk-cli export mlflow.db one.json --trace-id tr-1234...
    tracedesk-cli import mlflow.db traces.jsonl --experiment 1            # what it would do
    tracedesk-cli import mlflow.db traces.jsonl --experiment 1 --write    # does it

Export streams page by page and shows its progress on stderr when that is a terminal. Import
writes only with `--write` (without it, it reads the files and says what it would add); a
store that cannot be written (an older layout) says so.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from core.export.errors import TraceFileError
from core.export.formats import FORMATS, available_formats, export_format
from core.export.import_json import MLFLOW_JSON, file_kind, import_file, present_ids, read_traces
from core.export.selection import TraceSelection
from core.export.streaming import export_traces
from core.store import Store


def add_commands(commands: Any) -> None:
    """Add `export` and `import` to the CLI's subcommands (`argparse` subparsers)."""
    names = ", ".join(f.name for f in available_formats())
    export = commands.add_parser("export", help="write traces to a file (JSON, CSV, ...)")
    export.add_argument("store", help="an mlflow.db path or a database URL")
    export.add_argument("output", help="the file to write")
    export.add_argument("--format", "-t", help=f"{names} (default: from the file's ending)")
    export.add_argument("--experiment", "-e", action="append", help="experiment id (repeatable)")
    export.add_argument("--filter", "-f", help="a filter, e.g. \"trace.status = 'ERROR'\"")
    export.add_argument("--order-by", action="append", help='e.g. "execution_time_ms DESC"')
    export.add_argument("--trace-id", action="append", help="these traces only (repeatable)")
    export.add_argument("--columns", help="CSV columns, comma separated (tag:KEY, assessment:NAME)")
    imports = commands.add_parser("import", help="add traces from MLflow trace JSON or OTLP JSON")
    imports.add_argument("store", help="an mlflow.db path or a database URL")
    imports.add_argument("files", nargs="+", help=".json (a trace, a list, OTLP) or .jsonl")
    imports.add_argument("--experiment", "-e", required=True, help="the experiment id to add to")
    imports.add_argument(
        "--write", action="store_true", help="write to the store (else: say what would be added)"
    )


def format_for(path: Path, given: str | None) -> str:
    """The format asked for, else the one the file name ends with (`.otlp.json` is OTLP)."""
    if given:
        return export_format(given).name
    name = path.name.lower()
    for each in sorted(FORMATS.values(), key=lambda f: -len(f.suffix)):
        if name.endswith(each.suffix):
            return export_format(each.name).name
    raise TraceFileError(f"Say --format for {path.name}: one of {', '.join(FORMATS)}.")


def run_export(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    with _file_errors():
        _export(store, args, out)


def run_import(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    with _file_errors():
        _import(store, args, out)


@contextlib.contextmanager
def _file_errors() -> Iterator[None]:
    """A file that cannot be read or written, as one clear line (not a traceback)."""
    try:
        yield
    except OSError as error:
        name = error.filename or "the file"
        raise TraceFileError(f"{name}: {error.strerror or error}") from error


def _export(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    path = Path(args.output)
    name = format_for(path, args.format)
    if args.trace_id:
        selection = TraceSelection.of_ids(args.trace_id)
    else:
        selection = TraceSelection(
            tuple(args.experiment) if args.experiment else None,
            args.filter,
            tuple(args.order_by) if args.order_by else None,
        )
    columns = [c.strip() for c in args.columns.split(",")] if args.columns else None
    progress = _progress if sys.stderr.isatty() else None
    result = export_traces(store.reader, selection, name, path, columns=columns, progress=progress)
    if progress is not None:
        sys.stderr.write("\n")
    out.write(f"Wrote {result.written:,} trace(s) to {path} ({name}).\n")


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\r{done:,} / {total:,} traces")
    sys.stderr.flush()


def _import(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    for file in (Path(f) for f in args.files):
        if args.write:
            out.write(import_file(store, file, args.experiment).summary() + "\n")
        else:
            out.write(_would_import(store, file) + "\n")
    if not args.write:
        out.write("Nothing was written: add --write to import.\n")


def _would_import(store: Store, path: Path) -> str:
    """What importing `path` would do, read without writing."""
    if file_kind(path) != MLFLOW_JSON:
        return f"{path.name}: OTLP JSON, would be imported."
    ids = list(dict.fromkeys(t.trace_id for t in read_traces(path)))
    present = present_ids(store.reader, ids)
    text = f"{path.name}: {len(ids) - len(present):,} trace(s) would be added"
    if present:
        text += f", {len(present):,} already in the store would be left as they are"
    return text + "."
