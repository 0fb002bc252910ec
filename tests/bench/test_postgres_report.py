"""The PostgreSQL benchmark's report: which indexes a plan reads, and the BENCHMARKS.md section."""

from __future__ import annotations

from pathlib import Path

from tests.bench.postgres import BEGIN, END, indexes_used, write_benchmarks

PLAN = """Limit
  ->  Incremental Sort
        Sort Key: trace_info.timestamp_ms DESC, trace_info.request_id DESC
        ->  Nested Loop
        ->  Index Scan Backward using index_trace_info_experiment_id_timestamp_ms on trace_info
                    Index Cond: (experiment_id = 1)
              ->  Index Scan using index_trace_tags_request_id on trace_tags
              ->  Bitmap Index Scan on spans_pk
              ->  Index Scan using pg_class_relname_nsp_index on pg_class
        ->  Index Scan Backward using index_trace_info_experiment_id_timestamp_ms on trace_info
              ->  Seq Scan on pg_namespace
              ->  Seq Scan on trace_info"""


def test_indexes_are_listed_once_in_order_of_use() -> None:
    assert indexes_used(PLAN) == [
        "index_trace_info_experiment_id_timestamp_ms",
        "index_trace_tags_request_id",
        "spans_pk",
        "Seq Scan on trace_info",
    ]
    assert indexes_used("Result") == []


def test_the_section_is_appended_once_then_replaced(tmp_path: Path) -> None:
    md = tmp_path / "BENCHMARKS.md"
    md.write_text("# Benchmarks\n\nprose\n", "utf-8")
    write_benchmarks("first run", md)
    write_benchmarks("second run", md)
    text = md.read_text("utf-8")
    assert text.startswith("# Benchmarks\n\nprose\n")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert "second run" in text and "first run" not in text
    assert text.count("## PostgreSQL") == 1
