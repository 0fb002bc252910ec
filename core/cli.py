"""`tracedesk-cli` (also `python -m core`): read a tracking store from a terminal or a script.

    tracedesk-cli traces mlflow.db --experiment 1 --filter "trace.status = 'ERROR'" --limit 20
    tracedesk-cli trace mlflow.db tr-1234...            # the trace as MLflow's JSON
    tracedesk-cli prompts mlflow.db --json

    tracedesk-cli export mlflow.db errors.jsonl -e 1 --filter "trace.status = 'ERROR'"
    tracedesk-cli import mlflow.db traces.jsonl -e 1 --write   # core.export.commands
    tracedesk-cli serve-otlp mlflow.db --experiment agents     # core.otlp.command

Tables for people, `--json` for scripts. Only `import --write` and `serve-otlp` (an
OpenTelemetry receiver on 127.0.0.1:4318) write to the store. Text from the
store reaches the terminal only through `core.safe_text.for_terminal`: an escape sequence in
a trace name is printed as `\x1b`, never obeyed (`--json` escapes it by being JSON).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from core.errors import QuerySyntaxError, TraceDeskError
from core.export.commands import add_commands as add_export_commands
from core.export.commands import run_export, run_import
from core.otlp.command import add_command as add_otlp_command
from core.otlp.command import run_serve
from core.safe_text import for_terminal
from core.store.store import Store

DEFAULT_LIMIT = 50


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracedesk-cli", description="Read an MLflow tracking database (no server)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    traces = commands.add_parser("traces", help="list traces, newest first")
    traces.add_argument("store", help="an mlflow.db path or a database URL")
    traces.add_argument("--experiment", "-e", action="append", help="experiment id (repeatable)")
    traces.add_argument("--filter", "-f", help="a filter, e.g. \"trace.status = 'ERROR'\"")
    traces.add_argument("--order-by", action="append", help='e.g. "execution_time_ms DESC"')
    traces.add_argument("--limit", "-n", type=int, default=DEFAULT_LIMIT)
    traces.add_argument("--json", action="store_true", help="one JSON object per line")
    trace = commands.add_parser("trace", help="one trace as MLflow's JSON")
    trace.add_argument("store")
    trace.add_argument("trace_id")
    trace.add_argument("--spans", action="store_true", help="a span tree instead of JSON")
    prompts = commands.add_parser("prompts", help="registered prompts")
    prompts.add_argument("store")
    prompts.add_argument("--name", help="only prompts whose name contains this text")
    prompts.add_argument("--json", action="store_true")
    experiments = commands.add_parser("experiments", help="experiments and their trace counts")
    experiments.add_argument("store")
    experiments.add_argument("--json", action="store_true")
    add_export_commands(commands)  # export, import (core.export.commands)
    add_otlp_command(commands)  # serve-otlp (core.otlp.command)
    return parser


def _time(ms: int | None) -> str:
    if ms is None:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str], out: TextIO) -> None:
    """A plain aligned table; cells are one line, long ones cut with an ellipsis."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    out.write("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip() + "\n")
    for row in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")


def _cell(value: Any, limit: int = 60) -> str:
    text = "" if value is None else for_terminal(" ".join(str(value).split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def list_traces(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    page = store.reader.trace_page(
        args.experiment, filter_string=args.filter, order_by=args.order_by, limit=args.limit
    )
    if args.json:
        for row in page.rows:
            out.write(json.dumps(row.__dict__, default=str) + "\n")
        return
    rows = [
        (
            r.trace_id,
            r.name,
            r.state,
            _time(r.request_time),
            r.execution_duration,
            r.total_tokens,
            r.request_preview,
        )
        for r in page.rows
    ]
    _table(rows, ("trace id", "name", "state", "time", "ms", "tokens", "request"), out)


def show_trace(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    trace = store.reader.get_trace(args.trace_id)
    if not args.spans:
        out.write(trace.to_json(pretty=True) + "\n")
        return
    depth: dict[str | None, int] = {None: -1}
    for span in trace.data.spans:
        depth[span.span_id] = depth.get(span.parent_id, -1) + 1
        duration = f"{(span.duration_ns or 0) / 1e6:.1f} ms"
        indent = "  " * depth[span.span_id]
        line = f"{indent}{span.name}  [{span.span_type}]  {span.status_code}  {duration}"
        out.write(for_terminal(line) + "\n")
    for problem in trace.problems:
        out.write(for_terminal(f"! {problem}") + "\n")


def list_prompts(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    prompts = store.prompt_registry.prompts(args.name)
    if args.json:
        for p in prompts:
            record = {
                "name": p.name,
                "latest_version": p.latest_version,
                "aliases": dict(p.aliases),
                "last_updated_time": p.last_updated_time,
            }
            out.write(json.dumps(record) + "\n")
        return
    rows = [
        (
            p.name,
            p.latest_version,
            ", ".join(f"{a}→{v}" for a, v in p.aliases.items()),
            _time(p.last_updated_time),
        )
        for p in prompts
    ]
    _table(rows, ("name", "latest", "aliases", "last change"), out)


def list_experiments(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    counts = store.reader.trace_counts()
    experiments = store.reader.experiments()
    if args.json:
        for e in experiments:
            record = {
                "experiment_id": e.experiment_id,
                "name": e.name,
                "traces": counts.get(e.experiment_id, 0),
            }
            out.write(json.dumps(record) + "\n")
        return
    rows = [(e.experiment_id, e.name, counts.get(e.experiment_id, 0)) for e in experiments]
    _table(rows, ("id", "name", "traces"), out)


def _error_lines(error: TraceDeskError) -> str:
    """The error for stderr, line by line: messages quote the user's data (ids, filters)."""
    lines = str(error).splitlines() or [""]
    return "".join(f"tracedesk-cli: {for_terminal(line)}\n" for line in lines)


COMMANDS = {
    "traces": list_traces,
    "trace": show_trace,
    "prompts": list_prompts,
    "experiments": list_experiments,
    "export": run_export,
    "import": run_import,
    "serve-otlp": run_serve,
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command; errors are one clear line on stderr and exit status 1 (2: usage)."""
    args = _parser().parse_args(argv)
    out = out or sys.stdout
    try:
        with Store.open(args.store, read_only=not getattr(args, "write", False)) as store:
            COMMANDS[args.command](store, args, out)
    except QuerySyntaxError as error:
        sys.stderr.write(_error_lines(error))
        return 2
    except TraceDeskError as error:
        sys.stderr.write(_error_lines(error))
        return 1
    except BrokenPipeError:  # `| head` closed the pipe: not an error
        return 0
    return 0
