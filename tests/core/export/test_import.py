"""Trace JSON files go into a writable store as the rows MLflow writes, once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main
from core.errors import ReadOnlyStoreError
from core.export import (
    MLFLOW_JSON,
    OTLP_JSON,
    TraceFileError,
    TraceSelection,
    export_traces,
    file_kind,
    import_file,
)
from core.store.store import Store


def exported(db: Path, to: Path, format_name: str = "jsonl") -> list[str]:
    with Store.open(db) as store:
        export_traces(store.reader, TraceSelection(), format_name, to)
        return store.reader.search_trace_ids(None)


def fresh_store(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "new" / "mlflow.db"
    with Store.open(path, create=True, read_only=False) as store:
        return path, store.writer.create_experiment("imported")


@pytest.mark.parametrize("format_name", ["jsonl", "json"])
def test_exported_traces_import_whole_into_another_store(
    db318: Path, tmp_path: Path, format_name: str
) -> None:
    source = tmp_path / f"traces.{format_name}"
    ids = exported(db318, source, format_name)
    target, experiment = fresh_store(tmp_path)
    with Store.open(target, read_only=False) as store:
        result = import_file(store, source, experiment)
        assert (result.kind, result.added, result.skipped) == (MLFLOW_JSON, len(ids), ())
        again = import_file(store, source, experiment)
    assert (again.added, set(again.skipped)) == (0, set(ids))  # nothing twice
    with Store.open(db318) as before, Store.open(target) as after:
        assert sorted(after.reader.search_trace_ids(None)) == sorted(ids)
        for old, new in zip(before.reader.traces(ids), after.reader.traces(ids), strict=True):
            assert new.info.experiment_id == experiment
            assert new.info.name == old.info.name
            assert new.info.request_time == old.info.request_time
            assert new.info.state == old.info.state
            assert new.info.token_usage == old.info.token_usage
            assert new.info.session_id == old.info.session_id
            assert new.info.request_preview == old.info.request_preview
            assert [s.to_dict() for s in new.data.spans] == [s.to_dict() for s in old.data.spans]
            assert not new.problems
        counts = after.reader.trace_page(None, limit=100).rows
        assert all(row.experiment_id == experiment for row in counts)


def test_a_read_only_store_refuses(db318: Path, tmp_path: Path) -> None:
    source = tmp_path / "t.jsonl"
    exported(db318, source)
    with Store.open(db318) as store, pytest.raises(ReadOnlyStoreError):
        import_file(store, source, "0")


def test_broken_files_say_where(db318: Path, tmp_path: Path) -> None:
    source = tmp_path / "t.jsonl"
    exported(db318, source)
    lines = source.read_text().splitlines()
    source.write_text("\n".join([lines[0], "{not json", *lines[1:]]) + "\n")
    target, experiment = fresh_store(tmp_path)
    with Store.open(target, read_only=False) as store:
        with pytest.raises(TraceFileError, match=r"t\.jsonl, line 2 is not JSON"):
            import_file(store, source, experiment)
        other = tmp_path / "other.json"
        other.write_text(json.dumps({"hello": "world"}))
        with pytest.raises(TraceFileError, match="not an MLflow trace"):
            import_file(store, other, experiment)


def test_otlp_files_are_recognised_by_their_resource_spans(tmp_path: Path) -> None:
    otlp = tmp_path / "spans.json"
    otlp.write_text(json.dumps({"resourceSpans": [{"resource": {}, "scopeSpans": []}]}))
    late = tmp_path / "late.json"
    late.write_text(json.dumps({"x": "y" * 5000, "resourceSpans": []}))
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps({"info": {}, "data": {"spans": []}}))
    assert [file_kind(p) for p in (otlp, late, trace)] == [OTLP_JSON, OTLP_JSON, MLFLOW_JSON]


def test_cli_exports_and_imports_only_with_write(
    db318: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "errors.jsonl"
    assert main(["export", str(db318), str(out), "--filter", "trace.status = 'OK'"]) == 0
    written = len(out.read_text().splitlines())
    assert f"Wrote {written} trace(s)" in capsys.readouterr().out
    target, experiment = fresh_store(tmp_path)
    assert main(["import", str(target), str(out), "-e", experiment]) == 0
    said = capsys.readouterr().out
    assert f"{written} trace(s) would be added" in said and "add --write" in said
    with Store.open(target) as store:
        assert store.reader.count_traces(None) == 0
    assert main(["import", str(target), str(out), "-e", experiment, "--write"]) == 0
    assert f"Imported {written} trace(s)" in capsys.readouterr().out
    assert main(["import", str(target), str(out), "-e", experiment, "--write"]) == 0
    assert f"{written} already in the store were left" in capsys.readouterr().out
    with Store.open(target) as store:
        assert store.reader.count_traces(None) == written


def test_cli_errors_are_one_line(
    db318: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(db318), str(tmp_path / "x.txt")]) == 1
    assert "Say --format for x.txt" in capsys.readouterr().err
    assert main(["import", str(db318), str(tmp_path / "missing.json"), "-e", "0"]) == 1
    assert "missing.json: No such file or directory" in capsys.readouterr().err


def test_otlp_export_reimports_to_the_same_spans(db318: Path, tmp_path: Path) -> None:
    source = tmp_path / "traces.otlp.json"
    ids = exported(db318, source, "otlp")
    document = json.loads(source.read_text("utf-8"))
    assert list(document) == ["resourceSpans"] and document["resourceSpans"]
    target, experiment = fresh_store(tmp_path)
    with Store.open(target, read_only=False) as store:
        assert file_kind(source) == OTLP_JSON
        result = import_file(store, source, experiment)
        assert (result.kind, result.added) == (OTLP_JSON, len(ids))
        again = import_file(store, source, experiment)
        assert (again.added, set(again.skipped)) == (0, set(ids))  # nothing twice
    with Store.open(db318) as before, Store.open(target) as after:
        for old, new in zip(before.reader.traces(ids), after.reader.traces(ids), strict=True):
            assert [(s.span_id, s.parent_id, s.name, s.span_type) for s in new.data.spans] == [
                (s.span_id, s.parent_id, s.name, s.span_type) for s in old.data.spans
            ]
            assert [s.inputs for s in new.data.spans] == [s.inputs for s in old.data.spans]
            assert [s.outputs for s in new.data.spans] == [s.outputs for s in old.data.spans]
