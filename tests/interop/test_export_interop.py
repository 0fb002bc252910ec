"""Real MLflow 3.18 reads what `core.export` writes: exported trace JSON with
`Trace.from_json`, and traces imported into a copy of its own database with `get_trace`."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.export import TraceSelection, export_traces, import_file
from core.store.store import Store
from tests.interop.conftest import MlflowRunner

pytestmark = pytest.mark.interop

FROM_JSON = """
from pathlib import Path
from mlflow.entities import Trace
out = {}
for line in Path(ARGS["jsonl"]).read_text().splitlines():
    t = Trace.from_json(line)
    out[t.info.trace_id] = [t.info.state.value, [s.name for s in t.data.spans]]
one = Trace.from_json(Path(ARGS["json"]).read_text())
out["one"] = one.info.trace_id
print(json.dumps(out))
"""

GET_TRACE = """
import mlflow
mlflow.set_tracking_uri(ARGS["uri"])
out = {}
for trace_id in ARGS["ids"]:
    t = mlflow.get_trace(trace_id)
    out[trace_id] = {
        "experiment_id": t.info.experiment_id,
        "name": t.info.tags.get("mlflow.traceName"),
        "tokens": t.info.token_usage,
        "spans": [[s.span_id, s.parent_id, s.name, s.inputs, s.outputs] for s in t.data.spans],
    }
print(json.dumps(out, default=str))
"""


def test_mlflow_reads_exported_trace_json(
    db318: Path, tmp_path: Path, run_mlflow: MlflowRunner
) -> None:
    with Store.open(db318) as store:
        ids = store.reader.search_trace_ids(None)
        export_traces(store.reader, TraceSelection(), "jsonl", tmp_path / "all.jsonl")
        export_traces(store.reader, TraceSelection.of_ids(ids[:1]), "json", tmp_path / "one.json")
        expected = {
            t.trace_id: [t.info.state.value, [s.name for s in t.data.spans]]
            for t in store.reader.traces(ids)
        }
    read = run_mlflow(FROM_JSON, jsonl=str(tmp_path / "all.jsonl"), json=str(tmp_path / "one.json"))
    assert read.pop("one") == ids[0]
    assert read == expected


def test_mlflow_reads_traces_imported_into_its_database(
    db31: Path, db318: Path, tmp_path: Path, run_mlflow: MlflowRunner
) -> None:
    """Traces of an MLflow 3.1 database (spans in traces.json files), exported and imported
    into a copy of a 3.18 one, read back by MLflow as they were."""
    source = tmp_path / "from31.jsonl"
    with Store.open(db31) as old:
        export_traces(old.reader, TraceSelection(), "jsonl", source)
        originals = {t.trace_id: t for t in old.reader.traces(old.reader.search_trace_ids(None))}
    with Store.open(db318, read_only=False) as store:
        experiment = store.writer.create_experiment("imported from 3.1")
        result = import_file(store, source, experiment)
    assert result.added == len(originals) > 0
    read = run_mlflow(GET_TRACE, uri=f"sqlite:///{db318}", ids=sorted(originals))
    for trace_id, trace in originals.items():
        got = read[trace_id]
        assert got["experiment_id"] == experiment
        assert got["name"] == trace.info.name
        assert got["tokens"] == (dict(trace.info.token_usage) if trace.info.token_usage else None)
        assert got["spans"] == [
            [s.span_id, s.parent_id, s.name, s.inputs, s.outputs] for s in trace.data.spans
        ]
