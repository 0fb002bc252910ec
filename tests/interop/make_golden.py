"""Record what real MLflow returns for a fixture database, as JSON next to it.

Run with the MLflow 3.18 interpreter (`make mlflow-venv`), from a *copy* of the fixture folder:

    .venv-mlflow/bin/python tests/interop/make_golden.py /tmp/copy/mlflow.db out.json

It writes `search_traces` (all experiments, every column, rows in MLflow's order) and
`get_trace(...).to_json()` for every trace. The tests compare `core` with this file.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import mlflow


def main(db_path: str, out_path: str) -> None:
    golden = traces_golden(f"sqlite:///{db_path}")
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(golden, handle, indent=1, sort_keys=False, default=str)


def traces_golden(tracking_uri: str) -> dict[str, Any]:
    """MLflow's `search_traces` of every experiment and `get_trace` of every trace there."""
    mlflow.set_tracking_uri(tracking_uri)
    experiments = mlflow.search_experiments()
    experiment_ids = [e.experiment_id for e in experiments]
    frame = mlflow.search_traces(locations=experiment_ids)
    rows = []
    for record in frame.to_dict("records"):
        record["request_time"] = int(record["request_time"])
        record["execution_duration"] = int(record["execution_duration"])
        rows.append(record)
    traces = {
        row["trace_id"]: json.loads(mlflow.get_trace(row["trace_id"]).to_json()) for row in rows
    }
    return {
        "mlflow_version": mlflow.__version__,
        "experiment_ids": experiment_ids,
        "experiments": {e.experiment_id: e.name for e in experiments},
        "search_traces": {
            "columns": list(frame.columns),
            "dtypes": {c: str(t) for c, t in frame.dtypes.items()},
            "rows": rows,
        },
        "get_trace": traces,
    }


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
