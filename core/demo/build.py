"""Building the demo database: every experiment's plan, written through core, then the registry.

`build_demo_database(path)` writes about 350 back-dated traces over five experiments
(Default, support-agent, rag-qa, summarizer, evaluation) spread over the last 14 days, then
the prompts, two evaluation runs and a registered agent. `python -m core.demo OUT.db [--seed N]`
is `main`; the app runs it in a child process and reads its `progress N/M` lines.

The plan (`plan_demo`) is plain data, so its content can be tested without a database;
`write_plan` replays it through `core.start_span` / `core.start_span_no_context` with explicit
start and end times.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import core
from core.demo.agents import CHAMPION, add_agent, link_agent_traces
from core.demo.evaluations import add_evaluations
from core.demo.harness import eval_traces
from core.demo.notebook import default_traces
from core.demo.plan import HOUR, Gen, Node, TraceSpec
from core.demo.prompts import add_prompts
from core.demo.rag import rag_traces
from core.demo.summarizer import summarizer_traces
from core.demo.support import support_traces

EXPERIMENTS = ("Default", "support-agent", "rag-qa", "summarizer", "evaluation")


def plan_demo(seed: int = 7, now_ns: int | None = None) -> list[TraceSpec]:
    """Every trace of the demo, as plain data; the same seed and clock give the same plan."""
    g = Gen(seed)
    now = now_ns if now_ns is not None else this_hour()
    return [
        *default_traces(g, now),
        *support_traces(g, now),
        *rag_traces(g, now),
        *summarizer_traces(g, now),
        *eval_traces(g, now),
    ]


def this_hour() -> int:
    """Now, rounded down to the hour, so runs within the same hour write the same dates."""
    now = time.time_ns()
    return now - now % HOUR


def emit(node: Node, parent: core.LiveSpan) -> None:
    span = core.start_span_no_context(
        node.name,
        node.span_type,
        parent_span=parent,
        inputs=node.inputs,
        attributes=node.attributes or None,
        start_time_ns=node.start_ns,
    )
    for child in node.children:
        emit(child, span)
    finish(span, node)


def finish(span: core.LiveSpan, node: Node) -> None:
    """End a span as the code it stands for would have: events, exception, outputs, end time."""
    for name, attributes, at in node.events:
        span.add_event(name, attributes, timestamp_ns=at)
    if node.failure is not None:
        error = node.failure
        span.set_status("ERROR", f"{error.type_name}: {error.message}")
        span.add_event(
            "exception",
            {
                "exception.type": error.type_name,
                "exception.message": error.message,
                "exception.stacktrace": error.stacktrace,
                "exception.escaped": "False",
            },
            timestamp_ns=node.end_ns,
        )
    span.end(outputs=node.outputs, end_time_ns=node.end_ns)


def write_trace(spec: TraceSpec) -> None:
    """One trace through core's tracing API, back-dated to the plan's times."""
    root = spec.root
    # The root goes through `start_span` because `update_current_trace` only reaches the
    # current span; `start_span` takes no start time, so the root is back-dated by hand.
    with core.start_span(root.name, root.span_type, root.attributes or None) as span:
        span.start_time_ns = root.start_ns
        if root.inputs is not None:
            span.set_inputs(root.inputs)
        core.update_current_trace(
            tags=spec.tags, metadata=spec.metadata, session_id=spec.session_id, user=spec.user
        )
        for child in root.children:
            emit(child, span)
        finish(span, root)  # ends the root before the `with` does, at the planned time


def write_plan(specs: Sequence[TraceSpec], progress: Callable[[int, int], None] | None) -> None:
    """Write every trace into the current tracking URI, experiment by experiment."""
    ordered = sorted(specs, key=lambda s: (EXPERIMENTS.index(s.experiment), s.root.start_ns))
    total, current = len(ordered), None
    for done, spec in enumerate(ordered, 1):
        if spec.experiment != current:
            core.set_experiment(spec.experiment)  # creates it the first time
            current = spec.experiment
        write_trace(spec)
        if progress is not None and done < total:
            progress(done, total)  # the last step is reported once everything is on disk


def build_demo_database(
    path: Path,
    *,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
    now_ns: int | None = None,
) -> None:
    """Write the demo database to `path`, a file that must not exist yet.

    Sets core's tracking URI to `path` (the app runs this in a child process) and returns once
    every trace is on disk. `progress(done, total)` is called as traces are written. The plan's
    dates end at `now_ns` (default: this hour; tests fix it to compare two builds).
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} already exists; the demo is only written to a new file.")
    specs = plan_demo(seed, now_ns)
    core.set_tracking_uri(f"sqlite:///{path.resolve()}")
    model_ids = add_agent()  # first: the agent's conversations name its logged model
    specs = link_agent_traces(specs, model_ids[CHAMPION])
    write_plan(specs, progress)
    if not core.flush_trace_async_logging(timeout_s=120.0):
        raise RuntimeError(f"Timed out writing the demo traces to {path}.")
    with core.Store.open(path) as store:
        written = store.reader.count_traces(None)
    if written != len(specs):
        raise RuntimeError(f"Only {written} of {len(specs)} demo traces reached {path}.")
    add_registry(path)  # prompts, evaluation runs (which add traces of their own)
    if progress is not None:
        progress(len(specs), len(specs))


def add_registry(path: Path) -> None:
    """Add the prompts and evaluation runs to the demo database at `path`, which core's
    tracking URI must already point at (`build_demo_database` set it, and logged the agent
    before the traces that name it)."""
    if not Path(path).exists():
        raise FileNotFoundError(f"{path} does not exist; build the demo traces first.")
    add_prompts()
    add_evaluations()
    if not core.flush_trace_async_logging(timeout_s=60.0):
        raise RuntimeError(f"Timed out writing the demo's evaluation traces to {path}.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core.demo",
        description="Write TraceDesk's demo MLflow tracking database to a new SQLite file.",
    )
    parser.add_argument("output", type=Path, help="the database file to create (must not exist)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def report(done: int, total: int) -> None:
        if done % 25 == 0 or done == total:
            print(f"progress {done}/{total}", file=sys.stderr, flush=True)

    try:
        build_demo_database(args.output, seed=args.seed, progress=report)
    except FileExistsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    size_mb = args.output.stat().st_size / 1e6
    print(f"Wrote {args.output} ({size_mb:.1f} MB) in {time.perf_counter() - started:.1f} s")
    return 0
