"""The Insights tab on the demo database in the light and the dark theme, at the window's
first size (kept in $TRACEDESK_SHOTS, else the test's folder)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.insights.page import InsightsPage
from app.main_window import MainWindow
from app.theme import ThemeApplier
from tests.app.helpers import WAIT_MS, shots_folder


@pytest.fixture
def look(qapp: QApplication) -> Iterator[ThemeApplier]:
    applier = ThemeApplier(qapp)
    yield applier
    applier.apply("system", None)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_insights_shot(
    qtbot: QtBot,
    open_insights: Callable[..., tuple[MainWindow, InsightsPage]],
    look: ThemeApplier,
    tmp_path: Path,
    theme: str,
) -> None:
    look.apply(theme, None)
    window, page = open_insights()
    all_time = page.range_box.findData("all")
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        page.range_box.setCurrentIndex(all_time)
        page.range_box.activated.emit(all_time)
    base = page.charts.traces.backgroundBrush().color()
    assert base == QApplication.palette().color(QPalette.ColorRole.Base)
    folder = shots_folder(tmp_path)
    assert window.grab().save(str(folder / f"insights-{theme}.png"))
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        page.breakdown_box.setCurrentIndex(page.breakdown_box.findData("name"))
    assert page.charts.layout_data is not None and page.charts.layout_data.groups
    qtbot.wait(100)
    assert window.grab().save(str(folder / f"insights-by-name-{theme}.png"))
    page.views.setCurrentIndex(1)
    qtbot.wait(50)
    assert window.grab().save(str(folder / f"insights-sessions-{theme}.png"))
