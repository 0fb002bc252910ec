"""`tracedesk-cli serve-otlp mlflow.db [--experiment NAME] [--port 4318]`: receive OpenTelemetry
traces into a store until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any, TextIO

from core.errors import TraceDeskError
from core.otlp.ingest import Stored
from core.otlp.server import DEFAULT_HOST, DEFAULT_PORT, OtlpReceiver
from core.store.store import Store


def add_command(commands: Any) -> None:
    """Add `serve-otlp` to the CLI's subcommands (opens the store for writing)."""
    serve = commands.add_parser(
        "serve-otlp", help="receive OpenTelemetry traces (OTLP/HTTP) into the store"
    )
    serve.add_argument("store", help="an mlflow.db path or a database URL (written to)")
    serve.add_argument(
        "--experiment", "-e", help="experiment name (made if missing; default: Default)"
    )
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow an address other machines can reach (anyone there can write traces)",
    )
    serve.set_defaults(write=True)


def run_serve(
    store: Store, args: argparse.Namespace, out: TextIO, stop: threading.Event | None = None
) -> None:
    """Serve until Ctrl-C (or `stop` is set), printing a line per stored batch."""
    writer = store.writer
    if args.experiment:
        experiment_id = writer.create_experiment(args.experiment)
    else:
        writer.ensure_default_experiment()
        experiment_id = "0"
    try:
        receiver = OtlpReceiver(
            store, experiment_id, args.host, args.port, allow_remote=args.allow_remote
        )
    except OSError as error:  # the port is taken, or the address is not this machine's
        raise TraceDeskError(f"Cannot listen on {args.host}:{args.port}: {error}") from error

    def stored(batch: Stored) -> None:
        spans, traces = receiver.counts()
        out.write(f"+{batch.spans} · {_count(spans, 'span')} in {_count(traces, 'trace')}\n")
        out.flush()

    receiver.on_stored = stored
    with receiver:
        out.write(
            f"Receiving OTLP on {receiver.url} into experiment {experiment_id} of "
            f"{store.display_name} (Ctrl-C stops)\n"
        )
        out.flush()
        stop = stop or threading.Event()
        with contextlib.suppress(KeyboardInterrupt), _stop_on_sigterm(stop):
            stop.wait()
    spans, traces = receiver.counts()
    out.write(f"Stopped: {_count(spans, 'span')} in {_count(traces, 'trace')} received.\n")


@contextlib.contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """`kill` (SIGTERM) stops as Ctrl-C does, writing what was received (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda _number, _frame: stop.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")
