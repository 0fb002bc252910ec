"""The huge-trace benchmark's report: its bars judge the 100,000-span trace, MLflow timing out is
said, and `--only huge` replaces its own section of BENCHMARKS.md and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.bench.huge import HugeTrace
from tests.bench.huge_bench import GetFigures, HugeResult, WindowFigures, bars, markdown
from tests.bench.report import BEGIN, END, write_section
from tests.bench.timing import ChildRun


def child(call_s: float, size: int, peak_mb: float = 300.0) -> ChildRun:
    return ChildRun({"call_s": call_s, "size": size, "peak_mb": peak_mb}, call_s + 1)


def window_run(visible_s: float, filter_stall_ms: float, anon_mb: float) -> dict[str, Any]:
    run: dict[str, Any] = {
        "loaded_s": visible_s - 0.01,
        "tree_visible_s": visible_s,
        "read_s": 0.3,
        "index_s": 0.2,
        "select_s": [0.03, 0.02, 0.02],
        "rows_expanded": 2851,
        "before_anon_mb": 100.0,
        "anon_mb": anon_mb,
        "peak_mb": 480.0,
    }
    for phase in ("open", "scroll", "expand", "scroll_expanded", "select"):
        run[f"{phase}_stall_ms"] = 30.0
    run["filter_stall_ms"] = filter_stall_ms
    return run


def result(spans: int, get: GetFigures, window: WindowFigures | None) -> HugeResult:
    trace = HugeTrace(Path("/x.db"), {"n_spans": spans, "content_bytes": spans * 1200})
    return HugeResult(trace, get, window)


def test_bars_judge_the_100k_trace() -> None:
    good = result(
        100_000,
        GetFigures([child(0.2, 100_000), child(0.25, 100_000)], [child(5.0, 100_000)] * 2),
        WindowFigures([window_run(0.6, 80.0, 190.0), window_run(0.7, 120.0, 200.0)]),
    )
    million = result(
        1_000_000, GetFigures([child(4.0, 1_000_000)], [], "timed out after 600 s"), None
    )
    found = {bar.name.split(": ", 1)[1]: bar for bar in bars([good, million])}
    assert [bar.passed for bar in found.values()] == [True, True, False, True]
    speedup = next(iter(found.values()))
    assert speedup.measured == "22.5x"  # the median of 25x and 20x
    stall = next(bar for name, bar in found.items() if "stall" in name)
    assert stall.measured == "longest 120 ms (typing a filter, clearing it)"
    text = markdown([good, million])
    assert "timed out after 600 s" in text and "**FAIL**" in text
    assert "100 → 195" in text  # the window's own memory, median of the runs


def test_different_span_counts_fail_the_speedup() -> None:
    odd = result(100_000, GetFigures([child(0.1, 100_000)], [child(9.0, 99_000)]), None)
    (bar,) = bars([odd])
    assert bar.passed is False and "different span counts" in bar.measured


def test_only_its_own_section_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    generated = "### Run\n\nrun table\n\n### Huge\n\nold\n\n### Other\n\nkept\n\n#### Plans\n\np"
    path.write_text(f"# B\n\nnotes\n\n{BEGIN}\n\n{generated}\n\n{END}\n\nafter\n", "utf-8")
    write_section(path, "Huge", "new numbers")
    text = path.read_text("utf-8")
    assert "old" not in text and "### Huge\n\nnew numbers\n\n### Other\n\nkept" in text
    assert text.startswith("# B\n\nnotes\n\n") and text.endswith(f"{END}\n\nafter\n")
    write_section(path, "Fresh", "added")
    text = path.read_text("utf-8")
    assert "### Fresh\n\nadded\n\n#### Plans" in text and "### Huge\n\nnew numbers" in text
