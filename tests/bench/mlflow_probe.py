"""Time one MLflow read call in this (fresh) process; run with MLflow's interpreter.

    python tests/bench/mlflow_probe.py search DB EXPERIMENT_IDS MAX_RESULTS
    python tests/bench/mlflow_probe.py get DB TRACE_ID

As in SCHEMA.md §13: import mlflow, set the tracking URI, then one warm-up store access
(`get_experiment("0")`, which pays MLflow's first-connection and schema-check cost), and only
then the timed call. Prints one JSON object: import, warm-up and call seconds, result size.
It imports nothing from TraceDesk, so it runs from any interpreter that has MLflow.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def _call(mlflow: Any, operation: str, args: list[str]) -> int:
    """Run the measured call; return the size of its result (rows or spans)."""
    if operation == "search":
        locations = args[0].split(",")
        frame = mlflow.search_traces(locations=locations, max_results=int(args[1]))
        return len(frame)
    if operation == "get":
        trace = mlflow.get_trace(args[0])
        return len(trace.data.spans) if trace is not None else -1
    raise SystemExit(f"unknown operation {operation!r}")


def main(argv: list[str]) -> None:
    operation, db_path, *args = argv
    started = time.perf_counter()
    import mlflow  # type: ignore[import-not-found, unused-ignore]

    imported = time.perf_counter()
    mlflow.set_tracking_uri(f"sqlite:///{db_path}")
    mlflow.get_experiment("0")
    warmed = time.perf_counter()
    size = _call(mlflow, operation, args)
    done = time.perf_counter()
    result = {
        "import_s": imported - started,
        "warmup_s": warmed - imported,
        "call_s": done - warmed,
        "size": size,
        "mlflow_version": mlflow.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
