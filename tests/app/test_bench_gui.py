"""The GUI benchmark's own parts: the stall probe notices a blocked GUI thread, the report reads."""

from __future__ import annotations

import time

from pytestqt.qtbot import QtBot

from tests.bench.gui import (
    STALL_BAR_MS,
    GuiFindings,
    ListFigures,
    StallProbe,
    TraceFigures,
    bars,
    markdown,
)
from tests.bench.timing import Sample


def block_gui_thread(ms: float) -> None:
    """Keep the GUI thread busy (no event is processed meanwhile), as a slow slot would."""
    until = time.perf_counter() + ms / 1000
    while time.perf_counter() < until:
        pass


def test_the_probe_measures_the_longest_stall(qtbot: QtBot) -> None:
    probe = StallProbe()
    probe.start()
    qtbot.wait(30)  # beats every 5 ms while the loop runs
    block_gui_thread(120)
    qtbot.wait(30)
    longest = probe.stop()
    assert 115 <= longest < 400
    assert sum(1 for gap in probe.gaps if gap < 20) >= 3  # the ordinary beats
    assert not probe._timer.isActive()


def test_report_and_bars() -> None:
    trace = TraceFigures(10_000, Sample((0.3, 0.4)), Sample((0.31, 0.42)), 84.0)
    listing = ListFigures(100_000, 1000, 36.8, Sample((0.02, 0.03)), STALL_BAR_MS + 1)
    findings = GuiFindings(trace, listing, 100_000)
    verdicts = [bar.passed for bar in bars(findings)]
    assert verdicts == [True, False]
    text = markdown(findings)
    assert "open the 10,000-span trace" in text and "scroll 100,000 traces" in text
    assert "**FAIL**" in text and "**PASS**" in text
