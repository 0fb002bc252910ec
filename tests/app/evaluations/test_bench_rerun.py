"""The Evaluations benchmark's report: its table and bars read right (the run is `make bench`)."""

from __future__ import annotations

from tests.bench.rerun import GridFigures, RerunFigures, RerunFindings, bars, markdown
from tests.bench.timing import Sample


def test_report_and_bars() -> None:
    rerun = RerunFigures(40, 2, 0.01, 6.1, 52.0, "FINISHED", [52.0, 31.0], 1.9, 180.0)
    grid = GridFigures(Sample((0.030, 0.031)), Sample((0.060, 0.062)), 50, 37.0)
    findings = RerunFindings(rerun, grid)
    assert [bar.passed for bar in bars(findings)] == [True, True]
    text = markdown(findings)
    assert "rerun 40 rows, 2 at once, 10 ms/word" in text and "first Rerun…" in text
    assert "open the 1,000-row grid: first page (50 rows)" in text and "**PASS**" in text


def test_bars_fail_on_a_stall_a_killed_run_or_a_slow_big_grid() -> None:
    stalled = RerunFigures(40, 2, 0.01, 6.1, 150.0, "FINISHED")
    killed = RerunFigures(40, 2, 0.01, 6.1, 20.0, "KILLED")
    slow = GridFigures(Sample((0.030,)), Sample((0.500,)), 50, 37.0)
    assert [b.passed for b in bars(RerunFindings(stalled, slow))] == [False, False]
    assert [b.passed for b in bars(RerunFindings(killed, None))] == [False]
    assert bars(RerunFindings(None, None)) == []
